/* map_store_internal.h — what the files of the store share: the map_store
 * handle, the header constants, and the helpers each concern offers the
 * others. Not installed; not for use outside store/ (the API is
 * map_store.h).
 *
 *   map_db.c          open/close, pragmas, errors, transactions, SQL helpers
 *   map_migrate.c     the schema, its versions and the migrations
 *   map_blob.c        the BLOB codecs: matrix chunks, string chunks, doubles
 *   map_value_stat.c  the per-value statistics rows
 *   map_datasets.c    datasets: put/replace, load, remove, find, list
 *   map_sweeps.c      stored sweeps and their rows
 *   map_check.c       the integrity check
 *
 * Every SQL text in the store is a constant; user data only ever reaches
 * SQLite through sqlite3_bind_*. Every function that fails returns a
 * map_code and records the message in *err (as the public API does); the
 * helpers that run inside a transaction leave ending it to their caller.
 */
#ifndef MAP_STORE_INTERNAL_H
#define MAP_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "map_stats.h"
#include "map_store.h"

struct map_store {
    sqlite3 *db;
    char *path;      /* as given to open, for messages */
    int readonly;    /* opened with map_store_open_readonly */
    int64_t version; /* schema version after open (a read-only handle may
                        read an older one: see MIN_READ_VERSION) */
    int has_precision; /* dataset has its precision column */
};

/* Written into the header (PRAGMA application_id) so that another
 * application's database is recognised and refused: "MAPS". */
#define MAP_STORE_APP_ID 0x4D415053

/* ------------------------------------------------------------ map_db.c */

/* Records the connection's last SQLite error (rc) as "store 'PATH': WHAT:
 * MSG"; returns MAP_ENOMEM for SQLITE_NOMEM, else MAP_ESTORE. */
int store_sql_fail(const map_store *st, int rc, map_error *err, const char *what);
/* Records "out of memory"; returns MAP_ENOMEM. */
int store_nomem(map_error *err);
/* Records that dataset name is corrupt, with the detail fmt formats (up to
 * 159 bytes of it); returns MAP_ESTORE. */
int store_corrupt(const map_store *st, const char *name, map_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Prepares constant SQL into *stmt (NULL on failure); the caller finalizes it. */
int store_prepare(map_store *st, const char *sql, sqlite3_stmt **stmt, map_error *err);
/* store_prepare, then binds id to ?1 (the row id most statements select by). */
int store_prepare_id(map_store *st, const char *sql, int64_t id, sqlite3_stmt **stmt,
                     map_error *err);
/* Runs constant SQL that returns no rows we need; what names it in errors. */
int store_exec(map_store *st, const char *sql, map_error *err, const char *what);
/* Runs a constant query; *out = its first row's first column, 0 without rows. */
int store_query_int(map_store *st, const char *sql, int64_t *out, map_error *err,
                    const char *what);
/* Steps stmt, which must finish without rows, and resets it for reuse. */
int store_step_done(map_store *st, sqlite3_stmt *stmt, map_error *err, const char *what);
/* Copies the TEXT column col into a new *out (map_free); NULL for SQL NULL. */
int store_column_strdup(sqlite3_stmt *stmt, int col, char **out, map_error *err);
/* Inserts the count names of a (…_id, idx, name) table with sql, which
 * binds the id to ?1, the index to ?2 and the name to ?3; what names the
 * step in errors. */
int store_put_names(map_store *st, const char *sql, int64_t id, const char *const *names,
                    size_t count, const char *what, map_error *err);
/* Loads the count names of a (…_id, idx, name) table, selected by sql with
 * id bound to ?1, into a new array *out of count new strings (the caller
 * frees both); a missing or extra row is corrupt (dsname in the message). */
int store_get_names(map_store *st, const char *sql, const char *dsname, int64_t id,
                    size_t count, char ***out, map_error *err);

/* Transactions: begin_write refuses a read-only handle
 * (store_check_writable), else takes the write lock at once (BEGIN
 * IMMEDIATE); rollback ends a failed one quietly (the error is already
 * recorded); commit rolls back when it fails; end(code) is rollback and
 * code when code is a failure, else commit. */
int store_begin_write(map_store *st, map_error *err);
int store_begin_read(map_store *st, map_error *err);
void store_rollback(map_store *st);
int store_commit(map_store *st, map_error *err);
int store_end(map_store *st, int code, map_error *err);

/* MAP_EUSAGE when st was opened read-only. */
int store_check_writable(const map_store *st, map_error *err);

/* ------------------------------------------------------- map_migrate.c */

/* Reads user_version, application_id and the number of schema entries (the
 * first real read of the file: "not a SQLite database" is reported here). */
int store_read_header(map_store *st, int64_t *version, int64_t *app_id, int64_t *ntables,
                      map_error *err);
/* Refuses a database of another application or newer than this binary; a
 * fresh one (version 0, empty) is fine. */
int store_check_header(const map_store *st, int64_t version, int64_t app_id, int64_t ntables,
                       map_error *err);
/* Brings the schema to MAP_STORE_SCHEMA_VERSION, one write transaction per
 * migration; sets st->version. */
int store_migrate(map_store *st, map_error *err);
/* Sets st->has_precision; a read-write handle adds the column where a
 * version-3 database lacks it. */
int store_find_precision_column(map_store *st, int readonly, map_error *err);

/* ---------------------------------------------------------- map_blob.c */

/* 1 on a little-endian host. */
int store_host_is_little_endian(void);
/* Reverses the bytes of each of count elements of elem bytes, in place. */
void store_swap_in_place(unsigned char *p, size_t count, size_t elem);

/* Stores ds's matrix as matrix_chunk rows of dataset id: packed
 * little-endian doubles, or floats when xf (n * m) is non-NULL. Inside the
 * caller's write transaction. */
int store_put_matrix(map_store *st, int64_t id, const map_dataset *ds, const float *xf,
                     map_error *err);
/* Fills xv (n * m elements of elem bytes: a double or a float) from the
 * matrix chunks of dataset id, checking their order, size and coverage. */
int store_get_matrix(map_store *st, const char *dsname, int64_t id, size_t n, size_t m,
                     void *xv, size_t elem, map_error *err);
/* Stores the prompts and text columns of ds as string chunks of dataset id. */
int store_put_texts(map_store *st, int64_t id, const map_dataset *ds, map_error *err);
/* Loads into new ds->prompts / ds->text the columns flags asks for (the
 * owner, ds, frees them, also on failure). */
int store_get_texts(map_store *st, map_dataset *ds, int64_t id, unsigned flags, map_error *err);
/* Binds count doubles as a little-endian BLOB (x NULL: SQL NULL); scratch
 * (count doubles, alive until the step) is used on big-endian hosts. */
int store_bind_doubles(sqlite3_stmt *stmt, int idx, const double *x, size_t count,
                       unsigned char *scratch);
/* Reads a BLOB of exactly count doubles into x: 0 when read, 1 when NULL
 * and null_ok, -1 otherwise. */
int store_column_doubles(sqlite3_stmt *stmt, int col, double *x, size_t count, int null_ok);

/* ---------------------------------------------------- map_value_stat.c */

/* Computes the statistics of X into a new *out (X->m entries, map_free). */
int store_compute_stats(const map_matrix *X, map_valstat **out, map_error *err);
/* Inserts the m value_stat rows of dataset id (caller's write transaction). */
int store_put_stats(map_store *st, int64_t id, const map_valstat *vs, size_t m, map_error *err);
/* Loads dataset id's statistics into a new ds->stats, or leaves it NULL
 * where there are none (an older store, a dataset without rows). */
int store_get_stats(map_store *st, map_dataset *ds, int64_t id, map_error *err);

/* ------------------------------------------------------ map_datasets.c */

/* *id = the id of the dataset called name, 0 when there is none. */
int store_find_dataset_id(map_store *st, const char *name, int64_t *id, map_error *err);
/* Reads and checks the shape columns n, m, ntext at col .. col + 2 of sel. */
int store_read_shape(const map_store *st, sqlite3_stmt *sel, int col, const char *name,
                     size_t *n, size_t *m, size_t *ntext, map_error *err);

#endif
