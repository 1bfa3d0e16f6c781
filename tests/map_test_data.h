/* map_test_data.h — where the unit tests and benchmarks find the MAP paper's
 * real reward samples ($MAP_SHARED/datasets, ../shared/datasets when
 * MAP_SHARED is unset), and reading one with chosen value columns.
 * Header-only (static inline), so any test or benchmark in any folder can
 * use it through the test_inc include directory without link order. */
#ifndef MAP_TEST_DATA_H
#define MAP_TEST_DATA_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "map_ingest.h"

/* The real samples' six value columns, in file order, as an initializer:
 *     static const char *const VALUES[6] = MAP_TEST_HH_VALUES; */
#define MAP_TEST_HH_VALUES {"humor", "gpt2-helpful", "gpt2-harmless", "diversity", "coherence", "perplexity"}

/* Writes "$MAP_SHARED/datasets/<file>" (MAP_SHARED defaulting to ../shared)
 * into path[size] (output, truncated to fit) and returns path. */
static inline const char *map_test_data_path(char *path, size_t size, const char *file)
{
    const char *shared = getenv("MAP_SHARED");
    snprintf(path, size, "%s/datasets/%s", shared ? shared : "../shared", file);
    return path;
}

/* Reads the file at path with the value columns values[0..nvalues) (NULL, 0:
 * every numeric column) and the prompt column prompt_column (NULL: none).
 * Returns map_ingest_read's status; on success the caller owns *out
 * (map_dataset_free), on failure *out is NULL and err says why. */
static inline int map_test_data_read(const char *path, const char *const *values, size_t nvalues,
                                     const char *prompt_column, map_dataset **out, map_error *err)
{
    map_ingest_opts o = {0};
    o.path = path;
    o.values = values;
    o.nvalues = nvalues;
    o.prompt_column = prompt_column;
    return map_ingest_read(&o, out, err);
}

#endif
