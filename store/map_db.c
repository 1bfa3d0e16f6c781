/* map_db.c — the store's connection: opening (pragmas, WAL, the header
 * check, migrating a database behind this binary) and closing it, and the
 * helpers every other file of the store uses: error messages, prepared
 * statements, transactions, the name tables' writer and reader. The schema
 * itself is map_migrate.c's.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_store_internal.h"

/* The oldest schema a read-only handle reads as it is (without value_stat:
 * the statistics are then computed from the matrix). */
#define MIN_READ_VERSION 2

#define BUSY_TIMEOUT_MS 10000

/* ---------------------------------------------------------------- errors */

/* Records the connection's last SQLite error as "store 'PATH': WHAT: MSG".
 * SQLITE_NOMEM becomes MAP_ENOMEM, everything else MAP_ESTORE. */
int store_sql_fail(const map_store *st, int rc, map_error *err, const char *what)
{
    const int code = (rc & 0xff) == SQLITE_NOMEM ? MAP_ENOMEM : MAP_ESTORE;
    return map_error_set(err, code, "store '%s': %s: %s", st->path, what,
                         st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

int store_nomem(map_error *err) { return map_error_set(err, MAP_ENOMEM, "out of memory"); }

int store_corrupt(const map_store *st, const char *name, map_error *err, const char *fmt,
                  ...)
{
    char detail[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return map_error_set(err, MAP_ESTORE, "store '%s': dataset '%s' is corrupt: %s", st->path,
                         name, detail);
}

/* ------------------------------------------------------- small SQL helpers */

int store_prepare(map_store *st, const char *sql, sqlite3_stmt **stmt, map_error *err)
{
    *stmt = NULL;
    const int rc = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*stmt);
        *stmt = NULL;
        return store_sql_fail(st, rc, err, "cannot prepare statement");
    }
    return MAP_OK;
}

/* store_prepare, then binds id to ?1; on failure *stmt is NULL. */
int store_prepare_id(map_store *st, const char *sql, int64_t id, sqlite3_stmt **stmt,
                     map_error *err)
{
    int code = store_prepare(st, sql, stmt, err);
    if (code)
        return code;
    const int rc = sqlite3_bind_int64(*stmt, 1, id);
    if (rc != SQLITE_OK) {
        code = store_sql_fail(st, rc, err, "cannot bind");
        sqlite3_finalize(*stmt);
        *stmt = NULL;
    }
    return code;
}

/* Runs constant SQL (no user data) that returns no rows we need. */
int store_exec(map_store *st, const char *sql, map_error *err, const char *what)
{
    const int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? MAP_OK : store_sql_fail(st, rc, err, what);
}

/* Runs a constant query whose first row's first column is an integer. */
int store_query_int(map_store *st, const char *sql, int64_t *out, map_error *err,
                    const char *what)
{
    sqlite3_stmt *stmt = NULL;
    int code = store_prepare(st, sql, &stmt, err);
    if (code)
        return code;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(stmt, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        *out = 0;
        rc = SQLITE_OK;
    }
    code = rc == SQLITE_OK ? MAP_OK : store_sql_fail(st, rc, err, what);
    sqlite3_finalize(stmt);
    return code;
}

/* Steps a statement that must complete without returning rows, then resets
 * it for the next use. */
int store_step_done(map_store *st, sqlite3_stmt *stmt, map_error *err, const char *what)
{
    const int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        const int code = store_sql_fail(st, rc, err, what);
        sqlite3_reset(stmt);
        return code;
    }
    sqlite3_reset(stmt); /* after SQLITE_DONE reset cannot report a new error */
    return MAP_OK;
}

/* Copies a nullable TEXT column; *out is NULL for SQL NULL. */
int store_column_strdup(sqlite3_stmt *stmt, int col, char **out, map_error *err)
{
    *out = NULL;
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
        return MAP_OK;
    const unsigned char *s = sqlite3_column_text(stmt, col);
    if (!s)
        return store_nomem(err); /* not NULL-typed, so NULL here means SQLite ran out of memory */
    *out = map_strndup((const char *)s, (size_t)sqlite3_column_bytes(stmt, col));
    return *out ? MAP_OK : store_nomem(err);
}

int store_begin_write(map_store *st, map_error *err)
{
    const int code = store_check_writable(st, err);
    return code ? code
                : store_exec(st, "BEGIN IMMEDIATE", err, "cannot start a write transaction");
}

int store_begin_read(map_store *st, map_error *err)
{
    return store_exec(st, "BEGIN", err, "cannot start a read transaction");
}

/* Ends a transaction that has failed; the error is already recorded. If the
 * rollback itself fails there is nothing better to report than the first
 * error, and SQLite rolls back on close anyway. */
void store_rollback(map_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_commit(map_store *st, map_error *err)
{
    const int code = store_exec(st, "COMMIT", err, "cannot commit");
    if (code)
        store_rollback(st);
    return code;
}

/* Ends the transaction by what happened in it: a rollback after a failure
 * (code, already recorded, is returned), else a commit. */
int store_end(map_store *st, int code, map_error *err)
{
    if (code) {
        store_rollback(st);
        return code;
    }
    return store_commit(st, err);
}

/* Inserts names[0..count-1] with sql, binding id to ?1, the index to ?2
 * and the name to ?3. */
int store_put_names(map_store *st, const char *sql, int64_t id, const char *const *names,
                    size_t count, const char *what, map_error *err)
{
    sqlite3_stmt *ins = NULL;
    int code = store_prepare(st, sql, &ins, err);
    for (size_t i = 0; !code && i < count; i++) {
        int rc = sqlite3_bind_int64(ins, 1, id);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ins, 2, (int64_t)i);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(ins, 3, names[i], -1, SQLITE_STATIC);
        code = rc == SQLITE_OK ? store_step_done(st, ins, err, what)
                               : store_sql_fail(st, rc, err, "cannot bind a name");
    }
    sqlite3_finalize(ins);
    return code;
}

/* Loads count names of a (dataset_id, idx, name) table into a new array. */
int store_get_names(map_store *st, const char *sql, const char *dsname, int64_t id,
                    size_t count, char ***out, map_error *err)
{
    *out = NULL;
    char **names = map_calloc(count, sizeof *names);
    if (!names)
        return store_nomem(err);
    sqlite3_stmt *sel = NULL;
    int code = store_prepare_id(st, sql, id, &sel, err);
    size_t got = 0;
    if (!code) {
        int rc = SQLITE_DONE;
        while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
            if (got >= count || sqlite3_column_int64(sel, 0) != (int64_t)got
                || sqlite3_column_type(sel, 1) == SQLITE_NULL)
                code = store_corrupt(st, dsname, err,
                                     "the column names do not match its shape");
            else
                code = store_column_strdup(sel, 1, &names[got++], err);
        }
        if (!code && rc != SQLITE_DONE)
            code = store_sql_fail(st, rc, err, "cannot read column names");
        if (!code && got != count)
            code = store_corrupt(st, dsname, err, "column names are missing");
    }
    sqlite3_finalize(sel);
    if (code) {
        map_free_strings(names, got);
        return code;
    }
    *out = names;
    return MAP_OK;
}

/* ------------------------------------------------------------ open/close */

const char *map_store_default_path(const char *explicit_path)
{
    if (explicit_path)
        return explicit_path;
    const char *env = getenv("MAPSOLVE_DB");
    if (env && *env)
        return env;
    return "mapsolve.db";
}

void map_store_close(map_store *st)
{
    if (!st)
        return;
    /* All statements are finalized by the functions that prepare them, so
     * close cannot be refused for outstanding statements. */
    if (st->db)
        (void)sqlite3_close(st->db);
    map_free(st->path);
    map_free(st);
}

static int open_common(const char *path, int readonly, int immutable, map_store **out, map_error *err)
{
    if (!out)
        return map_error_set(err, MAP_EUSAGE, "map_store_open: no output handle");
    *out = NULL;
    if (!path || !*path)
        return map_error_set(err, MAP_EUSAGE, "no database path given");

    map_store *st = map_calloc(1, sizeof *st);
    if (!st)
        return store_nomem(err);
    st->readonly = readonly;
    st->path = map_strdup(path);
    if (!st->path) {
        map_free(st);
        return store_nomem(err);
    }

    const int flags = readonly ? SQLITE_OPEN_READONLY
                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    /* immutable: a URI with ?immutable=1, for a database in a directory we
     * cannot write (WAL mode needs to create its -shm file there). */
    char *uri = NULL;
    if (immutable) {
        const size_t len = strlen(path);
        uri = map_malloc(3 * len + 32);
        if (!uri) {
            map_store_close(st);
            return store_nomem(err);
        }
        size_t at = 0;
        at += (size_t)sprintf(uri, "file:");
        for (size_t i = 0; i < len; i++) {
            const unsigned char c = (unsigned char)path[i];
            if (c == '%' || c == '?' || c == '#')
                at += (size_t)sprintf(uri + at, "%%%02X", c);
            else
                uri[at++] = (char)c;
        }
        sprintf(uri + at, "?immutable=1");
    }
    int rc = sqlite3_open_v2(uri ? uri : path, &st->db,
                             flags | SQLITE_OPEN_NOMUTEX | (uri ? SQLITE_OPEN_URI : 0), NULL);
    map_free(uri);
    if (rc != SQLITE_OK) {
        int code;
        if (!st->db) {
            code = map_error_set(err, MAP_ENOMEM, "store '%s': out of memory opening it", path);
        } else {
            const int sys = sqlite3_system_errno(st->db);
            code = map_error_set(err, MAP_ESTORE, "store '%s': cannot open%s: %s%s%s%s", path,
                                 readonly ? " read-only" : "", sqlite3_errmsg(st->db),
                                 sys ? " (" : "", sys ? strerror(sys) : "", sys ? ")" : "");
        }
        map_store_close(st);
        return code;
    }

    int code = MAP_OK;
    rc = sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK)
        code = store_sql_fail(st, rc, err, "cannot set the busy timeout");

    int64_t version = 0, app_id = 0, ntables = 0;
    if (!code)
        code = store_read_header(st, &version, &app_id, &ntables, err);
    if (!code)
        code = store_check_header(st, version, app_id, ntables, err);
    if (!code && !readonly && sqlite3_db_readonly(st->db, "main") == 1)
        code = map_error_set(err, MAP_ESTORE, "store '%s': the file is not writable", path);
    if (!code)
        st->version = version;
    if (!code && readonly && (app_id != MAP_STORE_APP_ID || version < MIN_READ_VERSION))
        code = map_error_set(err, MAP_ESTORE,
                             "store '%s': schema version %" PRId64 " needs migrating to %d; "
                             "open it read-write once", path, version, MAP_STORE_SCHEMA_VERSION);

    /* A fresh file gets the larger pages before anything is written to it
     * (WAL mode below writes its header). */
    if (!code && !readonly && version == 0 && ntables == 0)
        code = store_exec(st, "PRAGMA page_size = 65536", err, "cannot set the page size");
    /* No memory-mapped I/O (mmap_size stays 0): the pages of a mapped file
     * that a load touches count in the process's resident memory, which
     * would then hold the matrix twice; the incremental BLOB reads copy
     * from the file into the matrix without it. */
    if (!code && !readonly) {
        /* journal_mode answers with the mode in force; anything but "wal"
         * (for an on-disk file) means WAL could not be enabled. */
        sqlite3_stmt *stmt = NULL;
        code = store_prepare(st, "PRAGMA journal_mode = WAL", &stmt, err);
        if (!code) {
            rc = sqlite3_step(stmt);
            if (rc != SQLITE_ROW) {
                code = store_sql_fail(st, rc, err, "cannot enable WAL mode");
            } else {
                const unsigned char *mode = sqlite3_column_text(stmt, 0);
                const char *file = sqlite3_db_filename(st->db, "main");
                const int on_disk = file && *file;
                if (on_disk && (!mode || strcmp((const char *)mode, "wal") != 0))
                    code = map_error_set(err, MAP_ESTORE,
                                         "store '%s': cannot enable WAL mode (journal mode "
                                         "is '%s')", path, mode ? (const char *)mode : "?");
            }
            sqlite3_finalize(stmt);
        }
        if (!code)
            code = store_exec(st, "PRAGMA synchronous = NORMAL", err, "cannot set synchronous");
        /* After a large put the WAL file would otherwise keep its size. */
        if (!code)
            code = store_exec(st, "PRAGMA journal_size_limit = 67108864", err,
                              "cannot set the WAL size limit");
    }
    if (!code)
        code = store_exec(st, "PRAGMA foreign_keys = ON", err, "cannot enable foreign keys");
    if (!code) {
        int64_t fk = 0;
        code = store_query_int(st, "PRAGMA foreign_keys", &fk, err, "cannot read foreign_keys");
        if (!code && fk != 1)
            code = map_error_set(err, MAP_ESTORE,
                                 "store '%s': this SQLite does not enforce foreign keys", path);
    }
    /* Only a database behind this binary takes the write lock: opening an
     * up-to-date one must not wait for another connection's writer. */
    if (!code && !readonly && version < MAP_STORE_SCHEMA_VERSION)
        code = store_migrate(st, err);
    if (!code)
        code = store_find_precision_column(st, readonly, err);

    if (code) {
        map_store_close(st);
        return code;
    }
    *out = st;
    return MAP_OK;
}

int map_store_open(const char *path, map_store **out, map_error *err)
{
    return open_common(path, 0, 0, out, err);
}

int map_store_open_readonly(const char *path, map_store **out, map_error *err)
{
    int rc = open_common(path, 1, 0, out, err);
    if (rc != MAP_ESTORE || !path || access(path, R_OK) != 0)
        return rc;
    /* A WAL database in a directory we cannot write cannot be opened the
     * ordinary way (its -shm file cannot be created). Without a -wal file
     * left over, every committed change is in the main file and it can be
     * read as immutable. */
    char *dir = map_strdup(path);
    if (!dir)
        return rc;
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0';
    const int dir_writable = access(slash ? dir : ".", W_OK) == 0;
    map_free(dir);
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (dir_writable || access(wal, F_OK) == 0)
        return rc;
    map_error e2;
    if (open_common(path, 1, 1, out, &e2) == MAP_OK) {
        map_error_clear(err);
        return MAP_OK;
    }
    return rc;
}

int store_check_writable(const map_store *st, map_error *err)
{
    if (st->readonly)
        return map_error_set(err, MAP_EUSAGE, "store '%s' was opened read-only", st->path);
    return MAP_OK;
}
