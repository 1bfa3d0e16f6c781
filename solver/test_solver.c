/* test_solver.c — the solver against independent computations: a closed
 * form, palettes built from a known λ (so the answer is known exactly),
 * NLopt's L-BFGS on a long-double reference objective, and the merge of
 * partial statistics against a direct pass. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

#include "map_reference.h"
#include "map_solver.h"
#include "map_stats.h"
#include "map_test.h"

/* Random n x m data: correlated skewed columns with different units. */
static double *random_data(gsl_rng *rng, size_t n, size_t m)
{
    double *x = map_mallocarray(n * m, sizeof *x);
    for (size_t j = 0; j < n; j++) {
        const double common = gsl_ran_gaussian(rng, 1.0);
        for (size_t i = 0; i < m; i++) {
            const double z = 0.6 * common * (i % 2 ? -1.0 : 1.0) + gsl_ran_gaussian(rng, 1.0);
            const double skew = i % 3 == 0 ? exp(0.5 * z) : z;
            x[j * m + i] = (double)(i + 1) * 0.7 * skew + (double)i; /* units differ per column */
        }
    }
    return x;
}

static void fill_problem(map_problem *pb, const double *x, size_t n, size_t m, size_t k, size_t *cols,
                         double *c, double *scale, double *absmax, map_colstat *cs)
{
    map_matrix X = {n, m, m, x, NULL};
    map_column_stats(&X, cs);
    for (size_t i = 0; i < k; i++) {
        scale[i] = cs[cols[i]].sd;
        absmax[i] = cs[cols[i]].absmax;
    }
    pb->data = X;
    pb->k = k;
    pb->cols = cols;
    pb->target = c;
    pb->scale = scale;
    pb->absmax = absmax;
    pb->groups = NULL;
}

/* One value with two support points: n0 samples at 0 and n1 at 1. Then
 * μ(λ) = n1 e^λ / (n0 + n1 e^λ), so λ* = log(c n0 / ((1 − c) n1)). */
static void test_closed_form(void)
{
    const size_t n0 = 7, n1 = 3, n = n0 + n1;
    double x[10];
    for (size_t j = 0; j < n; j++)
        x[j] = j < n0 ? 0.0 : 1.0;
    map_solver_ws *ws = map_solver_ws_new(1, 1);
    const double targets[] = {0.31, 0.5, 0.9, 0.999};
    for (size_t t = 0; t < 4; t++) {
        size_t col = 0;
        double c = targets[t], scale, absmax, lambda, mu;
        map_colstat cs[1];
        map_problem pb;
        fill_problem(&pb, x, n, 1, 1, &col, &c, &scale, &absmax, cs);
        map_solution sol;
        map_error err;
        MAP_CHECK(map_solve(&pb, NULL, NULL, ws, &lambda, &mu, &sol, &err) == MAP_OK, "%s", err.msg);
        const double exact = log(c * n0 / ((1.0 - c) * n1));
        MAP_CHECK(sol.status == MAP_SOLVE_OPTIMAL, "status %s", map_solve_status_name(sol.status));
        MAP_CHECK_CLOSE(lambda, exact, 1e-7, "closed-form lambda");
        MAP_CHECK(fabs(mu - c) <= 1e-10 * scale, "closed-form level %.17g vs %.17g", mu, c);
        /* KL of the optimum: Σ q log(n q), q on two atoms. */
        const double q1 = c / n1, q0 = (1.0 - c) / n0;
        const double kl = c * log(n * q1) + (1.0 - c) * log(n * q0);
        MAP_CHECK_CLOSE(sol.kl, kl, 1e-10, "closed-form KL");
        MAP_CHECK_CLOSE(sol.dual, kl, 1e-10, "dual equals KL at the optimum");
    }
    /* A target at or below the mean gives λ = 0 exactly, at once. */
    size_t col = 0;
    double c = 0.3, scale, absmax, lambda = 5.0, mu;
    map_colstat cs[1];
    map_problem pb;
    fill_problem(&pb, x, n, 1, 1, &col, &c, &scale, &absmax, cs);
    map_solution sol;
    MAP_CHECK(map_solve(&pb, NULL, NULL, ws, &lambda, &mu, &sol, NULL) == MAP_OK, "solve");
    MAP_CHECK(lambda == 0.0 && sol.iterations == 0, "lambda %g after %d iterations", lambda,
              sol.iterations);
    map_solver_ws_free(ws);
}

/* Palettes built from a known λ: c_i = μ_i(λ_true) where λ_true,i > 0 and
 * c_i = μ_i(λ_true) − δ_i where λ_true,i = 0. KKT then holds at λ_true, and
 * strict concavity makes it the unique optimum. */
static void test_known_lambda(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261123);
    const size_t sizes[][2] = {{50, 1}, {200, 2}, {1000, 3}, {3000, 6}, {500, 10}, {20000, 4}, {400, 24}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const size_t n = sizes[s][0], m = sizes[s][1];
        double *x = random_data(rng, n, m);
        map_solver_ws *ws = map_solver_ws_new(m, m);
        for (int rep = 0; rep < 8; rep++) {
            size_t cols[64];
            double lam_true[64], c[64], scale[64], absmax[64], lambda[64], mu[64];
            map_colstat cs[64];
            for (size_t i = 0; i < m; i++) {
                cols[i] = i;
                lam_true[i] = gsl_rng_uniform(rng) < 0.3 ? 0.0 : gsl_rng_uniform(rng) * 1.5;
            }
            map_problem pb;
            fill_problem(&pb, x, n, m, m, cols, c, scale, absmax, cs);
            /* The evaluation centres the scores at the targets: give them a
             * value (the means) before the first one; the palette is set
             * from its levels below. */
            for (size_t i = 0; i < m; i++) {
                c[i] = cs[cols[i]].mean;
                lam_true[i] /= scale[i] * sqrt((double)m); /* keep the tilt moderate */
            }
            MAP_CHECK(map_evaluate(&pb, lam_true, ws, NULL, mu, NULL, NULL, NULL) == MAP_OK, "eval");
            for (size_t i = 0; i < m; i++)
                c[i] = lam_true[i] > 0.0 ? mu[i] : mu[i] - 0.3 * scale[i];
            map_solution sol;
            map_error err;
            MAP_CHECK(map_solve(&pb, NULL, NULL, ws, lambda, mu, &sol, &err) == MAP_OK, "%s", err.msg);
            MAP_CHECK(sol.status == MAP_SOLVE_OPTIMAL, "n=%zu m=%zu: %s after %d iterations, kkt %g",
                      n, m, map_solve_status_name(sol.status), sol.iterations, sol.kkt);
            MAP_CHECK(sol.kkt <= 1e-10 + 1e-12, "kkt %g", sol.kkt);
            for (size_t i = 0; i < m; i++) {
                if (lam_true[i] == 0.0)
                    MAP_CHECK(lambda[i] == 0.0, "inactive lambda %zu = %g (n=%zu m=%zu)", i, lambda[i], n, m);
                else
                    MAP_CHECK(fabs(lambda[i] - lam_true[i]) <= 1e-7 * fabs(lam_true[i]),
                              "lambda %zu: %.17g vs true %.17g (n=%zu m=%zu)", i, lambda[i],
                              lam_true[i], n, m);
            }
            /* NLopt on the independent objective from the same start agrees. */
            double ref[64] = {0};
            const int rc = map_ref_solve(x, n, m, m, cols, c, ref);
            MAP_CHECK(rc > 0, "nlopt rc %d", rc);
            for (size_t i = 0; i < m; i++)
                MAP_CHECK(fabs(ref[i] - lambda[i]) <= 1e-5 * fmax(fabs(lambda[i]), 1.0 / scale[i]),
                          "nlopt lambda %zu: %.12g vs newton %.12g", i, ref[i], lambda[i]);
            double gref[64];
            const double fnew = map_ref_objective(x, n, m, m, cols, c, lambda, gref);
            const double fref = map_ref_objective(x, n, m, m, cols, c, ref, gref);
            MAP_CHECK(fnew <= fref + 1e-13 * (1.0 + fabs(fref)), "newton f %.17g > nlopt f %.17g", fnew, fref);
            MAP_CHECK_CLOSE(-fnew, sol.dual, 1e-12, "dual against long-double reference");
            /* A warm start from a perturbed λ reaches the same point. */
            double init[64], lam2[64], mu2[64];
            for (size_t i = 0; i < m; i++)
                init[i] = lambda[i] * (1.0 + 0.2 * (gsl_rng_uniform(rng) - 0.5)) + 0.01 / scale[i];
            map_solution sol2;
            MAP_CHECK(map_solve(&pb, NULL, init, ws, lam2, mu2, &sol2, NULL) == MAP_OK, "warm");
            MAP_CHECK(sol2.status == MAP_SOLVE_OPTIMAL, "warm start: %s", map_solve_status_name(sol2.status));
            for (size_t i = 0; i < m; i++)
                MAP_CHECK(fabs(lam2[i] - lambda[i]) <= 1e-7 * fmax(fabs(lambda[i]), 1e-300) ||
                              (lambda[i] == 0.0 && lam2[i] == 0.0),
                          "warm lambda %zu: %.17g vs %.17g", i, lam2[i], lambda[i]);
        }
        map_solver_ws_free(ws);
        map_free(x);
    }
    gsl_rng_free(rng);
}

/* Partials over two halves merged equal the partial of the whole, and both
 * match a direct long-double computation of Λ and μ. */
static void test_merge(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    const size_t n = 5000, m = 4;
    double *x = random_data(rng, n, m);
    size_t cols[4] = {0, 1, 2, 3};
    double lambda[4] = {3.0, -0.5, 0.8, 40.0}; /* large scores: stresses the rescaling */
    map_solver_ws *ws = map_solver_ws_new(m, m);
    double mean_a[4], m2_a[16], mean_b[4], m2_b[16], mean_all[4], m2_all[16];
    map_partial a = {m, 1, 0, -INFINITY, 0, 0, mean_a, m2_a};
    map_partial b = {m, 1, 0, -INFINITY, 0, 0, mean_b, m2_b};
    map_partial all = {m, 1, 0, -INFINITY, 0, 0, mean_all, m2_all};
    double c[4] = {0};
    double scale[4] = {1, 1, 1, 1};
    map_problem pb = {{n, m, m, x, NULL}, m, cols, c, scale, NULL, NULL};
    double logz, mu[4], sigma[16];
    MAP_CHECK(map_evaluate(&pb, lambda, ws, &logz, mu, sigma, NULL, NULL) == MAP_OK, "eval");
    /* Split at an odd row so the halves' blocks differ from the whole's. */
    const size_t cut = 1237;
    map_problem pa = pb, pbb = pb;
    pa.data.n = cut;
    pbb.data.n = n - cut;
    pbb.data.x = x + cut * m;
    extern void map_eval_pass(const map_matrix *, size_t, const size_t *, const double *, const double *,
                              size_t, const size_t *, map_solver_ws *, map_partial *);
    map_eval_pass(&pa.data, m, cols, NULL, lambda, m, cols, ws, &a);
    map_eval_pass(&pbb.data, m, cols, NULL, lambda, m, cols, ws, &b);
    map_eval_pass(&pb.data, m, cols, NULL, lambda, m, cols, ws, &all);
    map_partial_merge(&a, &b);
    MAP_CHECK_CLOSE(a.smax + log(a.wsum / n), logz, 1e-14, "merged log Z");
    for (size_t i = 0; i < m; i++) {
        MAP_CHECK_CLOSE(a.mean[i], mu[i], 1e-13, "merged mean");
        for (size_t l = 0; l < m; l++)
            MAP_CHECK_CLOSE(a.m2[i * m + l] / a.wsum, sigma[i * m + l], 1e-11, "merged covariance");
    }
    /* Λ + λᵀc against the long-double reference (c = 0 gives f = Λ). */
    double g[4];
    const double fref = map_ref_objective(x, n, m, m, cols, c, lambda, g);
    MAP_CHECK_CLOSE(logz, fref, 1e-13, "log Z against long double");
    for (size_t i = 0; i < m; i++)
        MAP_CHECK_CLOSE(mu[i], g[i], 1e-12, "mu against long double");
    map_solver_ws_free(ws);
    map_free(x);
    gsl_rng_free(rng);
}

/* Huge scores (λᵀr ~ 1e5) must not overflow: log-sum-exp everywhere. */
static void test_no_overflow(void)
{
    double x[6] = {0.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0};
    size_t col = 0;
    double c = 4999.0, scale, absmax, lambda, mu;
    map_colstat cs[1];
    map_problem pb;
    fill_problem(&pb, x, 6, 1, 1, &col, &c, &scale, &absmax, cs);
    map_solver_ws *ws = map_solver_ws_new(1, 1);
    map_solution sol;
    MAP_CHECK(map_solve(&pb, NULL, NULL, ws, &lambda, &mu, &sol, NULL) == MAP_OK, "solve");
    MAP_CHECK(sol.status == MAP_SOLVE_OPTIMAL, "status %s kkt %g", map_solve_status_name(sol.status), sol.kkt);
    /* μ = 5000 − 1000 e^{−1000λ}/(1+…) ≈ 4999 → e^{−1000λ} ≈ 1e-3 */
    const double exact = log(999.0) / 1000.0; /* from μ = 5000 − 1000/(1 + e^{1000λ}) ignoring lower atoms */
    MAP_CHECK(isfinite(lambda) && fabs(lambda - exact) < 1e-5, "lambda %.17g vs %.17g", lambda, exact);
    map_solver_ws_free(ws);
}

int main(void)
{
    MAP_RUN(test_closed_form);
    MAP_RUN(test_known_lambda);
    MAP_RUN(test_merge);
    MAP_RUN(test_no_overflow);
    return map_test_finish();
}
