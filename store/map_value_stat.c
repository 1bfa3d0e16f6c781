/* map_value_stat.c — the per-value statistics of a dataset (value_stat
 * rows): computed once when it is stored, packed as STAT_DOUBLES
 * little-endian doubles, and loaded so that describe needs no matrix and
 * solve no pass over it.
 */
#include <assert.h>
#include <string.h>

#include "map_store_internal.h"

/* Doubles per value_stat row: the 5 of map_colstat, then q0 … q100. */
#define STAT_DOUBLES (5 + MAP_NPCT)

/* ------------------------------------------------------------ statistics */

/* Packs one value's statistics into STAT_DOUBLES little-endian doubles. */
static void pack_stats(const map_valstat *vs, double *out)
{
    out[0] = vs->c.mean;
    out[1] = vs->c.sd;
    out[2] = vs->c.min;
    out[3] = vs->c.max;
    out[4] = vs->c.absmax;
    memcpy(out + 5, vs->pct, sizeof vs->pct);
    if (!store_host_is_little_endian())
        store_swap_in_place((unsigned char *)out, STAT_DOUBLES, sizeof(double));
}

static void unpack_stats(const unsigned char *data, map_valstat *vs)
{
    double v[STAT_DOUBLES];
    memcpy(v, data, sizeof v);
    if (!store_host_is_little_endian())
        store_swap_in_place((unsigned char *)v, STAT_DOUBLES, sizeof(double));
    vs->c.mean = v[0];
    vs->c.sd = v[1];
    vs->c.min = v[2];
    vs->c.max = v[3];
    vs->c.absmax = v[4];
    memcpy(vs->pct, v + 5, sizeof vs->pct);
}

/* Inserts the m rows of value_stat of dataset id (inside the caller's
 * write transaction). */
int store_put_stats(map_store *st, int64_t id, const map_valstat *vs, size_t m, map_error *err)
{
    sqlite3_stmt *ins = NULL;
    int code = store_prepare(st,
                             "INSERT INTO value_stat (dataset_id, idx, stats) VALUES (?1, ?2, ?3)",
                             &ins, err);
    for (size_t i = 0; !code && i < m; i++) {
        double packed[STAT_DOUBLES];
        pack_stats(&vs[i], packed);
        int rc = sqlite3_bind_int64(ins, 1, id);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ins, 2, (int64_t)i);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_blob(ins, 3, packed, (int)sizeof packed, SQLITE_TRANSIENT);
        code = rc == SQLITE_OK ? store_step_done(st, ins, err, "cannot store the statistics")
                               : store_sql_fail(st, rc, err, "cannot bind the statistics");
    }
    sqlite3_finalize(ins);
    return code;
}

/* Computes the statistics of the matrix X (either element type) into a new *out (m
 * entries, map_free). */
int store_compute_stats(const map_matrix *X, map_valstat **out, map_error *err)
{
    *out = map_mallocarray(X->m, sizeof **out);
    if (!*out)
        return store_nomem(err);
    const int code = map_value_stats(X, *out, err);
    if (code) {
        map_free(*out);
        *out = NULL;
    }
    return code;
}

/* Loads the statistics of dataset ds (row id) into a new ds->stats. A store
 * older than version 3, or a dataset without any value_stat row, leaves
 * ds->stats NULL (they are computed from the matrix when needed); rows that
 * do not match the shape are MAP_ESTORE. */
int store_get_stats(map_store *st, map_dataset *ds, int64_t id, map_error *err)
{
    assert(!ds->stats);
    if (st->version < 3)
        return MAP_OK;
    map_valstat *vs = map_mallocarray(ds->m, sizeof *vs);
    if (!vs)
        return store_nomem(err);
    sqlite3_stmt *sel = NULL;
    int code = store_prepare_id(st,
                                "SELECT idx, stats FROM value_stat WHERE dataset_id = ?1 "
                                "ORDER BY idx", id, &sel, err);
    size_t got = 0;
    if (!code) {
        int rc = SQLITE_DONE;
        while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
            const unsigned char *data = sqlite3_column_blob(sel, 1);
            const int bytes = sqlite3_column_bytes(sel, 1);
            if (got >= ds->m || sqlite3_column_int64(sel, 0) != (int64_t)got
                || sqlite3_column_type(sel, 1) != SQLITE_BLOB
                || bytes != (int)(STAT_DOUBLES * sizeof(double)))
                code = store_corrupt(st, ds->name, err,
                                     "its statistics do not match its shape");
            else if (!data)
                code = store_nomem(err);
            else
                unpack_stats(data, &vs[got++]);
        }
        if (!code && rc != SQLITE_DONE)
            code = store_sql_fail(st, rc, err, "cannot read the statistics");
        if (!code && got != 0 && got != ds->m)
            code = store_corrupt(st, ds->name, err, "statistics are missing");
    }
    sqlite3_finalize(sel);
    if (code || got == 0) {
        map_free(vs);
        return code;
    }
    ds->stats = vs;
    return MAP_OK;
}
