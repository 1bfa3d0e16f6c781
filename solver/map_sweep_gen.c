/* map_sweep_gen.c — the sweep's row generators (map_sweep.h): a grid's rows
 * in order, uniform and Dirichlet palettes from a counter-based generator
 * (row r's numbers depend on the seed and r only, so any chunk can be made
 * by any thread and a resumed sweep gives the same rows), rows from a table,
 * and the bounds of the random palettes' kinds (aggressive, conservative).
 */
#include "map_sweep.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "map_names.h"
#include "map_stats.h"

int map_sweep_grid_rows(const map_sweep_grid *grid, size_t *rows, map_error *err)
{
    *rows = 0;
    if (!grid || grid->k == 0 || grid->k > MAP_MAX_K || !grid->from || !grid->to || !grid->steps)
        return map_error_set(err, MAP_EUSAGE, "grid: 1 to %d values needed", MAP_MAX_K);
    size_t n = 1;
    for (size_t i = 0; i < grid->k; i++) {
        if (grid->steps[i] == 0)
            return map_error_set(err, MAP_EDATA, "grid: value %zu has no steps", i + 1);
        if (!isfinite(grid->from[i]) || !isfinite(grid->to[i]))
            return map_error_set(err, MAP_EDATA, "grid: value %zu has an endpoint that is not "
                                 "finite", i + 1);
        if (n > SIZE_MAX / grid->steps[i])
            return map_error_set(err, MAP_EDATA, "grid: too many points");
        n *= grid->steps[i];
    }
    *rows = n;
    return MAP_OK;
}

int map_sweep_grid_gen(const void *ctx, size_t row, double *out, map_error *err)
{
    const map_sweep_grid *g = ctx;
    size_t r = row;
    for (size_t i = g->k; i-- > 0;) {
        const size_t s = g->steps[i];
        const size_t a = r % s;
        r /= s;
        if (s == 1 || a == 0)
            out[i] = g->from[i];
        else if (a == s - 1)
            out[i] = g->to[i];
        else {
            /* (1 − t)·from + t·to: no overflow for endpoints near ±DBL_MAX;
             * clamped so that rounding never leaves [from, to]. */
            const double t = (double)a / (double)(s - 1);
            const double lo = fmin(g->from[i], g->to[i]), hi = fmax(g->from[i], g->to[i]);
            out[i] = fmin(hi, fmax(lo, (1.0 - t) * g->from[i] + t * g->to[i]));
        }
    }
    if (r != 0)
        return map_error_set(err, MAP_EUSAGE, "grid: row %zu is past the last point", row);
    return MAP_OK;
}

/* SplitMix64's finaliser (Steele, Lea and Flood 2014). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

#define GOLDEN 0x9E3779B97F4A7C15u

/* The key of row under seed; the draws of a row are mix64(key + GOLDEN·(i+1)). */
static uint64_t row_key(uint64_t seed, size_t row)
{
    return mix64(mix64(seed) + GOLDEN * ((uint64_t)row + 1));
}

/* The i-th uniform in [0, 1) of a row (53 random bits). */
static double row_unit(uint64_t key, size_t i)
{
    return (double)(mix64(key + GOLDEN * ((uint64_t)i + 1)) >> 11) * 0x1.0p-53;
}

int map_sweep_uniform_gen(const void *ctx, size_t row, double *out, map_error *err)
{
    (void)err;
    const map_sweep_uniform *u = ctx;
    const uint64_t key = row_key(u->seed, row);
    for (size_t i = 0; i < u->k; i++)
        out[i] = u->lo[i] + (u->hi[i] - u->lo[i]) * row_unit(key, i);
    return MAP_OK;
}

int map_sweep_table_gen(const void *ctx, size_t row, double *out, map_error *err)
{
    const map_sweep_table *t = ctx;
    if (row >= t->nrows)
        return map_error_set(err, MAP_EUSAGE, "table: row %zu is past the last (%zu rows)", row,
                             t->nrows);
    memcpy(out, t->x + row * t->k, t->k * sizeof *out);
    return MAP_OK;
}

int map_sweep_dirichlet_gen(const void *ctx, size_t row, double *out, map_error *err)
{
    const map_sweep_dirichlet *d = ctx;
    if (!(d->scale > 0.0) || !isfinite(d->scale))
        return map_error_set(err, MAP_EUSAGE, "lambda scale must be positive and finite");
    const uint64_t key = row_key(d->seed, row);
    const double size = d->scale * row_unit(key, 0);
    double sum = 0.0;
    for (size_t i = 0; i < d->k; i++) {
        out[i] = -log1p(-row_unit(key, i + 1)); /* Exp(1): 1 − u in (0, 1] */
        sum += out[i];
    }
    for (size_t i = 0; i < d->k; i++)
        out[i] = sum > 0.0 ? size * (out[i] / sum) : size / (double)d->k;
    return MAP_OK;
}

static const map_enum_entry kind_names[] = {{"aggressive", MAP_SWEEP_AGGRESSIVE},
                                            {"conservative", MAP_SWEEP_CONSERVATIVE}};

MAP_ENUM_FUNCS(map_sweep_kind, map_sweep_kind, kind_names, "conservative")

double map_sweep_kind_percentile(map_sweep_kind kind)
{
    return kind == MAP_SWEEP_AGGRESSIVE ? 80.0 : 70.0;
}

void map_sweep_kind_interval(map_sweep_kind kind, double mean, double max, double q, double *lo,
                             double *hi)
{
    *lo = kind == MAP_SWEEP_AGGRESSIVE ? q : mean;
    *hi = kind == MAP_SWEEP_AGGRESSIVE ? max : q;
}

int map_sweep_kind_bounds(map_sweep_kind kind, const map_matrix *X, size_t k, const size_t *cols,
                          double *lo, double *hi, map_error *err)
{
    if (!X || X->n == 0 || X->m == 0)
        return map_error_set(err, MAP_EDATA, "the dataset has no samples");
    if (kind != MAP_SWEEP_AGGRESSIVE && kind != MAP_SWEEP_CONSERVATIVE)
        return map_error_set(err, MAP_EUSAGE, "unknown palette kind %d", (int)kind);
    for (size_t i = 0; i < k; i++)
        if (cols[i] >= X->m)
            return map_error_set(err, MAP_EDATA, "column %zu is out of range", cols[i]);
    map_colstat *cs = map_calloc(X->m, sizeof *cs);
    if (!cs)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    map_column_stats(X, cs); /* the same mean as a palette's "mean" */
    int rc = MAP_OK;
    for (size_t i = 0; !rc && i < k; i++) {
        double q = 0.0;
        rc = map_column_quantile(X, cols[i], map_sweep_kind_percentile(kind) / 100.0, &q, err);
        map_sweep_kind_interval(kind, cs[cols[i]].mean, cs[cols[i]].max, q, &lo[i], &hi[i]);
    }
    map_free(cs);
    return rc;
}
