/* bench_feasibility.c — figures for the MAP paper's feasibility study on a
 * real dataset (default: map-llama2chat-hh.csv): for aggressive
 * (c_i ~ U(q80, max)) and conservative (c_i ~ U(mean, q70)) random palettes
 * over the first m of humor, gpt2-helpful, gpt2-harmless, diversity,
 * coherence, perplexity, the share that is attainable (exact verdict), the
 * paper's "feasibility frequency" (share of the 10 points ρ = 0, 1/9, …, 1 on
 * the ray from the means that are attainable before the first one that is
 * not), and the time per verdict.
 *
 * usage: bench_feasibility [CSV] [PALETTES_PER_CELL] */
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
    map_test_data_path(path, sizeof path, "map-llama2chat-hh.csv");
    const char *file = argc > 1 && argv[1][0] ? argv[1] : path;
    const int per_cell = argc > 2 ? atoi(argv[2]) : 500;
    map_dataset *ds = NULL;
    map_error err;
    if (map_test_data_read(file, VALUES, 6, NULL, &ds, &err)) {
        fprintf(stderr, "bench_feasibility: %s\n", err.msg);
        return 1;
    }
    map_matrix X = map_dataset_matrix(ds);
    map_colstat cs[6];
    double *sorted[6];
    map_column_stats(&X, cs);
    for (size_t i = 0; i < 6; i++)
        map_column_sorted(&X, i, &sorted[i], NULL);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);
    printf("dataset %s, %d palettes per cell\n", file, per_cell);
    printf("%-13s %2s %11s %12s %14s\n", "kind", "m", "attainable", "feas.freq", "ms/verdict");
    for (int kind = 0; kind < 2; kind++) {
        for (size_t m = 1; m <= 6; m++) {
            size_t cols[6] = {0, 1, 2, 3, 4, 5};
            double scale[6], absmax[6], c[6], c0[6], cr[6];
            for (size_t i = 0; i < m; i++) {
                scale[i] = cs[i].sd;
                absmax[i] = cs[i].absmax;
                c0[i] = cs[i].mean;
            }
            int attainable = 0, verdicts = 0;
            double freq = 0.0, t_lp = 0.0;
            for (int p = 0; p < per_cell; p++) {
                for (size_t i = 0; i < m; i++) {
                    const double lo = kind == 0 ? map_quantile_sorted(sorted[i], X.n, 0.8) : cs[i].mean;
                    const double hi = kind == 0 ? cs[i].max : map_quantile_sorted(sorted[i], X.n, 0.7);
                    c[i] = lo + (hi - lo) * gsl_rng_uniform(rng);
                }
                map_problem pb = {X, m, cols, c, scale, absmax, NULL};
                double v;
                double t0 = now();
                if (map_margin(&pb, NULL, &v, NULL, &err)) {
                    fprintf(stderr, "bench_feasibility: %s\n", err.msg);
                    return 1;
                }
                t_lp += now() - t0;
                verdicts++;
                attainable += v >= -1e-12; /* the margin LP's resolution */
                int run = 0;
                for (int r = 0; r < 10; r++) {
                    map_palette_inset(m, c, c0, 1.0 - r / 9.0, cr);
                    pb.target = cr;
                    t0 = now();
                    map_margin(&pb, NULL, &v, NULL, &err);
                    t_lp += now() - t0;
                    verdicts++;
                    if (v < -1e-12)
                        break;
                    run++;
                }
                freq += run / 10.0;
            }
            printf("%-13s %2zu %11.3f %12.3f %14.3f\n", kind ? "conservative" : "aggressive", m,
                   (double)attainable / per_cell, freq / per_cell, 1e3 * t_lp / verdicts);
        }
    }
    for (size_t i = 0; i < 6; i++)
        map_free(sorted[i]);
    map_dataset_free(ds);
    gsl_rng_free(rng);
    return 0;
}
