/* map_store.h — the SQLite store of datasets and of the sweeps run on them.
 *
 * One database file holds many datasets. The schema carries a version
 * (PRAGMA user_version) and is migrated forward on open; a database written
 * by a newer mapsolve is refused. The store runs in WAL mode, uses prepared
 * statements only, and every write is one transaction: on any error nothing
 * is changed. The reward matrix is stored as packed little-endian doubles
 * (or floats, for a dataset of single precision) in chunked BLOBs so that loading is a sequence of incremental BLOB reads into
 * one buffer the solver reads in place. Each dataset also keeps its
 * per-value statistics (map_valstat, map_stats.h), computed once when it is
 * stored, so that describe needs no matrix and solve no pass for them.
 *
 * The store knows nothing of the solver. A map_store handle is not shared
 * between threads (open one per thread; SQLite serialises writers).
 */
#ifndef MAP_STORE_H
#define MAP_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "map_common.h"
#include "map_dataset.h"

typedef struct map_store map_store;

#define MAP_STORE_SCHEMA_VERSION 4

/* Resolves the database path: explicit (the --db argument) if non-NULL, else
 * $MAPSOLVE_DB if set and non-empty, else "mapsolve.db". Returns a pointer to
 * one of those strings (not allocated). */
const char *map_store_default_path(const char *explicit_path);

/* Opens (creating if missing) the database at path and migrates its schema.
 * Errors (MAP_ESTORE): directory missing or not writable, not a SQLite
 * database, schema newer than this binary. On success *out is a handle to
 * close with map_store_close. */
int map_store_open(const char *path, map_store **out, map_error *err);

/* Opens an existing database read-only; never creates or migrates. Fails
 * with MAP_ESTORE if the file is missing, is not a mapsolve database or its
 * schema is older than version 2 or newer than MAP_STORE_SCHEMA_VERSION.
 * (A version-2 database is read as it is: its datasets have no stored
 * statistics, so map_store_get_dataset leaves ds->stats NULL.) Writes
 * through the handle fail with MAP_EUSAGE. */
int map_store_open_readonly(const char *path, map_store **out, map_error *err);

/* Closes the handle. NULL is a no-op. */
void map_store_close(map_store *st);

/* Stores ds under ds->name in one transaction, together with its per-value
 * statistics (map_value_stats of the matrix as stored: computed here, before
 * the write lock is taken; ds->stats is ignored). ds->precision chooses
 * how the matrix is stored: DOUBLE stores ds->x; SINGLE stores ds->xf when
 * set, else ds->x rounded to float32 (a temporary copy of n*m floats), and
 * the statistics are those of the float values. If the name is taken:
 * replace != 0 replaces it (in the same transaction), else MAP_EDATA with a
 * message naming the dataset. ds->name, values, x, n, m must be set
 * (MAP_EDATA otherwise); prompt_name and prompts are both set or both NULL;
 * ntext > 0 needs text_names and text. A NULL prompt or text cell is stored
 * as "". Does not take ownership of ds. */
int map_store_put_dataset(map_store *st, const map_dataset *ds, int replace, map_error *err);

/* What to load besides the matrix and the value names. */
enum {
    MAP_LOAD_PROMPTS = 1u << 0,  /* the prompt column */
    MAP_LOAD_TEXT = 1u << 1,     /* the text columns */
    MAP_LOAD_NO_MATRIX = 1u << 2 /* not the matrix (x stays NULL) when the
                                    statistics are stored; without them the
                                    matrix is loaded all the same */
};

/* Loads the dataset called name: metadata, value names, text column names,
 * the stored per-value statistics (ds->stats, m entries; NULL for a dataset
 * of a version-2 store read read-only) and the matrix, plus prompts and
 * text cells as flags ask, and ds->precision. The matrix is read chunk by
 * chunk with incremental BLOB I/O straight into ds->x, or for a dataset of
 * single precision into ds->xf (ds->x stays NULL: no double copy), with no
 * intermediate buffer. Unknown name:
 * MAP_EUSAGE, message "no dataset named 'NAME' in PATH"; stored data that
 * does not match its shape: MAP_ESTORE. On success the caller owns *out
 * (map_dataset_free); on failure *out is NULL. */
int map_store_get_dataset(map_store *st, const char *name, unsigned flags,
                          map_dataset **out, map_error *err);

/* What identifies the stored content of a dataset, cheaply (one indexed
 * row, no matrix): a long-running reader (the HTTP service) compares it per
 * request with the stamp of the copy it holds to see another process's
 * ingest --replace or remove. Two stamps are equal (map_store_stamp_equal)
 * only when the row, content hash, creation time, shape and precision
 * agree. id is 0 when there is no dataset of that name. */
typedef struct map_dataset_stamp {
    int64_t id;
    int64_t created;
    size_t n, m;
    map_precision precision;
    char hash[72]; /* "" when none stored */
} map_dataset_stamp;

/* Reads the stamp of dataset name (stamp->id = 0 when there is none: not an
 * error). MAP_ESTORE, MAP_ENOMEM. */
int map_store_dataset_stamp(map_store *st, const char *name, map_dataset_stamp *stamp,
                            map_error *err);

/* 1 when a and b describe the same stored content, else 0. */
int map_store_stamp_equal(const map_dataset_stamp *a, const map_dataset_stamp *b);

/* Deletes the dataset called name (one transaction), with its sweeps.
 * Unknown: MAP_EUSAGE. (Replacing a dataset with map_store_put_dataset also
 * deletes its sweeps: they were computed on the old samples.) */
int map_store_remove_dataset(map_store *st, const char *name, map_error *err);

/* Looks up a dataset by content hash. *name_out is set to a new string (free
 * with map_free) or to NULL when no dataset has that hash; when several have
 * it, the first by name. */
int map_store_find_hash(map_store *st, const char *hash, char **name_out, map_error *err);

/* One row of the dataset listing. */
typedef struct map_dataset_info {
    char *name;
    char *source;
    char *hash;
    int64_t created;   /* Unix time */
    size_t n, m;
    char **values;     /* m names */
    char *prompt_name; /* NULL if none */
    size_t ntext;
    map_precision precision; /* how the matrix is stored */
} map_dataset_info;

/* Lists all datasets ordered by name. *out is an array of *count entries;
 * free it with map_dataset_info_free(*out, *count). */
int map_store_list(map_store *st, map_dataset_info **out, size_t *count, map_error *err);
void map_dataset_info_free(map_dataset_info *info, size_t count);

/* Runs PRAGMA integrity_check and foreign_key_check and (schema 3) checks
 * that every dataset has its m statistics rows; MAP_OK if all are clean,
 * else MAP_ESTORE with the first problem reported. */
int map_store_check(map_store *st, map_error *err);

/* ---- Sweeps -------------------------------------------------------------
 *
 * A sweep (mapsolve sweep --store) is a numbered record of many solved
 * palettes or evaluated λ on one dataset: its request as JSON (enough to
 * regenerate its rows and resume it; schema version 4) and, for display, its
 * command line and seed (a sweep stored before version 4 has only these), the names of its k chosen values
 * and nlevel level columns, its row count, and the rows computed so far.
 * Each row holds its status text, the palette (k doubles, or none), λ (k),
 * the levels (nlevel) as packed little-endian double BLOBs — bit-exact,
 * NaN and infinities included — and KL, ESS, margin and iterations. Rows
 * are appended in batches, each batch one transaction, so a process killed
 * at any moment leaves whole committed batches. A sweep belongs to its
 * dataset: removing or replacing the dataset removes its sweeps.
 */

/* What map_store_sweep_create records. Strings and arrays are borrowed. */
typedef struct map_store_sweep_meta {
    const char *dataset;            /* name of a stored dataset */
    const char *command;            /* the command line as run (non-NULL) */
    const char *source;             /* the kind of source, e.g. "grid", "random", "palettes",
                                       "lambdas" (non-NULL) */
    uint64_t seed;                  /* stored as the signed 64-bit integer of the same bits */
    int64_t created;                /* Unix time */
    size_t k;                       /* chosen values, ≥ 1 */
    const char *const *values;      /* k names */
    size_t nlevel;                  /* level columns, ≥ 1 */
    const char *const *level_names; /* nlevel names */
    size_t total_rows;              /* rows the finished sweep has */
    const char *request;            /* the request as JSON (NULL: none, as before version 4) */
} map_store_sweep_meta;

/* Records a new, incomplete sweep of meta->dataset (one transaction) and
 * sets *id to its id (≥ 1). Unknown dataset: MAP_EUSAGE; missing fields:
 * MAP_EDATA. */
int map_store_sweep_create(map_store *st, const map_store_sweep_meta *meta, int64_t *id,
                           map_error *err);

/* One stored row. On append the pointers are borrowed; in a
 * map_store_sweep_read callback they are valid during the call only. */
typedef struct map_store_sweep_row {
    size_t row;            /* 0 … total_rows − 1 */
    const char *status;    /* e.g. "optimal" (non-NULL) */
    int improves;          /* 0 or 1; −1 for none (stored as NULL) */
    const double *target;  /* k doubles, or NULL for none */
    const double *lambda;  /* k doubles */
    const double *level;   /* nlevel doubles */
    double kl, ess, margin; /* NaN is stored as NULL and read back as NaN */
    int iterations;
} map_store_sweep_row;

/* Appends count rows to sweep id in ONE transaction: all are stored or,
 * on any error, none. A row number already stored or ≥ total_rows is
 * refused (MAP_EDATA, naming the row); unknown id: MAP_EUSAGE. */
int map_store_sweep_append(map_store *st, int64_t id, const map_store_sweep_row *rows,
                           size_t count, map_error *err);

/* Marks sweep id complete (complete != 0) or incomplete. Unknown id:
 * MAP_EUSAGE. */
int map_store_sweep_set_complete(map_store *st, int64_t id, int complete, map_error *err);

/* A sweep's metadata, as listed or loaded. */
typedef struct map_store_sweep_info {
    int64_t id;
    char *dataset;       /* the dataset's name */
    int64_t created;
    char *command;
    char *request;       /* the request as JSON; NULL for a sweep stored before version 4 */
    char *source;
    uint64_t seed;
    size_t k;
    char **values;       /* k names */
    size_t nlevel;
    char **level_names;  /* nlevel names */
    size_t total_rows;
    size_t stored_rows;  /* rows stored */
    size_t next_row;     /* rows 0 … next_row − 1 are all stored: where a resume starts */
    int complete;
} map_store_sweep_info;

/* Lists the sweeps of the dataset called dataset (NULL: of all datasets)
 * ordered by id. *out is an array of *count entries; free it with
 * map_store_sweep_info_free(*out, *count). An unknown dataset name lists
 * nothing. */
int map_store_sweep_list(map_store *st, const char *dataset, map_store_sweep_info **out,
                         size_t *count, map_error *err);

/* Loads sweep id's metadata into a new *out (free with
 * map_store_sweep_info_free(*out, 1)). Unknown id: MAP_EUSAGE with
 * "no sweep ID in PATH"; *out is NULL on failure. */
int map_store_sweep_get(map_store *st, int64_t id, map_store_sweep_info **out, map_error *err);

void map_store_sweep_info_free(map_store_sweep_info *info, size_t count);

/* Receives the stored rows in row order; a non-zero return stops the read
 * and is returned unchanged (err left alone). */
typedef int (*map_store_sweep_row_fn)(void *ctx, const map_store_sweep_row *row);

/* Reads sweep id's rows with row ≥ from_row, in row order, from one
 * snapshot, without loading them all at once. Unknown id: MAP_EUSAGE;
 * a row whose arrays do not match the sweep's shape: MAP_ESTORE. */
int map_store_sweep_read(map_store *st, int64_t id, size_t from_row, map_store_sweep_row_fn fn,
                         void *ctx, map_error *err);

/* Records request (JSON, non-NULL) as sweep id's request, replacing any
 * (used once for a sweep stored before version 4, whose command line a
 * resume has converted). Unknown id: MAP_EUSAGE. */
int map_store_sweep_set_request(map_store *st, int64_t id, const char *request, map_error *err);

/* Deletes sweep id and its rows (one transaction). Unknown id: MAP_EUSAGE. */
int map_store_sweep_remove(map_store *st, int64_t id, map_error *err);

#endif
