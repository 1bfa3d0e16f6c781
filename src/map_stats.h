/* map_stats.h — per-column summaries of a reward matrix under the reference
 * distribution (uniform over samples): moments, ranges and type-7 quantiles.
 */
#ifndef MAP_STATS_H
#define MAP_STATS_H

#include <stddef.h>
#include "map_common.h"
#include "map_dataset.h"

typedef struct map_colstat {
    double mean;   /* arithmetic mean */
    double sd;     /* population standard deviation (divisor n) */
    double min, max;
    double absmax; /* max |x| */
} map_colstat;

/* One pass over X (Welford updates); out has X->m entries. Requires n >= 1. */
void map_column_stats(const map_matrix *X, map_colstat *out);

/* Sorted copy of column col of X, for quantiles. *out (n doubles) is
 * allocated; free with map_free. MAP_ENOMEM on failure. */
int map_column_sorted(const map_matrix *X, size_t col, double **out, map_error *err);

/* Type-7 quantile (linear interpolation between order statistics, as
 * gsl_stats_quantile_from_sorted_data) of sorted data, p in [0, 1]. */
double map_quantile_sorted(const double *sorted, size_t n, double p);

#endif
