/* map_stats.h — per-column summaries of a reward matrix under the reference
 * distribution (uniform over samples): moments, ranges and type-7 quantiles,
 * the latter by selection (O(n) expected) rather than by sorting.
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

/* The integer percentiles kept per value: q0, q1, ..., q100. */
#define MAP_NPCT 101

/* Everything kept about one value (column) of a dataset: its column
 * statistics and its type-7 quantiles at p = NN / 100.0, NN = 0 … 100,
 * exactly as map_column_stats and gsl_stats_quantile_from_sorted_data on
 * the sorted column compute them. */
typedef struct map_valstat {
    map_colstat c;
    double pct[MAP_NPCT];
} map_valstat;

/* One pass over X (Welford updates); out has X->m entries. Requires n >= 1. */
void map_column_stats(const map_matrix *X, map_colstat *out);

/* Sorted copy of column col of X, for quantiles. *out (n doubles) is
 * allocated; free with map_free. MAP_ENOMEM on failure. */
int map_column_sorted(const map_matrix *X, size_t col, double **out, map_error *err);

/* Type-7 quantile (linear interpolation between order statistics, as
 * gsl_stats_quantile_from_sorted_data) of sorted data, p in [0, 1]. */
double map_quantile_sorted(const double *sorted, size_t n, double p);

/* Type-7 quantiles of the n values v (NaN-free, n >= 1) at the np
 * probabilities p[0..np-1] (each in [0, 1], any order, repeats allowed),
 * into out[0..np-1]: bit for bit what map_quantile_sorted returns on a
 * sorted copy of v (except that where v holds both −0 and +0 the sign of
 * a zero order statistic may differ, as it may between two sorting
 * algorithms). Finds the two neighbouring order statistics each p needs by
 * one multi-rank selection (quickselect with median-of-three pivots,
 * falling back to sorting a range that recurses too deep): O(n log np)
 * expected, O(n log n) at worst. Reorders v; allocates nothing; np <=
 * MAP_NPCT. */
void map_quantiles_select(double *v, size_t n, const double *p, size_t np, double *out);

/* One type-7 quantile of v by selection; as map_quantiles_select with
 * np = 1. Reorders v. */
double map_quantile_select(double *v, size_t n, double p);

/* Type-7 quantile at p of column col of X (n >= 1) by selection on a copy
 * of the column (n doubles, allocated and freed here) into *out.
 * MAP_ENOMEM when the copy cannot be allocated. */
int map_column_quantile(const map_matrix *X, size_t col, double p, double *out, map_error *err);

/* The statistics of every column of X (n >= 1) into out[0..X->m-1]: the
 * column statistics of map_column_stats and the 101 integer percentiles.
 * Allocates (and frees) one column copy; MAP_ENOMEM if it cannot. */
int map_value_stats(const map_matrix *X, map_valstat *out, map_error *err);

/* ds's column statistics into out (ds->m entries): copied from ds->stats
 * when the store supplied them, else computed from ds->x
 * (map_column_stats). Requires ds->n >= 1. */
void map_dataset_column_stats(const map_dataset *ds, map_colstat *out);

/* The type-7 quantile of value col of ds at percentile pct in [0, 100]
 * (p = pct / 100) into *out: an integer pct is read from ds->stats when
 * present; otherwise it is selected from a copy of the column of ds->x
 * (which must then be loaded). MAP_ENOMEM as map_column_quantile;
 * MAP_EUSAGE when it needs the matrix and ds has none. */
int map_dataset_quantile(const map_dataset *ds, size_t col, double pct, double *out,
                         map_error *err);

#endif
