/* bench_sum.c — the yardstick of the benchmark: one plain summation pass
 * over an n x m matrix of doubles already in memory (row-major, as the
 * store loads it), single-threaded, eight independent accumulators so the
 * pass runs at memory speed rather than at the latency of one add.
 *   bench_sum N M [R]
 * prints the best of R (default 5) pass times in seconds on stdout, and the
 * sum on stderr (so the pass cannot be optimised away). */
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"

/* The sum of x[0..len), in one pass. */
static double sum_pass(const double *x, size_t len)
{
    double a[8] = {0};
    size_t k = 0;
    for (; k + 8 <= len; k += 8)
        for (int u = 0; u < 8; u++)
            a[u] += x[k + (size_t)u];
    for (; k < len; k++)
        a[0] += x[k];
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

int main(int argc, char **argv)
{
    size_t n, m, r = 5;
    if (argc < 3 || argc > 4 || bench_parse_size(argv[1], 1, (size_t)1 << 36, &n) ||
        bench_parse_size(argv[2], 1, BENCH_MAX_M, &m) ||
        (argc == 4 && bench_parse_size(argv[3], 1, 1000, &r))) {
        fputs("usage: bench_sum N M [R]\n", stderr);
        return 2;
    }
    size_t len = n * m;
    double *x = malloc(len * sizeof *x);
    if (!x) {
        fputs("bench_sum: out of memory\n", stderr);
        return 1;
    }
    for (size_t k = 0; k < len; k++) /* every page touched before timing */
        x[k] = (double)(k % 1009) * 1e-3 - 0.5;
    double best = 1e300, s = 0;
    for (size_t i = 0; i < r; i++) {
        double t0 = bench_now();
        s += sum_pass(x, len);
        double t = bench_now() - t0;
        if (t < best)
            best = t;
    }
    printf("%.6f\n", best);
    fprintf(stderr, "bench_sum: %zu x %zu, sum %.17g\n", n, m, s / (double)r);
    free(x);
    return 0;
}
