/* bench_frontier.c — time for frontier and region tables on a real dataset
 * (default: map-opt1.3b-hh.csv, values gpt2-helpful and gpt2-harmless):
 * N budget-frontier points at KL 0.5 and 1.0, the ε → ∞ frontier, a direction
 * curve, and N region rays from the reference means.
 *
 * usage: bench_frontier [CSV] [N] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "map_frontier.h"
#include "map_ingest.h"
#include "map_stats.h"
#include "../tests/map_test_data.h" /* no test_inc for benchmarks here */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct tally {
    size_t rows, saturated, bounded;
    long passes, lps;
} tally;

static int count_row(void *ctx, const map_frontier_row *row)
{
    tally *t = ctx;
    t->rows++;
    t->saturated += row->ray.status == MAP_RAY_SATURATED;
    t->passes += row->ray.passes;
    return 0;
}

static int count_region(void *ctx, const map_region_row *row)
{
    tally *t = ctx;
    t->rows++;
    t->bounded += (size_t)row->bounded;
    t->lps += row->evaluations;
    return 0;
}

int main(int argc, char **argv)
{
    char path[4096];
    map_test_data_path(path, sizeof path, "map-opt1.3b-hh.csv");
    const char *file = argc > 1 && argv[1][0] ? argv[1] : path;
    long npoints = 200;
    if (argc > 2 && map_parse_long(argv[2], 1, 1000000, &npoints) != 0) {
        fprintf(stderr, "bench_frontier: N must be an integer in 1..1000000\n");
        return 2;
    }
    static const char *const values[] = {"gpt2-helpful", "gpt2-harmless"};
    map_dataset *ds = NULL;
    map_error err;
    if (map_test_data_read(file, values, 2, NULL, &ds, &err)) {
        fprintf(stderr, "bench_frontier: %s\n", err.msg);
        return 1;
    }
    map_matrix X = map_dataset_matrix(ds);
    map_colstat cs[2];
    map_column_stats(&X, cs);
    const size_t cols[] = {0, 1};
    const double scale[] = {cs[0].sd, cs[1].sd}, absmax[] = {cs[0].absmax, cs[1].absmax};
    map_problem pb = {X, 2, cols, NULL, scale, absmax, NULL};
    map_frontier_ws *ws = map_frontier_ws_new(ds->n, 2, ds->m);
    if (!ws) {
        fprintf(stderr, "bench_frontier: out of memory\n");
        return 1;
    }
    const size_t n = (size_t)npoints;
    printf("dataset %s: %zu samples; values %s, %s; N = %zu\n", file, ds->n, values[0], values[1], n);
    printf("%-28s %10s %10s %14s\n", "table", "ms total", "ms/row", "per row");
    const int reps = 5;
    const double budgets[] = {0.5, 1.0, INFINITY};
    for (size_t b = 0; b < 3; b++) {
        tally t = {0};
        double best = INFINITY;
        for (int r = 0; r < reps; r++) {
            t = (tally){0};
            const double t0 = now();
            if (map_frontier_budget(&pb, budgets[b], n, 0, NULL, NULL, ws, count_row, &t, &err)) {
                fprintf(stderr, "bench_frontier: %s\n", err.msg);
                return 1;
            }
            best = fmin(best, now() - t0);
        }
        char label[64];
        snprintf(label, sizeof label, "frontier KL %g", budgets[b]);
        printf("%-28s %10.2f %10.4f %8.1f passes%s\n", label, 1e3 * best, 1e3 * best / (double)t.rows,
               (double)t.passes / (double)t.rows, t.saturated ? " (saturated)" : "");
    }
    {
        const double u[] = {0.5 / scale[0], 0.5 / scale[1]};
        tally t = {0};
        double best = INFINITY;
        for (int r = 0; r < reps; r++) {
            t = (tally){0};
            const double t0 = now();
            if (map_frontier_curve(&pb, u, 0.0, n < 2 ? 2 : n, 0, NULL, NULL, ws, count_row, &t, &err)) {
                fprintf(stderr, "bench_frontier: %s\n", err.msg);
                return 1;
            }
            best = fmin(best, now() - t0);
        }
        printf("%-28s %10.2f %10.4f %8.1f passes\n", "curve to 0.9 KL_sup", 1e3 * best,
               1e3 * best / (double)t.rows, (double)t.passes / (double)t.rows);
    }
    {
        tally t = {0};
        double best = INFINITY;
        for (int r = 0; r < 3; r++) {
            t = (tally){0};
            const double t0 = now();
            if (map_region(&pb, NULL, n, NULL, count_region, &t, &err)) {
                fprintf(stderr, "bench_frontier: %s\n", err.msg);
                return 1;
            }
            best = fmin(best, now() - t0);
        }
        printf("%-28s %10.2f %10.4f %8.1f LPs per bounded ray (%zu bounded)\n", "region rays", 1e3 * best,
               1e3 * best / (double)t.rows, (double)t.lps / (double)(t.bounded ? t.bounded : 1), t.bounded);
    }
    map_frontier_ws_free(ws);
    map_dataset_free(ds);
    return 0;
}
