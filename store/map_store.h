/* map_store.h — the SQLite store of datasets (and, later, sweeps).
 *
 * One database file holds many datasets. The schema carries a version
 * (PRAGMA user_version) and is migrated forward on open; a database written
 * by a newer mapsolve is refused. The store runs in WAL mode, uses prepared
 * statements only, and every write is one transaction: on any error nothing
 * is changed. The reward matrix is stored as packed little-endian doubles in
 * chunked BLOBs so that loading is a sequence of memcpy's into one buffer the
 * solver reads in place.
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

#define MAP_STORE_SCHEMA_VERSION 1

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
 * schema is not exactly MAP_STORE_SCHEMA_VERSION. Writes through the handle
 * fail with MAP_EUSAGE. */
int map_store_open_readonly(const char *path, map_store **out, map_error *err);

/* Closes the handle. NULL is a no-op. */
void map_store_close(map_store *st);

/* Stores ds under ds->name in one transaction. If the name is taken:
 * replace != 0 replaces it (in the same transaction), else MAP_EDATA with a
 * message naming the dataset. ds->name, values, x, n, m must be set
 * (MAP_EDATA otherwise); prompt_name and prompts are both set or both NULL;
 * ntext > 0 needs text_names and text. A NULL prompt or text cell is stored
 * as "". Does not take ownership of ds. */
int map_store_put_dataset(map_store *st, const map_dataset *ds, int replace, map_error *err);

/* What to load besides the matrix and the value names. */
enum {
    MAP_LOAD_PROMPTS = 1u << 0, /* the prompt column */
    MAP_LOAD_TEXT = 1u << 1     /* the text columns */
};

/* Loads the dataset called name: metadata, value names, text column names
 * and the matrix, plus prompts and text cells as flags ask. Unknown name:
 * MAP_EUSAGE, message "no dataset named 'NAME' in PATH"; stored data that
 * does not match its shape: MAP_ESTORE. On success the caller owns *out
 * (map_dataset_free); on failure *out is NULL. */
int map_store_get_dataset(map_store *st, const char *name, unsigned flags,
                          map_dataset **out, map_error *err);

/* Deletes the dataset called name (one transaction). Unknown: MAP_EUSAGE. */
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
} map_dataset_info;

/* Lists all datasets ordered by name. *out is an array of *count entries;
 * free it with map_dataset_info_free(*out, *count). */
int map_store_list(map_store *st, map_dataset_info **out, size_t *count, map_error *err);
void map_dataset_info_free(map_dataset_info *info, size_t count);

/* Runs PRAGMA integrity_check and foreign_key_check; MAP_OK if both are
 * clean, else MAP_ESTORE with the first problem reported. */
int map_store_check(map_store *st, map_error *err);

#endif
