/* test_frontier.c — frontiers and regions against independent computations:
 * KL, tilts and levels recomputed in long double straight from the samples
 * (the k = 2 frontier by the one-dimensional dual, β found by bisection),
 * KL_sup and faces by exact arithmetic on integer data, the hull by brute
 * force, region boundaries by the full LP of tests/map_reference.c and by
 * verified certificates; random data (GSL, fixed seeds) and the MAP paper's
 * map-opt1.3b-hh samples. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_frontier.h"
#include "map_ingest.h"
#include "map_reference.h"
#include "map_solver.h"
#include "map_stats.h"
#include "map_test.h"
#include "map_test_data.h"

/* ---- Fixture and independent long-double computations ------------------- */

typedef struct fixture {
    size_t n, m, k;
    const double *x;
    size_t cols[MAP_MAX_K];
    double scale[MAP_MAX_K], absmax[MAP_MAX_K], mean[MAP_MAX_K];
    map_problem pb;
} fixture;

static void fixture_init(fixture *f, const double *x, size_t n, size_t m, size_t k, const size_t *cols)
{
    f->n = n;
    f->m = m;
    f->k = k;
    f->x = x;
    map_matrix X = {n, m, m, x, NULL};
    map_colstat cs[64];
    map_column_stats(&X, cs);
    for (size_t i = 0; i < k; i++) {
        f->cols[i] = cols[i];
        f->scale[i] = cs[cols[i]].sd > 0.0 ? cs[cols[i]].sd : 1.0;
        f->absmax[i] = cs[cols[i]].absmax;
        f->mean[i] = cs[cols[i]].mean;
    }
    map_problem pb = {X, k, f->cols, NULL, f->scale, f->absmax, NULL};
    f->pb = pb;
}

static double *random_data(gsl_rng *rng, size_t n, size_t m)
{
    double *x = malloc(n * m * sizeof *x);
    for (size_t j = 0; j < n; j++) {
        x[j * m] = gsl_ran_gaussian(rng, 1.0) + gsl_ran_exponential(rng, 1.0);
        for (size_t i = 1; i < m; i++)
            x[j * m + i] = gsl_ran_gaussian(rng, 1.0 + 0.5 * (double)i) + 0.3 * x[j * m];
    }
    return x;
}

/* KL(q_λ || p0) and (if lev) the tilted means of all m columns, in long
 * double with a two-pass log-sum-exp. */
static long double ref_tilt(const fixture *f, const double *lambda, long double *lev)
{
    long double smax = -INFINITY;
    for (size_t j = 0; j < f->n; j++) {
        long double s = 0.0L;
        for (size_t i = 0; i < f->k; i++)
            s += (long double)lambda[i] * f->x[j * f->m + f->cols[i]];
        if (s > smax)
            smax = s;
    }
    long double z = 0.0L, zs = 0.0L;
    if (lev)
        for (size_t c = 0; c < f->m; c++)
            lev[c] = 0.0L;
    for (size_t j = 0; j < f->n; j++) {
        long double s = 0.0L;
        for (size_t i = 0; i < f->k; i++)
            s += (long double)lambda[i] * f->x[j * f->m + f->cols[i]];
        const long double e = expl(s - smax);
        z += e;
        zs += e * (s - smax);
        if (lev)
            for (size_t c = 0; c < f->m; c++)
                lev[c] += e * f->x[j * f->m + c];
    }
    if (lev)
        for (size_t c = 0; c < f->m; c++)
            lev[c] /= z;
    return zs / z - logl(z / (long double)f->n);
}

/* The KL-budget optimum along u by the one-dimensional dual: β with
 * KL(β·u) = eps by bisection in long double; levels of all columns there. */
static long double ref_budget(const fixture *f, const double *u, double eps, long double *lev)
{
    double lam[MAP_MAX_K];
    long double lo = 0.0L, hi = 1.0L;
    for (;;) {
        for (size_t i = 0; i < f->k; i++)
            lam[i] = (double)(hi * u[i]);
        if (ref_tilt(f, lam, NULL) > eps || hi > 1e30L)
            break;
        lo = hi;
        hi *= 2.0L;
    }
    for (int it = 0; it < 200; it++) {
        const long double mid = 0.5L * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        for (size_t i = 0; i < f->k; i++)
            lam[i] = (double)(mid * u[i]);
        if (ref_tilt(f, lam, NULL) < eps)
            lo = mid;
        else
            hi = mid;
    }
    const long double beta = 0.5L * (lo + hi);
    for (size_t i = 0; i < f->k; i++)
        lam[i] = (double)(beta * u[i]);
    ref_tilt(f, lam, lev);
    return beta;
}

/* ---- Row collection ------------------------------------------------------ */

#define MAXROWS 1200
#define MAXM 8

typedef struct rows {
    size_t count;
    map_frontier_row row[MAXROWS];
    double levels[MAXROWS][MAXM];
    int stop_after; /* return 7 after this many rows (0: never) */
} rows;

static int collect(void *ctx, const map_frontier_row *row)
{
    rows *r = ctx;
    if (r->count < MAXROWS) {
        r->row[r->count] = *row;
        for (size_t c = 0; c < row->p && c < MAXM; c++)
            r->levels[r->count][c] = row->levels[c];
        r->row[r->count].levels = r->levels[r->count];
    }
    r->count++;
    return r->stop_after && (int)r->count >= r->stop_after ? 7 : 0;
}

/* Checks a budget table: KL on budget (recomputed independently), λ = t·u,
 * levels against the long-double tilt, no row dominated by another. */
static void check_budget_rows(const fixture *f, const rows *r, double eps, const char *what)
{
    for (size_t a = 0; a < r->count; a++) {
        const map_frontier_row *row = &r->row[a];
        MAP_CHECK(row->index == a && row->k == f->k && row->p == f->m, "%s: row %zu header", what, a);
        if (row->ray.status == MAP_RAY_SATURATED) {
            MAP_CHECK(eps >= row->ray.kl_sup && isinf(row->ray.t), "%s: saturated below sup", what);
            continue;
        }
        MAP_CHECK(row->ray.status == MAP_RAY_CONVERGED || row->ray.status == MAP_RAY_ROUNDING,
                  "%s: row %zu %s", what, a, map_ray_status_name(row->ray.status));
        long double lev[MAXM];
        const long double kl = ref_tilt(f, row->lambda, lev);
        MAP_CHECK(fabsl(kl - eps) <= 1e-9L * fmax(1.0, eps), "%s: row %zu KL %.17Lg vs budget %.17g", what, a,
                  kl, eps);
        MAP_CHECK(fabs(row->ray.kl - eps) <= 1e-9 * fmax(1.0, eps), "%s: reported KL %.17g", what, row->ray.kl);
        for (size_t i = 0; i < f->k; i++)
            MAP_CHECK(row->lambda[i] == row->ray.t * row->u[i], "%s: lambda = t u", what);
        for (size_t c = 0; c < f->m; c++)
            MAP_CHECK_CLOSE(row->levels[c], (double)lev[c], 1e-10, "levels vs long double");
    }
    /* Nondominance in the chosen values. */
    for (size_t a = 0; a < r->count; a++)
        for (size_t b = 0; b < r->count; b++) {
            if (a == b)
                continue;
            int better = 1;
            for (size_t i = 0; i < f->k; i++)
                better &= r->row[b].levels[f->cols[i]] > r->row[a].levels[f->cols[i]] + 1e-10 * f->scale[i];
            MAP_CHECK(!better, "%s: row %zu dominated by row %zu", what, a, b);
        }
}

/* ---- Tests --------------------------------------------------------------- */

/* Two values: every frontier point against the one-dimensional dual. */
static void test_frontier_k2(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 17);
    const size_t n = 400, m = 4;
    double *x = random_data(rng, n, m);
    const size_t cols[] = {2, 0};
    fixture f;
    fixture_init(&f, x, n, m, 2, cols);
    map_frontier_ws *ws = map_frontier_ws_new(n, 2, m);
    static rows r;
    const double budgets[] = {1e-6, 0.05, 0.5, 1.0, 3.0};
    int compared = 0;
    for (int standardise = 0; standardise <= 1; standardise++)
        for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
            map_frontier_params par;
            map_frontier_params_default(&par);
            par.standardise = standardise;
            map_error err;
            r.count = 0;
            r.stop_after = 0;
            const int rc = map_frontier_budget(&f.pb, budgets[b], 21, 0, NULL, &par, ws, collect, &r, &err);
            MAP_CHECK(rc == MAP_OK, "frontier: %s", err.msg);
            MAP_CHECK(r.count == 21, "21 rows for k = 2 (%zu)", r.count);
            check_budget_rows(&f, &r, budgets[b], "k=2");
            MAP_CHECK(r.row[0].weight[0] == 1.0 && r.row[0].weight[1] == 0.0 && r.row[20].weight[0] == 0.0 &&
                          r.row[20].weight[1] == 1.0,
                      "endpoints included, from the first value to the second");
            for (size_t a = 0; a < r.count; a++) {
                const map_frontier_row *row = &r.row[a];
                if (!standardise)
                    MAP_CHECK(row->u[0] == row->weight[0] && row->u[1] == row->weight[1], "u = w");
                else if (row->weight[0] > 0.0 && row->weight[1] > 0.0)
                    MAP_CHECK_CLOSE(row->u[0] / row->u[1],
                                    row->weight[0] / f.scale[0] / (row->weight[1] / f.scale[1]), 1e-14,
                                    "standardised direction");
                if (row->ray.status == MAP_RAY_SATURATED)
                    continue;
                long double lev[MAXM];
                const long double beta = ref_budget(&f, row->u, budgets[b], lev);
                MAP_CHECK_CLOSE(row->ray.t, (double)beta, 1e-7, "t vs dual beta");
                for (size_t c = 0; c < m; c++)
                    MAP_CHECK_CLOSE(row->levels[c], (double)lev[c], 1e-7, "levels vs dual");
                /* The dual objective: no better value of uᵀE[r] within budget. */
                const double obj = row->u[0] * row->levels[2] + row->u[1] * row->levels[0];
                const double ref = (double)(row->u[0] * lev[2] + row->u[1] * lev[0]);
                MAP_CHECK_CLOSE(obj, ref, 1e-7, "weighted objective");
                compared++;
            }
        }
    MAP_CHECK(compared > 150, "compared %d points", compared);
    map_frontier_ws_free(ws);
    free(x);
    gsl_rng_free(rng);
}

/* Three and four values: the simplex grid, the budget and nondominance. */
static void test_frontier_k3(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 23);
    const size_t n = 300, m = 5;
    double *x = random_data(rng, n, m);
    map_frontier_ws *ws = map_frontier_ws_new(n, 4, m);
    static rows r;
    /* Grid sizes: C(h+2, 2) = 3, 6, 10, 15, 21, ...; C(h+3, 3) = 4, 10, 20, 35, ... */
    size_t h;
    MAP_CHECK(map_simplex_grid_size(3, 52, &h) == 55 && h == 9, "k=3, 52 -> 55 (h 9): %zu", h);
    MAP_CHECK(map_simplex_grid_size(3, 50, &h) == 45 && h == 8, "k=3, 50 -> 45 or 55: the smaller");
    MAP_CHECK(map_simplex_grid_size(3, 48, &h) == 45 && h == 8, "k=3, 48 -> 45");
    MAP_CHECK(map_simplex_grid_size(3, 200, &h) == 190 && h == 18, "k=3, 200 -> 190 (h 18)");
    MAP_CHECK(map_simplex_grid_size(2, 200, &h) == 200 && h == 199, "k=2 exact");
    MAP_CHECK(map_simplex_grid_size(2, 1, &h) == 2 && h == 1, "k=2 minimum");
    MAP_CHECK(map_simplex_grid_size(4, 1, &h) == 4 && h == 1, "k=4 minimum");
    MAP_CHECK(map_simplex_grid_size(1, 10, &h) == 0, "k=1");
    for (size_t k = 3; k <= 4; k++) {
        const size_t cols[] = {0, 3, 1, 4};
        fixture f;
        fixture_init(&f, x, n, m, k, cols);
        map_error err;
        r.count = 0;
        r.stop_after = 0;
        const size_t want = map_simplex_grid_size(k, 40, &h);
        MAP_CHECK(map_frontier_budget(&f.pb, 0.7, 40, 0, NULL, NULL, ws, collect, &r, &err) == MAP_OK, "%s",
                  err.msg);
        MAP_CHECK(r.count == want, "k=%zu: %zu rows, want %zu", k, r.count, want);
        check_budget_rows(&f, &r, 0.7, k == 3 ? "k=3" : "k=4");
        /* Every grid point once, each a multiple of 1/h summing to 1. */
        for (size_t a = 0; a < r.count; a++) {
            double sum = 0.0;
            for (size_t i = 0; i < k; i++) {
                const double g = r.row[a].weight[i] * (double)h;
                MAP_CHECK(fabs(g - nearbyint(g)) < 1e-9, "grid point");
                sum += r.row[a].weight[i];
            }
            MAP_CHECK(fabs(sum - 1.0) < 1e-12, "on the simplex");
            for (size_t b = 0; b < a; b++) {
                int same = 1;
                for (size_t i = 0; i < k; i++)
                    same &= r.row[a].weight[i] == r.row[b].weight[i];
                MAP_CHECK(!same, "grid point repeated");
            }
        }
    }
    map_frontier_ws_free(ws);
    free(x);
    gsl_rng_free(rng);
}

/* map_kl_budget_t on its own, random directions and budgets. */
static void test_budget_t(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 29);
    const size_t n = 250, m = 3;
    double *x = random_data(rng, n, m);
    const size_t cols[] = {0, 1, 2};
    fixture f;
    fixture_init(&f, x, n, m, 3, cols);
    map_frontier_ws *ws = map_frontier_ws_new(n, 3, m);
    int passes = 0, points = 0;
    for (int rep = 0; rep < 60; rep++) {
        double u[3];
        for (size_t i = 0; i < 3; i++)
            u[i] = rep % 5 == 0 && i == (size_t)rep % 3 ? 0.0 : gsl_rng_uniform_pos(rng);
        double sup;
        size_t face;
        map_error err;
        MAP_CHECK(map_kl_sup(&f.pb, u, 0.0, &sup, &face, &err) == MAP_OK, "%s", err.msg);
        MAP_CHECK(face == 1 && fabs(sup - log((double)n)) < 1e-14, "generic data: one sample on the face");
        const double budgets[] = {1e-9, 1e-3, 0.2, 1.5, 0.5 * sup, sup - 0.5, sup - 1e-3};
        for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
            map_ray_point pt;
            MAP_CHECK(map_kl_budget_t(&f.pb, u, budgets[b], NULL, ws, &pt, &err) == MAP_OK, "%s", err.msg);
            MAP_CHECK(pt.status == MAP_RAY_CONVERGED || pt.status == MAP_RAY_ROUNDING, "status %s",
                      map_ray_status_name(pt.status));
            double lam[3];
            for (size_t i = 0; i < 3; i++)
                lam[i] = pt.t * u[i];
            const long double kl = ref_tilt(&f, lam, NULL);
            MAP_CHECK(fabsl(kl - budgets[b]) <= 1e-9L * fmax(1.0, budgets[b]),
                      "budget %.17g: KL %.17Lg (t %.17g)", budgets[b], kl, pt.t);
            passes += pt.passes;
            points++;
        }
        map_ray_point pt;
        MAP_CHECK(map_kl_budget_t(&f.pb, u, 0.0, NULL, ws, &pt, &err) == MAP_OK && pt.t == 0.0 && pt.kl == 0.0,
                  "zero budget");
    }
    fprintf(stderr, "budget_t: %.1f passes per point\n", (double)passes / points);
    /* Bad arguments. */
    map_error err;
    map_ray_point pt;
    const double u[3] = {1.0, 0.0, 0.0}, neg[3] = {1.0, -0.1, 0.0}, zero[3] = {0};
    MAP_CHECK(map_kl_budget_t(&f.pb, u, -0.1, NULL, ws, &pt, &err) == MAP_EDATA, "negative budget");
    MAP_CHECK(map_kl_budget_t(&f.pb, u, NAN, NULL, ws, &pt, &err) == MAP_EDATA, "NaN budget");
    MAP_CHECK(map_kl_budget_t(&f.pb, neg, 0.1, NULL, ws, &pt, &err) == MAP_EDATA, "negative direction");
    MAP_CHECK(map_kl_budget_t(&f.pb, zero, 0.1, NULL, ws, &pt, &err) == MAP_EDATA, "zero direction");
    map_frontier_ws *small = map_frontier_ws_new(n - 1, 3, m);
    MAP_CHECK(map_kl_budget_t(&f.pb, u, 0.1, NULL, small, &pt, &err) == MAP_ENOMEM, "workspace too small");
    map_frontier_ws_free(small);
    map_frontier_ws_free(NULL);
    map_frontier_ws_free(ws);
    free(x);
    gsl_rng_free(rng);
}

/* KL_sup = log(n / face) on integer data with ties, found by brute force in
 * exact arithmetic (dyadic directions); budgets at and above it reported. */
static void test_kl_sup_ties(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 31);
    const size_t n = 60, m = 3;
    double x[60 * 3];
    for (size_t j = 0; j < n * m; j++)
        x[j] = (double)gsl_rng_uniform_int(rng, 4) - 1.0; /* -1..2: many ties */
    const size_t cols[] = {0, 1, 2};
    fixture f;
    fixture_init(&f, x, n, m, 3, cols);
    map_frontier_ws *ws = map_frontier_ws_new(n, 3, m);
    const double dirs[][3] = {{1, 0, 0}, {0, 1, 0}, {0.5, 0.5, 0}, {0.25, 0.5, 0.25}, {1, 1, 1},
                              {0.75, 0.125, 0.125}, {0, 0, 1}};
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        const double *u = dirs[d];
        double best = -INFINITY;
        for (size_t j = 0; j < n; j++)
            best = fmax(best, u[0] * x[j * 3] + u[1] * x[j * 3 + 1] + u[2] * x[j * 3 + 2]);
        size_t face_bf = 0;
        double face_mean[3] = {0};
        for (size_t j = 0; j < n; j++)
            if (u[0] * x[j * 3] + u[1] * x[j * 3 + 1] + u[2] * x[j * 3 + 2] == best) {
                face_bf++;
                for (size_t i = 0; i < 3; i++)
                    face_mean[i] += x[j * 3 + i];
            }
        double sup;
        size_t face;
        map_error err;
        MAP_CHECK(map_kl_sup(&f.pb, u, 0.0, &sup, &face, &err) == MAP_OK, "%s", err.msg);
        MAP_CHECK(face == face_bf, "direction %zu: face %zu vs brute force %zu", d, face, face_bf);
        MAP_CHECK(fabs(sup - log((double)n / (double)face_bf)) <= 1e-15 * log((double)n), "closed form");
        map_ray_point pt;
        /* Above and at the supremum: reported as such, with the limit. */
        const double over[] = {sup + 0.01, sup, INFINITY};
        for (size_t o = 0; o < 3; o++) {
            err.msg[0] = 0;
            MAP_CHECK(map_kl_budget_t(&f.pb, u, over[o], NULL, ws, &pt, &err) == MAP_NOT_ATTAINED,
                      "budget %g over sup %g", over[o], sup);
            MAP_CHECK(pt.status == MAP_RAY_SATURATED && isinf(pt.t) && pt.kl == sup && pt.face == face_bf &&
                          strstr(err.msg, "not reached") != NULL,
                      "saturated report: %s", err.msg);
        }
        /* Just below: a finite t on budget. */
        const double below[] = {sup - 1e-3, sup - 1e-6, 0.5 * sup};
        for (size_t b = 0; b < 3; b++) {
            if (!(below[b] > 0.0))
                continue;
            MAP_CHECK(map_kl_budget_t(&f.pb, u, below[b], NULL, ws, &pt, &err) == MAP_OK, "%s", err.msg);
            double lam[3];
            for (size_t i = 0; i < 3; i++)
                lam[i] = pt.t * u[i];
            MAP_CHECK(fabsl(ref_tilt(&f, lam, NULL) - below[b]) <= 1e-9L, "below sup %.17g", below[b]);
        }
        /* The ε → ∞ row: the face's mean, exactly. */
        static rows r;
        r.count = 0;
        r.stop_after = 0;
        MAP_CHECK(map_frontier_curve(&f.pb, u, sup + 1.0, 3, 0, NULL, NULL, ws, collect, &r, &err) == MAP_OK,
                  "%s", err.msg);
        MAP_CHECK(r.count == 3 && r.row[2].ray.status == MAP_RAY_SATURATED && r.row[2].ray.kl == sup &&
                      r.row[2].ray.budget == sup + 1.0 && r.row[2].ray.ess == (double)face_bf,
                      "curve past sup flags its last row");
        for (size_t i = 0; i < 3; i++) {
            MAP_CHECK_CLOSE(r.row[2].levels[i], face_mean[i] / (double)face_bf, 1e-14, "face mean");
            MAP_CHECK(r.row[2].lambda[i] == (u[i] > 0.0 ? INFINITY : 0.0), "limit lambda");
        }
        MAP_CHECK(r.row[0].ray.t == 0.0, "curve starts at t = 0");
        for (size_t i = 0; i < 3; i++)
            MAP_CHECK_CLOSE(r.row[0].levels[i], f.mean[i], 1e-14, "t = 0: reference means");
    }
    /* A constant score: KL_sup = 0, every positive budget saturated. */
    double flat[20 * 2];
    for (size_t j = 0; j < 20; j++) {
        flat[2 * j] = 3.0;
        flat[2 * j + 1] = (double)j;
    }
    const size_t c2[] = {0, 1};
    fixture g;
    fixture_init(&g, flat, 20, 2, 2, c2);
    const double ua[] = {1.0, 0.0};
    double sup;
    size_t face;
    map_error err;
    map_ray_point pt;
    MAP_CHECK(map_kl_sup(&g.pb, ua, 0.0, &sup, &face, &err) == MAP_OK && sup == 0.0 && face == 20, "flat");
    MAP_CHECK(map_kl_budget_t(&g.pb, ua, 1e-3, NULL, ws, &pt, &err) == MAP_NOT_ATTAINED, "flat budget");
    MAP_CHECK(map_kl_budget_t(&g.pb, ua, 0.0, NULL, ws, &pt, &err) == MAP_OK && pt.t == 0.0, "flat zero");
    /* Near-ties within the tolerance count as ties. */
    flat[2 * 5] = 3.0 * (1.0 - 1e-15);
    fixture_init(&g, flat, 20, 2, 2, c2);
    MAP_CHECK(map_kl_sup(&g.pb, ua, 0.0, &sup, &face, &err) == MAP_OK && face == 20, "near ties");
    MAP_CHECK(map_kl_sup(&g.pb, ua, 1e-17, &sup, &face, &err) == MAP_OK && face == 19, "tighter tolerance");
    map_frontier_ws_free(ws);
    gsl_rng_free(rng);
}

/* The direction curve: budgets evenly spaced to 0.9·KL_sup. */
static void test_curve(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 37);
    const size_t n = 500, m = 3;
    double *x = random_data(rng, n, m);
    const size_t cols[] = {1, 2};
    fixture f;
    fixture_init(&f, x, n, m, 2, cols);
    map_frontier_ws *ws = map_frontier_ws_new(n, 2, m);
    static rows r;
    const double u[] = {2.0, 1.0};
    map_error err;
    r.count = 0;
    r.stop_after = 0;
    MAP_CHECK(map_frontier_curve(&f.pb, u, 0.0, 25, 0, NULL, NULL, ws, collect, &r, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(r.count == 25, "25 rows");
    const double sup = r.row[0].ray.kl_sup, kl_max = 0.9 * sup;
    for (size_t a = 0; a < r.count; a++) {
        const map_frontier_row *row = &r.row[a];
        const double eps = kl_max * (double)a / 24.0;
        MAP_CHECK(fabs(row->ray.budget - eps) <= 1e-15 * kl_max, "even budgets");
        MAP_CHECK(row->u[0] == 2.0 / 3.0 && row->u[1] == 1.0 / 3.0, "u normalised");
        MAP_CHECK(a == 0 || row->ray.t > r.row[a - 1].ray.t, "t increases");
        const double score = row->u[0] * row->levels[1] + row->u[1] * row->levels[2];
        const double prev = a ? r.row[a - 1].u[0] * r.row[a - 1].levels[1] + r.row[a - 1].u[1] * r.row[a - 1].levels[2]
                              : -INFINITY;
        MAP_CHECK(score > prev, "u'mu increases along the curve");
        long double lev[MAXM];
        const long double kl = ref_tilt(&f, row->lambda, lev);
        MAP_CHECK(fabsl(kl - eps) <= 1e-9L * fmax(1.0, eps), "curve KL %.17Lg vs %.17g", kl, eps);
        for (size_t c = 0; c < m; c++)
            MAP_CHECK_CLOSE(row->levels[c], (double)lev[c], 1e-10, "curve levels");
        MAP_CHECK(row->ray.ess <= (double)n && row->ray.ess >= 1.0, "ess in range");
    }
    MAP_CHECK(r.row[24].ray.budget == kl_max, "ends at kl_max exactly");
    /* The callback stops the run and its code comes back. */
    r.count = 0;
    r.stop_after = 3;
    MAP_CHECK(map_frontier_curve(&f.pb, u, 0.0, 25, 0, NULL, NULL, ws, collect, &r, &err) == 7 && r.count == 3,
              "stopped by the callback");
    r.stop_after = 0;
    /* Chosen level columns. */
    const size_t lc[] = {2, 0};
    r.count = 0;
    MAP_CHECK(map_frontier_curve(&f.pb, u, 1.0, 4, 2, lc, NULL, ws, collect, &r, &err) == MAP_OK &&
                  r.row[3].p == 2,
              "level columns");
    long double lev[MAXM];
    ref_tilt(&f, r.row[3].lambda, lev);
    MAP_CHECK_CLOSE(r.row[3].levels[0], (double)lev[2], 1e-10, "level column 2");
    MAP_CHECK_CLOSE(r.row[3].levels[1], (double)lev[0], 1e-10, "level column 0");
    const size_t bad[] = {3};
    MAP_CHECK(map_frontier_curve(&f.pb, u, 1.0, 4, 1, bad, NULL, ws, collect, &r, &err) == MAP_EDATA,
              "level column out of range");
    MAP_CHECK(map_frontier_curve(&f.pb, u, 1.0, 1, 0, NULL, NULL, ws, collect, &r, &err) == MAP_EDATA,
              "one point");
    /* No allocation once the workspace exists. */
    map_alloc_fail_after(0);
    r.count = 0;
    const int rc1 = map_frontier_curve(&f.pb, u, 0.0, 10, 0, NULL, NULL, ws, collect, &r, &err);
    const int rc2 = map_frontier_budget(&f.pb, 0.5, 10, 0, NULL, NULL, ws, collect, &r, &err);
    const int rc3 = map_frontier_budget(&f.pb, INFINITY, 10, 0, NULL, NULL, ws, collect, &r, &err);
    map_alloc_fail_after(-1);
    MAP_CHECK(rc1 == MAP_OK && rc2 == MAP_OK && rc3 == MAP_OK, "tables run without allocating");
    map_frontier_ws_free(ws);
    free(x);
    gsl_rng_free(rng);
}

/* ---- Hull ------------------------------------------------------------------ */

static double orient(const double *o, const double *a, const double *b)
{
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/* p in the closed convex hull of q[0..nq) (brute force: a segment or a
 * non-degenerate triangle of them contains it). */
static int in_hull(const double *p, double (*q)[2], size_t nq)
{
    for (size_t a = 0; a < nq; a++)
        for (size_t b = a; b < nq; b++) {
            if (orient(q[a], q[b], p) == 0.0 && fmin(q[a][0], q[b][0]) <= p[0] && p[0] <= fmax(q[a][0], q[b][0]) &&
                fmin(q[a][1], q[b][1]) <= p[1] && p[1] <= fmax(q[a][1], q[b][1]))
                return 1;
            for (size_t c = b + 1; c < nq; c++) {
                const double o = orient(q[a], q[b], q[c]);
                if (o == 0.0)
                    continue;
                const double o1 = orient(q[a], q[b], p), o2 = orient(q[b], q[c], p), o3 = orient(q[c], q[a], p);
                if (o > 0.0 ? o1 >= 0.0 && o2 >= 0.0 && o3 >= 0.0 : o1 <= 0.0 && o2 <= 0.0 && o3 <= 0.0)
                    return 1;
            }
        }
    return 0;
}

/* The upper-right chain by brute force: distinct points plus S = (a_R, min b
 * − 1) and W = (min a − 1, b_T); the chain is the extreme points strictly on
 * the right of S → W, by a descending. Returns its length; idx gets the
 * first sample index of each vertex. */
static size_t brute_chain(const double *x, size_t n, size_t *idx)
{
    double (*q)[2] = malloc((n + 2) * sizeof *q);
    size_t *first = malloc((n + 2) * sizeof *first);
    size_t nq = 0;
    for (size_t j = 0; j < n; j++) {
        int dup = 0;
        for (size_t l = 0; l < nq && !dup; l++)
            dup = q[l][0] == x[2 * j] && q[l][1] == x[2 * j + 1];
        if (!dup) {
            q[nq][0] = x[2 * j];
            q[nq][1] = x[2 * j + 1];
            first[nq++] = j;
        }
    }
    const size_t np = nq;
    size_t R = 0, T = 0;
    double amin = INFINITY, bmin = INFINITY;
    for (size_t l = 0; l < np; l++) {
        if (q[l][0] > q[R][0] || (q[l][0] == q[R][0] && q[l][1] > q[R][1]))
            R = l;
        if (q[l][1] > q[T][1] || (q[l][1] == q[T][1] && q[l][0] > q[T][0]))
            T = l;
        amin = fmin(amin, q[l][0]);
        bmin = fmin(bmin, q[l][1]);
    }
    const double S[2] = {q[R][0], bmin - 1.0}, W[2] = {amin - 1.0, q[T][1]};
    q[nq][0] = S[0];
    q[nq++][1] = S[1];
    q[nq][0] = W[0];
    q[nq++][1] = W[1];
    double (*others)[2] = malloc(nq * sizeof *others);
    size_t count = 0;
    for (size_t l = 0; l < np; l++) {
        if (!(orient(S, W, q[l]) < 0.0))
            continue;
        size_t no = 0;
        for (size_t o = 0; o < nq; o++)
            if (o != l) {
                others[no][0] = q[o][0];
                others[no++][1] = q[o][1];
            }
        if (!in_hull(q[l], others, no))
            idx[count++] = first[l];
    }
    /* Order by a descending. */
    for (size_t a = 1; a < count; a++)
        for (size_t b = a; b > 0 && x[2 * idx[b]] > x[2 * idx[b - 1]]; b--) {
            const size_t t = idx[b];
            idx[b] = idx[b - 1];
            idx[b - 1] = t;
        }
    free(q);
    free(first);
    free(others);
    return count;
}

static void test_hull(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 41);
    double x[2 * 80];
    size_t got[80], want[80];
    int cases = 0;
    for (int rep = 0; rep < 300; rep++) {
        const size_t n = 1 + gsl_rng_uniform_int(rng, rep < 200 ? 30 : 60);
        const int integer = rep % 3 != 0;
        for (size_t j = 0; j < 2 * n; j++)
            x[j] = integer ? (double)gsl_rng_uniform_int(rng, rep % 2 ? 6 : 12) : gsl_ran_gaussian(rng, 1.0);
        if (integer && rep % 7 == 0) /* points on a line of slope −1 */
            for (size_t j = 0; j < n; j++)
                x[2 * j + 1] = 10.0 - x[2 * j];
        map_matrix X = {n, 2, 2, x, NULL};
        size_t count;
        map_error err;
        MAP_CHECK(map_upper_hull(&X, 0, 1, got, 80, &count, &err) == MAP_OK, "%s", err.msg);
        const size_t nb = brute_chain(x, n, want);
        int same = count == nb;
        for (size_t v = 0; same && v < nb; v++)
            same = got[v] == want[v];
        MAP_CHECK(same, "rep %d (n %zu, %s): %zu vertices vs brute force %zu", rep, n, integer ? "grid" : "gauss",
                  count, nb);
        /* a strictly decreasing, b strictly increasing, convex. */
        for (size_t v = 1; v < count && v < 80; v++)
            MAP_CHECK(x[2 * got[v]] < x[2 * got[v - 1]] && x[2 * got[v] + 1] > x[2 * got[v - 1] + 1], "monotone");
        cases += nb > 2;
        /* Too little room: the count still comes back. */
        size_t one[1], c1;
        MAP_CHECK(map_upper_hull(&X, 0, 1, one, 1, &c1, &err) == MAP_OK && c1 == count && one[0] == got[0],
                  "truncated output");
    }
    MAP_CHECK(cases > 50, "enough chains with three or more vertices (%d)", cases);
    /* The ε → ∞ frontier rows of generic data are chain vertices. */
    const size_t n = 200;
    double *y = malloc(2 * n * sizeof *y);
    for (size_t j = 0; j < 2 * n; j++)
        y[j] = gsl_ran_gaussian(rng, 1.0);
    const size_t cols[] = {0, 1};
    fixture f;
    fixture_init(&f, y, n, 2, 2, cols);
    size_t *hv = malloc(n * sizeof *hv), count;
    map_matrix Y = {n, 2, 2, y, NULL};
    map_error err;
    MAP_CHECK(map_upper_hull(&Y, 0, 1, hv, n, &count, &err) == MAP_OK, "hull");
    map_frontier_ws *ws = map_frontier_ws_new(n, 2, 2);
    static rows r;
    r.count = 0;
    r.stop_after = 0;
    MAP_CHECK(map_frontier_budget(&f.pb, INFINITY, 101, 0, NULL, NULL, ws, collect, &r, &err) == MAP_OK, "%s",
              err.msg);
    size_t hits = 0;
    for (size_t a = 0; a < r.count; a++) {
        const map_frontier_row *row = &r.row[a];
        MAP_CHECK(row->ray.status == MAP_RAY_SATURATED && row->ray.face == 1 && isinf(row->ray.t) &&
                      row->ray.kl == log((double)n),
                  "limit row");
        int found = 0;
        for (size_t v = 0; v < count; v++)
            found |= row->levels[0] == y[2 * hv[v]] && row->levels[1] == y[2 * hv[v] + 1];
        MAP_CHECK(found, "limit row %zu is a hull vertex", a);
        hits += found;
    }
    MAP_CHECK(r.row[0].levels[0] == y[2 * hv[0]] && r.row[r.count - 1].levels[1] == y[2 * hv[count - 1] + 1],
              "the ends of the limit frontier are the ends of the chain");
    map_frontier_ws_free(ws);
    free(hv);
    free(y);
    gsl_rng_free(rng);
}

/* ---- Region ------------------------------------------------------------------ */

typedef struct region_rows {
    size_t count;
    map_region_row row[400];
} region_rows;

static int collect_region(void *ctx, const map_region_row *row)
{
    region_rows *r = ctx;
    if (r->count < 400)
        r->row[r->count] = *row;
    r->count++;
    return 0;
}

/* Every row on the boundary: 1e-6 further out refuted (reference LP and a
 * verified certificate), 1e-6 further in attainable (reference LP), the step
 * equal to the reference ray LP's; directions with no positive part flagged. */
static void check_region(const fixture *f, const double *c0, const region_rows *r, const char *what)
{
    map_solver_ws *sws = map_solver_ws_new(f->k, f->m);
    int bounded = 0, unbounded = 0, lps = 0;
    for (size_t a = 0; a < r->count; a++) {
        const map_region_row *row = &r->row[a];
        int pos = 0;
        for (size_t i = 0; i < f->k; i++)
            pos |= row->dir[i] > 0.0;
        MAP_CHECK(row->bounded == pos, "%s: row %zu bounded flag", what, a);
        lps += row->evaluations;
        if (!pos) {
            unbounded++;
            MAP_CHECK(isinf(row->step) && isnan(row->margin), "%s: unbounded row reports +inf", what);
            continue;
        }
        bounded++;
        MAP_CHECK(row->step >= 0.0 && isfinite(row->step) && row->margin >= -1e-12, "%s: step %g margin %g", what,
                  row->step, row->margin);
        double out[MAP_MAX_K], in[MAP_MAX_K], far[MAP_MAX_K];
        for (size_t i = 0; i < f->k; i++) {
            MAP_CHECK_CLOSE(row->point[i], c0[i] + row->step * row->dir[i], 1e-14, "point");
            out[i] = c0[i] + row->step * (1.0 + 1e-6) * row->dir[i];
            in[i] = c0[i] + row->step * (1.0 - 1e-6) * row->dir[i];
            far[i] = c0[i] + 2.0 * row->step * row->dir[i];
        }
        double v;
        MAP_CHECK(map_ref_margin(f->x, f->n, f->m, f->k, f->cols, out, f->scale, &v) == 0 && v < 0.0,
                  "%s: row %zu 1e-6 further out has margin %g", what, a, v);
        map_problem q = f->pb;
        q.target = out;
        map_result res;
        map_error err;
        MAP_CHECK(map_solve_palette(&q, NULL, NULL, NULL, sws, &res, &err) == MAP_OK &&
                      res.status == MAP_SOLVE_INFEASIBLE,
                  "%s: row %zu outside is %s", what, a, map_solve_status_name(res.status));
        double gap;
        MAP_CHECK(res.status != MAP_SOLVE_INFEASIBLE || map_certificate_check(&q, res.direction, &gap),
                  "%s: certificate verifies", what);
        if (row->step > 0.0)
            MAP_CHECK(map_ref_margin(f->x, f->n, f->m, f->k, f->cols, in, f->scale, &v) == 0 && v > 0.0,
                      "%s: row %zu 1e-6 further in has margin %g", what, a, v);
        double rho;
        if (row->step > 0.0 && map_ref_ray(f->x, f->n, f->m, f->k, f->cols, far, c0, &rho) == 0)
            MAP_CHECK_CLOSE(2.0 * rho * row->step, row->step, 1e-8, "step vs reference ray LP");
    }
    fprintf(stderr, "%s: %d bounded, %d unbounded rays, %.1f margin LPs per bounded ray\n", what, bounded,
            unbounded, bounded ? (double)lps / bounded : 0.0);
    map_solver_ws_free(sws);
}

static void test_region(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 43);
    static region_rows r;
    for (int rep = 0; rep < 6; rep++) {
        const size_t k = rep < 3 ? 2 : 3, n = 100 + 60 * (size_t)rep, m = 4;
        double *x = random_data(rng, n, m);
        const size_t cols[] = {1, 0, 3};
        fixture f;
        fixture_init(&f, x, n, m, k, cols);
        map_region_params par;
        map_region_params_default(&par);
        par.standardise = rep % 2 == 0;
        map_error err;
        r.count = 0;
        const size_t ndir = k == 2 ? 24 : 30;
        MAP_CHECK(map_region(&f.pb, NULL, ndir, &par, collect_region, &r, &err) == MAP_OK, "%s", err.msg);
        MAP_CHECK(r.count == ndir, "one row per direction");
        check_region(&f, f.mean, &r, k == 2 ? "region k=2" : "region k=3");
        if (k == 2) {
            /* Angles in order; the axis directions exact; the bounded
             * points form a convex polygon in standardised coordinates. */
            for (size_t a = 0; a < r.count; a++) {
                MAP_CHECK(a == 0 || r.row[a].angle > r.row[a - 1].angle, "angles increase");
                MAP_CHECK(r.row[a].bounded == !(r.row[a].angle >= M_PI - 1e-9 && r.row[a].angle <= 1.5 * M_PI + 1e-9),
                          "unbounded exactly on [pi, 3pi/2]: row %zu angle %g", a, r.row[a].angle);
            }
            size_t nb = 0;
            double poly[24][2];
            for (size_t a = 0; a < r.count; a++)
                if (r.row[a].bounded) {
                    for (size_t i = 0; i < 2; i++)
                        poly[nb][i] = (r.row[a].point[i] - f.mean[i]) / (par.standardise ? f.scale[i] : 1.0);
                    nb++;
                }
            for (size_t a = 0; a + 2 < nb; a++)
                MAP_CHECK(orient(poly[a], poly[a + 1], poly[a + 2]) >= -1e-9, "convex boundary at %zu", a);
        }
        /* Another base palette, and a single ray in an arbitrary direction. */
        double c0[3], dir[3];
        for (size_t i = 0; i < k; i++) {
            c0[i] = f.mean[i] + 0.2 * f.scale[i];
            dir[i] = gsl_ran_gaussian(rng, 1.0);
        }
        dir[0] = fabs(dir[0]);
        r.count = 0;
        MAP_CHECK(map_region(&f.pb, c0, 12, &par, collect_region, &r, &err) == MAP_OK, "%s", err.msg);
        check_region(&f, c0, &r, "shifted base");
        MAP_CHECK(map_region_ray(&f.pb, c0, dir, NULL, &r.row[0], &err) == MAP_OK, "%s", err.msg);
        r.count = 1;
        check_region(&f, c0, &r, "single ray");
        /* An unattainable base is refused. */
        for (size_t i = 0; i < k; i++)
            c0[i] = f.mean[i] + 4.0 * f.scale[i];
        r.count = 0;
        MAP_CHECK(map_region(&f.pb, c0, 12, &par, collect_region, &r, &err) == MAP_EDATA && r.count == 0,
                  "unattainable base");
        free(x);
    }
    /* A base on the boundary: steps of zero in every outward direction. */
    double sq[] = {0, 0, 1, 0, 0, 1};
    const size_t cols[] = {0, 1};
    fixture f;
    fixture_init(&f, sq, 3, 2, 2, cols);
    const double edge[] = {0.5, 0.5};
    map_error err;
    r.count = 0;
    MAP_CHECK(map_region(&f.pb, edge, 8, NULL, collect_region, &r, &err) == MAP_OK, "%s", err.msg);
    for (size_t a = 0; a < r.count; a++) {
        const map_region_row *row = &r.row[a];
        const double out = row->dir[0] + row->dir[1];
        if (row->bounded && out > 1e-12)
            MAP_CHECK(row->step <= 1e-9, "edge base: outward step %g (angle %g)", row->step, row->angle);
    }
    /* (0.5, 0.5) + s·(1, 0) is attainable up to s = 0.5 along the edge?
     * No: c1 ≥ 0.5 with c0 ≥ 0.5 + s has no room; but going (1, −1) runs
     * along the edge to the vertex (1, 0). */
    const double along[] = {1.0, -1.0};
    map_region_row row;
    MAP_CHECK(map_region_ray(&f.pb, edge, along, NULL, &row, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK_CLOSE(row.step, 0.5, 1e-10, "along the edge to the vertex");
    map_region_params par;
    map_region_params_default(&par);
    MAP_CHECK(map_region(&f.pb, NULL, 0, &par, collect_region, &r, &err) == MAP_EDATA, "no direction");
    gsl_rng_free(rng);
}

/* ---- The MAP paper's samples --------------------------------------------- */

static void test_realdata(void)
{
    char path[4096];
    map_test_data_path(path, sizeof path, "map-opt1.3b-hh.csv");
    static const char *const values[] = {"gpt2-helpful", "gpt2-harmless", "humor"};
    map_dataset *ds = NULL;
    map_error err;
    MAP_CHECK(map_test_data_read(path, values, 3, NULL, &ds, &err) == MAP_OK, "%s", err.msg);
    if (!ds)
        return;
    const size_t cols[] = {0, 1};
    fixture f;
    fixture_init(&f, ds->x, ds->n, 3, 2, cols);
    map_frontier_ws *ws = map_frontier_ws_new(ds->n, 2, 3);
    static rows r;
    const double budgets[] = {0.5, 1.0};
    for (size_t b = 0; b < 2; b++) {
        r.count = 0;
        r.stop_after = 0;
        MAP_CHECK(map_frontier_budget(&f.pb, budgets[b], 11, 0, NULL, NULL, ws, collect, &r, &err) == MAP_OK, "%s",
                  err.msg);
        check_budget_rows(&f, &r, budgets[b], "opt1.3b");
        for (size_t a = 0; a < r.count; a++) {
            long double lev[MAXM];
            ref_budget(&f, r.row[a].u, budgets[b], lev);
            for (size_t c = 0; c < 3; c++)
                MAP_CHECK_CLOSE(r.row[a].levels[c], (double)lev[c], 1e-7, "real data levels vs dual");
        }
        fprintf(stderr, "opt1.3b KL %.1f: helpful %.4f..%.4f, harmless %.4f..%.4f\n", budgets[b],
                r.row[r.count - 1].levels[0], r.row[0].levels[0], r.row[0].levels[1], r.row[r.count - 1].levels[1]);
    }
    static region_rows rr;
    rr.count = 0;
    MAP_CHECK(map_region(&f.pb, NULL, 16, NULL, collect_region, &rr, &err) == MAP_OK, "%s", err.msg);
    check_region(&f, f.mean, &rr, "opt1.3b region");
    map_frontier_ws_free(ws);
    map_dataset_free(ds);
}

/* ---- Per-prompt normalisation ----------------------------------------- */

/* Independent per-prompt KL and levels at λ = t·u, straight from the
 * samples in long double: KL = (1/K) Σ_g (λᵀμ_g − Λ_g), levels the average
 * of the groups' tilted means. */
static long double ref_grouped(const double *x, size_t m, const size_t *cols, size_t k, const map_groups *g,
                               const double *lambda, long double *lev)
{
    long double kl = 0;
    for (size_t c = 0; c < m; c++)
        lev[c] = 0;
    for (size_t q = 0; q < g->ngroups; q++) {
        long double smax = -INFINITY, z = 0, mu[MAXM] = {0}, sl = 0;
        for (size_t p2 = g->start[q]; p2 < g->start[q + 1]; p2++) {
            long double sc = 0;
            for (size_t i = 0; i < k; i++)
                sc += (long double)lambda[i] * x[g->order[p2] * m + cols[i]];
            smax = sc > smax ? sc : smax;
        }
        for (size_t p2 = g->start[q]; p2 < g->start[q + 1]; p2++) {
            const double *r = x + g->order[p2] * m;
            long double sc = 0;
            for (size_t i = 0; i < k; i++)
                sc += (long double)lambda[i] * r[cols[i]];
            const long double e = expl(sc - smax);
            z += e;
            sl += e * sc;
            for (size_t c = 0; c < m; c++)
                mu[c] += e * r[c];
        }
        const long double nq = (long double)(g->start[q + 1] - g->start[q]);
        kl += sl / z - (smax + logl(z / nq));
        for (size_t c = 0; c < m; c++)
            lev[c] += mu[c] / z / (long double)g->ngroups;
    }
    return kl / (long double)g->ngroups;
}

static void test_grouped(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 99);
    for (int rep = 0; rep < 6; rep++) {
        /* Unequal groups, some singletons, ties inside some groups. */
        const size_t K = 20 + gsl_rng_uniform_int(rng, 30), m = 3;
        size_t *start = map_mallocarray(K + 1, sizeof *start);
        start[0] = 0;
        for (size_t q = 0; q < K; q++)
            start[q + 1] = start[q] + (gsl_rng_uniform(rng) < 0.3 ? 1 : 2 + gsl_rng_uniform_int(rng, 9));
        const size_t n = start[K];
        size_t *order = map_mallocarray(n, sizeof *order);
        for (size_t j = 0; j < n; j++)
            order[j] = j;
        gsl_ran_shuffle(rng, order, n, sizeof *order);
        double *x = random_data(rng, n, m);
        if (rep % 2)
            for (size_t j = 0; j < n; j++)
                x[j * m] = round(2.0 * x[j * m]); /* ties on value 0 */
        map_groups g = {K, start, order};
        size_t cols[2] = {0, 1};
        fixture f;
        fixture_init(&f, x, n, m, 2, cols);
        f.pb.groups = &g;
        map_frontier_ws *ws = map_frontier_ws_new(n, 2, m);
        /* KL_sup: (1/K) Σ_g log(n_g / face_g), faces counted by brute force. */
        const double u[2] = {0.7 / f.scale[0], 0.3 / f.scale[1]};
        double kl_sup_ref = 0.0;
        for (size_t q = 0; q < K; q++) {
            double best = -INFINITY;
            size_t face = 0;
            for (size_t p2 = start[q]; p2 < start[q + 1]; p2++)
                best = fmax(best, u[0] * x[order[p2] * m] + u[1] * x[order[p2] * m + 1]);
            for (size_t p2 = start[q]; p2 < start[q + 1]; p2++)
                face += u[0] * x[order[p2] * m] + u[1] * x[order[p2] * m + 1] >= best - 1e-12 * (fabs(best) + 10.0);
            kl_sup_ref += log((double)(start[q + 1] - start[q]) / (double)face);
        }
        kl_sup_ref /= (double)K;
        double kl_sup;
        size_t face;
        map_error err;
        MAP_CHECK(map_kl_sup(&f.pb, u, 0.0, &kl_sup, &face, &err) == MAP_OK, "%s", err.msg);
        MAP_CHECK_CLOSE(kl_sup, kl_sup_ref, 1e-12, "per-prompt KL_sup");
        /* Budget frontier: KL on budget and levels against the reference. */
        const double eps_list[2] = {0.05, 0.5 * kl_sup_ref};
        for (int e = 0; e < 2; e++) {
            rows r = {0};
            MAP_CHECK(map_frontier_budget(&f.pb, eps_list[e], 9, 0, NULL, NULL, ws, collect, &r, &err) == MAP_OK,
                      "%s", err.msg);
            for (size_t a = 0; a < r.count && a < MAXROWS; a++) {
                const map_frontier_row *row = &r.row[a];
                if (row->ray.status == MAP_RAY_SATURATED)
                    continue;
                long double lev[MAXM];
                const long double kl = ref_grouped(x, m, cols, 2, &g, row->lambda, lev);
                MAP_CHECK(fabsl(kl - eps_list[e]) <= 1e-9 * fmax(1.0, eps_list[e]), "grouped KL %.17Lg vs %g", kl,
                          eps_list[e]);
                for (size_t c = 0; c < m; c++)
                    MAP_CHECK_CLOSE(row->levels[c], (double)lev[c], 1e-10, "grouped level");
            }
        }
        /* Beyond the supremum: saturated, the prompt-averaged face mean. */
        rows r = {0};
        MAP_CHECK(map_frontier_budget(&f.pb, INFINITY, 5, 0, NULL, NULL, ws, collect, &r, &err) == MAP_OK, "%s",
                  err.msg);
        for (size_t a = 0; a < r.count && a < MAXROWS; a++)
            MAP_CHECK(r.row[a].ray.status == MAP_RAY_SATURATED && r.row[a].ray.kl == r.row[a].ray.kl_sup,
                      "limit rows saturated");
        /* Region: boundary rays verified by the per-prompt verdicts, whose
         * certificates are checked against the data. */
        map_solver_ws *sws = map_solver_ws_new(2, m);
        region_rows rr = {0};
        MAP_CHECK(map_region(&f.pb, NULL, 12, NULL, collect_region, &rr, &err) == MAP_OK, "%s", err.msg);
        for (size_t a = 0; a < rr.count && a < 400; a++) {
            const map_region_row *row = &rr.row[a];
            if (!row->bounded || !(row->step > 0.0))
                continue;
            double out[2], in[2];
            for (size_t i = 0; i < 2; i++) {
                const double c0 = row->point[i] - row->step * row->dir[i];
                out[i] = c0 + row->step * (1.0 + 1e-6) * row->dir[i];
                in[i] = c0 + row->step * (1.0 - 1e-6) * row->dir[i];
            }
            map_problem q = f.pb;
            map_result res;
            q.target = out;
            MAP_CHECK(map_solve_palette(&q, NULL, NULL, NULL, sws, &res, &err) == MAP_OK &&
                          res.status == MAP_SOLVE_INFEASIBLE,
                      "grouped region row %zu outside: %s", a, map_solve_status_name(res.status));
            double gap;
            MAP_CHECK(res.status != MAP_SOLVE_INFEASIBLE || map_certificate_check(&q, res.direction, &gap),
                      "grouped certificate verifies");
            q.target = in;
            MAP_CHECK(map_solve_palette(&q, NULL, NULL, NULL, sws, &res, &err) == MAP_OK &&
                          res.status == MAP_SOLVE_OPTIMAL,
                      "grouped region row %zu inside: %s", a, map_solve_status_name(res.status));
        }
        map_solver_ws_free(sws);
        map_frontier_ws_free(ws);
        map_free(x);
        map_free(start);
        map_free(order);
    }
    gsl_rng_free(rng);
}

int main(void)
{
    MAP_RUN(test_frontier_k2);
    MAP_RUN(test_frontier_k3);
    MAP_RUN(test_budget_t);
    MAP_RUN(test_kl_sup_ties);
    MAP_RUN(test_curve);
    MAP_RUN(test_hull);
    MAP_RUN(test_region);
    MAP_RUN(test_realdata);
    MAP_RUN(test_grouped);
    return map_test_finish();
}
