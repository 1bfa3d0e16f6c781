/* map_datasets.c — the datasets of the store: storing one (or replacing
 * it) in one transaction, loading it from one snapshot, removing, finding
 * by content hash and listing them. The BLOB layouts are map_blob.c's, the
 * statistics map_value_stat.c's. Also a dataset's cheap stamp (row, hash,
 * time, shape) that a long-running reader compares per request.
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "map_store_internal.h"
#include "map_vec.h"

/* ------------------------------------------------------------------ put */

static int validate_dataset(const map_dataset *ds, map_error *err)
{
    if (!ds)
        return map_error_set(err, MAP_EUSAGE, "no dataset given");
    if (!ds->name || !*ds->name)
        return map_error_set(err, MAP_EDATA, "the dataset has no name");
    const char *name = ds->name;
    if (ds->n == 0 || ds->m == 0)
        return map_error_set(err, MAP_EDATA, "dataset '%s' is empty (%zu samples, %zu values)",
                             name, ds->n, ds->m);
    if (ds->n > (size_t)INT64_MAX || ds->m > (size_t)INT64_MAX || ds->ntext > (size_t)INT64_MAX
        || ds->m > SIZE_MAX / sizeof(double) / ds->n)
        return map_error_set(err, MAP_EDATA, "dataset '%s' is too large", name);
    if (!ds->x && !(ds->xf && ds->precision == MAP_PRECISION_SINGLE))
        return map_error_set(err, MAP_EDATA, "dataset '%s' has no reward matrix", name);
    if (ds->precision != MAP_PRECISION_DOUBLE && ds->precision != MAP_PRECISION_SINGLE)
        return map_error_set(err, MAP_EDATA, "dataset '%s': unknown precision", name);
    if (!ds->values)
        return map_error_set(err, MAP_EDATA, "dataset '%s' has no value names", name);
    for (size_t i = 0; i < ds->m; i++)
        if (!ds->values[i])
            return map_error_set(err, MAP_EDATA, "dataset '%s': value %zu has no name", name, i);
    if (!ds->prompt_name != !ds->prompts)
        return map_error_set(err, MAP_EDATA,
                             "dataset '%s': a prompt column needs both a name and the prompts",
                             name);
    if (ds->ntext > 0) {
        if (!ds->text_names || !ds->text)
            return map_error_set(err, MAP_EDATA,
                                 "dataset '%s': %zu text columns but no names or cells", name,
                                 ds->ntext);
        if (ds->ntext > SIZE_MAX / ds->n)
            return map_error_set(err, MAP_EDATA, "dataset '%s' is too large", name);
        for (size_t c = 0; c < ds->ntext; c++)
            if (!ds->text_names[c])
                return map_error_set(err, MAP_EDATA, "dataset '%s': text column %zu has no name",
                                     name, c);
    }
    return MAP_OK;
}

/* Prepares sql, binds text to ?1 and steps once: *sel is then positioned on
 * the first row (the caller reads it and finalizes *sel), or NULL when
 * there are no rows or on failure; what names a failed bind or step. */
static int select_by_text(map_store *st, const char *sql, const char *text, sqlite3_stmt **sel,
                          const char *what, map_error *err)
{
    int code = store_prepare(st, sql, sel, err);
    if (code)
        return code;
    int rc = sqlite3_bind_text(*sel, 1, text, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(*sel);
    if (rc == SQLITE_ROW)
        return MAP_OK;
    if (rc != SQLITE_DONE)
        code = store_sql_fail(st, rc, err, what);
    sqlite3_finalize(*sel);
    *sel = NULL;
    return code;
}

/* Looks up the id of the dataset called name; *id = 0 when there is none
 * (SQLite rowids of our inserts are >= 1). */
int store_find_dataset_id(map_store *st, const char *name, int64_t *id, map_error *err)
{
    sqlite3_stmt *sel = NULL;
    const int code = select_by_text(st, "SELECT id FROM dataset WHERE name = ?1", name, &sel,
                                    "cannot look up a dataset", err);
    *id = sel ? sqlite3_column_int64(sel, 0) : 0;
    sqlite3_finalize(sel);
    return code;
}

static int delete_id(map_store *st, int64_t id, map_error *err)
{
    sqlite3_stmt *del = NULL;
    int code = store_prepare(st, "DELETE FROM dataset WHERE id = ?1", &del, err);
    if (code)
        return code;
    const int rc = sqlite3_bind_int64(del, 1, id);
    code = rc == SQLITE_OK ? store_step_done(st, del, err, "cannot delete a dataset")
                           : store_sql_fail(st, rc, err, "cannot bind");
    sqlite3_finalize(del);
    return code;
}

static int bind_nullable_text(sqlite3_stmt *stmt, int idx, const char *s)
{
    return s ? sqlite3_bind_text(stmt, idx, s, -1, SQLITE_STATIC) : sqlite3_bind_null(stmt, idx);
}

static int put_row(map_store *st, const map_dataset *ds, int64_t *id, map_error *err)
{
    sqlite3_stmt *ins = NULL;
    int code = store_prepare(st,
                             "INSERT INTO dataset (name, source, hash, created, n, m, prompt_name, "
                             "ntext, precision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                             &ins, err);
    if (code)
        return code;
    int rc = sqlite3_bind_text(ins, 1, ds->name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = bind_nullable_text(ins, 2, ds->source);
    if (rc == SQLITE_OK)
        rc = bind_nullable_text(ins, 3, ds->hash);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(ins, 4, ds->created);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(ins, 5, (int64_t)ds->n);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(ins, 6, (int64_t)ds->m);
    if (rc == SQLITE_OK)
        rc = bind_nullable_text(ins, 7, ds->prompt_name);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(ins, 8, (int64_t)ds->ntext);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(ins, 9, map_precision_name(ds->precision), -1, SQLITE_STATIC);
    code = rc == SQLITE_OK ? store_step_done(st, ins, err, "cannot store the dataset")
                           : store_sql_fail(st, rc, err, "cannot bind");
    if (!code)
        *id = sqlite3_last_insert_rowid(st->db);
    sqlite3_finalize(ins);
    return code;
}

int map_store_put_dataset(map_store *st, const map_dataset *ds, int replace, map_error *err)
{
    if (!st)
        return map_error_set(err, MAP_EUSAGE, "no store given");
    assert(sqlite3_get_autocommit(st->db)); /* every function ends its transaction */
    int code = store_check_writable(st, err);
    if (!code)
        code = validate_dataset(ds, err);
    if (!code && ds->precision == MAP_PRECISION_SINGLE && !st->has_precision)
        code = map_error_set(err, MAP_ESTORE, "store '%s' has no precision column", st->path);
    /* A single-precision dataset is rounded to float32 first (unless it
     * already is: a loaded one); its statistics are those of the floats, the
     * values the solver will read. Both before the write lock is taken. */
    float *rounded = NULL;
    const float *xf = NULL;
    if (!code && ds->precision == MAP_PRECISION_SINGLE) {
        if (ds->xf) {
            xf = ds->xf;
        } else {
            rounded = map_mallocarray(ds->n * ds->m, sizeof *rounded);
            if (!rounded)
                code = store_nomem(err);
            for (size_t k = 0; !code && k < ds->n * ds->m; k++) {
                rounded[k] = (float)ds->x[k];
                if (isinf(rounded[k]) && isfinite(ds->x[k]))
                    code = map_error_set(err, MAP_EDATA,
                                         "dataset '%s': value '%s' of sample %zu (%.17g) is "
                                         "beyond single precision's range", ds->name,
                                         ds->values[k % ds->m], k / ds->m + 1, ds->x[k]);
            }
            xf = rounded;
        }
    }
    map_valstat *vs = NULL;
    if (!code) {
        const map_matrix X = {ds->n, ds->m, ds->m, xf ? NULL : ds->x, xf};
        code = store_compute_stats(&X, &vs, err);
    }
    if (!code)
        code = store_begin_write(st, err);
    if (code) {
        map_free(vs);
        map_free(rounded);
        return code;
    }

    int64_t id = 0;
    code = store_find_dataset_id(st, ds->name, &id, err);
    if (!code && id != 0) {
        if (replace)
            code = delete_id(st, id, err);
        else
            code = map_error_set_field(err, MAP_EDATA, "replace",
                                       "a dataset named '%s' already exists (replace it, or "
                                       "choose another name)", ds->name);
    }
    if (!code)
        code = put_row(st, ds, &id, err);
    if (!code)
        code = store_put_names(st, "INSERT INTO dataset_value (dataset_id, idx, name) "
                                   "VALUES (?1, ?2, ?3)", id, (const char *const *)ds->values,
                               ds->m, "cannot store a name", err);
    if (!code && ds->ntext > 0)
        code = store_put_names(st, "INSERT INTO text_column (dataset_id, idx, name) "
                                   "VALUES (?1, ?2, ?3)", id, (const char *const *)ds->text_names,
                               ds->ntext, "cannot store a name", err);
    if (!code)
        code = store_put_matrix(st, id, ds, xf, err);
    map_free(rounded);
    if (!code)
        code = store_put_stats(st, id, vs, ds->m, err);
    map_free(vs);
    if (!code)
        code = store_put_texts(st, id, ds, err);
    return store_end(st, code, err);
}

/* ------------------------------------------------------------------ get */

static const char sql_values[] =
    "SELECT idx, name FROM dataset_value WHERE dataset_id = ?1 ORDER BY idx";
static const char sql_text_names[] =
    "SELECT idx, name FROM text_column WHERE dataset_id = ?1 ORDER BY idx";

/* Reads the shape columns n, m, ntext of a dataset row at columns col..col+2
 * and checks them. */
int store_read_shape(const map_store *st, sqlite3_stmt *sel, int col, const char *name,
                     size_t *n, size_t *m, size_t *ntext, map_error *err)
{
    const int64_t n64 = sqlite3_column_int64(sel, col);
    const int64_t m64 = sqlite3_column_int64(sel, col + 1);
    const int64_t t64 = sqlite3_column_int64(sel, col + 2);
    if (n64 <= 0 || m64 <= 0 || t64 < 0 || (uint64_t)n64 > SIZE_MAX
        || (uint64_t)m64 > SIZE_MAX / sizeof(double) / (uint64_t)n64
        || (uint64_t)t64 > SIZE_MAX / sizeof(char *) / (uint64_t)n64)
        return store_corrupt(st, name, err, "its shape is invalid");
    *n = (size_t)n64;
    *m = (size_t)m64;
    *ntext = (size_t)t64;
    return MAP_OK;
}

int map_store_dataset_stamp(map_store *st, const char *name, map_dataset_stamp *stamp,
                            map_error *err)
{
    memset(stamp, 0, sizeof *stamp);
    sqlite3_stmt *sel = NULL;
    const int code = select_by_text(st,
                                    st->has_precision
                                        ? "SELECT id, created, n, m, hash, precision FROM "
                                          "dataset WHERE name = ?1"
                                        : "SELECT id, created, n, m, hash, 'double' FROM "
                                          "dataset WHERE name = ?1",
                                    name, &sel, "cannot read a dataset's stamp", err);
    if (sel) {
        stamp->id = sqlite3_column_int64(sel, 0);
        stamp->created = sqlite3_column_int64(sel, 1);
        const sqlite3_int64 n = sqlite3_column_int64(sel, 2), m = sqlite3_column_int64(sel, 3);
        stamp->n = n > 0 ? (size_t)n : 0;
        stamp->m = m > 0 ? (size_t)m : 0;
        const unsigned char *h = sqlite3_column_text(sel, 4);
        if (h)
            snprintf(stamp->hash, sizeof stamp->hash, "%s", (const char *)h);
        const unsigned char *p = sqlite3_column_text(sel, 5);
        if (p && map_precision_parse((const char *)p, &stamp->precision) != 0)
            stamp->precision = MAP_PRECISION_DOUBLE;
    }
    sqlite3_finalize(sel);
    return code;
}

int map_store_stamp_equal(const map_dataset_stamp *a, const map_dataset_stamp *b)
{
    return a->id == b->id && a->created == b->created && a->n == b->n && a->m == b->m &&
           a->precision == b->precision && strcmp(a->hash, b->hash) == 0;
}

/* The columns read_row reads, in this order; PRECISION is the precision
 * column, or 'double' where the store has none. */
#define DATASET_COLUMNS(PRECISION)                                                            \
    "SELECT id, name, source, hash, created, n, m, ntext, prompt_name, " PRECISION           \
    " FROM dataset "

/* Reads the current row of sel (DATASET_COLUMNS) into a zeroed info; *id
 * gets its id. On failure info has no values array (m = 0) and keeps the
 * strings copied so far, for the caller to free. */
static int read_row(map_store *st, sqlite3_stmt *sel, map_dataset_info *info, int64_t *id,
                    map_error *err)
{
    *id = sqlite3_column_int64(sel, 0);
    int code = store_column_strdup(sel, 1, &info->name, err);
    if (!code && !info->name)
        code = store_corrupt(st, "?", err, "it has no name");
    if (!code)
        code = store_read_shape(st, sel, 5, info->name, &info->n, &info->m, &info->ntext, err);
    if (!code)
        code = store_column_strdup(sel, 2, &info->source, err);
    if (!code)
        code = store_column_strdup(sel, 3, &info->hash, err);
    if (!code)
        code = store_column_strdup(sel, 8, &info->prompt_name, err);
    if (!code)
        info->created = sqlite3_column_int64(sel, 4);
    if (!code && map_precision_parse((const char *)sqlite3_column_text(sel, 9), &info->precision))
        code = store_corrupt(st, info->name, err, "its precision is unknown");
    if (code)
        info->m = 0; /* no values array yet */
    return code;
}

/* Loads the dataset row into a new dataset; *id = 0 if there is none. */
static int get_row(map_store *st, const char *name, map_dataset **out, int64_t *id,
                   map_error *err)
{
    *out = NULL;
    *id = 0;
    sqlite3_stmt *sel = NULL;
    int code = select_by_text(st,
                              st->has_precision ? DATASET_COLUMNS("precision") "WHERE name = ?1"
                                                : DATASET_COLUMNS("'double'") "WHERE name = ?1",
                              name, &sel, "cannot read a dataset", err);
    if (!sel)
        return code;
    map_dataset_info info;
    memset(&info, 0, sizeof info);
    int64_t row_id = 0;
    code = read_row(st, sel, &info, &row_id, err);
    sqlite3_finalize(sel);
    map_dataset *ds = code ? NULL : map_dataset_new();
    if (!code && !ds)
        code = store_nomem(err);
    if (code) {
        MAP_FREE_ALL(info.name, info.source, info.hash, info.prompt_name);
        return code;
    }
    /* The strings move into ds. */
    ds->name = info.name;
    ds->source = info.source;
    ds->hash = info.hash;
    ds->prompt_name = info.prompt_name;
    ds->created = info.created;
    ds->n = info.n;
    ds->m = info.m;
    ds->ntext = info.ntext;
    ds->precision = info.precision;
    *id = row_id;
    *out = ds;
    return MAP_OK;
}

int map_store_get_dataset(map_store *st, const char *name, unsigned flags, map_dataset **out,
                          map_error *err)
{
    if (!out)
        return map_error_set(err, MAP_EUSAGE, "map_store_get_dataset: no output");
    *out = NULL;
    if (!st || !name)
        return map_error_set(err, MAP_EUSAGE, "no store or dataset name given");

    /* One read transaction: all the pieces come from the same snapshot. */
    int code = store_begin_read(st, err);
    if (code)
        return code;
    map_dataset *ds = NULL;
    int64_t id = 0;
    code = get_row(st, name, &ds, &id, err);
    if (!code && !ds)
        code = map_error_set(err, MAP_EUSAGE, "no dataset named '%s' in %s", name, st->path);
    if (!code)
        code = store_get_names(st, sql_values, name, id, ds->m, &ds->values, err);
    if (!code && ds->ntext > 0)
        code = store_get_names(st, sql_text_names, name, id, ds->ntext, &ds->text_names, err);
    if (!code)
        code = store_get_stats(st, ds, id, err);
    if (!code && !((flags & MAP_LOAD_NO_MATRIX) && ds->stats)) {
        if (ds->precision == MAP_PRECISION_SINGLE) {
            ds->xf = map_mallocarray(ds->n * ds->m, sizeof *ds->xf);
            code = ds->xf ? store_get_matrix(st, name, id, ds->n, ds->m, ds->xf, sizeof *ds->xf,
                                             err)
                          : store_nomem(err);
        } else {
            ds->x = map_mallocarray(ds->n * ds->m, sizeof *ds->x);
            code = ds->x ? store_get_matrix(st, name, id, ds->n, ds->m, ds->x, sizeof *ds->x, err)
                         : store_nomem(err);
        }
    }
    if (!code)
        code = store_get_texts(st, ds, id, flags, err);
    code = store_end(st, code, err);
    if (code) {
        map_dataset_free(ds);
        return code;
    }
    *out = ds;
    return MAP_OK;
}

/* ----------------------------------------------------- remove, find, list */

int map_store_remove_dataset(map_store *st, const char *name, map_error *err)
{
    if (!st || !name)
        return map_error_set(err, MAP_EUSAGE, "no store or dataset name given");
    int code = store_begin_write(st, err);
    if (code)
        return code;
    int64_t id = 0;
    code = store_find_dataset_id(st, name, &id, err);
    if (!code && id == 0)
        code = map_error_set(err, MAP_EUSAGE, "no dataset named '%s' in %s", name, st->path);
    if (!code)
        code = delete_id(st, id, err);
    return store_end(st, code, err);
}

int map_store_find_hash(map_store *st, const char *hash, char **name_out, map_error *err)
{
    if (!name_out)
        return map_error_set(err, MAP_EUSAGE, "map_store_find_hash: no output");
    *name_out = NULL;
    if (!st || !hash)
        return map_error_set(err, MAP_EUSAGE, "no store or hash given");
    sqlite3_stmt *sel = NULL;
    int code = select_by_text(st, "SELECT name FROM dataset WHERE hash = ?1 ORDER BY name LIMIT 1",
                              hash, &sel, "cannot look up a hash", err);
    if (sel)
        code = store_column_strdup(sel, 0, name_out, err);
    sqlite3_finalize(sel);
    return code;
}

void map_dataset_info_free(map_dataset_info *info, size_t count)
{
    if (!info)
        return;
    for (size_t k = 0; k < count; k++) {
        map_free(info[k].name);
        map_free(info[k].source);
        map_free(info[k].hash);
        map_free_strings(info[k].values, info[k].m);
        map_free(info[k].prompt_name);
    }
    map_free(info);
}

int map_store_list(map_store *st, map_dataset_info **out, size_t *count, map_error *err)
{
    if (!out || !count)
        return map_error_set(err, MAP_EUSAGE, "map_store_list: no output");
    *out = NULL;
    *count = 0;
    if (!st)
        return map_error_set(err, MAP_EUSAGE, "no store given");

    int code = store_begin_read(st, err);
    if (code)
        return code;
    sqlite3_stmt *sel = NULL;
    code = store_prepare(st,
                         st->has_precision ? DATASET_COLUMNS("precision") "ORDER BY name"
                                           : DATASET_COLUMNS("'double'") "ORDER BY name",
                         &sel, err);
    /* infos and ids grow together: ids.len <= infos.len, and an info is
     * counted once pushed, even if read_row then fails (its strings are
     * freed below). */
    map_vec infos, ids;
    map_vec_init(&infos, sizeof(map_dataset_info), 16);
    map_vec_init(&ids, sizeof(int64_t), 16);
    int rc = SQLITE_DONE;
    while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        map_dataset_info *in = map_vec_push(&infos);
        int64_t *id = in ? map_vec_push(&ids) : NULL;
        if (!id) {
            code = store_nomem(err);
            break;
        }
        code = read_row(st, sel, in, id, err);
    }
    if (!code && rc != SQLITE_DONE)
        code = store_sql_fail(st, rc, err, "cannot list datasets");
    sqlite3_finalize(sel);

    map_dataset_info *const info = infos.data;
    const int64_t *const row_id = ids.data;
    const size_t len = infos.len;
    for (size_t k = 0; !code && k < len; k++) {
        const size_t m = info[k].m;
        info[k].m = 0; /* until values is filled, free nothing through it */
        code = store_get_names(st, sql_values, info[k].name, row_id[k], m, &info[k].values, err);
        if (!code)
            info[k].m = m;
    }
    map_vec_free(&ids);
    code = store_end(st, code, err);
    if (code) {
        map_dataset_info_free(map_vec_release(&infos), len);
        return code;
    }
    *out = map_vec_release(&infos);
    *count = len;
    return MAP_OK;
}
