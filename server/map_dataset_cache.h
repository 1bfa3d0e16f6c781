/* map_dataset_cache.h — the HTTP service's datasets, loaded once and shared
 * read-only by every request thread.
 *
 * Each request acquires the dataset it names and releases it when its
 * answer is complete. An acquire compares the stored dataset's stamp (one
 * indexed row: id, hash, creation time, shape; map_store_dataset_stamp)
 * with the stamp of the copy held, on the calling thread's own read-only
 * store handle, so another process's ingest --replace or remove is seen by
 * the next request; a changed dataset is loaded again (from one read
 * snapshot: never torn) and the old copy is freed when its last request
 * releases it (reference counts).
 */
#ifndef MAP_DATASET_CACHE_H
#define MAP_DATASET_CACHE_H

#include <stddef.h>

#include "map_common.h"
#include "map_dataset.h"
#include "map_store.h"

typedef struct map_dataset_cache map_dataset_cache;

/* A held dataset: ds is read-only and valid until map_dataset_cache_release. */
typedef struct map_cached_dataset {
    const map_dataset *ds;
} map_cached_dataset;

/* A cache over the store at path (borrowed; must outlive the cache). NULL
 * when out of memory. */
map_dataset_cache *map_dataset_cache_new(const char *path);

/* Frees the held copies and closes every thread's store handle; no request
 * may hold a dataset any more. NULL is a no-op. */
void map_dataset_cache_free(map_dataset_cache *c);

/* Acquires dataset name (its matrix and prompts). *out is the caller's until
 * released. Unknown dataset: MAP_EUSAGE "no dataset named 'NAME'"; a store
 * that cannot be opened or read: MAP_ESTORE; MAP_ENOMEM. */
int map_dataset_cache_acquire(map_dataset_cache *c, const char *name, map_cached_dataset **out,
                              map_error *err);

/* Releases what acquire gave; NULL is a no-op. */
void map_dataset_cache_release(map_dataset_cache *c, map_cached_dataset *h);

/* The calling thread's read-only store handle (opened on first use, closed
 * by map_dataset_cache_free), for reads besides datasets (the listing).
 * MAP_ESTORE when the store cannot be opened. */
int map_dataset_cache_store(map_dataset_cache *c, map_store **st, map_error *err);

/* Counters for /api/health: datasets held now, and loads done since start. */
void map_dataset_cache_counts(map_dataset_cache *c, size_t *held, size_t *loads);

#endif
