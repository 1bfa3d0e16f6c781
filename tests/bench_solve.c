/* bench_solve.c — speed figures for the solver (not a test):
 *   1. palette solves per second on a real dataset (HHH-50/60/70 and random
 *      conservative/aggressive palettes over 6 values, cold and warm start),
 *   2. one evaluation pass (Λ, μ, Σ) over 10^6 x 6 synthetic samples:
 *      time and effective memory bandwidth.
 * usage: bench_solve [CSV] */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "map_ingest.h"
#include "map_solver.h"
#include "map_stats.h"
#include "map_test_data.h"

static const char *const VALUES[6] = MAP_TEST_HH_VALUES;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    char path[4096];
    map_test_data_path(path, sizeof path, "map-opt1.3b-hh.csv");
    const char *file = argc > 1 ? argv[1] : path;
    map_dataset *ds = NULL;
    map_error err;
    double t0 = now();
    if (map_test_data_read(file, VALUES, 6, NULL, &ds, &err)) {
        fprintf(stderr, "bench_solve: %s\n", err.msg);
        return 1;
    }
    printf("read %s: %zu x %zu in %.1f ms\n", file, ds->n, ds->m, 1e3 * (now() - t0));
    map_matrix X = map_dataset_matrix(ds);
    map_colstat cs[6];
    double *sorted[6];
    map_column_stats(&X, cs);
    for (size_t i = 0; i < 6; i++)
        map_column_sorted(&X, i, &sorted[i], NULL);
    size_t cols[6] = {0, 1, 2, 3, 4, 5};
    double scale[6], absmax[6], c[6];
    for (size_t i = 0; i < 6; i++) {
        scale[i] = cs[i].sd;
        absmax[i] = cs[i].absmax;
    }
    map_solver_ws *ws = map_solver_ws_new(6, 6);
    map_result res;

    /* HHH palettes, repeated. */
    const int reps = 200;
    for (int x = 50; x <= 70; x += 10) {
        for (size_t i = 0; i < 6; i++)
            c[i] = i < 3 ? fmax(cs[i].mean, map_quantile_sorted(sorted[i], X.n, x / 100.0)) : cs[i].mean;
        map_problem pb = {X, 6, cols, c, scale, absmax, NULL};
        t0 = now();
        for (int r = 0; r < reps; r++)
            map_solve_palette(&pb, NULL, NULL, NULL, ws, &res, &err);
        const double dt = (now() - t0) / reps;
        printf("HHH-%d: %s, %d iterations, %d passes, %.3f ms per solve (margin LP included)\n", x,
               map_solve_status_name(res.status), res.diag.iterations, res.diag.evaluations, 1e3 * dt);
    }
    /* Random palettes of both kinds over 6 values, cold and warm started. */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    for (int kind = 0; kind < 2; kind++) {
        const int count = 2000;
        double prev[6] = {0};
        int have_prev = 0, optimal = 0;
        double t_cold = 0.0, t_warm = 0.0;
        for (int p = 0; p < count; p++) {
            for (size_t i = 0; i < 6; i++) {
                const double lo = kind ? cs[i].mean : map_quantile_sorted(sorted[i], X.n, 0.8);
                const double hi = kind ? map_quantile_sorted(sorted[i], X.n, 0.7) : cs[i].max;
                c[i] = lo + (hi - lo) * gsl_rng_uniform(rng);
            }
            map_problem pb = {X, 6, cols, c, scale, absmax, NULL};
            t0 = now();
            map_solve_palette(&pb, NULL, NULL, NULL, ws, &res, &err);
            t_cold += now() - t0;
            if (res.status == MAP_SOLVE_OPTIMAL) {
                optimal++;
                t0 = now();
                map_solve_palette(&pb, NULL, NULL, have_prev ? prev : NULL, ws, &res, &err);
                t_warm += now() - t0;
                for (size_t i = 0; i < 6; i++)
                    prev[i] = res.lambda[i];
                have_prev = 1;
            }
        }
        printf("%s x%d (6 values): %d optimal; %.0f solves/s cold, %.0f solves/s warm (previous λ)\n",
               kind ? "conservative" : "aggressive", count, optimal, count / t_cold,
               optimal ? optimal / t_warm : 0.0);
    }

    /* One evaluation pass over 10^6 x 6. */
    const size_t n = 1000000, m = 6;
    double *big = malloc(n * m * sizeof *big);
    for (size_t j = 0; j < n * m; j++)
        big[j] = gsl_ran_gaussian(rng, 1.0);
    double lam[6] = {0.3, 0.2, 0.1, 0.05, 0.4, 0.1}, logz, mu[6], sigma[36];
    map_problem pbig = {{n, m, m, big, NULL}, 6, cols, c, scale, NULL, NULL};
    map_evaluate(&pbig, lam, ws, &logz, mu, sigma, NULL, NULL);
    const int passes = 20;
    t0 = now();
    for (int r = 0; r < passes; r++)
        map_evaluate(&pbig, lam, ws, &logz, mu, sigma, NULL, NULL);
    const double dt = (now() - t0) / passes;
    printf("evaluation pass (log Z, mu, Sigma) over %zu x %zu: %.2f ms, %.2f GB/s, %.1f ns/sample\n", n, m,
           1e3 * dt, n * m * sizeof(double) / dt / 1e9, 1e9 * dt / n);
    free(big);
    gsl_rng_free(rng);
    map_solver_ws_free(ws);
    for (size_t i = 0; i < 6; i++)
        map_free(sorted[i]);
    map_dataset_free(ds);
    return 0;
}
