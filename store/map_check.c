/* map_check.c — the store's integrity check: SQLite's own, then the
 * invariants of the schema (no orphaned children, statistics for every
 * value).
 */
#include <string.h>

#include "map_store_internal.h"

/* ---------------------------------------------------------------- check */

/* Runs sql, a check that returns no rows on a sound store: the first
 * column of its first row, if any, names what is wrong, between before and
 * after in the message. what names the step in SQL errors. */
static int check_no_rows(map_store *st, const char *sql, const char *before, const char *after,
                         const char *what, map_error *err)
{
    sqlite3_stmt *sel = NULL;
    int code = store_prepare(st, sql, &sel, err);
    if (code)
        return code;
    const int rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(sel, 0);
        code = map_error_set(err, MAP_ESTORE, "store '%s': integrity check failed: %s%s%s",
                             st->path, before, name ? (const char *)name : "?", after);
    } else if (rc != SQLITE_DONE) {
        code = store_sql_fail(st, rc, err, what);
    }
    sqlite3_finalize(sel);
    return code;
}

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
    code = check_no_rows(st, "PRAGMA foreign_key_check", "table ",
                         " has rows of a deleted dataset", "cannot check foreign keys", err);
    if (code || st->version < 3)
        return code;

    /* Every dataset has one statistics row per value. */
    return check_no_rows(st,
                         "SELECT d.name FROM dataset d WHERE d.m != (SELECT count(*) "
                         "FROM value_stat v WHERE v.dataset_id = d.id) ORDER BY d.name LIMIT 1",
                         "dataset '", "' lacks statistics", "cannot check the statistics", err);
}
