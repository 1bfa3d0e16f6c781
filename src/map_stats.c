/* map_stats.c — column summaries and quantiles (GSL glue for the quantile). */
#include "map_stats.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>

void map_column_stats(const map_matrix *X, map_colstat *out)
{
    for (size_t i = 0; i < X->m; i++) {
        out[i].mean = 0.0;
        out[i].sd = 0.0; /* holds M2 during the pass */
        out[i].min = INFINITY;
        out[i].max = -INFINITY;
        out[i].absmax = 0.0;
    }
    for (size_t j = 0; j < X->n; j++) {
        const double *row = X->x + j * X->ld;
        const double inv = 1.0 / (double)(j + 1);
        for (size_t i = 0; i < X->m; i++) {
            const double v = row[i];
            const double d = v - out[i].mean;
            out[i].mean += d * inv;
            out[i].sd += d * (v - out[i].mean);
            if (v < out[i].min)
                out[i].min = v;
            if (v > out[i].max)
                out[i].max = v;
            if (fabs(v) > out[i].absmax)
                out[i].absmax = fabs(v);
        }
    }
    for (size_t i = 0; i < X->m; i++) {
        out[i].sd = X->n ? sqrt(fmax(0.0, out[i].sd) / (double)X->n) : 0.0;
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
