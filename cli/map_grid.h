/* map_grid.h — the grid source of `mapsolve sweep`: a spec
 *     VALUE=FROM:TO:STEPS[,VALUE=FROM:TO:STEPS ...]
 * whose endpoints are palette targets (a number, `mean` or `qNN`, resolved by
 * the palette parser against the dataset) and STEPS the number of evenly
 * spaced points from FROM to TO inclusive (1: FROM alone). The grid is the
 * Cartesian product in the order given, the last value varying fastest.
 */
#ifndef MAP_GRID_H
#define MAP_GRID_H

#include <stddef.h>

#include "map_common.h"
#include "map_dataset.h"
#include "map_palette.h"

/* Most grid points accepted. */
#define MAP_GRID_MAX_POINTS 100000000UL

typedef struct map_grid {
    map_palette *from; /* resolved FROM targets, one item per value (owned) */
    map_palette *to;   /* resolved TO targets, same values and order (owned) */
    size_t k;          /* values */
    size_t *steps;     /* k step counts, each ≥ 1 (owned) */
    size_t total;      /* Π steps */
} map_grid;

/* Parses and resolves spec against ds. Errors (MAP_EDATA, naming the item):
 * an item that is not VALUE=FROM:TO:STEPS, STEPS not an integer in
 * [1, 1000000], a grid of more than MAP_GRID_MAX_POINTS points, and every
 * palette error (unknown value, duplicate, bad target). On success *out is a
 * new grid (free with map_grid_free). */
int map_grid_parse_for(const char *spec, const map_dataset *ds, map_grid **out, map_error *err);

/* The targets of grid point row (0 ≤ row < total) into c (k entries). */
void map_grid_point(const map_grid *g, size_t row, double *c);

/* Frees g; NULL is a no-op. */
void map_grid_free(map_grid *g);

#endif
