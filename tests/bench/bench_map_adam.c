/* bench_map_adam.c — the MAP reference procedure, re-implemented in C for
 * the benchmark's comparison lines (MATH.md §11): the dual
 *     L(tau) = log( (1/n) sum_j exp(lambda . r_j) ) - lambda . c,  lambda = exp(tau)
 * minimised over tau = log lambda by Adam (learning rate 0.1, PyTorch's
 * defaults beta = (0.9, 0.999), eps = 1e-8) for a fixed 150 steps from
 * tau = 0, everything in float32 and exp without log-sum-exp; a palette is
 * infeasible as soon as NaN or Inf appears in the loss or the gradient.
 * Each step is one pass over the palette's columns (stored as n x k
 * float32, row-major), with sums in blocks of 1024 rows as PyTorch's
 * reductions are blocked. One fused pass per step is fewer memory passes
 * than PyTorch's matmul/exp/mean/backward, and there is no interpreter:
 * the times here are a lower bound on the reference's.
 *   bench_map_adam data DATA.csv PALETTES.csv [LIMIT]
 *       DATA a numeric CSV (`mapsolve export` of a values-only dataset),
 *       PALETTES a CSV with one column per value (the sweep format); solves
 *       the first LIMIT palettes (default all).
 *   bench_map_adam synth N M SEED NAME=TARGET,...
 *       one palette over columns v1..vM of bench_synth_row's n x m data
 *       (generated in memory, not timed).
 *   bench_map_adam dump N M SEED FILE
 *       writes bench_synth_row's n x m data as row-major float32 to FILE
 *       (the input of map_reference_torch.py raw), and solves nothing.
 * Prints "SECONDS_PER_PALETTE PALETTES INFEASIBLE CPU_SECONDS_PER_PALETTE" on
 * stdout (wall and CPU time of the Adam steps alone), the last lambda on
 * stderr. Exit 0, 2 on misuse, 1
 * on failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"

#define ADAM_STEPS 150
#define ADAM_LR 0.1f
#define ADAM_BETA1 0.9f
#define ADAM_BETA2 0.999f
#define ADAM_EPS 1e-8f
#define BLOCK 1024

/* One pass: z = sum_j exp(lambda . r_j), g_i = sum_j exp(lambda . r_j) r_ji,
 * in float32 with per-block partial sums. */
static void adam_pass(const float *r, size_t n, size_t k, const float *lam, float *z, float *g)
{
    float zt = 0, gt[BENCH_MAX_M] = {0};
    for (size_t b = 0; b < n; b += BLOCK) {
        size_t e = b + BLOCK < n ? b + BLOCK : n;
        float zb = 0, gb[BENCH_MAX_M] = {0};
        for (size_t j = b; j < e; j++) {
            const float *row = r + j * k;
            float s = 0;
            for (size_t i = 0; i < k; i++)
                s += lam[i] * row[i];
            float w = expf(s);
            zb += w;
            for (size_t i = 0; i < k; i++)
                gb[i] += w * row[i];
        }
        zt += zb;
        for (size_t i = 0; i < k; i++)
            gt[i] += gb[i];
    }
    *z = zt;
    for (size_t i = 0; i < k; i++)
        g[i] = gt[i];
}

/* The reference procedure for palette c (k values) on r (n x k float32).
 * Returns 1 when NaN or Inf appeared (infeasible), else 0; lam_out gets the
 * final lambda. */
static int adam_solve(const float *r, size_t n, size_t k, const float *c, float *lam_out)
{
    float tau[BENCH_MAX_M] = {0}, mom[BENCH_MAX_M] = {0}, vel[BENCH_MAX_M] = {0};
    float lam[BENCH_MAX_M], g[BENCH_MAX_M], z;
    float b1t = 1, b2t = 1;
    for (int t = 1; t <= ADAM_STEPS; t++) {
        for (size_t i = 0; i < k; i++)
            lam[i] = expf(tau[i]);
        adam_pass(r, n, k, lam, &z, g);
        float loss = logf(z / (float)n);
        for (size_t i = 0; i < k; i++)
            loss -= lam[i] * c[i];
        if (!isfinite(loss))
            return 1;
        b1t *= ADAM_BETA1;
        b2t *= ADAM_BETA2;
        for (size_t i = 0; i < k; i++) {
            float grad = lam[i] * (g[i] / z - c[i]);
            if (!isfinite(grad))
                return 1;
            mom[i] = ADAM_BETA1 * mom[i] + (1 - ADAM_BETA1) * grad;
            vel[i] = ADAM_BETA2 * vel[i] + (1 - ADAM_BETA2) * grad * grad;
            float denom = sqrtf(vel[i]) / sqrtf(1 - b2t) + ADAM_EPS;
            tau[i] -= ADAM_LR / (1 - b1t) * mom[i] / denom;
        }
    }
    for (size_t i = 0; i < k; i++)
        lam_out[i] = expf(tau[i]);
    return 0;
}

/* CPU time of this process in seconds. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Solves palettes c[p * k + i] (p < np) and prints the figures. */
static int run(const float *r, size_t n, size_t k, const float *c, size_t np)
{
    float lam[BENCH_MAX_M] = {0};
    size_t infeasible = 0;
    double t0 = bench_now(), c0 = cpu_now();
    for (size_t p = 0; p < np; p++)
        infeasible += (size_t)adam_solve(r, n, k, c + p * k, lam);
    double t = bench_now() - t0, cpu = cpu_now() - c0;
    printf("%.9f %zu %zu %.9f\n", t / (double)np, np, infeasible, cpu / (double)np);
    fputs("bench_map_adam: last lambda", stderr);
    for (size_t i = 0; i < k; i++)
        fprintf(stderr, " %.6g", (double)lam[i]);
    fputc('\n', stderr);
    return 0;
}

static int run_data(const char *data, const char *palettes, size_t limit)
{
    bench_table d, p;
    if (bench_table_read(data, &d))
        return 1;
    if (bench_table_read(palettes, &p)) {
        bench_table_free(&d);
        return 1;
    }
    int rc = 1;
    size_t k = p.m, np = p.n < limit ? p.n : limit;
    long col[BENCH_MAX_M];
    float *r = NULL, *c = NULL;
    if (k > BENCH_MAX_M || np == 0 || d.n == 0)
        goto done;
    for (size_t i = 0; i < k; i++)
        if ((col[i] = bench_table_column(&d, p.names[i])) < 0) {
            fprintf(stderr, "bench_map_adam: %s has no column %s\n", data, p.names[i]);
            goto done;
        }
    r = malloc(d.n * k * sizeof *r);
    c = malloc(np * k * sizeof *c);
    if (!r || !c)
        goto done;
    for (size_t j = 0; j < d.n; j++)
        for (size_t i = 0; i < k; i++)
            r[j * k + i] = (float)d.x[j * d.m + (size_t)col[i]];
    for (size_t q = 0; q < np * k; q++)
        c[q] = (float)p.x[q];
    rc = run(r, d.n, k, c, np);
done:
    free(r);
    free(c);
    bench_table_free(&d);
    bench_table_free(&p);
    return rc;
}

static int run_synth(size_t n, size_t m, uint64_t seed, char *spec)
{
    size_t col[BENCH_MAX_M], k = 0;
    float c[BENCH_MAX_M];
    for (char *save = NULL, *item = strtok_r(spec, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char *end;
        size_t v;
        char *eq = strchr(item, '=');
        if (!eq || item[0] != 'v' || k == BENCH_MAX_M)
            return 2;
        *eq = '\0';
        double target = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || bench_parse_size(item + 1, 1, m, &v))
            return 2;
        col[k] = v - 1;
        c[k++] = (float)target;
    }
    float *r = malloc(n * k * sizeof *r);
    if (!r || k == 0) {
        free(r);
        return 1;
    }
    int64_t row[BENCH_MAX_M];
    for (size_t j = 0; j < n; j++) {
        bench_synth_row(seed, j, m, 0, row);
        for (size_t i = 0; i < k; i++)
            r[j * k + i] = (float)((double)row[col[i]] / 1e6);
    }
    int rc = run(r, n, k, c, 1);
    free(r);
    return rc;
}

/* Writes the n x m synthetic matrix as row-major float32 to path. */
static int dump_synth(size_t n, size_t m, uint64_t seed, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return 1;
    }
    int64_t row[BENCH_MAX_M];
    float out[BENCH_MAX_M];
    int ok = 1;
    for (size_t j = 0; j < n && ok; j++) {
        bench_synth_row(seed, j, m, 0, row);
        for (size_t i = 0; i < m; i++)
            out[i] = (float)((double)row[i] / 1e6);
        ok = fwrite(out, sizeof *out, m, f) == m;
    }
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "bench_map_adam: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    size_t n, m, seed, limit = SIZE_MAX;
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "data") == 0) {
        if (argc == 5 && bench_parse_size(argv[4], 1, SIZE_MAX, &limit))
            goto usage;
        return run_data(argv[2], argv[3], limit);
    }
    if (argc == 6 && strcmp(argv[1], "synth") == 0 &&
        !bench_parse_size(argv[2], 1, (size_t)1 << 36, &n) &&
        !bench_parse_size(argv[3], 1, BENCH_MAX_M, &m) &&
        !bench_parse_size(argv[4], 0, SIZE_MAX, &seed)) {
        int rc = run_synth(n, m, (uint64_t)seed, argv[5]);
        if (rc != 2)
            return rc;
    }
    if (argc == 6 && strcmp(argv[1], "dump") == 0 &&
        !bench_parse_size(argv[2], 1, (size_t)1 << 36, &n) &&
        !bench_parse_size(argv[3], 1, BENCH_MAX_M, &m) &&
        !bench_parse_size(argv[4], 0, SIZE_MAX, &seed))
        return dump_synth(n, m, (uint64_t)seed, argv[5]);
usage:
    fputs("usage: bench_map_adam data DATA.csv PALETTES.csv [LIMIT]\n"
          "       bench_map_adam synth N M SEED vI=TARGET,...\n"
          "       bench_map_adam dump N M SEED FILE\n", stderr);
    return 2;
}
