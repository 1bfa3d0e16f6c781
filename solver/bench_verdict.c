/* bench_verdict.c — what a verdict costs, in passes (not a test): on N rows
 * (default 10^7) drawn with replacement from a real dataset's humor,
 * gpt2-helpful and gpt2-harmless (jittered by 1e-6 sd so that rows are
 * distinct), the CPU time of one plain pass summing the three columns, and
 * per palette kind (conservative U(mean, q70), aggressive U(q80, max)) the
 * time of feasible's verdict (map_palette_verdict: the margin LP), of the
 * default solve (Newton first) and of solve with the margin, each in units
 * of the plain pass (process CPU time: the figures do not depend on other
 * load on the machine). Rows are stored with ld = 3.
 * usage: bench_verdict [CSV] [N] [PALETTES] */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "map_ingest.h"
#include "map_solver.h"
#include "map_stats.h"
#include "../tests/map_test_data.h" /* no test_inc for benchmarks here */

static const char *const VALUES[3] = {"humor", "gpt2-helpful", "gpt2-harmless"};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* one thread: its work, whatever the load */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    char path[4096];
    map_test_data_path(path, sizeof path, "map-opt1.3b-hh.csv");
    const char *file = argc > 1 && argv[1][0] ? argv[1] : path;
    long nrows = 10000000, npal = 4;
    if ((argc > 2 && map_parse_long(argv[2], 1, 1000000000L, &nrows) != 0) ||
        (argc > 3 && map_parse_long(argv[3], 1, 100000L, &npal) != 0)) {
        fprintf(stderr, "bench_verdict: bad arguments\n");
        return 2;
    }
    map_dataset *ds = NULL;
    map_error err;
    if (map_test_data_read(file, VALUES, 3, NULL, &ds, &err)) {
        fprintf(stderr, "bench_verdict: %s\n", err.msg);
        return 1;
    }
    const map_matrix R = map_dataset_matrix(ds);
    map_colstat rs[3];
    map_column_stats(&R, rs);
    const size_t n = (size_t)nrows, k = 3;
    double *x = malloc(n * k * sizeof *x);
    if (!x)
        return 1;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 5);
    for (size_t j = 0; j < n; j++) {
        const size_t src = gsl_rng_uniform_int(rng, R.n);
        for (size_t i = 0; i < k; i++)
            x[j * k + i] = R.x[src * R.ld + i] + 1e-6 * rs[i].sd * gsl_ran_gaussian(rng, 1.0);
    }
    const map_matrix X = {n, k, k, x, NULL};
    map_colstat cs[3];
    map_column_stats(&X, cs);
    double *sorted[3];
    for (size_t i = 0; i < k; i++)
        if (map_column_sorted(&X, i, &sorted[i], &err) != MAP_OK)
            return 1;
    /* One plain pass: the sum of the three columns (best of 3). */
    double plain = INFINITY, sink = 0.0;
    for (int t = 0; t < 3; t++) {
        const double t0 = now();
        double s0 = 0.0, s1 = 0.0, s2 = 0.0;
        for (size_t j = 0; j < n; j++) {
            s0 += x[j * 3];
            s1 += x[j * 3 + 1];
            s2 += x[j * 3 + 2];
        }
        plain = fmin(plain, now() - t0);
        sink += s0 + s1 + s2;
    }
    printf("%s resampled to %zu rows x 3 values; one plain summing pass %.1f ms (sum %g)\n", file,
           n, 1e3 * plain, sink);
    printf("%-13s %-12s %10s %10s  %s\n", "kind", "routine", "ms", "passes", "verdicts");
    size_t cols[3] = {0, 1, 2};
    double scale[3], absmax[3];
    for (size_t i = 0; i < k; i++) {
        scale[i] = cs[i].sd;
        absmax[i] = cs[i].absmax;
    }
    map_solver_ws *ws = map_solver_ws_new(k, k);
    for (int kind = 0; kind < 2; kind++) {
        double tv = 0.0, ts = 0.0, tm = 0.0;
        int counts[3][5] = {{0}};
        for (long p = 0; p < npal; p++) {
            double c[3];
            for (size_t i = 0; i < k; i++) {
                const double lo = kind ? map_quantile_sorted(sorted[i], n, 0.8) : cs[i].mean;
                const double hi = kind ? cs[i].max : map_quantile_sorted(sorted[i], n, 0.7);
                c[i] = lo + (hi - lo) * gsl_rng_uniform(rng);
            }
            const map_problem pb = {X, k, cols, c, scale, absmax, NULL};
            map_result res;
            int att = 0;
            map_feas_params fp;
            map_feas_params_default(&fp);
            double t0 = now();
            if (map_palette_verdict(&pb, &fp, &res, &att, &err))
                return 1;
            tv += now() - t0;
            counts[0][res.status]++;
            t0 = now();
            if (map_solve_palette(&pb, NULL, &fp, NULL, ws, &res, &err))
                return 1;
            ts += now() - t0;
            counts[1][res.status]++;
            fp.want_margin = 1;
            t0 = now();
            if (map_solve_palette(&pb, NULL, &fp, NULL, ws, &res, &err))
                return 1;
            tm += now() - t0;
            counts[2][res.status]++;
        }
        const char *names[3] = {"feasible", "solve", "solve+margin"};
        const double t[3] = {tv, ts, tm};
        for (int r = 0; r < 3; r++)
            printf("%-13s %-12s %10.1f %10.1f  optimal/attainable %d, infeasible %d, boundary %d\n",
                   kind ? "aggressive" : "conservative", names[r], 1e3 * t[r] / (double)npal,
                   t[r] / (double)npal / plain, counts[r][0], counts[r][3], counts[r][4]);
    }
    map_solver_ws_free(ws);
    for (size_t i = 0; i < k; i++)
        map_free(sorted[i]);
    gsl_rng_free(rng);
    free(x);
    map_dataset_free(ds);
    return 0;
}
