/* test_feasible.c — verdicts, margins and certificates against an
 * independent full LP (tests/map_reference.c), on constructed cases and on
 * random data. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

#include "map_reference.h"
#include "map_solver.h"
#include "map_stats.h"
#include "map_test.h"

typedef struct fixture {
    size_t n, m;
    double *x;
    size_t cols[MAP_MAX_K];
    double scale[MAP_MAX_K], absmax[MAP_MAX_K];
    map_colstat cs[MAP_MAX_K];
    map_problem pb;
} fixture;

static void fixture_init(fixture *f, double *x, size_t n, size_t m, size_t k, const size_t *cols,
                         const double *c)
{
    f->n = n;
    f->m = m;
    f->x = x;
    map_matrix X = {n, m, m, x, NULL};
    map_column_stats(&X, f->cs);
    for (size_t i = 0; i < k; i++) {
        f->cols[i] = cols[i];
        f->scale[i] = f->cs[cols[i]].sd > 0.0 ? f->cs[cols[i]].sd : 1.0;
        f->absmax[i] = f->cs[cols[i]].absmax;
    }
    map_problem pb = {X, k, f->cols, c, f->scale, f->absmax, NULL};
    f->pb = pb;
}

/* The default solve (Newton first, no margin) on the same palette: the same
 * verdict as the LP-first solve `lp`, its own evidence verified, and a
 * margin only when the LP was needed. */
static void newton_first_agrees(fixture *f, map_solver_ws *ws, const map_result *lp, double ref,
                                const char *what)
{
    map_result res;
    map_error err;
    MAP_CHECK(map_solve_palette(&f->pb, NULL, NULL, NULL, ws, &res, &err) == MAP_OK, "%s: %s", what,
              err.msg);
    /* One exception: a palette the reference tilt itself meets exactly (λ = 0,
     * μ(0) ≥ c) is attained, even when it lies on the hull's boundary (v* = 0,
     * which the LP calls boundary). */
    int exact = res.status == MAP_SOLVE_OPTIMAL;
    for (size_t i = 0; i < f->pb.k; i++)
        exact = exact && res.lambda[i] == 0.0 && res.level[i] >= f->pb.target[i];
    MAP_CHECK(res.status == lp->status || (exact && lp->status == MAP_SOLVE_BOUNDARY),
              "%s: Newton first says %s, LP first %s (margin %g)", what,
              map_solve_status_name(res.status), map_solve_status_name(lp->status), ref);
    /* The margin: not computed, or (when the LP was needed) the LP's. */
    MAP_CHECK(isnan(res.margin) || fabs(res.margin - lp->margin) <= 1e-12 * fmax(1.0, fabs(lp->margin)),
              "%s: newton-first margin %.17g vs %.17g", what, res.margin, lp->margin);
    if (res.status == MAP_SOLVE_OPTIMAL) {
        MAP_CHECK(res.diag.kkt <= 1e-10 + 1e-9, "%s: newton-first kkt %g", what, res.diag.kkt);
        for (size_t i = 0; i < f->pb.k; i++) {
            MAP_CHECK(res.level[i] >= f->pb.target[i] - 1e-9 * f->scale[i] && res.lambda[i] >= 0.0,
                      "%s: newton-first level %zu", what, i);
            MAP_CHECK(fabs(res.lambda[i] - lp->lambda[i]) <= 1e-6 * (1.0 + fabs(lp->lambda[i])) / f->scale[i],
                      "%s: lambda %zu %.17g vs %.17g", what, i, res.lambda[i], lp->lambda[i]);
        }
    } else if (res.status == MAP_SOLVE_INFEASIBLE) {
        double gap;
        MAP_CHECK(map_certificate_check(&f->pb, res.direction, &gap) && gap > 0.0 && res.cert_gap > 0.0,
                  "%s: newton-first certificate does not verify", what);
        double mx = 0.0;
        size_t nz = 0, ones = 0;
        for (size_t i = 0; i < f->pb.k; i++) {
            mx = fmax(mx, res.direction[i] * f->scale[i]);
            nz += res.direction[i] != 0.0;
            ones += res.direction[i] == 1.0;
        }
        MAP_CHECK(fabs(mx - 1.0) <= 1e-12 || (nz == 1 && ones == 1),
                  "%s: certificate normalised to max d_i sd_i = 1 (or e_i)", what);
    }
}

/* Checks everything a verdict must carry; returns the status. */
static map_solve_status verdict(fixture *f, map_result *res, const char *what)
{
    map_solver_ws *ws = map_solver_ws_new(f->pb.k, f->m);
    map_error err;
    map_feas_params fp; /* the margin asked for: the LP verdict first, as feasible */
    map_feas_params_default(&fp);
    fp.want_margin = 1;
    MAP_CHECK(map_solve_palette(&f->pb, NULL, &fp, NULL, ws, res, &err) == MAP_OK, "%s: %s", what, err.msg);
    double ref;
    MAP_CHECK(map_ref_margin(f->x, f->n, f->m, f->pb.k, f->cols, f->pb.target, f->scale, &ref) == 0,
              "%s: reference LP", what);
    MAP_CHECK(fabs(res->margin - ref) <= 1e-9 * fmax(1.0, fabs(ref)), "%s: margin %.17g vs LP %.17g",
              what, res->margin, ref);
    if (res->status == MAP_SOLVE_OPTIMAL) {
        MAP_CHECK(ref > 0.0, "%s: optimal but reference margin %g", what, ref);
        MAP_CHECK(res->diag.kkt <= 1e-10 + 1e-9, "%s: kkt %g", what, res->diag.kkt);
        for (size_t i = 0; i < f->pb.k; i++)
            MAP_CHECK(res->level[i] >= f->pb.target[i] - 1e-9 * f->scale[i] && res->lambda[i] >= 0.0,
                      "%s: level %zu %.17g below %.17g", what, i, res->level[i], f->pb.target[i]);
    } else if (res->status == MAP_SOLVE_INFEASIBLE) {
        double gap;
        MAP_CHECK(ref < 0.0, "%s: infeasible but reference margin %g", what, ref);
        MAP_CHECK(map_certificate_check(&f->pb, res->direction, &gap) && gap > 0.0,
                  "%s: certificate does not verify", what);
        /* Check the certificate by hand too: dᵀc > max_j dᵀr_j. */
        double dc = 0.0, best = -INFINITY;
        for (size_t i = 0; i < f->pb.k; i++)
            dc += res->direction[i] * f->pb.target[i];
        for (size_t j = 0; j < f->n; j++) {
            double s = 0.0;
            for (size_t i = 0; i < f->pb.k; i++)
                s += res->direction[i] * f->x[j * f->m + f->cols[i]];
            best = fmax(best, s);
        }
        MAP_CHECK(dc > best, "%s: d'c %.17g <= max d'r %.17g", what, dc, best);
    } else if (res->status == MAP_SOLVE_BOUNDARY) {
        MAP_CHECK(fabs(ref) <= 1e-9, "%s: boundary but reference margin %g", what, ref);
    }
    newton_first_agrees(f, ws, res, ref, what);
    map_solver_ws_free(ws);
    return res->status;
}

static void test_constructed(void)
{
    /* Two values, four samples on the corners of a square with one missing:
     * (0,0) (1,0) (0,1). Each of c = (0.9, ·) and (·, 0.9) alone is
     * attainable, together they are not (c1 + c2 ≤ 1 on the hull). */
    double x[] = {0, 0, 1, 0, 0, 1};
    size_t cols[] = {0, 1};
    map_result res;
    fixture f;
    double c_joint[] = {0.6, 0.6};
    fixture_init(&f, x, 3, 2, 2, cols, c_joint);
    MAP_CHECK(verdict(&f, &res, "joint") == MAP_SOLVE_INFEASIBLE, "joint: %s", map_solve_status_name(res.status));
    MAP_CHECK(res.direction[0] > 0 && res.direction[1] > 0, "joint certificate uses both values");
    double c_one[] = {0.9, 0.05};
    fixture_init(&f, x, 3, 2, 2, cols, c_one);
    MAP_CHECK(verdict(&f, &res, "one") == MAP_SOLVE_OPTIMAL, "one: %s", map_solve_status_name(res.status));
    double c_edge[] = {0.5, 0.5}; /* on the hull's edge: boundary */
    fixture_init(&f, x, 3, 2, 2, cols, c_edge);
    MAP_CHECK(verdict(&f, &res, "edge") == MAP_SOLVE_BOUNDARY, "edge: %s", map_solve_status_name(res.status));
    double c_max[] = {1.0, 0.0}; /* exactly at a value's maximum */
    fixture_init(&f, x, 3, 2, 2, cols, c_max);
    MAP_CHECK(verdict(&f, &res, "at max") == MAP_SOLVE_BOUNDARY, "at max: %s", map_solve_status_name(res.status));
    MAP_CHECK(res.direction[0] > 0.0, "boundary driven by value 0");
    double c_above[] = {1.0 + 1e-12, 0.0};
    fixture_init(&f, x, 3, 2, 2, cols, c_above);
    MAP_CHECK(verdict(&f, &res, "above max") == MAP_SOLVE_INFEASIBLE, "above max");
    MAP_CHECK(res.direction[0] > 0.0 && res.direction[1] == 0.0, "d = e_0");
    /* Palette exactly at the means: λ = 0 with no iteration. */
    double c_mean[] = {1.0 / 3.0, 1.0 / 3.0};
    fixture_init(&f, x, 3, 2, 2, cols, c_mean);
    c_mean[0] = f.cs[0].mean;
    c_mean[1] = f.cs[1].mean;
    MAP_CHECK(verdict(&f, &res, "means") == MAP_SOLVE_OPTIMAL, "means");
    MAP_CHECK(res.lambda[0] == 0.0 && res.lambda[1] == 0.0 && res.diag.iterations == 0, "lambda 0 at means");
    /* A single sample: its own value is the boundary, anything above infeasible. */
    double one[] = {2.0, -1.0};
    double c1[] = {2.0, -1.0};
    fixture_init(&f, one, 1, 2, 2, cols, c1);
    MAP_CHECK(verdict(&f, &res, "single at") != MAP_SOLVE_INFEASIBLE, "single sample at its value");
    double c2[] = {2.5, -1.0};
    fixture_init(&f, one, 1, 2, 2, cols, c2);
    MAP_CHECK(verdict(&f, &res, "single above") == MAP_SOLVE_INFEASIBLE, "single sample above");
}

/* Duplicated and negated columns: value 1 = value 0, value 2 = −value 0. */
static void test_collinear(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    const size_t n = 400, m = 3;
    double *x = map_mallocarray(n * m, sizeof *x);
    for (size_t j = 0; j < n; j++) {
        x[j * m] = gsl_ran_gaussian(rng, 1.0);
        x[j * m + 1] = x[j * m];
        x[j * m + 2] = -x[j * m];
    }
    size_t cols[] = {0, 1, 2};
    fixture f;
    map_result res;
    double c_dup[] = {0.5, 0.5, -2.0}; /* attainable; duplicated constraint */
    fixture_init(&f, x, n, m, 2, cols, c_dup);
    map_solve_status s = verdict(&f, &res, "duplicate");
    MAP_CHECK(s == MAP_SOLVE_OPTIMAL, "duplicate: %s", map_solve_status_name(s));
    double c_neg[] = {0.5, 0.5, -0.4}; /* x ≥ 0.5 and −x ≥ −0.4: contradictory */
    fixture_init(&f, x, n, m, 3, cols, c_neg);
    s = verdict(&f, &res, "negated");
    MAP_CHECK(s == MAP_SOLVE_INFEASIBLE, "negated: %s", map_solve_status_name(s));
    map_free(x);
    gsl_rng_free(rng);
}

/* Random palettes on random data: verdict and margin agree with the full LP. */
static void test_random(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    int counts[5] = {0};
    for (int rep = 0; rep < 150; rep++) {
        const size_t n = 20 + gsl_rng_uniform_int(rng, 600), m = 1 + gsl_rng_uniform_int(rng, 6);
        double *x = map_mallocarray(n * m, sizeof *x);
        for (size_t j = 0; j < n * m; j++)
            x[j] = gsl_ran_gaussian(rng, 1.0) + (j % m == 0 ? gsl_ran_exponential(rng, 1.0) : 0.0);
        size_t cols[MAP_MAX_K];
        double c[MAP_MAX_K];
        for (size_t i = 0; i < m; i++) {
            cols[i] = i;
            c[i] = 0.7 + gsl_ran_gaussian(rng, 1.0);
        }
        fixture f;
        fixture_init(&f, x, n, m, m, cols, c);
        map_result res;
        const map_solve_status s = verdict(&f, &res, "random");
        counts[s]++;
        MAP_CHECK(s != MAP_SOLVE_NOT_CONVERGED && s != MAP_SOLVE_STALLED, "random: %s (margin %g)",
                  map_solve_status_name(s), res.margin);
        map_free(x);
    }
    MAP_CHECK(counts[MAP_SOLVE_OPTIMAL] > 10 && counts[MAP_SOLVE_INFEASIBLE] > 10,
              "both verdicts exercised: %d optimal, %d infeasible", counts[0], counts[3]);
    fprintf(stderr, "random: %d optimal, %d infeasible, %d boundary\n", counts[0], counts[3], counts[4]);
    gsl_rng_free(rng);
}

/* Ray adjustment against the reference LP for ρ, and the greedy
 * adjustment's priority order, on random unattainable palettes. */
static void test_adjust(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 5);
    int tested = 0;
    for (int rep = 0; rep < 60; rep++) {
        const size_t n = 50 + gsl_rng_uniform_int(rng, 400), m = 2 + gsl_rng_uniform_int(rng, 4);
        double *x = map_mallocarray(n * m, sizeof *x);
        for (size_t j = 0; j < n * m; j++)
            x[j] = gsl_ran_gaussian(rng, 1.0) * (1.0 + (double)(j % m));
        size_t cols[MAP_MAX_K], order[MAP_MAX_K];
        double c[MAP_MAX_K], c0[MAP_MAX_K], adj[MAP_MAX_K];
        for (size_t i = 0; i < m; i++) {
            cols[i] = i;
            order[i] = m - 1 - i;
            c[i] = (1.0 + (double)i) * (0.5 + 1.5 * gsl_rng_uniform(rng));
        }
        fixture f;
        fixture_init(&f, x, n, m, m, cols, c);
        for (size_t i = 0; i < m; i++)
            c0[i] = f.cs[i].mean;
        double rho, ref;
        map_error err;
        MAP_CHECK(map_adjust_ray(&f.pb, c0, NULL, 0.0, &rho, &err) == MAP_OK, "ray: %s", err.msg);
        MAP_CHECK(map_ref_ray(x, n, m, m, cols, c, c0, &ref) == 0, "reference ray LP");
        MAP_CHECK(fabs(rho - ref) <= 1e-9, "rho %.17g vs LP %.17g", rho, ref);
        tested += ref < 1.0;
        MAP_CHECK(map_adjust_greedy(&f.pb, order, NULL, 0.0, adj, &err) == MAP_OK, "greedy: %s", err.msg);
        /* The adjusted palette is attainable, never above the request, and
         * the first value in priority order keeps its target if it can. */
        double v;
        MAP_CHECK(map_ref_margin(x, n, m, m, cols, adj, f.scale, &v) == 0 && v >= -1e-9,
                  "greedy palette attainable (margin %g)", v);
        for (size_t i = 0; i < m; i++)
            MAP_CHECK(adj[i] <= c[i], "greedy never raises a target");
        const size_t first = order[0];
        if (c[first] <= f.cs[first].max)
            MAP_CHECK(adj[first] == c[first], "top priority keeps its attainable target");
        /* Each adjusted target is the most it can be given those before it. */
        for (size_t p = 0; p < m; p++) {
            const size_t i = order[p];
            if (adj[i] == c[i])
                continue;
            size_t sub[MAP_MAX_K];
            double cs[MAP_MAX_K], sc[MAP_MAX_K];
            for (size_t q = 0; q <= p; q++) {
                sub[q] = cols[order[q]];
                cs[q] = adj[order[q]];
                sc[q] = f.scale[order[q]];
            }
            cs[p] += 1e-7 * sc[p];
            MAP_CHECK(map_ref_margin(x, n, m, p + 1, sub, cs, sc, &v) == 0 && v < 0.0,
                      "greedy target %zu could be higher (margin %g)", i, v);
        }
        map_free(x);
    }
    MAP_CHECK(tested > 20, "enough unattainable palettes (%d)", tested);
    gsl_rng_free(rng);
}

/* Units: scaling and shifting a value's rewards together with its target
 * leaves the verdict and the scaled margin unchanged and scales λ inversely.
 * The rewards carry 24 fractional bits and the maps are powers of two with
 * small shifts, so the transformed data are exact: any difference would be
 * the solver's, not the data's. Wide ranges (x 2^20 and 2^-20, shifts of
 * 2^10 standard deviations) exercise the scale-aware tolerances and the
 * centred scores. */
static void test_units(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 17);
    const double a[3] = {1048576.0, 1.0 / 1048576.0, 8.0}, b[3] = {-5.0 * 1048576.0, 1024.0 / 1048576.0, 0.25};
    for (int rep = 0; rep < 40; rep++) {
        const size_t n = 300, m = 3;
        double *x = map_mallocarray(n * m, sizeof *x), *y = map_mallocarray(n * m, sizeof *y);
        for (size_t j = 0; j < n * m; j++) {
            x[j] = gsl_ran_gaussian(rng, 1.0) + (j % m == 1 ? gsl_ran_exponential(rng, 1.0) : 0.0);
            x[j] = ldexp(round(ldexp(x[j], 24)), -24);
            y[j] = a[j % m] * x[j] + b[j % m];
        }
        size_t cols[] = {0, 1, 2};
        double c[3], cy[3];
        for (size_t i = 0; i < m; i++) {
            c[i] = ldexp(round(ldexp(0.4 + gsl_ran_gaussian(rng, 0.8), 24)), -24);
            cy[i] = a[i] * c[i] + b[i];
        }
        fixture fx, fy;
        fixture_init(&fx, x, n, m, m, cols, c);
        fixture_init(&fy, y, n, m, m, cols, cy);
        map_result rx, ry;
        const map_solve_status sx = verdict(&fx, &rx, "units x");
        const map_solve_status sy = verdict(&fy, &ry, "units y");
        if (sx != sy) fprintf(stderr, "x: it %d kkt %g cond %g; y: it %d kkt %g cond %g viol %g margin %g\n", rx.diag.iterations, rx.diag.kkt, rx.diag.cond, ry.diag.iterations, ry.diag.kkt, ry.diag.cond, ry.diag.violation, ry.margin);
        MAP_CHECK(sx == sy, "verdict changed with units: %s vs %s", map_solve_status_name(sx),
                  map_solve_status_name(sy));
        MAP_CHECK(fabs(rx.margin - ry.margin) <= 1e-9 * fmax(1.0, fabs(rx.margin)), "margin %.17g vs %.17g",
                  rx.margin, ry.margin);
        if (sx == MAP_SOLVE_OPTIMAL && sy == MAP_SOLVE_OPTIMAL)
            for (size_t i = 0; i < m; i++)
                MAP_CHECK(fabs(rx.lambda[i] - a[i] * ry.lambda[i]) <= 1e-7 * fmax(fabs(rx.lambda[i]), 1e-3),
                          "lambda %zu: %.17g vs a*%.17g", i, rx.lambda[i], ry.lambda[i]);
        map_free(x);
        map_free(y);
    }
    gsl_rng_free(rng);
}

/* Adversarial data for the Newton-first verdict (each case through
 * verdict(): the full reference LP and both orders must agree). Integer
 * points of {0,1,2}² with x + y ≤ 3 (the hull's faces are exact in floating
 * point), every row duplicated, a constant third value, and random interior
 * points; palettes exactly on faces, on vertices, just inside and outside. */
static void test_adversarial(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    const size_t m = 3, extra = 40;
    double x[(8 * 2 + 40) * 3];
    size_t n = 0;
    for (int a = 0; a <= 2; a++)
        for (int b = 0; b <= 2; b++) {
            if (a + b > 3)
                continue;
            for (int dup = 0; dup < 2; dup++) {
                x[n * m] = a;
                x[n * m + 1] = b;
                x[n * m + 2] = 5.0;
                n++;
            }
        }
    for (size_t e = 0; e < extra; e++) { /* interior: x, y in (0.1, 1.4) */
        x[n * m] = 0.1 + 1.3 * gsl_rng_uniform(rng);
        x[n * m + 1] = 0.1 + 1.3 * gsl_rng_uniform(rng);
        x[n * m + 2] = 5.0;
        n++;
    }
    size_t cols[3] = {0, 1, 2};
    int counts[5] = {0};
    /* On the face x + y = 3, on x = 2, on y = 2, at the vertex (2, 1), and
     * 1e-9 / 1e-3 inside and outside; with and without the constant value
     * (at its value: v* = 0; below it: met). */
    const double face[][2] = {{1.5, 1.5}, {1.2, 1.8}, {2.0, 0.5}, {0.3, 2.0}, {2.0, 1.0},
                              {2.0, 0.0}, {0.0, 2.0}, {1.0, 2.0}};
    const double shifts[] = {0.0, -1e-9, 1e-9, -1e-3, 1e-3};
    for (size_t p = 0; p < sizeof face / sizeof face[0]; p++)
        for (size_t q = 0; q < sizeof shifts / sizeof shifts[0]; q++)
            for (size_t withc = 0; withc < 3; withc++) {
                double c[3] = {face[p][0] + shifts[q], face[p][1] + shifts[q],
                               withc == 1 ? 5.0 : 4.0};
                fixture f;
                fixture_init(&f, x, n, m, withc ? 3 : 2, cols, c);
                map_result res;
                const map_solve_status st = verdict(&f, &res, "adversarial");
                counts[st]++;
                if (shifts[q] == 0.0 && withc != 1)
                    MAP_CHECK(st == MAP_SOLVE_BOUNDARY, "on a face (%g, %g): %s", c[0], c[1],
                              map_solve_status_name(st));
                if (shifts[q] >= 1e-9)
                    MAP_CHECK(st == MAP_SOLVE_INFEASIBLE, "outside (%g, %g): %s", c[0], c[1],
                              map_solve_status_name(st));
            }
    /* Random palettes over the same data: both orders agree (in verdict()). */
    for (int rep = 0; rep < 200; rep++) {
        double c[3] = {2.4 * gsl_rng_uniform(rng), 2.4 * gsl_rng_uniform(rng),
                       4.9 + 0.1 * (double)gsl_rng_uniform_int(rng, 2)};
        fixture f;
        fixture_init(&f, x, n, m, 3, cols, c);
        map_result res;
        counts[verdict(&f, &res, "adversarial random")]++;
    }
    fprintf(stderr, "adversarial: %d optimal, %d infeasible, %d boundary\n", counts[0], counts[3],
            counts[4]);
    gsl_rng_free(rng);
}

int main(void)
{
    MAP_RUN(test_units);
    MAP_RUN(test_adjust);
    MAP_RUN(test_constructed);
    MAP_RUN(test_collinear);
    MAP_RUN(test_random);
    MAP_RUN(test_adversarial);
    return map_test_finish();
}
