/* map_region.c — the boundary of the attainable set around a base palette
 * along given or generated directions, by Newton and bisection on the
 * certified margin v* of map_margin (MATH.md §6, §8); contracts in
 * map_region.h.
 */
#include <math.h>
#include <string.h>

#include "map_frontier_internal.h"
#include "map_region.h"
#include "map_solver_internal.h"

void map_region_params_default(map_region_params *p)
{
    p->step_rtol = 1e-10;
    p->max_iter = 100;
    p->standardise = 1;
    map_feas_params_default(&p->feas);
}

/* par, or the defaults filled into *defaults when par is NULL. */
static const map_region_params *params_or_default(const map_region_params *par, map_region_params *defaults)
{
    if (par)
        return par;
    map_region_params_default(defaults);
    return defaults;
}

typedef struct region_ctx {
    const map_problem *pb;
    const map_region_params *par;
    double c0[MAP_MAX_K];
    double colmin[MAP_MAX_K], colmax[MAP_MAX_K];
} region_ctx;

/* Column minima, maxima and means of the k chosen values (one pass). */
static void column_ranges(const map_problem *pb, double *colmin, double *colmax, double *mean)
{
    const size_t k = pb->k;
    for (size_t i = 0; i < k; i++) {
        colmin[i] = INFINITY;
        colmax[i] = -INFINITY;
        mean[i] = 0.0;
    }
    for (size_t j = 0; j < pb->data.n; j++) {
        double r[MAP_MAX_K];
        map_row_cols(pb, j, r);
        for (size_t i = 0; i < k; i++) {
            const double x = r[i];
            colmin[i] = fmin(colmin[i], x);
            colmax[i] = fmax(colmax[i], x);
            mean[i] += (x - mean[i]) / (double)(j + 1);
        }
    }
    if (!pb->groups)
        return;
    /* Per prompt the reference levels are the average of the prompts' means. */
    map_rows_view g;
    map_rows_view_of(pb, &g);
    for (size_t i = 0; i < k; i++)
        mean[i] = 0.0;
    for (size_t q = 0; q < g.K; q++) {
        const double w = 1.0 / ((double)(g.start[q + 1] - g.start[q]) * (double)g.K);
        for (size_t pos = g.start[q]; pos < g.start[q + 1]; pos++) {
            double r[MAP_MAX_K];
            map_row_cols(pb, map_rows_at(&g, pos), r);
            for (size_t i = 0; i < k; i++)
                mean[i] += w * r[i];
        }
    }
}

/* The scaled margin v*(c) of map_margin for the targets c (k entries) on pb's
 * data and values; direction d may be NULL. */
static int margin_of(const map_problem *pb, const map_feas_params *fp, const double *c, double *v, double *d,
                     map_error *err)
{
    map_problem q = *pb;
    q.target = c;
    return map_margin(&q, fp, v, d, err);
}

/* v(s) = v*(c0 + s·dir) with targets below their value's minimum held there,
 * and a supergradient dv/ds from the LP's optimal d. */
static int margin_at(const region_ctx *rc, const double *dir, double s, double *v, double *slope,
                     map_error *err)
{
    const map_problem *pb = rc->pb;
    const size_t k = pb->k;
    double c[MAP_MAX_K], d[MAP_MAX_K];
    int held[MAP_MAX_K];
    for (size_t i = 0; i < k; i++) {
        c[i] = rc->c0[i] + s * dir[i];
        held[i] = c[i] < rc->colmin[i];
        if (held[i])
            c[i] = rc->colmin[i];
    }
    for (size_t i = 0; i < k; i++)
        if (!isfinite(c[i]))
            return map_error_set(err, MAP_EDATA, "the region's step overflowed at value %zu", i + 1);
    const int code = margin_of(pb, &rc->par->feas, c, v, d, err);
    if (code)
        return code;
    /* map_margin's direction is d_i/scale_i up to the factor 1/Σ d_i·scale_i. */
    double norm = 0.0, g = 0.0;
    for (size_t i = 0; i < k; i++) {
        norm += d[i] * pb->scale[i];
        if (!held[i])
            g -= d[i] * dir[i];
    }
    *slope = norm > 0.0 ? g / norm : NAN;
    return MAP_OK;
}

/* The boundary along dir from rc->c0 (attainable); see map_region_ray. */
static int region_ray(const region_ctx *rc, const double *dir, map_region_row *row, map_error *err)
{
    const map_problem *pb = rc->pb;
    const size_t k = pb->k;
    const double res = MAP_MARGIN_RESOLUTION;
    const double rtol = rc->par->step_rtol > 0.0 ? rc->par->step_rtol : 1e-10;
    memcpy(row->dir, dir, k * sizeof *dir);
    row->k = k;
    row->evaluations = 0;
    double bound = INFINITY;
    for (size_t i = 0; i < k; i++)
        if (dir[i] > 0.0)
            bound = fmin(bound, fmax(0.0, (rc->colmax[i] - rc->c0[i]) / dir[i]));
    if (isinf(bound)) {
        row->bounded = 0;
        row->step = INFINITY;
        row->margin = NAN;
        for (size_t i = 0; i < k; i++)
            row->point[i] = dir[i] < 0.0 ? -INFINITY : rc->c0[i];
        return MAP_OK;
    }
    row->bounded = 1;
    /* Steps below rtol times the step that moves a value by one scale unit
     * are not resolved (this ends the search when c0 is on the boundary). */
    double unit_step = INFINITY;
    for (size_t i = 0; i < k; i++)
        if (dir[i] != 0.0)
            unit_step = fmin(unit_step, pb->scale[i] / fabs(dir[i]));
    /* Invariant: v(lo) ≥ −res (attainable), v(hi) < −res. Newton aims at
     * v = −res/2, the middle of the boundary band. */
    const double aim = -0.5 * res;
    double lo = 0.0, hi = bound, v_lo = NAN;
    double x = bound, v, g;
    int code = margin_at(rc, dir, x, &v, &g, err);
    row->evaluations++;
    if (code)
        return code;
    int done = v >= -res; /* attainable at the bound: beyond it a target exceeds its maximum */
    if (done) {
        lo = x;
        v_lo = v;
    }
    double prev = INFINITY;
    while (!done) {
        if (row->evaluations >= rc->par->max_iter) {
            code = map_error_set(err, MAP_NOT_ATTAINED,
                                 "the region boundary was not located to %g in %d margin evaluations", rtol,
                                 row->evaluations);
            break;
        }
        /* Newton unless it leaves the bracket or the last step did not halve
         * the residual; then bisection. */
        double next = g < 0.0 ? x - (v - aim) / g : NAN;
        if (!(next > lo && next < hi) || fabs(v - aim) > 0.5 * prev)
            next = 0.5 * (lo + hi);
        prev = fabs(v - aim);
        x = next;
        if ((code = margin_at(rc, dir, x, &v, &g, err)))
            return code;
        row->evaluations++;
        if (v >= -res) {
            lo = x;
            v_lo = v;
            /* Concavity: the boundary lies in [x, x + v/|g|]. */
            if (v <= 0.0 || (g < 0.0 && v / -g <= rtol * x))
                done = 1;
        } else {
            hi = x;
        }
        if (hi - lo <= rtol * fmax(hi, unit_step))
            done = 1;
    }
    row->step = lo;
    for (size_t i = 0; i < k; i++)
        row->point[i] = rc->c0[i] + lo * dir[i];
    if (isnan(v_lo)) {
        /* lo = 0 was never re-evaluated: v(c0). */
        double g0;
        const int c2 = margin_at(rc, dir, 0.0, &v_lo, &g0, err);
        row->evaluations++;
        if (c2)
            return c2;
    }
    row->margin = v_lo;
    return code;
}

/* For a problem that map_frontier_check_problem(pb, 1) passed: validates c0
 * (or takes the reference levels: the means, per prompt their average) and
 * fills ctx; MAP_EDATA if c0 is not attainable. */
static int region_setup(const map_problem *pb, const double *c0, const map_region_params *par,
                        region_ctx *rc, map_error *err)
{
    rc->pb = pb;
    rc->par = par;
    double mean[MAP_MAX_K];
    column_ranges(pb, rc->colmin, rc->colmax, mean);
    for (size_t i = 0; i < pb->k; i++) {
        rc->c0[i] = c0 ? c0[i] : mean[i];
        if (!isfinite(rc->c0[i]))
            return map_error_set(err, MAP_EDATA, "base palette entry %zu is not finite", i + 1);
    }
    double v;
    const int code = margin_of(pb, &par->feas, rc->c0, &v, NULL, err);
    if (code)
        return code;
    if (v < -MAP_MARGIN_RESOLUTION)
        return map_error_set(err, MAP_EDATA, "the base palette is not attainable (scaled margin %.3g)", v);
    return MAP_OK;
}

int map_region_ray(const map_problem *pb, const double *c0, const double *dir, const map_region_params *par,
                   map_region_row *row, map_error *err)
{
    map_region_params defaults;
    par = params_or_default(par, &defaults);
    region_ctx rc;
    int code = map_frontier_check_problem(pb, 1, err);
    if (code)
        return code;
    double norm = 0.0;
    for (size_t i = 0; i < pb->k; i++) {
        if (!isfinite(dir[i]))
            return map_error_set(err, MAP_EDATA, "direction component %zu is not finite", i + 1);
        norm += dir[i] * dir[i];
    }
    if (!(norm > 0.0))
        return map_error_set(err, MAP_EDATA, "the direction is zero");
    if ((code = region_setup(pb, c0, par, &rc, err)))
        return code;
    memset(row, 0, sizeof *row);
    row->angle = NAN;
    norm = sqrt(norm);
    for (size_t i = 0; i < pb->k; i++)
        row->unit[i] = dir[i] / norm;
    return region_ray(&rc, dir, row, err);
}

/* Exact zeros for components at rounding level, so that axis directions
 * have no spurious positive part. */
static double snap(double x)
{
    return fabs(x) < 1e-12 ? 0.0 : x;
}

int map_region(const map_problem *pb, const double *c0, size_t ndir, const map_region_params *par,
               map_region_emit emit, void *ctx, map_error *err)
{
    map_region_params defaults;
    par = params_or_default(par, &defaults);
    int code = map_frontier_check_problem(pb, 1, err);
    if (code)
        return code;
    const size_t k = pb->k;
    if (k != 2 && k != 3)
        return map_error_set(err, MAP_EDATA,
                             "region directions are generated for 2 or 3 values (%zu chosen); "
                             "use map_region_ray with directions of your own",
                             k);
    if (ndir == 0)
        return map_error_set(err, MAP_EDATA, "a region needs at least one direction");
    region_ctx rc;
    if ((code = region_setup(pb, c0, par, &rc, err)))
        return code;
    const double two_pi = 2.0 * M_PI, golden = M_PI * (3.0 - sqrt(5.0));
    map_region_row row;
    for (size_t r = 0; r < ndir; r++) {
        memset(&row, 0, sizeof row);
        row.index = r;
        if (k == 2) {
            row.angle = two_pi * (double)r / (double)ndir;
            row.unit[0] = snap(cos(row.angle));
            row.unit[1] = snap(sin(row.angle));
        } else {
            const double z = 1.0 - (2.0 * (double)r + 1.0) / (double)ndir;
            const double rad = sqrt(fmax(0.0, 1.0 - z * z));
            const double phi = fmod(golden * (double)r, two_pi);
            row.angle = NAN;
            row.unit[0] = snap(rad * cos(phi));
            row.unit[1] = snap(rad * sin(phi));
            row.unit[2] = snap(z);
        }
        double dir[MAP_MAX_K];
        for (size_t i = 0; i < k; i++)
            dir[i] = par->standardise ? row.unit[i] * pb->scale[i] : row.unit[i];
        if ((code = region_ray(&rc, dir, &row, err)))
            return code;
        if ((code = emit(ctx, &row)))
            return code;
    }
    return MAP_OK;
}
