/* test_methods.c — the MAP dual through NLopt's L-BFGS and MMA against
 * projected Newton (three algorithms on one problem, as NLopt tests every
 * algorithm on every objective), the diagnostics' honesty, and the
 * sensitivity dλ/dc and shadow prices against finite differences of
 * independent solves. Real data: the MAP paper's HHH palettes on both
 * datasets ($MAP_SHARED/datasets). */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "map_ingest.h"
#include "map_methods.h"
#include "map_sensitivity.h"
#include "map_solver.h"
#include "map_stats.h"
#include "map_test.h"
#include "map_test_data.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* n correlated, skewed rows of m columns. */
static double *synthetic(size_t n, size_t m, unsigned long seed)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    double *x = malloc(n * m * sizeof *x);
    for (size_t j = 0; j < n; j++) {
        const double z = gsl_ran_gaussian(rng, 1.0);
        for (size_t i = 0; i < m; i++)
            x[j * m + i] = 0.5 * z + gsl_ran_gaussian(rng, 1.0) + (i == 1 ? gsl_ran_exponential(rng, 1.0) : 0.0);
    }
    gsl_rng_free(rng);
    return x;
}

typedef struct prob {
    size_t k;
    size_t cols[8];
    double c[8], scale[8], absmax[8], mean[8];
    map_problem pb;
} prob;

static void prob_init(prob *p, const double *x, size_t n, size_t m, size_t k, const double *c)
{
    memset(p, 0, sizeof *p);
    p->k = k;
    map_matrix X = {n, m, m, x, NULL};
    map_colstat cs[8];
    map_column_stats(&X, cs);
    for (size_t i = 0; i < k; i++) {
        p->cols[i] = i;
        p->c[i] = c[i];
        p->scale[i] = cs[i].sd;
        p->absmax[i] = cs[i].absmax;
        p->mean[i] = cs[i].mean;
    }
    map_problem pb = {X, k, p->cols, p->c, p->scale, p->absmax, NULL};
    p->pb = pb;
}

/* All three methods on pb; λ agree within atol·max(1, max λ). */
static void agree(const map_problem *pb, map_solver_ws *ws, double atol, const char *what,
                  double *times)
{
    map_result r[3];
    for (int m = 0; m < 3; m++) {
        map_error err;
        const double t0 = now();
        MAP_CHECK(map_solve_palette_method(pb, (map_method)m, NULL, NULL, NULL, ws, &r[m], &err) ==
                      MAP_OK, "%s", err.msg);
        if (times)
            times[m] += now() - t0;
        MAP_CHECK(r[m].status == MAP_SOLVE_OPTIMAL, "%s %s: %s (kkt %g)", what,
                  map_method_name((map_method)m), map_solve_status_name(r[m].status), r[m].diag.kkt);
        if (r[m].status == MAP_SOLVE_OPTIMAL)
            MAP_CHECK(r[m].diag.kkt <= MAP_METHOD_KKT_TOL + 1e-9 && r[m].diag.violation <= 1e-7,
                      "%s %s: optimal with kkt %g", what, map_method_name((map_method)m),
                      r[m].diag.kkt);
    }
    double lmax = 1.0;
    for (size_t i = 0; i < pb->k; i++)
        lmax = fmax(lmax, fabs(r[0].lambda[i]));
    for (int m = 1; m < 3; m++)
        for (size_t i = 0; i < pb->k; i++)
            MAP_CHECK(fabs(r[m].lambda[i] - r[0].lambda[i]) <= atol * lmax,
                      "%s value %zu: %s %.12g vs newton %.12g", what, i,
                      map_method_name((map_method)m), r[m].lambda[i], r[0].lambda[i]);
    for (int m = 1; m < 3; m++)
        MAP_CHECK(fabs(r[m].diag.kl - r[0].diag.kl) <= 1e-6 * fmax(1.0, r[0].diag.kl),
                  "%s KL %s %.12g vs %.12g", what, map_method_name((map_method)m), r[m].diag.kl,
                  r[0].diag.kl);
}

static void test_names(void)
{
    map_method m = MAP_METHOD_NEWTON;
    MAP_CHECK(map_method_parse("mma", &m) == 0 && m == MAP_METHOD_MMA, "mma");
    MAP_CHECK(map_method_parse("lbfgs", &m) == 0 && m == MAP_METHOD_LBFGS, "lbfgs");
    MAP_CHECK(map_method_parse("bfgs", &m) != 0 && m == MAP_METHOD_LBFGS, "unknown");
    MAP_CHECK(strcmp(map_method_name(MAP_METHOD_NEWTON), "newton") == 0, "newton");
}

static void test_synthetic_agree(void)
{
    const size_t n = 3000, m = 4;
    double *x = synthetic(n, m, 11);
    map_solver_ws *ws = map_solver_ws_new(4, 4);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 5);
    int done = 0;
    for (int rep = 0; rep < 40 && done < 20; rep++) {
        const size_t k = 1 + (size_t)rep % 4;
        double c[4];
        for (size_t i = 0; i < k; i++)
            c[i] = 0.3 + 0.6 * gsl_rng_uniform(rng);
        prob p;
        prob_init(&p, x, n, m, k, c);
        double v;
        map_error err;
        if (map_margin(&p.pb, NULL, &v, NULL, &err) != MAP_OK || !(v > 1e-3))
            continue;
        char what[64];
        snprintf(what, sizeof what, "synthetic #%d k=%zu", rep, k);
        agree(&p.pb, ws, 1e-6, what, NULL);
        done++;
    }
    MAP_CHECK(done >= 10, "only %d attainable palettes", done);
    /* Verdicts come first: an infeasible palette is infeasible by every method. */
    const double hi[2] = {1e3, 0.0};
    prob p;
    prob_init(&p, x, n, m, 2, hi);
    for (int me = 1; me < 3; me++) {
        map_result r;
        map_error err;
        MAP_CHECK(map_solve_palette_method(&p.pb, (map_method)me, NULL, NULL, NULL, ws, &r, &err) ==
                          MAP_OK && r.status == MAP_SOLVE_INFEASIBLE && r.has_direction,
                  "infeasible by %s", map_method_name((map_method)me));
    }
    gsl_rng_free(rng);
    map_solver_ws_free(ws);
    free(x);
}

/* map_diagnose claims optimal only when the KKT test passes. */
static void test_diagnose_honest(void)
{
    const size_t n = 2000, m = 3;
    double *x = synthetic(n, m, 3);
    const double c[3] = {0.5, 0.8, 0.2};
    prob p;
    prob_init(&p, x, n, m, 3, c);
    map_solver_ws *ws = map_solver_ws_new(3, 3);
    map_result res;
    map_error err;
    MAP_CHECK(map_solve_palette(&p.pb, NULL, NULL, NULL, ws, &res, &err) == MAP_OK &&
                  res.status == MAP_SOLVE_OPTIMAL, "newton");
    double mu[3];
    map_solution sol;
    const double zero[3] = {0};
    MAP_CHECK(map_diagnose(&p.pb, zero, 1e-8, ws, mu, &sol) == MAP_OK, "diagnose");
    MAP_CHECK(sol.status == MAP_SOLVE_NOT_CONVERGED && sol.kkt > 0.1, "λ = 0 is not optimal");
    MAP_CHECK(map_diagnose(&p.pb, res.lambda, 1e-8, ws, mu, &sol) == MAP_OK, "diagnose");
    MAP_CHECK(sol.status == MAP_SOLVE_OPTIMAL, "λ* is optimal (kkt %g)", sol.kkt);
    MAP_CHECK_CLOSE(sol.kl, res.diag.kl, 1e-12, "KL");
    MAP_CHECK_CLOSE(sol.ess, res.diag.ess, 1e-10, "ESS");
    MAP_CHECK_CLOSE(sol.cond, res.diag.cond, 1e-6, "condition");
    /* One evaluation budget: L-BFGS cannot reach the optimum, and says so. */
    map_solver_params par;
    map_solver_params_default(&par);
    par.max_iter = 0;
    MAP_CHECK(map_solve_palette_method(&p.pb, MAP_METHOD_LBFGS, &par, NULL, NULL, ws, &res, &err) ==
                      MAP_OK && res.status == MAP_SOLVE_NOT_CONVERGED,
              "one evaluation: %s", map_solve_status_name(res.status));
    map_solver_ws_free(ws);
    free(x);
}

/* dλ/dc = Σ_FF⁻¹ and ∂KL/∂c = λ against central differences of Newton
 * solves at c ± h e_l. */
static void test_sensitivity(void)
{
    const size_t n = 4000, m = 4;
    double *x = synthetic(n, m, 21);
    /* Values 0..2 binding, value 3 inactive (its target below the mean). */
    const double c[4] = {0.45, 1.3, 0.35, -1.0};
    prob p;
    prob_init(&p, x, n, m, 4, c);
    map_solver_ws *ws = map_solver_ws_new(4, 4);
    map_result res;
    map_error err;
    MAP_CHECK(map_solve_palette(&p.pb, NULL, NULL, NULL, ws, &res, &err) == MAP_OK &&
                  res.status == MAP_SOLVE_OPTIMAL, "solve");
    MAP_CHECK(res.lambda[3] == 0.0 && res.lambda[0] > 0 && res.lambda[1] > 0 && res.lambda[2] > 0,
              "active set (%g %g %g %g)", res.lambda[0], res.lambda[1], res.lambda[2],
              res.lambda[3]);
    double d[16], cond;
    size_t nf = 0;
    MAP_CHECK(map_sensitivity(&p.pb, res.lambda, ws, d, &nf, &cond, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(nf == 3 && cond >= 1.0 && isfinite(cond), "free set %zu, cond %g", nf, cond);
    for (size_t l = 0; l < 4; l++) {
        const double h = 1e-4 * p.scale[l];
        double lp[4] = {0}, lm[4] = {0}, klp = 0.0, klm = 0.0;
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            prob q;
            double cc[4];
            memcpy(cc, c, sizeof cc);
            cc[l] += sgn * h;
            prob_init(&q, x, n, m, 4, cc);
            map_result r2;
            MAP_CHECK(map_solve_palette(&q.pb, NULL, NULL, res.lambda, ws, &r2, &err) == MAP_OK &&
                          r2.status == MAP_SOLVE_OPTIMAL, "perturbed solve");
            memcpy(sgn > 0 ? lp : lm, r2.lambda, sizeof lp);
            *(sgn > 0 ? &klp : &klm) = r2.diag.kl;
        }
        for (size_t i = 0; i < 4; i++) {
            const double fd = (lp[i] - lm[i]) / (2 * h);
            MAP_CHECK(fabs(fd - d[i * 4 + l]) <= 1e-4 * fmax(1.0, fabs(fd)),
                      "dlambda_%zu/dc_%zu: %.9g vs finite difference %.9g", i, l, d[i * 4 + l], fd);
        }
        MAP_CHECK(fabs((klp - klm) / (2 * h) - res.lambda[l]) <= 1e-5 * fmax(1.0, res.lambda[l]),
                  "shadow price %zu: dKL/dc %.9g vs lambda %.9g", l, (klp - klm) / (2 * h),
                  res.lambda[l]);
    }
    /* Symmetric (an inverse covariance). */
    for (size_t i = 0; i < 4; i++)
        for (size_t l = 0; l < i; l++)
            MAP_CHECK_CLOSE(d[i * 4 + l], d[l * 4 + i], 1e-10, "symmetric");
    /* An exact duplicate column among the binding values: singular, said so. */
    double *x2 = malloc(n * 2 * sizeof *x2);
    for (size_t j = 0; j < n; j++)
        x2[2 * j] = x2[2 * j + 1] = x[j * m];
    const double c2[2] = {0.45, 0.45};
    prob q;
    prob_init(&q, x2, n, 2, 2, c2);
    double lam2[2] = {0.3, 0.4};
    MAP_CHECK(map_sensitivity(&q.pb, lam2, ws, d, &nf, &cond, &err) == MAP_EDATA,
              "duplicate column: singular");
    free(x2);
    map_solver_ws_free(ws);
    free(x);
}

/* HHH-x on the MAP paper's datasets: humor, helpful, harmless at
 * max(mean, q_x), the other values at their means; the three methods agree
 * to 1e-6 (in units of the largest λ). Times each method. */
static void test_real_hhh(void)
{
    static const char *const VALUES[6] = MAP_TEST_HH_VALUES;
    const char *files[2] = {"map-opt1.3b-hh.csv", "map-llama2chat-hh.csv"};
    for (int f = 0; f < 2; f++) {
        char path[4096];
        map_test_data_path(path, sizeof path, files[f]);
        map_dataset *ds = NULL;
        map_error err;
        MAP_CHECK(map_test_data_read(path, VALUES, 6, NULL, &ds, &err) == MAP_OK, "load %s: %s", path, err.msg);
        if (!ds)
            continue;
        map_matrix X = map_dataset_matrix(ds);
        map_colstat cs[6];
        map_column_stats(&X, cs);
        double *sorted[6];
        for (size_t i = 0; i < 6; i++)
            map_column_sorted(&X, i, &sorted[i], NULL);
        map_solver_ws *ws = map_solver_ws_new(6, 6);
        double times[3] = {0};
        const double xs[] = {0.5, 0.6, 0.7, 0.8};
        for (size_t t = 0; t < 4; t++) {
            size_t cols[6] = {0, 1, 2, 3, 4, 5};
            double c[6], scale[6], absmax[6];
            for (size_t i = 0; i < 6; i++) {
                c[i] = i < 3 ? fmax(cs[i].mean, map_quantile_sorted(sorted[i], ds->n, xs[t]))
                             : cs[i].mean;
                scale[i] = cs[i].sd;
                absmax[i] = cs[i].absmax;
            }
            map_problem pb = {X, 6, cols, c, scale, absmax, NULL};
            char what[128];
            snprintf(what, sizeof what, "%s HHH-%.0f", files[f], xs[t] * 100);
            agree(&pb, ws, 1e-6, what, times);
        }
        fprintf(stderr, "%s, 4 HHH palettes: newton %.1f ms, lbfgs %.1f ms, mma %.1f ms\n",
                files[f], 1e3 * times[0], 1e3 * times[1], 1e3 * times[2]);
        map_solver_ws_free(ws);
        for (size_t i = 0; i < 6; i++)
            map_free(sorted[i]);
        map_dataset_free(ds);
    }
}

int main(void)
{
    MAP_RUN(test_names);
    MAP_RUN(test_synthetic_agree);
    MAP_RUN(test_diagnose_honest);
    MAP_RUN(test_sensitivity);
    MAP_RUN(test_real_hhh);
    return map_test_finish();
}
