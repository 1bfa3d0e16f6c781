/* map_stats.c — column summaries and quantiles (GSL glue for the quantile). */
#include "map_stats.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>

void map_column_stats(const map_matrix *X, map_colstat *out)
{
    /* Pass 1: ranges. Pass 2: Welford's mean and M2 of the values divided by
     * the column's largest magnitude, so that neither differences nor
     * squares overflow for values near ±DBL_MAX. */
    for (size_t i = 0; i < X->m; i++) {
        out[i].min = INFINITY;
        out[i].max = -INFINITY;
        out[i].absmax = 0.0;
    }
    for (size_t j = 0; j < X->n; j++) {
        const double *row = X->x + j * X->ld;
        for (size_t i = 0; i < X->m; i++) {
            const double v = row[i];
            out[i].min = fmin(out[i].min, v);
            out[i].max = fmax(out[i].max, v);
            out[i].absmax = fmax(out[i].absmax, fabs(v));
        }
    }
    for (size_t i = 0; i < X->m; i++) {
        out[i].mean = 0.0;
        out[i].sd = 0.0; /* M2 of the scaled values during the pass */
    }
    for (size_t j = 0; j < X->n; j++) {
        const double *row = X->x + j * X->ld;
        const double inv = 1.0 / (double)(j + 1);
        for (size_t i = 0; i < X->m; i++) {
            const double a = out[i].absmax;
            const double v = a > 0.0 ? row[i] / a : 0.0;
            const double d = v - out[i].mean;
            out[i].mean += d * inv;
            out[i].sd += d * (v - out[i].mean);
        }
    }
    for (size_t i = 0; i < X->m; i++) {
        const double a = out[i].absmax;
        out[i].sd = X->n ? a * sqrt(fmax(0.0, out[i].sd) / (double)X->n) : 0.0;
        out[i].mean *= a;
        /* The mean of identical values must be exactly that value. */
        if (out[i].min == out[i].max)
            out[i].mean = out[i].min;
    }
}

int map_column_sorted(const map_matrix *X, size_t col, double **out, map_error *err)
{
    double *v = map_mallocarray(X->n ? X->n : 1, sizeof *v);
    if (!v)
        return map_error_set(err, MAP_ENOMEM, "out of memory sorting a column of %zu samples", X->n);
    for (size_t j = 0; j < X->n; j++)
        v[j] = X->x[j * X->ld + col];
    gsl_sort(v, 1, X->n);
    *out = v;
    return MAP_OK;
}

double map_quantile_sorted(const double *sorted, size_t n, double p)
{
    return gsl_stats_quantile_from_sorted_data(sorted, 1, n, p);
}
