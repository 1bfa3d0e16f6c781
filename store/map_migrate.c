/* map_migrate.c — the schema of the store and its versions: the migrations
 * that create and upgrade it (with the statistics backfill of version 3),
 * the header check that refuses a foreign or newer database, and the
 * precision column.
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
 * Schema version 4 gives sweep a request column: the sweep's request as
 * JSON (map_sweep_request_encode in app/), which --resume reads. Sweeps
 * stored before have it NULL and keep only their command line, which a
 * resume converts into a request once.
 * New databases use 64 KiB pages (set in map_db.c): the matrix chunks are
 * long overflow chains, and larger pages mean fewer page reads per chunk.
 */
#include <inttypes.h>
#include <stdio.h>

#include "map_store_internal.h"

/* A column added to a table after its creation: the query that counts it
 * (1 when the table has it, 0 when not), the ALTER TABLE that adds it, and
 * what each is called in errors. */
typedef struct added_column {
    const char *count_sql, *count_what, *add_sql, *add_what;
} added_column;

/* dataset.precision, by migration 3 (and by the first read-write open of a
 * version-3 database written before the column existed). */
static const added_column precision_column = {
    "SELECT count(*) FROM pragma_table_info('dataset') WHERE name = 'precision'",
    "cannot read the dataset table's columns",
    "ALTER TABLE dataset ADD COLUMN precision TEXT NOT NULL DEFAULT 'double' "
    "CHECK (precision IN ('double', 'single'))",
    "cannot add the precision column"};

/* sweep.request, by migration 4. */
static const added_column request_column = {
    "SELECT count(*) FROM pragma_table_info('sweep') WHERE name = 'request'",
    "cannot read the sweep table's columns", "ALTER TABLE sweep ADD COLUMN request TEXT",
    "cannot add the request column"};

/* Adds column c unless its table has it (a database set back by hand, or
 * one written before the column existed). Inside the caller's write
 * transaction. */
static int add_column(map_store *st, const added_column *c, map_error *err)
{
    int64_t has = 0;
    int code = store_query_int(st, c->count_sql, &has, err, c->count_what);
    if (!code && !has)
        code = store_exec(st, c->add_sql, err, c->add_what);
    return code;
}

/* Computes and stores the statistics of every dataset that has none,
 * loading one matrix at a time (all such datasets predate the precision
 * column, so they are double). */
static int backfill_stats(map_store *st, map_error *err)
{
    sqlite3_stmt *sel = NULL;
    int code = store_prepare(st,
                             "SELECT id, name, n, m, ntext FROM dataset d WHERE NOT EXISTS "
                             "(SELECT 1 FROM value_stat v WHERE v.dataset_id = d.id) ORDER BY id",
                             &sel, err);
    int rc = SQLITE_DONE;
    while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const int64_t id = sqlite3_column_int64(sel, 0);
        const char *name = (const char *)sqlite3_column_text(sel, 1);
        size_t n = 0, m = 0, ntext = 0;
        code = store_read_shape(st, sel, 2, name ? name : "?", &n, &m, &ntext, err);
        double *x = NULL;
        if (!code) {
            x = map_mallocarray(n * m, sizeof *x);
            if (!x)
                code = store_nomem(err);
        }
        if (!code)
            code = store_get_matrix(st, name ? name : "?", id, n, m, x, sizeof *x, err);
        map_valstat *vs = NULL;
        if (!code) {
            const map_matrix X = {n, m, m, x, NULL};
            code = store_compute_stats(&X, &vs, err);
        }
        map_free(x);
        if (!code)
            code = store_put_stats(st, id, vs, m, err);
        map_free(vs);
    }
    if (!code && rc != SQLITE_DONE)
        code = store_sql_fail(st, rc, err, "cannot list datasets to migrate");
    sqlite3_finalize(sel);
    return code;
}

/* Migration 3's step: the precision column, then the statistics. */
static int migrate_step3(map_store *st, map_error *err)
{
    int code = add_column(st, &precision_column, err);
    return code ? code : backfill_stats(st, err);
}

/* Migration 4's step: the request column. */
static int migrate_step4(map_store *st, map_error *err)
{
    return add_column(st, &request_column, err);
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

    /* 3 -> 4: the sweep's request as JSON (NULL for the sweeps stored
     * before, which keep their command line): all in migrate_step4. */
    "",
};

/* What each migration does besides its SQL, in the same transaction (NULL:
 * nothing). */
static int (*const migration_steps[])(map_store *, map_error *) = {NULL, NULL, migrate_step3,
                                                                          migrate_step4};

_Static_assert(sizeof migrations / sizeof migrations[0] == MAP_STORE_SCHEMA_VERSION,
               "one migration per schema version");
_Static_assert(sizeof migration_steps / sizeof migration_steps[0] == MAP_STORE_SCHEMA_VERSION,
               "one step per schema version");
_Static_assert(MAP_STORE_APP_ID == 1296126035, "application_id in migration 1");

/* Reads the header fields that say whose database this is. Reading them is
 * also the first real read of the file, where SQLite notices a file that is
 * not a database. */
int store_read_header(map_store *st, int64_t *version, int64_t *app_id, int64_t *ntables,
                      map_error *err)
{
    int code = store_query_int(st, "PRAGMA user_version", version, err,
                               "cannot read the schema version");
    if (!code)
        code = store_query_int(st, "PRAGMA application_id", app_id, err, "cannot read the header");
    if (!code)
        code = store_query_int(st, "SELECT count(*) FROM sqlite_master", ntables, err,
                               "cannot read the schema");
    if (code && sqlite3_errcode(st->db) == SQLITE_NOTADB)
        code = map_error_set(err, MAP_ESTORE, "store '%s': not a SQLite database", st->path);
    return code;
}

/* Refuses a database that is not ours or is newer than this binary. A fresh
 * one (version 0, empty) is fine. */
int store_check_header(const map_store *st, int64_t version, int64_t app_id, int64_t ntables,
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
int store_migrate(map_store *st, map_error *err)
{
    for (;;) {
        int code = store_begin_write(st, err);
        if (code)
            return code;
        int64_t version = 0, app_id = 0, ntables = 0;
        code = store_read_header(st, &version, &app_id, &ntables, err);
        if (!code)
            code = store_check_header(st, version, app_id, ntables, err);
        if (code) {
            store_rollback(st);
            return code;
        }
        if (version >= MAP_STORE_SCHEMA_VERSION) {
            st->version = version;
            return store_commit(st, err);
        }

        code = store_exec(st, migrations[version], err, "cannot migrate the schema");
        if (!code && migration_steps[version])
            code = migration_steps[version](st, err);
        if (!code) {
            char sql[64];
            snprintf(sql, sizeof sql, "PRAGMA user_version = %" PRId64, version + 1);
            code = store_exec(st, sql, err, "cannot set the schema version");
        }
        code = store_end(st, code, err);
        if (code)
            return code;
    }
}

/* Sets st->has_precision. A read-write handle on a version-3 database
 * written before the column existed adds it (one short write transaction,
 * taken only then). */
int store_find_precision_column(map_store *st, int readonly, map_error *err)
{
    int64_t has = 0;
    int code = MAP_OK;
    if (st->version >= 3) {
        code = store_query_int(st, precision_column.count_sql, &has, err,
                               precision_column.count_what);
        if (!code && !has && !readonly) {
            code = store_begin_write(st, err);
            if (!code)
                code = add_column(st, &precision_column, err);
            code = store_end(st, code, err);
            has = !code;
        }
    }
    st->has_precision = !code && has;
    return code;
}
