/* map_adjust.c — ray and greedy adjustment of unattainable palettes
 * (MATH.md §7), as exact one-dimensional searches on the sign of the
 * certified margin v*. */
#include <math.h>
#include <string.h>

#include "map_solver_internal.h"

/* Attainability to the resolution of the margin: v* ≥ −MAP_MARGIN_RESOLUTION
 * (the boundary is attainable in the limit; a palette fixed on the boundary
 * by an earlier step must not read as unattainable through rounding). Sets
 * *ok for pb with its targets replaced by c. */
static int attainable(const map_problem *pb, const double *c, const map_feas_params *fp, int *ok,
                      map_error *err)
{
    map_problem q = *pb;
    q.target = c;
    double v;
    const int rc = map_margin(&q, fp, &v, NULL, err);
    *ok = v >= -MAP_MARGIN_RESOLUTION;
    return rc;
}

void map_palette_inset(size_t k, const double *c, const double *c0, double inset, double *out)
{
    for (size_t i = 0; i < k; i++)
        out[i] = c0[i] + (1.0 - inset) * (c[i] - c0[i]);
}

int map_adjust_ray(const map_problem *pb, const double *c0, const map_feas_params *fp, double rho_tol,
                   double *rho, map_error *err)
{
    int rc = map_problem_check(pb, err);
    if (rc)
        return rc;
    if (!(rho_tol > 0.0))
        rho_tol = 1e-12;
    const size_t k = pb->k;
    double c[MAP_MAX_K];
    int ok;
    if ((rc = attainable(pb, pb->target, fp, &ok, err)))
        return rc;
    if (ok) {
        *rho = 1.0;
        return MAP_OK;
    }
    if ((rc = attainable(pb, c0, fp, &ok, err)))
        return rc;
    if (!ok)
        return map_error_set(err, MAP_EDATA, "the reference palette itself is not attainable");
    /* Invariant: lo attainable, hi not. v*(ρ) is concave in ρ, so the
     * attainable ρ form the interval [0, ρ*]. */
    double lo = 0.0, hi = 1.0;
    while (hi - lo > rho_tol) {
        const double mid = 0.5 * (lo + hi);
        map_palette_inset(k, pb->target, c0, 1.0 - mid, c);
        if ((rc = attainable(pb, c, fp, &ok, err)))
            return rc;
        if (ok)
            lo = mid;
        else
            hi = mid;
    }
    *rho = lo;
    return MAP_OK;
}

int map_adjust_greedy(const map_problem *pb, const size_t *order, const map_feas_params *fp, double tol,
                      double *adjusted, map_error *err)
{
    int rc = map_problem_check(pb, err);
    if (rc)
        return rc;
    const size_t k = pb->k;
    if (!(tol > 0.0))
        tol = 1e-12;
    int ok;
    if ((rc = attainable(pb, pb->target, fp, &ok, err)))
        return rc;
    memcpy(adjusted, pb->target, k * sizeof *adjusted);
    if (ok)
        return MAP_OK;
    /* Sub-problem over the values fixed so far (in priority order). */
    size_t cols[MAP_MAX_K];
    double c[MAP_MAX_K], scale[MAP_MAX_K], absmax[MAP_MAX_K];
    map_problem sub = *pb;
    sub.cols = cols;
    sub.target = c;
    sub.scale = scale;
    sub.absmax = pb->absmax ? absmax : NULL;
    for (size_t step = 0; step < k; step++) {
        const size_t i = order[step];
        cols[step] = pb->cols[i];
        scale[step] = pb->scale[i];
        if (pb->absmax)
            absmax[step] = pb->absmax[i];
        sub.k = step + 1;
        c[step] = pb->target[i];
        if ((rc = attainable(&sub, c, fp, &ok, err)))
            return rc;
        if (ok)
            continue; /* this target fits with the ones before it */
        /* Bisect for the largest attainable t between the value's minimum
         * (attainable: the targets before it are, and a target at the
         * minimum constrains nothing) and c_i (not attainable). */
        double lo = -INFINITY, hi = pb->target[i];
        for (size_t j = 0; j < pb->data.n; j++) {
            const double r = map_matrix_at(&pb->data, j, pb->cols[i]);
            lo = lo == -INFINITY || r < lo ? r : lo;
        }
        while (hi - lo > tol * pb->scale[i]) {
            c[step] = 0.5 * (lo + hi);
            if ((rc = attainable(&sub, c, fp, &ok, err)))
                return rc;
            if (ok)
                lo = c[step];
            else
                hi = c[step];
        }
        c[step] = lo;
        adjusted[i] = lo;
    }
    return MAP_OK;
}
