/* bench_eval.c — speed of one evaluation pass (not a test): a random
 * n × 6 matrix in memory (default n = 10^7), a plain summation pass over it
 * (one and two threads) as the memory-bound yardstick, then the full
 * evaluation (Λ, μ, Σ with k = p = 6) at 1 and 2 threads, and a per-prompt
 * pass (10,000 prompts × 16 samples). Prints ns per sample and the ratio to
 * the summation pass, best of several repetitions.
 * usage: bench_eval [n] [reps] */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "map_solver.h"
#include "map_test_rng.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the calling thread: on a loaded machine it separates the
 * work from the waiting. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the whole process (all threads). */
static double proc_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* FNV-1a over the bytes of the results: equal prints, equal bits. */
static unsigned long long fingerprint(const void *p, size_t len, unsigned long long h)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < len; i++)
        h = (h ^ c[i]) * 0x100000001b3ULL;
    return h;
}

typedef struct sum_arg {
    const double *x;
    size_t count;
    double sum;
} sum_arg;

/* The plain pass: every double of the slice summed, four lanes. */
static void *sum_slice(void *arg)
{
    sum_arg *a = arg;
    double l[4] = {0};
    size_t j = 0;
    for (; j + 4 <= a->count; j += 4)
        for (size_t q = 0; q < 4; q++)
            l[q] += a->x[j + q];
    for (; j < a->count; j++)
        l[0] += a->x[j];
    a->sum = (l[0] + l[1]) + (l[2] + l[3]);
    return NULL;
}

static double sum_pass(const double *x, size_t count, int threads, double *sum)
{
    sum_arg a[2] = {{x, count / 2, 0.0}, {x + count / 2, count - count / 2, 0.0}};
    const double t0 = now();
    if (threads == 1) {
        sum_arg all = {x, count, 0.0};
        sum_slice(&all);
        *sum = all.sum;
    } else {
        pthread_t t;
        if (pthread_create(&t, NULL, sum_slice, &a[1])) {
            sum_slice(&a[1]);
        } else {
            sum_slice(&a[0]);
            pthread_join(t, NULL);
            *sum = a[0].sum + a[1].sum;
            return now() - t0;
        }
        sum_slice(&a[0]);
        *sum = a[0].sum + a[1].sum;
    }
    return now() - t0;
}

int main(int argc, char **argv)
{
    size_t n = 10000000;
    int reps = 5;
    if (argc > 1) {
        char *end;
        errno = 0;
        const unsigned long long v = strtoull(argv[1], &end, 10);
        if (errno || *end || v < 1000) {
            fprintf(stderr, "bench_eval: n must be an integer ≥ 1000\n");
            return 2;
        }
        n = (size_t)v;
    }
    if (argc > 2) {
        char *end;
        const long v = strtol(argv[2], &end, 10);
        if (*end || v < 1 || v > 1000) {
            fprintf(stderr, "bench_eval: reps must be in 1..1000\n");
            return 2;
        }
        reps = (int)v;
    }
    const size_t m = 6;
    double *x = malloc(n * m * sizeof *x);
    if (!x) {
        fprintf(stderr, "bench_eval: out of memory\n");
        return 1;
    }
    uint64_t st = 1;
    for (size_t j = 0; j < n * m; j++)
        x[j] = map_test_uniform(&st) * 2.0 - 1.0 + (double)(j % m);
    const map_matrix X = {n, m, m, x, NULL};
    const size_t cols[6] = {0, 1, 2, 3, 4, 5};
    const double target[6] = {0.1, 1.1, 2.0, 3.0, 4.0, 5.0};
    const double scale[6] = {1, 1, 1, 1, 1, 1};
    const double lambda[6] = {0.8, 0.3, 1.2, 0.0, 0.5, 2.0};
    map_problem pb = {X, 6, cols, target, scale, NULL, NULL};
    double logz, mu[6], sigma[36], ess, wmax, sum = 0.0;

    double best_sum[2] = {INFINITY, INFINITY}, best_eval[2] = {INFINITY, INFINITY};
    double cpu_sum = INFINITY, cpu_eval = INFINITY; /* 1 thread, CPU time */
    double cpu_eval2 = INFINITY;                     /* 2 threads, CPU time of both */
    map_solver_ws *ws[2] = {map_solver_ws_new(6, 6), map_solver_ws_new(6, 6)};
    if (!ws[0] || !ws[1] || map_solver_ws_set_threads(ws[1], 2)) {
        fprintf(stderr, "bench_eval: out of memory\n");
        return 1;
    }
    double logz_t[2] = {0, 0};
    unsigned long long fp[2] = {0, 0};
    /* Interleaved, so that both sides see the same load. */
    for (int r = 0; r < reps; r++) {
        for (int t = 0; t < 2; t++) {
            double c0 = cpu_now();
            const double ds = sum_pass(x, n * m, t + 1, &sum);
            best_sum[t] = fmin(best_sum[t], ds);
            if (t == 0)
                cpu_sum = fmin(cpu_sum, cpu_now() - c0);
            c0 = cpu_now();
            const double p0 = proc_cpu_now();
            const double t0 = now();
            map_evaluate(&pb, lambda, ws[t], &logz, mu, sigma, &ess, &wmax);
            best_eval[t] = fmin(best_eval[t], now() - t0);
            if (t == 0)
                cpu_eval = fmin(cpu_eval, cpu_now() - c0);
            else
                cpu_eval2 = fmin(cpu_eval2, proc_cpu_now() - p0);
            logz_t[t] = logz;
            fp[t] = fingerprint(&logz, sizeof logz, 0xcbf29ce484222325ULL);
            fp[t] = fingerprint(mu, sizeof mu, fp[t]);
            fp[t] = fingerprint(sigma, sizeof sigma, fp[t]);
            fp[t] = fingerprint(&ess, sizeof ess, fp[t]);
            fp[t] = fingerprint(&wmax, sizeof wmax, fp[t]);
        }
    }
    printf("n = %zu, m = 6, best of %d (checksum %.6g; Λ %.17g at 1 thread, %.17g at 2; "
           "results' fingerprint %016llx, %016llx)\n", n, reps, sum, logz_t[0], logz_t[1], fp[0], fp[1]);
    for (int t = 0; t < 2; t++)
        printf("sum pass,  %d thread%s: %8.2f ms  %6.3f ns/sample\n", t + 1, t ? "s" : " ",
               1e3 * best_sum[t], 1e9 * best_sum[t] / (double)n);
    for (int t = 0; t < 2; t++)
        printf("eval pass, %d thread%s: %8.2f ms  %6.3f ns/sample  %5.2f x sum (1 thread)  %5.2f x sum (2 threads)\n",
               t + 1, t ? "s" : " ", 1e3 * best_eval[t], 1e9 * best_eval[t] / (double)n,
               best_eval[t] / best_sum[0], best_eval[t] / best_sum[1]);

    printf("1 thread, CPU time: sum %.2f ms, eval %.2f ms, ratio %.2f\n", 1e3 * cpu_sum, 1e3 * cpu_eval,
           cpu_eval / cpu_sum);
    printf("2 threads, CPU time of both: eval %.2f ms (%.2f x the 1-thread CPU time)\n", 1e3 * cpu_eval2,
           cpu_eval2 / cpu_eval);

    /* Per prompt: 10,000 prompts × 16 samples over the first rows. */
    const size_t K = 10000, per = 16;
    if (n >= K * per) {
        size_t *order = malloc(K * per * sizeof *order), *start = malloc((K + 1) * sizeof *start);
        if (!order || !start) {
            fprintf(stderr, "bench_eval: out of memory\n");
            return 1;
        }
        /* Rows interleaved across prompts, as a store returns them. */
        for (size_t g = 0; g < K; g++) {
            start[g] = g * per;
            for (size_t i = 0; i < per; i++)
                order[g * per + i] = i * K + g;
        }
        start[K] = K * per;
        const map_groups grp = {K, start, order};
        map_problem pg = {{K * per, m, m, x, NULL}, 6, cols, target, scale, NULL, &grp};
        double best_g[2] = {INFINITY, INFINITY};
        for (int r = 0; r < 4 * reps; r++)
            for (int t = 0; t < 2; t++) {
                const double t0 = now();
                map_evaluate(&pg, lambda, ws[t], &logz, mu, sigma, &ess, &wmax);
                best_g[t] = fmin(best_g[t], now() - t0);
            }
        for (int t = 0; t < 2; t++)
            printf("per prompt (%zu x %zu), %d thread%s: %8.3f ms  %6.3f ns/sample\n", K, per, t + 1,
                   t ? "s" : " ", 1e3 * best_g[t], 1e9 * best_g[t] / (double)(K * per));
        free(order);
        free(start);
    }
    map_solver_ws_free(ws[0]);
    map_solver_ws_free(ws[1]);
    free(x);
    return 0;
}
