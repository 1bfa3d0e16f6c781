/* map_store.c — the SQLite store of datasets: opening and migrating the
 * schema, storing and loading datasets. The only file of mapsolve that
 * includes sqlite3.h.
 *
 * Layout (schema version 1):
 *   dataset       one row per dataset: name, provenance, shape
 *   dataset_value the m value (column) names, by index
 *   text_column   the ntext kept text column names, by index
 *   matrix_chunk  the n x m rewards, row-major, as packed little-endian
 *                 doubles, in chunks of up to MATRIX_CHUNK_ROWS rows
 *   string_chunk  the prompt column (col = -1) and the text columns
 *                 (col = 0 .. ntext-1), each as chunks of NUL-terminated
 *                 strings, one string per sample row
 * Children refer to dataset(id) with ON DELETE CASCADE.
 *
 * Schema version 2 adds the sweeps:
 *   sweep         one row per sweep: its dataset, command line, source kind,
 *                 seed, shape (k, nlevel, total_rows) and whether complete
 *   sweep_name    the names of its k values (role 0) and nlevel level
 *                 columns (role 1), by index
 *   sweep_row     one row per computed sweep row: status, the palette, λ and
 *                 levels as packed little-endian doubles, KL, ESS, margin
 *                 (REAL; SQLite stores NaN as NULL) and iterations
 * sweep refers to dataset(id), its children to sweep(id), all with
 * ON DELETE CASCADE.
 *
 * Schema version 3 adds the per-value statistics, computed once when a
 * dataset is stored (and, by the migration, for the datasets stored
 * before), so that describe needs no matrix and solve no pass over it:
 *   value_stat    one row per value (dataset_id, idx): stats, a BLOB of
 *                 STAT_DOUBLES packed little-endian doubles — mean, sd,
 *                 min, max, absmax (map_colstat) then the type-7 quantiles
 *                 q0, q1, …, q100 — bit-exact as map_value_stats computed
 *                 them.
 * Version 3 also gives dataset a precision column ('double' or 'single'):
 * a single-precision dataset's matrix_chunk BLOBs hold packed little-endian
 * IEEE float32 instead of doubles (same chunking), and its value_stat rows
 * describe those float values. The column is added by migration 3's step
 * (and, for a version-3 database written before it existed, on the first
 * read-write open); without it every dataset is double.
 * New databases use 64 KiB pages: the matrix chunks are long overflow
 * chains, and larger pages mean fewer page reads per chunk.
 *
 * Every SQL text here is a constant; user data only ever reaches SQLite
 * through sqlite3_bind_*.
 */
#include "map_store.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sqlite3.h>

#include "map_stats.h"

struct map_store {
    sqlite3 *db;
    char *path;      /* as given to open, for messages */
    int readonly;    /* opened with map_store_open_readonly */
    int64_t version; /* schema version after open (a read-only handle may
                        read an older one: see MIN_READ_VERSION) */
    int has_precision; /* dataset has its precision column */
};

/* The oldest schema a read-only handle reads as it is (without value_stat:
 * the statistics are then computed from the matrix). */
#define MIN_READ_VERSION 2

/* Doubles per value_stat row: the 5 of map_colstat, then q0 … q100. */
#define STAT_DOUBLES (5 + MAP_NPCT)

static int migrate_step3(map_store *st, map_error *err);
static int add_precision_column(map_store *st, map_error *err);
static int get_matrix(map_store *st, const char *dsname, int64_t id, size_t n, size_t m,
                      void *x, size_t elem, map_error *err);
static int read_shape(const map_store *st, sqlite3_stmt *sel, int col, const char *name,
                      size_t *n, size_t *m, size_t *ntext, map_error *err);

/* Written into the header (PRAGMA application_id) so that another
 * application's database is recognised and refused: "MAPS". */
#define MAP_STORE_APP_ID 0x4D415053

/* Rows per matrix chunk: 65536, fewer for wide matrices so that a chunk
 * stays under MATRIX_CHUNK_MAX_BYTES (far below SQLite's 1 GB blob limit). */
#define MATRIX_CHUNK_ROWS 65536u
#define MATRIX_CHUNK_MAX_BYTES (16u << 20)

/* A string chunk closes after this many rows or once it reaches this many
 * bytes, whichever comes first. */
#define STRING_CHUNK_ROWS 65536u
#define STRING_CHUNK_BYTES (4u << 20)

/* The string_chunk column of the prompts. */
#define PROMPT_COL (-1)

#define BUSY_TIMEOUT_MS 10000

/* ---------------------------------------------------------------- errors */

/* Records the connection's last SQLite error as "store 'PATH': WHAT: MSG".
 * SQLITE_NOMEM becomes MAP_ENOMEM, everything else MAP_ESTORE. */
static int sql_fail(const map_store *st, int rc, map_error *err, const char *what)
{
    const int code = (rc & 0xff) == SQLITE_NOMEM ? MAP_ENOMEM : MAP_ESTORE;
    return map_error_set(err, code, "store '%s': %s: %s", st->path, what,
                         st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

static int nomem(map_error *err) { return map_error_set(err, MAP_ENOMEM, "out of memory"); }

static int corrupt(const map_store *st, const char *name, const char *detail, map_error *err)
{
    return map_error_set(err, MAP_ESTORE, "store '%s': dataset '%s' is corrupt: %s", st->path,
                         name, detail);
}

/* ------------------------------------------------------- small SQL helpers */

static int prepare(map_store *st, const char *sql, sqlite3_stmt **stmt, map_error *err)
{
    *stmt = NULL;
    const int rc = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*stmt);
        *stmt = NULL;
        return sql_fail(st, rc, err, "cannot prepare statement");
    }
    return MAP_OK;
}

/* Runs constant SQL (no user data) that returns no rows we need. */
static int exec_sql(map_store *st, const char *sql, map_error *err, const char *what)
{
    const int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? MAP_OK : sql_fail(st, rc, err, what);
}

/* Runs a constant query whose first row's first column is an integer. */
static int query_int(map_store *st, const char *sql, int64_t *out, map_error *err,
                     const char *what)
{
    sqlite3_stmt *stmt = NULL;
    int code = prepare(st, sql, &stmt, err);
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
    code = rc == SQLITE_OK ? MAP_OK : sql_fail(st, rc, err, what);
    sqlite3_finalize(stmt);
    return code;
}

/* Steps a statement that must complete without returning rows, then resets
 * it for the next use. */
static int step_done(map_store *st, sqlite3_stmt *stmt, map_error *err, const char *what)
{
    const int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        const int code = sql_fail(st, rc, err, what);
        sqlite3_reset(stmt);
        return code;
    }
    sqlite3_reset(stmt); /* after SQLITE_DONE reset cannot report a new error */
    return MAP_OK;
}

/* Copies a nullable TEXT column; *out is NULL for SQL NULL. */
static int column_strdup(sqlite3_stmt *stmt, int col, char **out, map_error *err)
{
    *out = NULL;
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
        return MAP_OK;
    const unsigned char *s = sqlite3_column_text(stmt, col);
    if (!s)
        return nomem(err); /* not NULL-typed, so NULL here means SQLite ran out of memory */
    *out = map_strndup((const char *)s, (size_t)sqlite3_column_bytes(stmt, col));
    return *out ? MAP_OK : nomem(err);
}

static int begin_write(map_store *st, map_error *err)
{
    return exec_sql(st, "BEGIN IMMEDIATE", err, "cannot start a write transaction");
}

static int begin_read(map_store *st, map_error *err)
{
    return exec_sql(st, "BEGIN", err, "cannot start a read transaction");
}

/* Ends a transaction that has failed; the error is already recorded. If the
 * rollback itself fails there is nothing better to report than the first
 * error, and SQLite rolls back on close anyway. */
static void rollback(map_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int commit(map_store *st, map_error *err)
{
    const int code = exec_sql(st, "COMMIT", err, "cannot commit");
    if (code)
        rollback(st);
    return code;
}

/* -------------------------------------------------------- byte order */

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* Converts count doubles between host order and little-endian (the same
 * operation both ways). Only used on big-endian hosts. */
static void swap_doubles(unsigned char *dst, const unsigned char *src, size_t count)
{
    for (size_t k = 0; k < count; k++)
        for (size_t b = 0; b < 8; b++)
            dst[8 * k + b] = src[8 * k + 7 - b];
}

/* Reverses the bytes of each of count elements of elem bytes in place (8:
 * swap_doubles on one buffer; 4: floats). */
static void swap_in_place(unsigned char *p, size_t count, size_t elem)
{
    for (size_t k = 0; k < count; k++)
        for (size_t b = 0; b < elem / 2; b++) {
            const unsigned char t = p[elem * k + b];
            p[elem * k + b] = p[elem * k + elem - 1 - b];
            p[elem * k + elem - 1 - b] = t;
        }
}

static size_t matrix_chunk_rows(size_t m)
{
    assert(m > 0);
    const size_t fit = MATRIX_CHUNK_MAX_BYTES / (m * sizeof(double));
    if (fit < 1)
        return 1;
    return fit < MATRIX_CHUNK_ROWS ? fit : MATRIX_CHUNK_ROWS;
}

/* ---------------------------------------------------------------- schema */

/* migrations[v] takes the schema from version v to v + 1. Each runs in its
 * own transaction together with the user_version update. */
static const char *const migrations[] = {
    /* 0 -> 1: datasets */
    "CREATE TABLE dataset ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  source TEXT,"
    "  hash TEXT,"
    "  created INTEGER NOT NULL DEFAULT 0,"
    "  n INTEGER NOT NULL CHECK (n > 0),"
    "  m INTEGER NOT NULL CHECK (m > 0),"
    "  prompt_name TEXT,"
    "  ntext INTEGER NOT NULL DEFAULT 0 CHECK (ntext >= 0));"
    "CREATE INDEX dataset_hash ON dataset(hash);"
    "CREATE TABLE dataset_value ("
    "  dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  PRIMARY KEY (dataset_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE text_column ("
    "  dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  PRIMARY KEY (dataset_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE matrix_chunk ("
    "  dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,"
    "  chunk INTEGER NOT NULL,"
    "  nrows INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  PRIMARY KEY (dataset_id, chunk));"
    "CREATE TABLE string_chunk ("
    "  dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,"
    "  col INTEGER NOT NULL,"
    "  chunk INTEGER NOT NULL,"
    "  nrows INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  PRIMARY KEY (dataset_id, col, chunk));"
    "PRAGMA application_id = 1296126035;", /* MAP_STORE_APP_ID */

    /* 1 -> 2: sweeps */
    "CREATE TABLE sweep ("
    "  id INTEGER PRIMARY KEY,"
    "  dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,"
    "  created INTEGER NOT NULL DEFAULT 0,"
    "  command TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  seed INTEGER NOT NULL,"
    "  k INTEGER NOT NULL CHECK (k > 0),"
    "  nlevel INTEGER NOT NULL CHECK (nlevel > 0),"
    "  total_rows INTEGER NOT NULL CHECK (total_rows >= 0),"
    "  complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)));"
    "CREATE INDEX sweep_dataset ON sweep(dataset_id);"
    "CREATE TABLE sweep_name ("
    "  sweep_id INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,"
    "  role INTEGER NOT NULL CHECK (role IN (0, 1)),"
    "  idx INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  PRIMARY KEY (sweep_id, role, idx)) WITHOUT ROWID;"
    "CREATE TABLE sweep_row ("
    "  sweep_id INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,"
    "  row INTEGER NOT NULL CHECK (row >= 0),"
    "  status TEXT NOT NULL,"
    "  improves INTEGER,"
    "  target BLOB,"
    "  lambda BLOB NOT NULL,"
    "  level BLOB NOT NULL,"
    "  kl REAL,"
    "  ess REAL,"
    "  margin REAL,"
    "  iterations INTEGER NOT NULL,"
    "  PRIMARY KEY (sweep_id, row)) WITHOUT ROWID;",

    /* 2 -> 3: per-value statistics (filled for existing datasets by
     * backfill_stats, in the same transaction). IF NOT EXISTS: a database
     * set back to version 2 by hand may still have the table. */
    "CREATE TABLE IF NOT EXISTS value_stat ("
    "  dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL CHECK (idx >= 0),"
    "  stats BLOB NOT NULL,"
    "  PRIMARY KEY (dataset_id, idx)) WITHOUT ROWID;",
};

/* What each migration does besides its SQL, in the same transaction (NULL:
 * nothing). */
static int (*const migration_steps[])(map_store *, map_error *) = {NULL, NULL, migrate_step3};

_Static_assert(sizeof migrations / sizeof migrations[0] == MAP_STORE_SCHEMA_VERSION,
               "one migration per schema version");
_Static_assert(sizeof migration_steps / sizeof migration_steps[0] == MAP_STORE_SCHEMA_VERSION,
               "one step per schema version");
_Static_assert(MAP_STORE_APP_ID == 1296126035, "application_id in migration 1");

/* Reads the header fields that say whose database this is. Reading them is
 * also the first real read of the file, where SQLite notices a file that is
 * not a database. */
static int read_header(map_store *st, int64_t *version, int64_t *app_id, int64_t *ntables,
                       map_error *err)
{
    int code = query_int(st, "PRAGMA user_version", version, err, "cannot read the schema version");
    if (!code)
        code = query_int(st, "PRAGMA application_id", app_id, err, "cannot read the header");
    if (!code)
        code = query_int(st, "SELECT count(*) FROM sqlite_master", ntables, err,
                         "cannot read the schema");
    if (code && sqlite3_errcode(st->db) == SQLITE_NOTADB)
        code = map_error_set(err, MAP_ESTORE, "store '%s': not a SQLite database", st->path);
    return code;
}

/* Refuses a database that is not ours or is newer than this binary. A fresh
 * one (version 0, empty) is fine. */
static int check_header(const map_store *st, int64_t version, int64_t app_id, int64_t ntables,
                        map_error *err)
{
    if (app_id != MAP_STORE_APP_ID) {
        if (app_id == 0 && version == 0 && ntables == 0)
            return MAP_OK;
        return map_error_set(err, MAP_ESTORE,
                             "store '%s': not a mapsolve database (a SQLite database of "
                             "another application)", st->path);
    }
    if (version > MAP_STORE_SCHEMA_VERSION)
        return map_error_set(err, MAP_ESTORE,
                             "store '%s': schema version %" PRId64 " is newer than the "
                             "newest this mapsolve knows (%d); upgrade mapsolve", st->path, version,
                             MAP_STORE_SCHEMA_VERSION);
    if (version < 0)
        return map_error_set(err, MAP_ESTORE, "store '%s': invalid schema version %" PRId64,
                             st->path, version);
    return MAP_OK;
}

/* Applies the missing migrations, one transaction each. The header is read
 * again inside each transaction, so two processes opening a fresh file at
 * once migrate it once. */
static int migrate(map_store *st, map_error *err)
{
    for (;;) {
        int code = begin_write(st, err);
        if (code)
            return code;
        int64_t version = 0, app_id = 0, ntables = 0;
        code = read_header(st, &version, &app_id, &ntables, err);
        if (!code)
            code = check_header(st, version, app_id, ntables, err);
        if (code) {
            rollback(st);
            return code;
        }
        if (version >= MAP_STORE_SCHEMA_VERSION) {
            st->version = version;
            return commit(st, err);
        }

        code = exec_sql(st, migrations[version], err, "cannot migrate the schema");
        if (!code && migration_steps[version])
            code = migration_steps[version](st, err);
        if (!code) {
            char sql[64];
            snprintf(sql, sizeof sql, "PRAGMA user_version = %" PRId64, version + 1);
            code = exec_sql(st, sql, err, "cannot set the schema version");
        }
        if (!code)
            code = commit(st, err);
        else
            rollback(st);
        if (code)
            return code;
    }
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

/* Sets st->has_precision. A read-write handle on a version-3 database
 * written before the column existed adds it (one short write transaction,
 * taken only then). */
static int find_precision_column(map_store *st, int readonly, map_error *err)
{
    int64_t has = 0;
    int code = MAP_OK;
    if (st->version >= 3) {
        code = query_int(st, "SELECT count(*) FROM pragma_table_info('dataset') "
                             "WHERE name = 'precision'", &has, err,
                         "cannot read the dataset table's columns");
        if (!code && !has && !readonly) {
            code = begin_write(st, err);
            if (!code)
                code = add_precision_column(st, err);
            if (!code)
                code = commit(st, err);
            else
                rollback(st);
            has = !code;
        }
    }
    st->has_precision = !code && has;
    return code;
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
        return nomem(err);
    st->readonly = readonly;
    st->path = map_strdup(path);
    if (!st->path) {
        map_free(st);
        return nomem(err);
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
            return nomem(err);
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
        code = sql_fail(st, rc, err, "cannot set the busy timeout");

    int64_t version = 0, app_id = 0, ntables = 0;
    if (!code)
        code = read_header(st, &version, &app_id, &ntables, err);
    if (!code)
        code = check_header(st, version, app_id, ntables, err);
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
        code = exec_sql(st, "PRAGMA page_size = 65536", err, "cannot set the page size");
    /* No memory-mapped I/O (mmap_size stays 0): the pages of a mapped file
     * that a load touches count in the process's resident memory, which
     * would then hold the matrix twice; the incremental BLOB reads copy
     * from the file into the matrix without it. */
    if (!code && !readonly) {
        /* journal_mode answers with the mode in force; anything but "wal"
         * (for an on-disk file) means WAL could not be enabled. */
        sqlite3_stmt *stmt = NULL;
        code = prepare(st, "PRAGMA journal_mode = WAL", &stmt, err);
        if (!code) {
            rc = sqlite3_step(stmt);
            if (rc != SQLITE_ROW) {
                code = sql_fail(st, rc, err, "cannot enable WAL mode");
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
            code = exec_sql(st, "PRAGMA synchronous = NORMAL", err, "cannot set synchronous");
        /* After a large put the WAL file would otherwise keep its size. */
        if (!code)
            code = exec_sql(st, "PRAGMA journal_size_limit = 67108864", err,
                            "cannot set the WAL size limit");
    }
    if (!code)
        code = exec_sql(st, "PRAGMA foreign_keys = ON", err, "cannot enable foreign keys");
    if (!code) {
        int64_t fk = 0;
        code = query_int(st, "PRAGMA foreign_keys", &fk, err, "cannot read foreign_keys");
        if (!code && fk != 1)
            code = map_error_set(err, MAP_ESTORE,
                                 "store '%s': this SQLite does not enforce foreign keys", path);
    }
    /* Only a database behind this binary takes the write lock: opening an
     * up-to-date one must not wait for another connection's writer. */
    if (!code && !readonly && version < MAP_STORE_SCHEMA_VERSION)
        code = migrate(st, err);
    if (!code)
        code = find_precision_column(st, readonly, err);

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

static int check_writable(const map_store *st, map_error *err)
{
    if (st->readonly)
        return map_error_set(err, MAP_EUSAGE, "store '%s' was opened read-only", st->path);
    return MAP_OK;
}

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
    if (!host_is_little_endian())
        swap_in_place((unsigned char *)out, STAT_DOUBLES, sizeof(double));
}

static void unpack_stats(const unsigned char *data, map_valstat *vs)
{
    double v[STAT_DOUBLES];
    memcpy(v, data, sizeof v);
    if (!host_is_little_endian())
        swap_in_place((unsigned char *)v, STAT_DOUBLES, sizeof(double));
    vs->c.mean = v[0];
    vs->c.sd = v[1];
    vs->c.min = v[2];
    vs->c.max = v[3];
    vs->c.absmax = v[4];
    memcpy(vs->pct, v + 5, sizeof vs->pct);
}

/* Inserts the m rows of value_stat of dataset id (inside the caller's
 * write transaction). */
static int put_stats(map_store *st, int64_t id, const map_valstat *vs, size_t m, map_error *err)
{
    sqlite3_stmt *ins = NULL;
    int code = prepare(st, "INSERT INTO value_stat (dataset_id, idx, stats) VALUES (?1, ?2, ?3)",
                       &ins, err);
    for (size_t i = 0; !code && i < m; i++) {
        double packed[STAT_DOUBLES];
        pack_stats(&vs[i], packed);
        int rc = sqlite3_bind_int64(ins, 1, id);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ins, 2, (int64_t)i);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_blob(ins, 3, packed, (int)sizeof packed, SQLITE_TRANSIENT);
        code = rc == SQLITE_OK ? step_done(st, ins, err, "cannot store the statistics")
                               : sql_fail(st, rc, err, "cannot bind the statistics");
    }
    sqlite3_finalize(ins);
    return code;
}

/* Computes the statistics of the matrix X (either element type) into a new *out (m
 * entries, map_free). */
static int compute_stats(const map_matrix *X, map_valstat **out, map_error *err)
{
    *out = map_mallocarray(X->m, sizeof **out);
    if (!*out)
        return nomem(err);
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
static int get_stats(map_store *st, map_dataset *ds, int64_t id, map_error *err)
{
    assert(!ds->stats);
    if (st->version < 3)
        return MAP_OK;
    map_valstat *vs = map_mallocarray(ds->m, sizeof *vs);
    if (!vs)
        return nomem(err);
    sqlite3_stmt *sel = NULL;
    int code = prepare(st, "SELECT idx, stats FROM value_stat WHERE dataset_id = ?1 ORDER BY idx",
                       &sel, err);
    size_t got = 0;
    if (!code) {
        int rc = sqlite3_bind_int64(sel, 1, id);
        if (rc != SQLITE_OK)
            code = sql_fail(st, rc, err, "cannot bind");
        while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
            const unsigned char *data = sqlite3_column_blob(sel, 1);
            const int bytes = sqlite3_column_bytes(sel, 1);
            if (got >= ds->m || sqlite3_column_int64(sel, 0) != (int64_t)got
                || sqlite3_column_type(sel, 1) != SQLITE_BLOB
                || bytes != (int)(STAT_DOUBLES * sizeof(double)))
                code = corrupt(st, ds->name, "its statistics do not match its shape", err);
            else if (!data)
                code = nomem(err);
            else
                unpack_stats(data, &vs[got++]);
        }
        if (!code && rc != SQLITE_DONE)
            code = sql_fail(st, rc, err, "cannot read the statistics");
        if (!code && got != 0 && got != ds->m)
            code = corrupt(st, ds->name, "statistics are missing", err);
    }
    sqlite3_finalize(sel);
    if (code || got == 0) {
        map_free(vs);
        return code;
    }
    ds->stats = vs;
    return MAP_OK;
}

/* Gives the dataset table its precision column unless it has it (a
 * database set back by hand, or a version-3 one written before the column
 * existed). Inside the caller's write transaction. */
static int add_precision_column(map_store *st, map_error *err)
{
    int64_t has = 0;
    int code = query_int(st, "SELECT count(*) FROM pragma_table_info('dataset') "
                             "WHERE name = 'precision'", &has, err,
                         "cannot read the dataset table's columns");
    if (!code && !has)
        code = exec_sql(st, "ALTER TABLE dataset ADD COLUMN precision TEXT NOT NULL "
                            "DEFAULT 'double' CHECK (precision IN ('double', 'single'))",
                        err, "cannot add the precision column");
    return code;
}

/* Computes and stores the statistics of every dataset that has none,
 * loading one matrix at a time (all such datasets predate the precision
 * column, so they are double). */
static int backfill_stats(map_store *st, map_error *err)
{
    sqlite3_stmt *sel = NULL;
    int code = prepare(st,
                       "SELECT id, name, n, m, ntext FROM dataset d WHERE NOT EXISTS "
                       "(SELECT 1 FROM value_stat v WHERE v.dataset_id = d.id) ORDER BY id",
                       &sel, err);
    int rc = SQLITE_DONE;
    while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const int64_t id = sqlite3_column_int64(sel, 0);
        const char *name = (const char *)sqlite3_column_text(sel, 1);
        size_t n = 0, m = 0, ntext = 0;
        code = read_shape(st, sel, 2, name ? name : "?", &n, &m, &ntext, err);
        double *x = NULL;
        if (!code) {
            x = map_mallocarray(n * m, sizeof *x);
            if (!x)
                code = nomem(err);
        }
        if (!code)
            code = get_matrix(st, name ? name : "?", id, n, m, x, sizeof *x, err);
        map_valstat *vs = NULL;
        if (!code) {
            const map_matrix X = {n, m, m, x, NULL};
            code = compute_stats(&X, &vs, err);
        }
        map_free(x);
        if (!code)
            code = put_stats(st, id, vs, m, err);
        map_free(vs);
    }
    if (!code && rc != SQLITE_DONE)
        code = sql_fail(st, rc, err, "cannot list datasets to migrate");
    sqlite3_finalize(sel);
    return code;
}

/* Migration 3's step: the precision column, then the statistics. */
static int migrate_step3(map_store *st, map_error *err)
{
    int code = add_precision_column(st, err);
    return code ? code : backfill_stats(st, err);
}

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

/* Inserts name[0..count-1] into a (dataset_id, idx, name) table. */
static int put_names(map_store *st, const char *sql, int64_t id, char *const *names, size_t count,
                     map_error *err)
{
    sqlite3_stmt *ins = NULL;
    int code = prepare(st, sql, &ins, err);
    for (size_t i = 0; !code && i < count; i++) {
        int rc = sqlite3_bind_int64(ins, 1, id);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ins, 2, (int64_t)i);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(ins, 3, names[i], -1, SQLITE_STATIC);
        code = rc == SQLITE_OK ? step_done(st, ins, err, "cannot store a name")
                               : sql_fail(st, rc, err, "cannot bind a name");
    }
    sqlite3_finalize(ins);
    return code;
}

/* Inserts one chunk row: (dataset_id, [col,] chunk, nrows, data). The
 * statement's parameters are numbered so that col is ?5 where present. */
static int put_chunk(map_store *st, sqlite3_stmt *ins, int64_t id, int64_t col, int has_col,
                     size_t chunk, size_t nrows, const void *data, size_t bytes, map_error *err)
{
    int rc = sqlite3_bind_int64(ins, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(ins, 2, (int64_t)chunk);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(ins, 3, (int64_t)nrows);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob64(ins, 4, data, (sqlite3_uint64)bytes, SQLITE_STATIC);
    if (rc == SQLITE_OK && has_col)
        rc = sqlite3_bind_int64(ins, 5, col);
    if (rc != SQLITE_OK)
        return sql_fail(st, rc, err, "cannot bind a chunk");
    return step_done(st, ins, err, "cannot store a chunk");
}

/* Stores the matrix as chunks of packed little-endian doubles, or of
 * floats when xf is non-NULL (the single-precision copy of ds->x). */
static int put_matrix(map_store *st, int64_t id, const map_dataset *ds, const float *xf,
                      map_error *err)
{
    const size_t per = matrix_chunk_rows(ds->m);
    const size_t elem = xf ? sizeof(float) : sizeof(double);
    const int little = host_is_little_endian();
    unsigned char *swapped = NULL;
    if (!little) {
        const size_t rows = per < ds->n ? per : ds->n;
        swapped = map_mallocarray(rows * ds->m, elem);
        if (!swapped)
            return nomem(err);
    }
    sqlite3_stmt *ins = NULL;
    int code = prepare(st,
                       "INSERT INTO matrix_chunk (dataset_id, chunk, nrows, data) "
                       "VALUES (?1, ?2, ?3, ?4)", &ins, err);
    for (size_t row = 0, chunk = 0; !code && row < ds->n; row += per, chunk++) {
        const size_t rows = ds->n - row < per ? ds->n - row : per;
        assert(rows > 0 && rows <= per);
        const size_t count = rows * ds->m;
        const void *data = xf ? (const void *)(xf + row * ds->m) : (const void *)(ds->x + row * ds->m);
        if (!little) {
            memcpy(swapped, data, count * elem);
            swap_in_place(swapped, count, elem);
            data = swapped;
        }
        code = put_chunk(st, ins, id, 0, 0, chunk, rows, data, count * elem, err);
    }
    sqlite3_finalize(ins);
    map_free(swapped);
    return code;
}

/* Stores the strings s[0], s[stride], ... s[(n-1)*stride] as column col.
 * A NULL string is stored as "". */
static int put_strings(map_store *st, sqlite3_stmt *ins, int64_t id, int64_t col,
                       char *const *s, size_t n, size_t stride, map_error *err)
{
    assert(s && n > 0 && stride > 0);
    unsigned char *buf = NULL;
    size_t cap = 0, used = 0, rows = 0, chunk = 0;
    int code = MAP_OK;
    for (size_t j = 0; !code && j < n; j++) {
        const char *str = s[j * stride] ? s[j * stride] : "";
        const size_t len = strlen(str);
        if (len >= SIZE_MAX - used) {
            code = nomem(err);
            break;
        }
        if (used + len + 1 > cap) {
            size_t want = cap ? cap : 4096;
            while (want < used + len + 1)
                want = want > SIZE_MAX / 2 ? used + len + 1 : want * 2;
            unsigned char *grown = map_realloc(buf, want);
            if (!grown) {
                code = nomem(err);
                break;
            }
            buf = grown;
            cap = want;
        }
        memcpy(buf + used, str, len + 1);
        used += len + 1;
        rows++;
        if (rows == STRING_CHUNK_ROWS || used >= STRING_CHUNK_BYTES || j + 1 == n) {
            code = put_chunk(st, ins, id, col, 1, chunk, rows, buf, used, err);
            chunk++;
            rows = 0;
            used = 0;
        }
    }
    map_free(buf);
    return code;
}

static int put_texts(map_store *st, int64_t id, const map_dataset *ds, map_error *err)
{
    sqlite3_stmt *ins = NULL;
    int code = prepare(st,
                       "INSERT INTO string_chunk (dataset_id, chunk, nrows, data, col) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)", &ins, err);
    if (!code && ds->prompt_name)
        code = put_strings(st, ins, id, PROMPT_COL, ds->prompts, ds->n, 1, err);
    for (size_t c = 0; !code && c < ds->ntext; c++)
        code = put_strings(st, ins, id, (int64_t)c, ds->text + c, ds->n, ds->ntext, err);
    sqlite3_finalize(ins);
    return code;
}

/* Looks up the id of the dataset called name; *id = 0 when there is none
 * (SQLite rowids of our inserts are >= 1). */
static int find_id(map_store *st, const char *name, int64_t *id, map_error *err)
{
    sqlite3_stmt *sel = NULL;
    int code = prepare(st, "SELECT id FROM dataset WHERE name = ?1", &sel, err);
    if (code)
        return code;
    *id = 0;
    int rc = sqlite3_bind_text(sel, 1, name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(sel);
        if (rc == SQLITE_ROW) {
            *id = sqlite3_column_int64(sel, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        code = sql_fail(st, rc, err, "cannot look up a dataset");
    sqlite3_finalize(sel);
    return code;
}

static int delete_id(map_store *st, int64_t id, map_error *err)
{
    sqlite3_stmt *del = NULL;
    int code = prepare(st, "DELETE FROM dataset WHERE id = ?1", &del, err);
    if (code)
        return code;
    const int rc = sqlite3_bind_int64(del, 1, id);
    code = rc == SQLITE_OK ? step_done(st, del, err, "cannot delete a dataset")
                           : sql_fail(st, rc, err, "cannot bind");
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
    int code = prepare(st,
                       "INSERT INTO dataset (name, source, hash, created, n, m, prompt_name, "
                       "ntext, precision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &ins, err);
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
    code = rc == SQLITE_OK ? step_done(st, ins, err, "cannot store the dataset")
                           : sql_fail(st, rc, err, "cannot bind");
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
    int code = check_writable(st, err);
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
                code = nomem(err);
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
        code = compute_stats(&X, &vs, err);
    }
    if (!code)
        code = begin_write(st, err);
    if (code) {
        map_free(vs);
        map_free(rounded);
        return code;
    }

    int64_t id = 0;
    code = find_id(st, ds->name, &id, err);
    if (!code && id != 0) {
        if (replace)
            code = delete_id(st, id, err);
        else
            code = map_error_set(err, MAP_EDATA,
                                 "a dataset named '%s' already exists (use --replace)", ds->name);
    }
    if (!code)
        code = put_row(st, ds, &id, err);
    if (!code)
        code = put_names(st, "INSERT INTO dataset_value (dataset_id, idx, name) "
                             "VALUES (?1, ?2, ?3)", id, ds->values, ds->m, err);
    if (!code && ds->ntext > 0)
        code = put_names(st, "INSERT INTO text_column (dataset_id, idx, name) "
                             "VALUES (?1, ?2, ?3)", id, ds->text_names, ds->ntext, err);
    if (!code)
        code = put_matrix(st, id, ds, xf, err);
    map_free(rounded);
    if (!code)
        code = put_stats(st, id, vs, ds->m, err);
    map_free(vs);
    if (!code)
        code = put_texts(st, id, ds, err);
    if (code) {
        rollback(st);
        return code;
    }
    return commit(st, err);
}

/* ------------------------------------------------------------------ get */

/* Loads count names of a (dataset_id, idx, name) table into a new array. */
static int get_names(map_store *st, const char *sql, const char *dsname, int64_t id,
                     size_t count, char ***out, map_error *err)
{
    *out = NULL;
    char **names = map_calloc(count, sizeof *names);
    if (!names)
        return nomem(err);
    sqlite3_stmt *sel = NULL;
    int code = prepare(st, sql, &sel, err);
    size_t got = 0;
    if (!code) {
        int rc = sqlite3_bind_int64(sel, 1, id);
        if (rc != SQLITE_OK)
            code = sql_fail(st, rc, err, "cannot bind");
        while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
            if (got >= count || sqlite3_column_int64(sel, 0) != (int64_t)got
                || sqlite3_column_type(sel, 1) == SQLITE_NULL)
                code = corrupt(st, dsname, "the column names do not match its shape", err);
            else
                code = column_strdup(sel, 1, &names[got++], err);
        }
        if (!code && rc != SQLITE_DONE)
            code = sql_fail(st, rc, err, "cannot read column names");
        if (!code && got != count)
            code = corrupt(st, dsname, "column names are missing", err);
    }
    sqlite3_finalize(sel);
    if (code) {
        for (size_t i = 0; i < got; i++)
            map_free(names[i]);
        map_free(names);
        return code;
    }
    *out = names;
    return MAP_OK;
}

static const char sql_values[] =
    "SELECT idx, name FROM dataset_value WHERE dataset_id = ?1 ORDER BY idx";
static const char sql_text_names[] =
    "SELECT idx, name FROM text_column WHERE dataset_id = ?1 ORDER BY idx";

/* Asks the kernel to fault in the buffer [p, p + bytes) in one call
 * (MADV_POPULATE_WRITE, Linux 5.14+) rather than one fault per 4 KiB page as
 * the reads first touch it: a hint, whose failure (older kernels) changes
 * nothing. (Huge pages were tried: on a fragmented host the compaction they
 * need cost more than the faults they save.) */
static void prefault(void *p, size_t bytes)
{
#if defined(MADV_POPULATE_WRITE)
    const uintptr_t page = 4096;
    const uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
    const uintptr_t hi = ((uintptr_t)p + bytes) & ~(page - 1);
    if (hi > lo)
        (void)madvise((void *)lo, (size_t)(hi - lo), MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Fills x (n * m doubles) from the matrix chunks, checking that they are
 * numbered 0, 1, ..., hold whole rows and cover exactly n rows. Each chunk
 * is read with incremental BLOB I/O straight into its place in x: the
 * query reads only the chunks' sizes (length() does not load a BLOB), and
 * sqlite3_blob_read copies the pages into x with no buffer in between. */
static int get_matrix(map_store *st, const char *dsname, int64_t id, size_t n, size_t m,
                      void *xv, size_t elem, map_error *err)
{
    assert(elem == sizeof(double) || elem == sizeof(float));
    unsigned char *const x = xv;
    sqlite3_stmt *sel = NULL;
    int code = prepare(st,
                       "SELECT rowid, chunk, nrows, typeof(data) = 'blob', length(data) "
                       "FROM matrix_chunk WHERE dataset_id = ?1 ORDER BY chunk", &sel, err);
    if (code)
        return code;
    const int little = host_is_little_endian();
    prefault(x, n * m * elem);
    sqlite3_blob *blob = NULL;
    size_t row = 0, chunk = 0;
    int rc = sqlite3_bind_int64(sel, 1, id);
    if (rc != SQLITE_OK)
        code = sql_fail(st, rc, err, "cannot bind");
    while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        char detail[160];
        const int64_t rowid = sqlite3_column_int64(sel, 0);
        const int64_t k = sqlite3_column_int64(sel, 1);
        const int64_t rows = sqlite3_column_int64(sel, 2);
        if (k != (int64_t)chunk || !sqlite3_column_int(sel, 3) || rows <= 0
            || (uint64_t)rows > n - row) {
            snprintf(detail, sizeof detail, "matrix chunk %zu is out of place", chunk);
            code = corrupt(st, dsname, detail, err);
            break;
        }
        const int64_t bytes = sqlite3_column_int64(sel, 4);
        const size_t want = (size_t)rows * m * elem;
        if (bytes < 0 || (uint64_t)bytes != want || want > INT_MAX) {
            snprintf(detail, sizeof detail, "matrix chunk %zu has %" PRId64 " bytes, expected %zu",
                     chunk, bytes, want);
            code = corrupt(st, dsname, detail, err);
            break;
        }
        rc = blob ? sqlite3_blob_reopen(blob, rowid)
                  : sqlite3_blob_open(st->db, "main", "matrix_chunk", "data", rowid, 0, &blob);
        if (rc == SQLITE_OK)
            rc = sqlite3_blob_read(blob, x + row * m * elem, (int)want, 0);
        if (rc != SQLITE_OK) {
            code = sql_fail(st, rc, err, "cannot read the matrix");
            break;
        }
        if (!little)
            swap_in_place(x + row * m * elem, (size_t)rows * m, elem);
        row += (size_t)rows;
        chunk++;
    }
    if (!code && rc != SQLITE_DONE)
        code = sql_fail(st, rc, err, "cannot read the matrix");
    if (!code && row != n) {
        char detail[160];
        snprintf(detail, sizeof detail, "the matrix has %zu rows, expected %zu", row, n);
        code = corrupt(st, dsname, detail, err);
    }
    sqlite3_blob_close(blob);
    sqlite3_finalize(sel);
    return code;
}

/* Fills dst[0], dst[stride], ... dst[(n-1)*stride] with copies of the
 * strings of column col. On error the strings copied so far stay in dst
 * (dst is zeroed by the caller, so the owner frees them). */
static int get_strings(map_store *st, sqlite3_stmt *sel, const char *dsname, int64_t id,
                       int64_t col, size_t n, size_t stride, char **dst, map_error *err)
{
    size_t row = 0, chunk = 0;
    int code = MAP_OK;
    int rc = sqlite3_bind_int64(sel, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(sel, 2, col);
    if (rc != SQLITE_OK)
        code = sql_fail(st, rc, err, "cannot bind");
    while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        char detail[160];
        const int64_t k = sqlite3_column_int64(sel, 0);
        const int64_t rows = sqlite3_column_int64(sel, 1);
        if (k != (int64_t)chunk || sqlite3_column_type(sel, 2) != SQLITE_BLOB || rows <= 0
            || (uint64_t)rows > n - row) {
            snprintf(detail, sizeof detail, "string chunk %zu of column %" PRId64
                     " is out of place", chunk, col);
            code = corrupt(st, dsname, detail, err);
            break;
        }
        const char *p = sqlite3_column_blob(sel, 2);
        const size_t bytes = (size_t)sqlite3_column_bytes(sel, 2);
        if (!p) {
            /* an empty blob cannot hold rows >= 1 strings */
            snprintf(detail, sizeof detail, "string chunk %zu of column %" PRId64 " is empty",
                     chunk, col);
            code = bytes ? nomem(err) : corrupt(st, dsname, detail, err);
            break;
        }
        const char *const end = p + bytes;
        for (int64_t r = 0; !code && r < rows; r++) {
            const char *nul = memchr(p, '\0', (size_t)(end - p));
            if (!nul) {
                snprintf(detail, sizeof detail, "string chunk %zu of column %" PRId64
                         " is truncated", chunk, col);
                code = corrupt(st, dsname, detail, err);
                break;
            }
            char *s = map_strndup(p, (size_t)(nul - p));
            if (!s) {
                code = nomem(err);
                break;
            }
            dst[(row + (size_t)r) * stride] = s;
            p = nul + 1;
        }
        if (!code && p != end) {
            snprintf(detail, sizeof detail, "string chunk %zu of column %" PRId64
                     " has trailing bytes", chunk, col);
            code = corrupt(st, dsname, detail, err);
        }
        row += (size_t)rows;
        chunk++;
    }
    if (!code && rc != SQLITE_DONE)
        code = sql_fail(st, rc, err, "cannot read strings");
    if (!code && row != n) {
        char detail[160];
        snprintf(detail, sizeof detail, "column %" PRId64 " has %zu strings, expected %zu", col,
                 row, n);
        code = corrupt(st, dsname, detail, err);
    }
    sqlite3_reset(sel);
    return code;
}

static int get_texts(map_store *st, map_dataset *ds, int64_t id, unsigned flags, map_error *err)
{
    const int want_prompts = (flags & MAP_LOAD_PROMPTS) && ds->prompt_name;
    const int want_text = (flags & MAP_LOAD_TEXT) && ds->ntext > 0;
    if (!want_prompts && !want_text)
        return MAP_OK;
    sqlite3_stmt *sel = NULL;
    int code = prepare(st,
                       "SELECT chunk, nrows, data FROM string_chunk "
                       "WHERE dataset_id = ?1 AND col = ?2 ORDER BY chunk", &sel, err);
    if (!code && want_prompts) {
        ds->prompts = map_calloc(ds->n, sizeof *ds->prompts);
        code = ds->prompts ? get_strings(st, sel, ds->name, id, PROMPT_COL, ds->n, 1, ds->prompts,
                                         err)
                           : nomem(err);
    }
    if (!code && want_text) {
        ds->text = map_calloc(ds->n * ds->ntext, sizeof *ds->text);
        if (!ds->text)
            code = nomem(err);
        for (size_t c = 0; !code && c < ds->ntext; c++)
            code = get_strings(st, sel, ds->name, id, (int64_t)c, ds->n, ds->ntext, ds->text + c,
                               err);
    }
    sqlite3_finalize(sel);
    return code;
}

/* Reads the shape columns n, m, ntext of a dataset row at columns col..col+2
 * and checks them. */
static int read_shape(const map_store *st, sqlite3_stmt *sel, int col, const char *name,
                      size_t *n, size_t *m, size_t *ntext, map_error *err)
{
    const int64_t n64 = sqlite3_column_int64(sel, col);
    const int64_t m64 = sqlite3_column_int64(sel, col + 1);
    const int64_t t64 = sqlite3_column_int64(sel, col + 2);
    if (n64 <= 0 || m64 <= 0 || t64 < 0 || (uint64_t)n64 > SIZE_MAX
        || (uint64_t)m64 > SIZE_MAX / sizeof(double) / (uint64_t)n64
        || (uint64_t)t64 > SIZE_MAX / sizeof(char *) / (uint64_t)n64)
        return corrupt(st, name, "its shape is invalid", err);
    *n = (size_t)n64;
    *m = (size_t)m64;
    *ntext = (size_t)t64;
    return MAP_OK;
}

/* Loads the dataset row into a new dataset; *id = 0 if there is none. */
static int get_row(map_store *st, const char *name, map_dataset **out, int64_t *id,
                   map_error *err)
{
    *out = NULL;
    *id = 0;
    sqlite3_stmt *sel = NULL;
    int code = prepare(st,
                       st->has_precision
                           ? "SELECT id, source, hash, created, n, m, ntext, prompt_name, "
                             "precision FROM dataset WHERE name = ?1"
                           : "SELECT id, source, hash, created, n, m, ntext, prompt_name, "
                             "'double' FROM dataset WHERE name = ?1", &sel, err);
    if (code)
        return code;
    map_dataset *ds = NULL;
    int rc = sqlite3_bind_text(sel, 1, name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(sel);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(sel);
        return MAP_OK;
    }
    if (rc != SQLITE_ROW)
        code = sql_fail(st, rc, err, "cannot read a dataset");
    size_t n = 0, m = 0, ntext = 0;
    if (!code)
        code = read_shape(st, sel, 4, name, &n, &m, &ntext, err);
    if (!code) {
        ds = map_dataset_new();
        if (!ds)
            code = nomem(err);
    }
    if (!code) {
        ds->name = map_strdup(name);
        code = ds->name ? MAP_OK : nomem(err);
    }
    if (!code)
        code = column_strdup(sel, 1, &ds->source, err);
    if (!code)
        code = column_strdup(sel, 2, &ds->hash, err);
    if (!code)
        code = column_strdup(sel, 7, &ds->prompt_name, err);
    if (!code) {
        *id = sqlite3_column_int64(sel, 0);
        ds->created = sqlite3_column_int64(sel, 3);
        if (map_precision_parse((const char *)sqlite3_column_text(sel, 8), &ds->precision))
            code = corrupt(st, name, "its precision is unknown", err);
        ds->n = n;
        ds->m = m;
        ds->ntext = ntext;
    }
    sqlite3_finalize(sel);
    if (code) {
        map_dataset_free(ds);
        return code;
    }
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
    int code = begin_read(st, err);
    if (code)
        return code;
    map_dataset *ds = NULL;
    int64_t id = 0;
    code = get_row(st, name, &ds, &id, err);
    if (!code && !ds)
        code = map_error_set(err, MAP_EUSAGE, "no dataset named '%s' in %s", name, st->path);
    if (!code)
        code = get_names(st, sql_values, name, id, ds->m, &ds->values, err);
    if (!code && ds->ntext > 0)
        code = get_names(st, sql_text_names, name, id, ds->ntext, &ds->text_names, err);
    if (!code)
        code = get_stats(st, ds, id, err);
    if (!code && !((flags & MAP_LOAD_NO_MATRIX) && ds->stats)) {
        if (ds->precision == MAP_PRECISION_SINGLE) {
            ds->xf = map_mallocarray(ds->n * ds->m, sizeof *ds->xf);
            code = ds->xf ? get_matrix(st, name, id, ds->n, ds->m, ds->xf, sizeof *ds->xf, err)
                          : nomem(err);
        } else {
            ds->x = map_mallocarray(ds->n * ds->m, sizeof *ds->x);
            code = ds->x ? get_matrix(st, name, id, ds->n, ds->m, ds->x, sizeof *ds->x, err)
                         : nomem(err);
        }
    }
    if (!code)
        code = get_texts(st, ds, id, flags, err);
    if (!code)
        code = commit(st, err);
    else
        rollback(st);
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
    int code = check_writable(st, err);
    if (!code)
        code = begin_write(st, err);
    if (code)
        return code;
    int64_t id = 0;
    code = find_id(st, name, &id, err);
    if (!code && id == 0)
        code = map_error_set(err, MAP_EUSAGE, "no dataset named '%s' in %s", name, st->path);
    if (!code)
        code = delete_id(st, id, err);
    if (code) {
        rollback(st);
        return code;
    }
    return commit(st, err);
}

int map_store_find_hash(map_store *st, const char *hash, char **name_out, map_error *err)
{
    if (!name_out)
        return map_error_set(err, MAP_EUSAGE, "map_store_find_hash: no output");
    *name_out = NULL;
    if (!st || !hash)
        return map_error_set(err, MAP_EUSAGE, "no store or hash given");
    sqlite3_stmt *sel = NULL;
    int code = prepare(st, "SELECT name FROM dataset WHERE hash = ?1 ORDER BY name LIMIT 1", &sel,
                       err);
    if (code)
        return code;
    int rc = sqlite3_bind_text(sel, 1, hash, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW)
        code = column_strdup(sel, 0, name_out, err);
    else if (rc != SQLITE_DONE)
        code = sql_fail(st, rc, err, "cannot look up a hash");
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
        if (info[k].values)
            for (size_t i = 0; i < info[k].m; i++)
                map_free(info[k].values[i]);
        map_free(info[k].values);
        map_free(info[k].prompt_name);
    }
    map_free(info);
}

/* Reads the current dataset row of sel into a zeroed info; *id gets its id. */
static int list_row(map_store *st, sqlite3_stmt *sel, map_dataset_info *info, int64_t *id,
                    map_error *err)
{
    *id = sqlite3_column_int64(sel, 0);
    int code = column_strdup(sel, 1, &info->name, err);
    if (!code && !info->name)
        code = corrupt(st, "?", "it has no name", err);
    if (!code)
        code = read_shape(st, sel, 5, info->name, &info->n, &info->m, &info->ntext, err);
    if (!code)
        code = column_strdup(sel, 2, &info->source, err);
    if (!code)
        code = column_strdup(sel, 3, &info->hash, err);
    if (!code)
        code = column_strdup(sel, 8, &info->prompt_name, err);
    if (!code)
        info->created = sqlite3_column_int64(sel, 4);
    if (!code && map_precision_parse((const char *)sqlite3_column_text(sel, 9), &info->precision))
        code = corrupt(st, info->name, "its precision is unknown", err);
    if (code)
        info->m = 0; /* no values array yet */
    return code;
}

int map_store_list(map_store *st, map_dataset_info **out, size_t *count, map_error *err)
{
    if (!out || !count)
        return map_error_set(err, MAP_EUSAGE, "map_store_list: no output");
    *out = NULL;
    *count = 0;
    if (!st)
        return map_error_set(err, MAP_EUSAGE, "no store given");

    int code = begin_read(st, err);
    if (code)
        return code;
    sqlite3_stmt *sel = NULL;
    code = prepare(st,
                   st->has_precision
                       ? "SELECT id, name, source, hash, created, n, m, ntext, prompt_name, "
                         "precision FROM dataset ORDER BY name"
                       : "SELECT id, name, source, hash, created, n, m, ntext, prompt_name, "
                         "'double' FROM dataset ORDER BY name", &sel, err);
    map_dataset_info *info = NULL;
    int64_t *ids = NULL;
    size_t len = 0, cap = 0;
    int rc = SQLITE_DONE;
    while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        if (len == cap) {
            const size_t want = cap ? 2 * cap : 16;
            map_dataset_info *grown = map_reallocarray(info, want, sizeof *info);
            if (!grown) {
                code = nomem(err);
                break;
            }
            info = grown;
            int64_t *grown_ids = map_reallocarray(ids, want, sizeof *ids);
            if (!grown_ids) {
                code = nomem(err);
                break;
            }
            ids = grown_ids;
            cap = want;
        }
        memset(&info[len], 0, sizeof info[len]);
        code = list_row(st, sel, &info[len], &ids[len], err);
        len++; /* counted even on failure: its strings are freed below */
    }
    if (!code && rc != SQLITE_DONE)
        code = sql_fail(st, rc, err, "cannot list datasets");
    sqlite3_finalize(sel);

    for (size_t k = 0; !code && k < len; k++) {
        const size_t m = info[k].m;
        info[k].m = 0; /* until values is filled, free nothing through it */
        code = get_names(st, sql_values, info[k].name, ids[k], m, &info[k].values, err);
        if (!code)
            info[k].m = m;
    }
    map_free(ids);
    if (!code)
        code = commit(st, err);
    else
        rollback(st);
    if (code) {
        map_dataset_info_free(info, len);
        return code;
    }
    *out = info;
    *count = len;
    return MAP_OK;
}

/* ---------------------------------------------------------------- check */

int map_store_check(map_store *st, map_error *err)
{
    if (!st)
        return map_error_set(err, MAP_EUSAGE, "no store given");
    sqlite3_stmt *sel = NULL;
    int code = prepare(st, "PRAGMA integrity_check", &sel, err);
    if (code)
        return code;
    int rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW) {
        const unsigned char *msg = sqlite3_column_text(sel, 0);
        if (!msg || strcmp((const char *)msg, "ok") != 0)
            code = map_error_set(err, MAP_ESTORE, "store '%s': integrity check failed: %s",
                                 st->path, msg ? (const char *)msg : "(no message)");
    } else {
        code = sql_fail(st, rc, err, "cannot check integrity");
    }
    sqlite3_finalize(sel);
    if (code)
        return code;

    /* Dangling children would mean the cascades were bypassed. */
    code = prepare(st, "PRAGMA foreign_key_check", &sel, err);
    if (code)
        return code;
    rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW) {
        const unsigned char *table = sqlite3_column_text(sel, 0);
        code = map_error_set(err, MAP_ESTORE,
                             "store '%s': integrity check failed: table %s has rows of a "
                             "deleted dataset", st->path, table ? (const char *)table : "?");
    } else if (rc != SQLITE_DONE) {
        code = sql_fail(st, rc, err, "cannot check foreign keys");
    }
    sqlite3_finalize(sel);
    if (code || st->version < 3)
        return code;

    /* Every dataset has one statistics row per value. */
    code = prepare(st,
                   "SELECT d.name FROM dataset d WHERE d.m != (SELECT count(*) FROM value_stat v "
                   "WHERE v.dataset_id = d.id) ORDER BY d.name LIMIT 1", &sel, err);
    if (code)
        return code;
    rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(sel, 0);
        code = map_error_set(err, MAP_ESTORE,
                             "store '%s': integrity check failed: dataset '%s' lacks statistics",
                             st->path, name ? (const char *)name : "?");
    } else if (rc != SQLITE_DONE) {
        code = sql_fail(st, rc, err, "cannot check the statistics");
    }
    sqlite3_finalize(sel);
    return code;
}

/* ---------------------------------------------------------------- sweeps */

static int sweep_missing(const map_store *st, int64_t id, map_error *err)
{
    return map_error_set(err, MAP_EUSAGE, "no sweep %" PRId64 " in %s", id, st->path);
}

/* Binds count doubles as a little-endian BLOB (NULL: SQL NULL). On a
 * big-endian host the bytes are swapped into *scratch, which must hold
 * count doubles and stay alive until the statement is stepped. */
static int bind_doubles(sqlite3_stmt *stmt, int idx, const double *x, size_t count,
                        unsigned char *scratch)
{
    if (!x)
        return sqlite3_bind_null(stmt, idx);
    const void *data = x;
    if (!host_is_little_endian()) {
        swap_doubles(scratch, (const unsigned char *)x, count);
        data = scratch;
    }
    return sqlite3_bind_blob64(stmt, idx, data, (sqlite3_uint64)(count * sizeof(double)),
                               SQLITE_STATIC);
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

/* Reads a BLOB of exactly count doubles into x; 1 if it is NULL (allowed
 * only where null_ok), 0 when read, −1 when its size is wrong. */
static int column_doubles(sqlite3_stmt *stmt, int col, double *x, size_t count, int null_ok)
{
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
        return null_ok ? 1 : -1;
    if (sqlite3_column_type(stmt, col) != SQLITE_BLOB)
        return -1;
    const void *data = sqlite3_column_blob(stmt, col);
    const size_t bytes = (size_t)sqlite3_column_bytes(stmt, col);
    if (bytes != count * sizeof(double) || (!data && bytes))
        return -1;
    if (!bytes)
        return 0;
    if (host_is_little_endian())
        memcpy(x, data, bytes);
    else
        swap_doubles((unsigned char *)x, data, count);
    return 0;
}

static int put_sweep_names(map_store *st, int64_t id, int role, const char *const *names,
                           size_t count, map_error *err)
{
    sqlite3_stmt *ins = NULL;
    int code = prepare(st, "INSERT INTO sweep_name (sweep_id, role, idx, name) "
                           "VALUES (?1, ?2, ?3, ?4)", &ins, err);
    for (size_t i = 0; !code && i < count; i++) {
        int rc = sqlite3_bind_int64(ins, 1, id);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int(ins, 2, role);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ins, 3, (int64_t)i);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(ins, 4, names[i], -1, SQLITE_STATIC);
        code = rc == SQLITE_OK ? step_done(st, ins, err, "cannot store a sweep's names")
                               : sql_fail(st, rc, err, "cannot bind a name");
    }
    sqlite3_finalize(ins);
    return code;
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
    int code = check_writable(st, err);
    if (!code)
        code = validate_sweep_meta(meta, err);
    if (!code)
        code = begin_write(st, err);
    if (code)
        return code;
    int64_t dsid = 0;
    code = find_id(st, meta->dataset, &dsid, err);
    if (!code && dsid == 0)
        code = map_error_set(err, MAP_EUSAGE, "no dataset named '%s' in %s", meta->dataset,
                             st->path);
    sqlite3_stmt *ins = NULL;
    if (!code)
        code = prepare(st,
                       "INSERT INTO sweep (dataset_id, created, command, source, seed, k, nlevel, "
                       "total_rows, complete) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)", &ins,
                       err);
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
        code = rc == SQLITE_OK ? step_done(st, ins, err, "cannot store the sweep")
                               : sql_fail(st, rc, err, "cannot bind");
    }
    sqlite3_finalize(ins);
    const int64_t sid = code ? 0 : sqlite3_last_insert_rowid(st->db);
    if (!code)
        code = put_sweep_names(st, sid, 0, meta->values, meta->k, err);
    if (!code)
        code = put_sweep_names(st, sid, 1, meta->level_names, meta->nlevel, err);
    if (!code)
        code = commit(st, err);
    else
        rollback(st);
    if (!code)
        *id = sid;
    return code;
}

/* The shape of sweep id: *found = 0 when there is none. */
static int sweep_shape(map_store *st, int64_t id, int *found, size_t *k, size_t *nlevel,
                       size_t *total, map_error *err)
{
    sqlite3_stmt *sel = NULL;
    int code = prepare(st, "SELECT k, nlevel, total_rows FROM sweep WHERE id = ?1", &sel, err);
    if (code)
        return code;
    *found = 0;
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
            *found = 1;
            *k = (size_t)k64;
            *nlevel = (size_t)l64;
            *total = (size_t)t64;
        }
    } else if (rc != SQLITE_DONE) {
        code = sql_fail(st, rc, err, "cannot read a sweep");
    }
    sqlite3_finalize(sel);
    return code;
}

static int put_sweep_row(map_store *st, sqlite3_stmt *ins, int64_t id, const map_store_sweep_row *r,
                         size_t k, size_t nlevel, size_t total, unsigned char *scratch,
                         map_error *err)
{
    if (r->row >= total)
        return map_error_set(err, MAP_EDATA, "sweep %" PRId64 ": row %zu is past its last row "
                             "(%zu rows)", id, r->row, total);
    if (!r->status || !r->lambda || !r->level)
        return map_error_set(err, MAP_EDATA, "sweep %" PRId64 ": row %zu lacks its status, "
                             "lambda or levels", id, r->row);
    const size_t big = k > nlevel ? k : nlevel;
    unsigned char *s1 = scratch, *s2 = scratch + big * sizeof(double);
    unsigned char *s3 = scratch + 2 * big * sizeof(double);
    int rc = sqlite3_bind_int64(ins, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(ins, 2, (int64_t)r->row);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(ins, 3, r->status, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = r->improves < 0 ? sqlite3_bind_null(ins, 4) : sqlite3_bind_int(ins, 4, r->improves != 0);
    if (rc == SQLITE_OK)
        rc = bind_doubles(ins, 5, r->target, k, s1);
    if (rc == SQLITE_OK)
        rc = bind_doubles(ins, 6, r->lambda, k, s2);
    if (rc == SQLITE_OK)
        rc = bind_doubles(ins, 7, r->level, nlevel, s3);
    if (rc == SQLITE_OK)
        rc = bind_real(ins, 8, r->kl);
    if (rc == SQLITE_OK)
        rc = bind_real(ins, 9, r->ess);
    if (rc == SQLITE_OK)
        rc = bind_real(ins, 10, r->margin);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(ins, 11, r->iterations);
    if (rc != SQLITE_OK)
        return sql_fail(st, rc, err, "cannot bind a sweep row");
    rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc == SQLITE_DONE)
        return MAP_OK;
    if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT)
        return map_error_set(err, MAP_EDATA, "sweep %" PRId64 ": row %zu is already stored", id,
                             r->row);
    return sql_fail(st, rc, err, "cannot store a sweep row");
}

int map_store_sweep_append(map_store *st, int64_t id, const map_store_sweep_row *rows,
                           size_t count, map_error *err)
{
    if (!st || (!rows && count))
        return map_error_set(err, MAP_EUSAGE, "no store or rows given");
    int code = check_writable(st, err);
    if (!code)
        code = begin_write(st, err);
    if (code)
        return code;
    int found = 0;
    size_t k = 0, nlevel = 0, total = 0;
    code = sweep_shape(st, id, &found, &k, &nlevel, &total, err);
    if (!code && !found)
        code = sweep_missing(st, id, err);
    unsigned char *scratch = NULL;
    if (!code && !host_is_little_endian()) {
        scratch = map_mallocarray(3 * (k > nlevel ? k : nlevel), sizeof(double));
        if (!scratch)
            code = nomem(err);
    }
    sqlite3_stmt *ins = NULL;
    if (!code)
        code = prepare(st,
                       "INSERT INTO sweep_row (sweep_id, row, status, improves, target, lambda, "
                       "level, kl, ess, margin, iterations) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &ins, err);
    for (size_t i = 0; !code && i < count; i++)
        code = put_sweep_row(st, ins, id, &rows[i], k, nlevel, total, scratch, err);
    sqlite3_finalize(ins);
    map_free(scratch);
    if (code) {
        rollback(st);
        return code;
    }
    return commit(st, err);
}

int map_store_sweep_set_complete(map_store *st, int64_t id, int complete, map_error *err)
{
    if (!st)
        return map_error_set(err, MAP_EUSAGE, "no store given");
    int code = check_writable(st, err);
    if (!code)
        code = begin_write(st, err);
    if (code)
        return code;
    sqlite3_stmt *upd = NULL;
    code = prepare(st, "UPDATE sweep SET complete = ?2 WHERE id = ?1", &upd, err);
    if (!code) {
        int rc = sqlite3_bind_int64(upd, 1, id);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int(upd, 2, complete != 0);
        code = rc == SQLITE_OK ? step_done(st, upd, err, "cannot update the sweep")
                               : sql_fail(st, rc, err, "cannot bind");
    }
    sqlite3_finalize(upd);
    if (!code && sqlite3_changes(st->db) == 0)
        code = sweep_missing(st, id, err);
    if (code) {
        rollback(st);
        return code;
    }
    return commit(st, err);
}

void map_store_sweep_info_free(map_store_sweep_info *info, size_t count)
{
    if (!info)
        return;
    for (size_t s = 0; s < count; s++) {
        map_store_sweep_info *in = &info[s];
        map_free(in->dataset);
        map_free(in->command);
        map_free(in->source);
        for (size_t i = 0; in->values && i < in->k; i++)
            map_free(in->values[i]);
        map_free(in->values);
        for (size_t i = 0; in->level_names && i < in->nlevel; i++)
            map_free(in->level_names[i]);
        map_free(in->level_names);
    }
    map_free(info);
}

static const char sql_sweep_values[] =
    "SELECT idx, name FROM sweep_name WHERE sweep_id = ?1 AND role = 0 ORDER BY idx";
static const char sql_sweep_levels[] =
    "SELECT idx, name FROM sweep_name WHERE sweep_id = ?1 AND role = 1 ORDER BY idx";

/* The columns list_sweeps reads, in this order. */
#define SWEEP_COLUMNS                                                                         \
    "SELECT s.id, d.name, s.created, s.command, s.source, s.seed, s.k, s.nlevel, "          \
    "s.total_rows, s.complete, "                                                            \
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
    const int64_t total = sqlite3_column_int64(sel, 8), stored = sqlite3_column_int64(sel, 10);
    const int64_t next = sqlite3_column_int64(sel, 11);
    if (k <= 0 || nl <= 0 || total < 0 || stored < 0 || next < 0 || k > 100000 || nl > 100000)
        return map_error_set(err, MAP_ESTORE, "store '%s': %s is corrupt: its shape is invalid",
                             st->path, label);
    int code = column_strdup(sel, 1, &in->dataset, err);
    if (!code)
        code = column_strdup(sel, 3, &in->command, err);
    if (!code)
        code = column_strdup(sel, 4, &in->source, err);
    if (code)
        return code;
    in->created = sqlite3_column_int64(sel, 2);
    in->seed = (uint64_t)sqlite3_column_int64(sel, 5);
    in->total_rows = (size_t)total;
    in->complete = sqlite3_column_int64(sel, 9) != 0;
    in->stored_rows = (size_t)stored;
    in->next_row = (size_t)next;
    code = get_names(st, sql_sweep_values, label, in->id, (size_t)k, &in->values, err);
    if (!code)
        in->k = (size_t)k;
    if (!code)
        code = get_names(st, sql_sweep_levels, label, in->id, (size_t)nl, &in->level_names, err);
    if (!code)
        in->nlevel = (size_t)nl;
    return code;
}

/* Lists the sweeps that sel (bound by the caller) returns. */
static int list_sweeps(map_store *st, sqlite3_stmt *sel, map_store_sweep_info **out,
                       size_t *count, map_error *err)
{
    map_store_sweep_info *info = NULL;
    size_t len = 0, cap = 0;
    int code = MAP_OK, rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        if (len == cap) {
            const size_t want = cap ? 2 * cap : 8;
            map_store_sweep_info *grown = map_reallocarray(info, want, sizeof *info);
            if (!grown) {
                code = nomem(err);
                break;
            }
            info = grown;
            cap = want;
        }
        memset(&info[len], 0, sizeof info[len]);
        code = sweep_info_row(st, sel, &info[len], err);
        len++; /* counted even on failure: its strings are freed below */
        if (code)
            break;
    }
    if (!code && rc != SQLITE_DONE)
        code = sql_fail(st, rc, err, "cannot list sweeps");
    if (code) {
        map_store_sweep_info_free(info, len);
        return code;
    }
    *out = info;
    *count = len;
    return MAP_OK;
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
    int code = begin_read(st, err);
    if (code)
        return code;
    sqlite3_stmt *sel = NULL;
    code = prepare(st, SWEEP_COLUMNS "WHERE ?1 IS NULL OR d.name = ?1 ORDER BY s.id", &sel, err);
    if (!code) {
        const int rc = dataset ? sqlite3_bind_text(sel, 1, dataset, -1, SQLITE_STATIC)
                               : sqlite3_bind_null(sel, 1);
        code = rc == SQLITE_OK ? list_sweeps(st, sel, out, count, err)
                               : sql_fail(st, rc, err, "cannot bind");
    }
    sqlite3_finalize(sel);
    if (!code)
        code = commit(st, err);
    else
        rollback(st);
    if (code) {
        map_store_sweep_info_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return code;
}

int map_store_sweep_get(map_store *st, int64_t id, map_store_sweep_info **out, map_error *err)
{
    if (!out)
        return map_error_set(err, MAP_EUSAGE, "map_store_sweep_get: no output");
    *out = NULL;
    if (!st)
        return map_error_set(err, MAP_EUSAGE, "no store given");
    int code = begin_read(st, err);
    if (code)
        return code;
    sqlite3_stmt *sel = NULL;
    map_store_sweep_info *info = NULL;
    size_t n = 0;
    code = prepare(st, SWEEP_COLUMNS "WHERE s.id = ?1", &sel, err);
    if (!code) {
        const int rc = sqlite3_bind_int64(sel, 1, id);
        code = rc == SQLITE_OK ? list_sweeps(st, sel, &info, &n, err)
                               : sql_fail(st, rc, err, "cannot bind");
    }
    sqlite3_finalize(sel);
    if (!code && n == 0)
        code = sweep_missing(st, id, err);
    if (!code)
        code = commit(st, err);
    else
        rollback(st);
    if (code) {
        map_store_sweep_info_free(info, n);
        return code;
    }
    *out = info;
    return MAP_OK;
}

int map_store_sweep_read(map_store *st, int64_t id, size_t from_row, map_store_sweep_row_fn fn,
                         void *ctx, map_error *err)
{
    if (!st || !fn)
        return map_error_set(err, MAP_EUSAGE, "no store or callback given");
    int code = begin_read(st, err);
    if (code)
        return code;
    int found = 0;
    size_t k = 0, nlevel = 0, total = 0;
    code = sweep_shape(st, id, &found, &k, &nlevel, &total, err);
    if (!code && !found)
        code = sweep_missing(st, id, err);
    double *buf = NULL;
    if (!code) {
        buf = map_mallocarray(2 * k + nlevel, sizeof *buf);
        if (!buf)
            code = nomem(err);
    }
    sqlite3_stmt *sel = NULL;
    if (!code)
        code = prepare(st,
                       "SELECT row, status, improves, target, lambda, level, kl, ess, margin, "
                       "iterations FROM sweep_row WHERE sweep_id = ?1 AND row >= ?2 ORDER BY row",
                       &sel, err);
    if (!code) {
        int rc = sqlite3_bind_int64(sel, 1, id);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(sel, 2, from_row > (size_t)INT64_MAX ? INT64_MAX
                                                                          : (int64_t)from_row);
        if (rc != SQLITE_OK)
            code = sql_fail(st, rc, err, "cannot bind");
        while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
            map_store_sweep_row r;
            memset(&r, 0, sizeof r);
            const int64_t row = sqlite3_column_int64(sel, 0);
            const unsigned char *status = sqlite3_column_text(sel, 1);
            double *target = buf, *lambda = buf + k, *level = buf + 2 * k;
            const int t = column_doubles(sel, 3, target, k, 1);
            if (row < 0 || !status || t < 0 || column_doubles(sel, 4, lambda, k, 0) != 0
                || column_doubles(sel, 5, level, nlevel, 0) != 0) {
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
            code = sql_fail(st, rc, err, "cannot read sweep rows");
    }
    sqlite3_finalize(sel);
    map_free(buf);
    if (!code)
        return commit(st, err);
    rollback(st);
    return code;
}

int map_store_sweep_remove(map_store *st, int64_t id, map_error *err)
{
    if (!st)
        return map_error_set(err, MAP_EUSAGE, "no store given");
    int code = check_writable(st, err);
    if (!code)
        code = begin_write(st, err);
    if (code)
        return code;
    sqlite3_stmt *del = NULL;
    code = prepare(st, "DELETE FROM sweep WHERE id = ?1", &del, err);
    if (!code) {
        const int rc = sqlite3_bind_int64(del, 1, id);
        code = rc == SQLITE_OK ? step_done(st, del, err, "cannot delete a sweep")
                               : sql_fail(st, rc, err, "cannot bind");
    }
    sqlite3_finalize(del);
    if (!code && sqlite3_changes(st->db) == 0)
        code = sweep_missing(st, id, err);
    if (code) {
        rollback(st);
        return code;
    }
    return commit(st, err);
}
