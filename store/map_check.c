/* map_check.c — the store's integrity check: SQLite's own, then the
 * invariants of the schema (no orphaned children, statistics for every
 * value).
 */
#include <string.h>

#include "map_store_internal.h"

/* ---------------------------------------------------------------- check */

int map_store_check(map_store *st, map_error *err)
{
    if (!st)
        return map_error_set(err, MAP_EUSAGE, "no store given");
    sqlite3_stmt *sel = NULL;
    int code = store_prepare(st, "PRAGMA integrity_check", &sel, err);
    if (code)
        return code;
    int rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW) {
        const unsigned char *msg = sqlite3_column_text(sel, 0);
        if (!msg || strcmp((const char *)msg, "ok") != 0)
            code = map_error_set(err, MAP_ESTORE, "store '%s': integrity check failed: %s",
                                 st->path, msg ? (const char *)msg : "(no message)");
    } else {
        code = store_sql_fail(st, rc, err, "cannot check integrity");
    }
    sqlite3_finalize(sel);
    if (code)
        return code;

    /* Dangling children would mean the cascades were bypassed. */
    code = store_prepare(st, "PRAGMA foreign_key_check", &sel, err);
    if (code)
        return code;
    rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW) {
        const unsigned char *table = sqlite3_column_text(sel, 0);
        code = map_error_set(err, MAP_ESTORE,
                             "store '%s': integrity check failed: table %s has rows of a "
                             "deleted dataset", st->path, table ? (const char *)table : "?");
    } else if (rc != SQLITE_DONE) {
        code = store_sql_fail(st, rc, err, "cannot check foreign keys");
    }
    sqlite3_finalize(sel);
    if (code || st->version < 3)
        return code;

    /* Every dataset has one statistics row per value. */
    code = store_prepare(st,
                         "SELECT d.name FROM dataset d WHERE d.m != (SELECT count(*) "
                         "FROM value_stat v WHERE v.dataset_id = d.id) ORDER BY d.name LIMIT 1",
                         &sel, err);
    if (code)
        return code;
    rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(sel, 0);
        code = map_error_set(err, MAP_ESTORE,
                             "store '%s': integrity check failed: dataset '%s' lacks statistics",
                             st->path, name ? (const char *)name : "?");
    } else if (rc != SQLITE_DONE) {
        code = store_sql_fail(st, rc, err, "cannot check the statistics");
    }
    sqlite3_finalize(sel);
    return code;
}
