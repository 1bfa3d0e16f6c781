/* map_sweeps.c — the stored sweeps: creating one with its names, appending
 * its rows (each once), marking it complete, listing, reading its rows from
 * a given row on, and removing it.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "map_store_internal.h"
#include "map_vec.h"

/* ---------------------------------------------------------------- sweeps */

static int sweep_missing(const map_store *st, int64_t id, map_error *err)
{
    return map_error_set(err, MAP_EUSAGE, "no sweep %" PRId64 " in %s", id, st->path);
}

/* NaN (which SQLite would store as NULL anyway) explicitly as NULL. */
static int bind_real(sqlite3_stmt *stmt, int idx, double x)
{
    return isnan(x) ? sqlite3_bind_null(stmt, idx) : sqlite3_bind_double(stmt, idx, x);
}

static double column_real(sqlite3_stmt *stmt, int col)
{
    return sqlite3_column_type(stmt, col) == SQLITE_NULL ? NAN : sqlite3_column_double(stmt, col);
}

static int validate_sweep_meta(const map_store_sweep_meta *m, map_error *err)
{
    if (!m || !m->dataset || !m->command || !m->source)
        return map_error_set(err, MAP_EDATA, "a sweep needs a dataset, a command and a source");
    if (m->k == 0 || m->nlevel == 0 || !m->values || !m->level_names)
        return map_error_set(err, MAP_EDATA, "a sweep needs value and level names");
    if (m->k > (size_t)INT64_MAX || m->nlevel > (size_t)INT64_MAX
        || m->total_rows > (size_t)INT64_MAX || m->k > SIZE_MAX / sizeof(double)
        || m->nlevel > SIZE_MAX / sizeof(double))
        return map_error_set(err, MAP_EDATA, "the sweep is too large");
    for (size_t i = 0; i < m->k; i++)
        if (!m->values[i])
            return map_error_set(err, MAP_EDATA, "sweep value %zu has no name", i + 1);
    for (size_t i = 0; i < m->nlevel; i++)
        if (!m->level_names[i])
            return map_error_set(err, MAP_EDATA, "sweep level column %zu has no name", i + 1);
    return MAP_OK;
}

int map_store_sweep_create(map_store *st, const map_store_sweep_meta *meta, int64_t *id,
                           map_error *err)
{
    if (!st || !id)
        return map_error_set(err, MAP_EUSAGE, "no store or output given");
    *id = 0;
    int code = validate_sweep_meta(meta, err);
    if (!code)
        code = store_begin_write(st, err); /* refuses a read-only store */
    if (code)
        return code;
    int64_t dsid = 0;
    code = store_find_dataset_id(st, meta->dataset, &dsid, err);
    if (!code && dsid == 0)
        code = map_error_set(err, MAP_EUSAGE, "no dataset named '%s' in %s", meta->dataset,
                             st->path);
    sqlite3_stmt *ins = NULL;
    if (!code)
        code = store_prepare(st,
                             "INSERT INTO sweep (dataset_id, created, command, source, seed, k, "
                             "nlevel, total_rows, complete, request) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9)", &ins, err);
    if (!code) {
        int rc = sqlite3_bind_int64(ins, 1, dsid);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ins, 2, meta->created);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(ins, 3, meta->command, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(ins, 4, meta->source, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ins, 5, (int64_t)meta->seed);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ins, 6, (int64_t)meta->k);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ins, 7, (int64_t)meta->nlevel);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ins, 8, (int64_t)meta->total_rows);
        if (rc == SQLITE_OK)
            rc = meta->request ? sqlite3_bind_text(ins, 9, meta->request, -1, SQLITE_STATIC)
                               : sqlite3_bind_null(ins, 9);
        code = rc == SQLITE_OK ? store_step_done(st, ins, err, "cannot store the sweep")
                               : store_sql_fail(st, rc, err, "cannot bind");
    }
    sqlite3_finalize(ins);
    const int64_t sid = code ? 0 : sqlite3_last_insert_rowid(st->db);
    if (!code)
        code = store_put_names(st, "INSERT INTO sweep_name (sweep_id, idx, name, role) "
                                   "VALUES (?1, ?2, ?3, 0)", sid, meta->values, meta->k,
                               "cannot store a sweep's names", err);
    if (!code)
        code = store_put_names(st, "INSERT INTO sweep_name (sweep_id, idx, name, role) "
                                   "VALUES (?1, ?2, ?3, 1)", sid, meta->level_names,
                               meta->nlevel, "cannot store a sweep's names", err);
    code = store_end(st, code, err);
    if (!code)
        *id = sid;
    return code;
}

/* The shape of sweep id; a sweep that is not there is MAP_EUSAGE. */
static int sweep_shape(map_store *st, int64_t id, size_t *k, size_t *nlevel, size_t *total,
                       map_error *err)
{
    sqlite3_stmt *sel = NULL;
    int code = store_prepare(st, "SELECT k, nlevel, total_rows FROM sweep WHERE id = ?1", &sel,
                             err);
    if (code)
        return code;
    int rc = sqlite3_bind_int64(sel, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW) {
        const int64_t k64 = sqlite3_column_int64(sel, 0), l64 = sqlite3_column_int64(sel, 1);
        const int64_t t64 = sqlite3_column_int64(sel, 2);
        if (k64 <= 0 || l64 <= 0 || t64 < 0 || (uint64_t)k64 > SIZE_MAX / sizeof(double)
            || (uint64_t)l64 > SIZE_MAX / sizeof(double) || (uint64_t)t64 > SIZE_MAX) {
            code = map_error_set(err, MAP_ESTORE, "store '%s': sweep %" PRId64 " is corrupt: "
                                 "its shape is invalid", st->path, id);
        } else {
            *k = (size_t)k64;
            *nlevel = (size_t)l64;
            *total = (size_t)t64;
        }
    } else if (rc == SQLITE_DONE) {
        code = sweep_missing(st, id, err);
    } else {
        code = store_sql_fail(st, rc, err, "cannot read a sweep");
    }
    sqlite3_finalize(sel);
    return code;
}

/* The rows of a sweep, opened for append or read: its shape, a buffer for
 * one row's target, lambda and level (2k + nlevel doubles: a read row's
 * values, or a written row's byte-swapped copies on a big-endian host), and
 * the statement that writes or reads them. */
typedef struct sweep_rows {
    size_t k, nlevel, total;
    double *buf;
    sqlite3_stmt *stmt;
} sweep_rows;

/* Ends what open_rows began: the statement, the buffer, and the
 * transaction by code (store_end); returns the final code. */
static int close_rows(map_store *st, sweep_rows *r, int code, map_error *err)
{
    sqlite3_finalize(r->stmt);
    map_free(r->buf);
    memset(r, 0, sizeof *r);
    return store_end(st, code, err);
}

/* Opens *r on the rows of sweep id, in a write (write) or read transaction,
 * with the statement sql. On failure nothing is left open. */
static int open_rows(map_store *st, int64_t id, int write, const char *sql, sweep_rows *r,
                     map_error *err)
{
    memset(r, 0, sizeof *r);
    int code = write ? store_begin_write(st, err) : store_begin_read(st, err);
    if (code)
        return code;
    code = sweep_shape(st, id, &r->k, &r->nlevel, &r->total, err);
    if (!code) {
        r->buf = map_mallocarray(2 * r->k + r->nlevel, sizeof *r->buf);
        if (!r->buf)
            code = store_nomem(err);
    }
    if (!code)
        code = store_prepare(st, sql, &r->stmt, err);
    return code ? close_rows(st, r, code, err) : MAP_OK;
}

/* Inserts row r of sweep id with the INSERT of sr. */
static int put_sweep_row(map_store *st, const sweep_rows *sr, int64_t id,
                         const map_store_sweep_row *r, map_error *err)
{
    const size_t k = sr->k;
    if (r->row >= sr->total)
        return map_error_set(err, MAP_EDATA, "sweep %" PRId64 ": row %zu is past its last row "
                             "(%zu rows)", id, r->row, sr->total);
    if (!r->status || !r->lambda || !r->level)
        return map_error_set(err, MAP_EDATA, "sweep %" PRId64 ": row %zu lacks its status, "
                             "lambda or levels", id, r->row);
    unsigned char *s1 = (unsigned char *)sr->buf, *s2 = (unsigned char *)(sr->buf + k);
    unsigned char *s3 = (unsigned char *)(sr->buf + 2 * k);
    sqlite3_stmt *const ins = sr->stmt;
    int rc = sqlite3_bind_int64(ins, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(ins, 2, (int64_t)r->row);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(ins, 3, r->status, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = r->improves < 0 ? sqlite3_bind_null(ins, 4) : sqlite3_bind_int(ins, 4, r->improves != 0);
    if (rc == SQLITE_OK)
        rc = store_bind_doubles(ins, 5, r->target, k, s1);
    if (rc == SQLITE_OK)
        rc = store_bind_doubles(ins, 6, r->lambda, k, s2);
    if (rc == SQLITE_OK)
        rc = store_bind_doubles(ins, 7, r->level, sr->nlevel, s3);
    if (rc == SQLITE_OK)
        rc = bind_real(ins, 8, r->kl);
    if (rc == SQLITE_OK)
        rc = bind_real(ins, 9, r->ess);
    if (rc == SQLITE_OK)
        rc = bind_real(ins, 10, r->margin);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(ins, 11, r->iterations);
    if (rc != SQLITE_OK)
        return store_sql_fail(st, rc, err, "cannot bind a sweep row");
    rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc == SQLITE_DONE)
        return MAP_OK;
    if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT)
        return map_error_set(err, MAP_EDATA, "sweep %" PRId64 ": row %zu is already stored", id,
                             r->row);
    return store_sql_fail(st, rc, err, "cannot store a sweep row");
}

int map_store_sweep_append(map_store *st, int64_t id, const map_store_sweep_row *rows,
                           size_t count, map_error *err)
{
    if (!st || (!rows && count))
        return map_error_set(err, MAP_EUSAGE, "no store or rows given");
    sweep_rows sr;
    int code = open_rows(st, id, 1,
                         "INSERT INTO sweep_row (sweep_id, row, status, improves, target, "
                         "lambda, level, kl, ess, margin, iterations) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &sr, err);
    if (code)
        return code;
    for (size_t i = 0; !code && i < count; i++)
        code = put_sweep_row(st, &sr, id, &rows[i], err);
    return close_rows(st, &sr, code, err);
}

/* Runs sql, an UPDATE or DELETE of the one row of sweep id (bound to ?1;
 * value to ?2 where has_value, else text where non-NULL), in its own write
 * transaction; what names
 * the step in errors. A sweep that is not there is MAP_EUSAGE. */
static int sweep_write(map_store *st, int64_t id, const char *sql, int has_value, int value,
                       const char *text, const char *what, map_error *err)
{
    if (!st)
        return map_error_set(err, MAP_EUSAGE, "no store given");
    int code = store_begin_write(st, err);
    if (code)
        return code;
    sqlite3_stmt *stmt = NULL;
    code = store_prepare(st, sql, &stmt, err);
    if (!code) {
        int rc = sqlite3_bind_int64(stmt, 1, id);
        if (rc == SQLITE_OK && has_value)
            rc = sqlite3_bind_int(stmt, 2, value);
        else if (rc == SQLITE_OK && text)
            rc = sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC);
        code = rc == SQLITE_OK ? store_step_done(st, stmt, err, what)
                               : store_sql_fail(st, rc, err, "cannot bind");
    }
    sqlite3_finalize(stmt);
    if (!code && sqlite3_changes(st->db) == 0)
        code = sweep_missing(st, id, err);
    return store_end(st, code, err);
}

int map_store_sweep_set_complete(map_store *st, int64_t id, int complete, map_error *err)
{
    return sweep_write(st, id, "UPDATE sweep SET complete = ?2 WHERE id = ?1", 1, complete != 0,
                       NULL, "cannot update the sweep", err);
}

int map_store_sweep_set_request(map_store *st, int64_t id, const char *request, map_error *err)
{
    if (!request)
        return map_error_set(err, MAP_EDATA, "no request given");
    if (st && st->version < 4)
        return map_error_set(err, MAP_ESTORE, "store '%s' has no request column", st->path);
    return sweep_write(st, id, "UPDATE sweep SET request = ?2 WHERE id = ?1", 0, 0, request,
                       "cannot update the sweep", err);
}

void map_store_sweep_info_free(map_store_sweep_info *info, size_t count)
{
    if (!info)
        return;
    for (size_t s = 0; s < count; s++) {
        map_store_sweep_info *in = &info[s];
        MAP_FREE_ALL(in->dataset, in->command, in->request, in->source);
        map_free_strings(in->values, in->k);
        map_free_strings(in->level_names, in->nlevel);
    }
    map_free(info);
}

static const char sql_sweep_values[] =
    "SELECT idx, name FROM sweep_name WHERE sweep_id = ?1 AND role = 0 ORDER BY idx";
static const char sql_sweep_levels[] =
    "SELECT idx, name FROM sweep_name WHERE sweep_id = ?1 AND role = 1 ORDER BY idx";

/* The columns list_sweeps reads, in this order; REQUEST is s.request, or
 * NULL on a read-only handle of a version-3 database (no such column). */
#define SWEEP_COLUMNS(REQUEST)                                                                \
    "SELECT s.id, d.name, s.created, s.command, s.source, s.seed, s.k, s.nlevel, "          \
    "s.total_rows, s.complete, " REQUEST ", "                                               \
    "(SELECT count(*) FROM sweep_row r WHERE r.sweep_id = s.id), "                          \
    "(SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM sweep_row r0 WHERE r0.sweep_id = s.id "     \
    "AND r0.row = 0) THEN 0 ELSE (SELECT min(a.row) + 1 FROM sweep_row a WHERE "             \
    "a.sweep_id = s.id AND NOT EXISTS (SELECT 1 FROM sweep_row b WHERE b.sweep_id = s.id "   \
    "AND b.row = a.row + 1)) END) "                                                         \
    "FROM sweep s JOIN dataset d ON d.id = s.dataset_id "

/* Reads the current row of sel (SWEEP_COLUMNS) into a zeroed info, names
 * included. On failure whatever was allocated stays in info for the
 * caller to free. */
static int sweep_info_row(map_store *st, sqlite3_stmt *sel, map_store_sweep_info *in,
                          map_error *err)
{
    in->id = sqlite3_column_int64(sel, 0);
    char label[64];
    snprintf(label, sizeof label, "sweep %" PRId64, in->id);
    const int64_t k = sqlite3_column_int64(sel, 6), nl = sqlite3_column_int64(sel, 7);
    const int64_t total = sqlite3_column_int64(sel, 8), stored = sqlite3_column_int64(sel, 11);
    const int64_t next = sqlite3_column_int64(sel, 12);
    if (k <= 0 || nl <= 0 || total < 0 || stored < 0 || next < 0 || k > 100000 || nl > 100000)
        return map_error_set(err, MAP_ESTORE, "store '%s': %s is corrupt: its shape is invalid",
                             st->path, label);
    int code = store_column_strdup(sel, 1, &in->dataset, err);
    if (!code)
        code = store_column_strdup(sel, 3, &in->command, err);
    if (!code)
        code = store_column_strdup(sel, 4, &in->source, err);
    if (!code && sqlite3_column_type(sel, 10) != SQLITE_NULL)
        code = store_column_strdup(sel, 10, &in->request, err);
    if (code)
        return code;
    in->created = sqlite3_column_int64(sel, 2);
    in->seed = (uint64_t)sqlite3_column_int64(sel, 5);
    in->total_rows = (size_t)total;
    in->complete = sqlite3_column_int64(sel, 9) != 0;
    in->stored_rows = (size_t)stored;
    in->next_row = (size_t)next;
    code = store_get_names(st, sql_sweep_values, label, in->id, (size_t)k, &in->values, err);
    if (!code)
        in->k = (size_t)k;
    if (!code)
        code = store_get_names(st, sql_sweep_levels, label, in->id, (size_t)nl, &in->level_names,
                               err);
    if (!code)
        in->nlevel = (size_t)nl;
    return code;
}

/* Lists the sweeps that sel (bound by the caller) returns. */
static int list_sweeps(map_store *st, sqlite3_stmt *sel, map_store_sweep_info **out,
                       size_t *count, map_error *err)
{
    map_vec infos;
    map_vec_init(&infos, sizeof(map_store_sweep_info), 8);
    int code = MAP_OK, rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        map_store_sweep_info *in = map_vec_push(&infos);
        if (!in) {
            code = store_nomem(err);
            break;
        }
        /* counted once pushed, even on failure: its strings are freed below */
        code = sweep_info_row(st, sel, in, err);
        if (code)
            break;
    }
    if (!code && rc != SQLITE_DONE)
        code = store_sql_fail(st, rc, err, "cannot list sweeps");
    const size_t len = infos.len;
    if (code) {
        map_store_sweep_info_free(map_vec_release(&infos), len);
        return code;
    }
    *out = map_vec_release(&infos);
    *count = len;
    return MAP_OK;
}

/* Lists, in one read transaction, the sweeps of SWEEP_COLUMNS followed by
 * where, with ?1 bound to id when by_id and otherwise to dataset (SQL NULL
 * when NULL). With by_id, finding none is MAP_EUSAGE. The caller has set
 * *out = NULL and *count = 0; they stay so on failure. */
static int query_sweeps(map_store *st, const char *sql, int by_id, int64_t id,
                        const char *dataset, map_store_sweep_info **out, size_t *count,
                        map_error *err)
{
    int code = store_begin_read(st, err);
    if (code)
        return code;
    sqlite3_stmt *sel = NULL;
    code = store_prepare(st, sql, &sel, err);
    if (!code) {
        const int rc = by_id     ? sqlite3_bind_int64(sel, 1, id)
                       : dataset ? sqlite3_bind_text(sel, 1, dataset, -1, SQLITE_STATIC)
                                 : sqlite3_bind_null(sel, 1);
        code = rc == SQLITE_OK ? list_sweeps(st, sel, out, count, err)
                               : store_sql_fail(st, rc, err, "cannot bind");
    }
    sqlite3_finalize(sel);
    if (!code && by_id && *count == 0)
        code = sweep_missing(st, id, err);
    code = store_end(st, code, err);
    if (code) {
        map_store_sweep_info_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return code;
}

int map_store_sweep_list(map_store *st, const char *dataset, map_store_sweep_info **out,
                         size_t *count, map_error *err)
{
    if (!out || !count)
        return map_error_set(err, MAP_EUSAGE, "map_store_sweep_list: no output");
    *out = NULL;
    *count = 0;
    if (!st)
        return map_error_set(err, MAP_EUSAGE, "no store given");
    const char *sql = st->version >= 4
                          ? SWEEP_COLUMNS("s.request") "WHERE ?1 IS NULL OR d.name = ?1 ORDER BY s.id"
                          : SWEEP_COLUMNS("NULL") "WHERE ?1 IS NULL OR d.name = ?1 ORDER BY s.id";
    return query_sweeps(st, sql, 0, 0,
                        dataset, out, count, err);
}

int map_store_sweep_get(map_store *st, int64_t id, map_store_sweep_info **out, map_error *err)
{
    if (!out)
        return map_error_set(err, MAP_EUSAGE, "map_store_sweep_get: no output");
    *out = NULL;
    if (!st)
        return map_error_set(err, MAP_EUSAGE, "no store given");
    size_t n = 0;
    const char *sql = st->version >= 4 ? SWEEP_COLUMNS("s.request") "WHERE s.id = ?1"
                                       : SWEEP_COLUMNS("NULL") "WHERE s.id = ?1";
    return query_sweeps(st, sql, 1, id, NULL, out, &n, err);
}

int map_store_sweep_read(map_store *st, int64_t id, size_t from_row, map_store_sweep_row_fn fn,
                         void *ctx, map_error *err)
{
    if (!st || !fn)
        return map_error_set(err, MAP_EUSAGE, "no store or callback given");
    sweep_rows sr;
    int code = open_rows(st, id, 0,
                         "SELECT row, status, improves, target, lambda, level, kl, ess, "
                         "margin, iterations FROM sweep_row "
                         "WHERE sweep_id = ?1 AND row >= ?2 ORDER BY row",
                         &sr, err);
    if (code)
        return code;
    const size_t k = sr.k, nlevel = sr.nlevel;
    sqlite3_stmt *const sel = sr.stmt;
    int rc = sqlite3_bind_int64(sel, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(sel, 2, from_row > (size_t)INT64_MAX ? INT64_MAX
                                                                      : (int64_t)from_row);
    if (rc != SQLITE_OK)
        code = store_sql_fail(st, rc, err, "cannot bind");
    while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        map_store_sweep_row r;
        memset(&r, 0, sizeof r);
        const int64_t row = sqlite3_column_int64(sel, 0);
        const unsigned char *status = sqlite3_column_text(sel, 1);
        double *target = sr.buf, *lambda = sr.buf + k, *level = sr.buf + 2 * k;
        const int t = store_column_doubles(sel, 3, target, k, 1);
        if (row < 0 || !status || t < 0 || store_column_doubles(sel, 4, lambda, k, 0) != 0
            || store_column_doubles(sel, 5, level, nlevel, 0) != 0) {
            code = map_error_set(err, MAP_ESTORE, "store '%s': sweep %" PRId64 " is "
                                 "corrupt: row %" PRId64 " does not match its shape",
                                 st->path, id, row);
            break;
        }
        r.row = (size_t)row;
        r.status = (const char *)status;
        r.improves = sqlite3_column_type(sel, 2) == SQLITE_NULL
                         ? -1 : sqlite3_column_int(sel, 2) != 0;
        r.target = t == 1 ? NULL : target;
        r.lambda = lambda;
        r.level = level;
        r.kl = column_real(sel, 6);
        r.ess = column_real(sel, 7);
        r.margin = column_real(sel, 8);
        r.iterations = sqlite3_column_int(sel, 9);
        code = fn(ctx, &r); /* non-zero: returned as is */
    }
    if (!code && rc != SQLITE_DONE)
        code = store_sql_fail(st, rc, err, "cannot read sweep rows");
    return close_rows(st, &sr, code, err);
}

int map_store_sweep_remove(map_store *st, int64_t id, map_error *err)
{
    return sweep_write(st, id, "DELETE FROM sweep WHERE id = ?1", 0, 0, NULL, "cannot delete a sweep",
                       err);
}
