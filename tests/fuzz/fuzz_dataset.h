/* fuzz_dataset.h — the small fixed dataset the palette and grid fuzz
 * targets resolve against: 7 samples of values a, b, k (constant 2) and
 * "d e" (a name with a blank inside).
 */
#ifndef MAP_FUZZ_DATASET_H
#define MAP_FUZZ_DATASET_H

#include "fuzz_common.h"
#include "map_dataset.h"

#define FUZZ_N 7
#define FUZZ_M 4

static const char *const fuzz_names[FUZZ_M] = {"a", "b", "k", "d e"};
static const double fuzz_x[FUZZ_N][FUZZ_M] = {
    {0.0, 1.0, 2.0, -1.0}, {1.0, -2.0, 2.0, 0.5},  {2.5, 0.0, 2.0, 0.25}, {1.0, 3.0, 2.0, 8.0},
    {-1.0, 1.5, 2.0, 0.0}, {4.0, -0.5, 2.0, 1e-3}, {1.0, 1.0, 2.0, -7.0},
};

/* The fixed dataset, built once. */
static map_dataset *fuzz_dataset(void)
{
    static map_dataset *ds;
    if (ds)
        return ds;
    ds = map_dataset_new();
    FUZZ_ASSERT(ds != NULL, "no dataset");
    ds->name = map_strdup("fuzz");
    ds->n = FUZZ_N;
    ds->m = FUZZ_M;
    ds->values = map_calloc(FUZZ_M, sizeof *ds->values);
    ds->x = map_mallocarray(FUZZ_N * FUZZ_M, sizeof *ds->x);
    FUZZ_ASSERT(ds->name && ds->values && ds->x, "out of memory");
    for (size_t i = 0; i < FUZZ_M; i++)
        FUZZ_ASSERT((ds->values[i] = map_strdup(fuzz_names[i])) != NULL, "out of memory");
    memcpy(ds->x, fuzz_x, sizeof fuzz_x);
    return ds;
}

#endif
