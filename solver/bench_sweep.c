/* bench_sweep.c — sweep throughput (not a test): solves per second of the
 * sweep engine for 10000 random conservative palettes (MAP paper, MATH.md
 * §10) on the MAP reference samples, over the first 3 and the first 6 of
 * humor, gpt2-helpful, gpt2-harmless, diversity, coherence, perplexity,
 * with 1 thread, 2 threads and all CPUs; then, on one thread, what the
 * warm starts save (mean Newton iterations and throughput, warm vs cold).
 * usage: bench_sweep [CSV] [ROWS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "map_ingest.h"
#include "map_solver.h"
#include "map_stats.h"
#include "map_sweep.h"
#include "../tests/map_test_data.h" /* no test_inc for benchmarks here */

static const char *const VALUES[6] = MAP_TEST_HH_VALUES;

typedef struct tally {
    size_t rows;
    double iterations; /* Newton iterations of the optimal rows */
    size_t optimal;
} tally;

/* CPU seconds of the whole process (all threads), user + system. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec
           + (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int count_row(void *ctx, const map_sweep_row *row)
{
    tally *t = ctx;
    t->rows++;
    if (row->status == MAP_SOLVE_OPTIMAL) {
        t->optimal++;
        t->iterations += row->iterations;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char path[4096];
    map_test_data_path(path, sizeof path, "map-opt1.3b-hh.csv");
    const char *file = argc > 1 ? argv[1] : path;
    long nrows = 10000;
    if (argc > 2 && (map_parse_long(argv[2], 1, 100000000L, &nrows) != 0)) {
        fprintf(stderr, "bench_sweep: bad row count '%s'\n", argv[2]);
        return 2;
    }
    map_dataset *ds = NULL;
    map_error err;
    if (map_test_data_read(file, VALUES, 6, NULL, &ds, &err)) {
        fprintf(stderr, "bench_sweep: %s\n", err.msg);
        return 1;
    }
    const map_matrix X = map_dataset_matrix(ds);
    map_colstat cs[6];
    map_column_stats(&X, cs);
    const unsigned cpus = map_sweep_cpus();
    printf("%s: %zu samples; %ld random conservative palettes per run; %u CPUs\n", file, X.n,
           nrows, cpus);
    printf("(CPU us/solve: process CPU time per row, all threads: a figure that does not depend\n"
           " on other load on the machine; solves/s is wall-clock throughput)\n");
    printf("%-7s %-8s %10s %10s %12s %9s  %s\n", "values", "threads", "seconds", "solves/s",
           "CPU us/solve", "optimal", "verdicts");
    const size_t ks[2] = {3, 6};
    int status = 0;
    for (size_t t = 0; t < 2; t++) {
        const size_t k = ks[t];
        size_t cols[6];
        double scale[6], absmax[6], lo[6], hi[6];
        for (size_t i = 0; i < k; i++) {
            cols[i] = i;
            scale[i] = cs[i].sd;
            absmax[i] = cs[i].absmax;
        }
        if (map_sweep_kind_bounds(MAP_SWEEP_CONSERVATIVE, &X, k, cols, lo, hi, &err)) {
            fprintf(stderr, "bench_sweep: %s\n", err.msg);
            return 1;
        }
        const map_problem pb = {X, k, cols, NULL, scale, absmax, NULL};
        const map_sweep_uniform u = {k, lo, hi, 2024};
        unsigned threads[3] = {1, 2, cpus};
        const size_t nthreads = cpus > 2 ? 3 : 2;
        for (size_t h = 0; h < nthreads; h++) {
            map_sweep_config cfg;
            map_sweep_config_default(&cfg);
            cfg.problem = &pb;
            cfg.nrows = (size_t)nrows;
            cfg.gen = map_sweep_uniform_gen;
            cfg.gen_ctx = &u;
            cfg.warm = MAP_SWEEP_WARM_NEAREST;
            cfg.threads = threads[h];
            tally tl = {0};
            cfg.on_row = count_row;
            cfg.row_ctx = &tl;
            map_sweep_summary sum;
            const double cpu0 = cpu_seconds();
            const int rc = map_sweep_run(&cfg, &sum, &err);
            const double cpu = cpu_seconds() - cpu0;
            if (rc) {
                fprintf(stderr, "bench_sweep: %s\n", err.msg);
                status = 1;
                continue;
            }
            printf("%-7zu %-8u %10.3f %10.1f %12.1f %9zu  infeasible %zu, boundary %zu, other %zu\n",
                   k, sum.threads, sum.seconds, (double)sum.delivered / sum.seconds,
                   1e6 * cpu / (double)sum.delivered,
                   sum.status_count[MAP_SOLVE_OPTIMAL], sum.status_count[MAP_SOLVE_INFEASIBLE],
                   sum.status_count[MAP_SOLVE_BOUNDARY],
                   sum.status_count[MAP_SOLVE_NOT_CONVERGED] + sum.status_count[MAP_SOLVE_STALLED]);
        }
    }

    /* Warm starts against cold starts, one thread, six values. */
    printf("\nwarm starts (6 values, 1 thread, %ld rows):\n", nrows);
    {
        const size_t k = 6;
        size_t cols[6];
        double scale[6], absmax[6], lo[6], hi[6];
        for (size_t i = 0; i < k; i++) {
            cols[i] = i;
            scale[i] = cs[i].sd;
            absmax[i] = cs[i].absmax;
        }
        map_sweep_kind_bounds(MAP_SWEEP_CONSERVATIVE, &X, k, cols, lo, hi, &err);
        const map_problem pb = {X, k, cols, NULL, scale, absmax, NULL};
        const map_sweep_uniform u = {k, lo, hi, 2024};
        const map_sweep_warm rules[2] = {MAP_SWEEP_WARM_NONE, MAP_SWEEP_WARM_NEAREST};
        const char *const names[2] = {"cold (none)", "nearest (tree order)"};
        for (int w = 0; w < 2; w++) {
            map_sweep_config cfg;
            map_sweep_config_default(&cfg);
            cfg.problem = &pb;
            cfg.nrows = (size_t)nrows;
            cfg.gen = map_sweep_uniform_gen;
            cfg.gen_ctx = &u;
            cfg.warm = rules[w];
            cfg.threads = 1;
            tally tl = {0};
            cfg.on_row = count_row;
            cfg.row_ctx = &tl;
            map_sweep_summary sum;
            if (map_sweep_run(&cfg, &sum, &err)) {
                fprintf(stderr, "bench_sweep: %s\n", err.msg);
                status = 1;
                continue;
            }
            printf("  %-21s %.2f Newton iterations per optimal row, %.1f solves/s\n", names[w],
                   tl.optimal ? tl.iterations / (double)tl.optimal : 0.0,
                   (double)sum.delivered / sum.seconds);
        }
    }
    map_dataset_free(ds);
    return status;
}
