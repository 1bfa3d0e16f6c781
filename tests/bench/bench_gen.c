/* bench_gen.c — the benchmark's inputs, generated rather than stored:
 *   bench_gen rows N M SEED [PER_PROMPT]
 *       N synthetic rows of M values (bench_synth_row) as CSV on stdout,
 *       "%.6f" numbers, header v1..vM; with PER_PROMPT > 0 a first column
 *       `prompt` (p0, p1, ...: PER_PROMPT consecutive rows per prompt).
 *   bench_gen palettes DATA.csv COUNT SEED A,B,...
 *       COUNT conservative palettes over the named columns of the numeric
 *       CSV DATA (target_i ~ U(mean_i, q70_i), MATH.md §10, q70 of type 7) as
 *       a CSV with one column per value: the `sweep --palettes` format.
 * Exit 0 on success, 2 on misuse, 1 on failure (message on stderr). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "map_test_rng.h"

static int usage(void)
{
    fputs("usage: bench_gen rows N M SEED [PER_PROMPT]\n"
          "       bench_gen palettes DATA.csv COUNT SEED A,B,...\n", stderr);
    return 2;
}

/* Appends the decimal text of micro / 1e6 with six decimals ("%.6f") at p;
 * returns the end. Hand-written because printf would dominate the run. */
static char *put_micro(char *p, int64_t micro)
{
    uint64_t u;
    if (micro < 0) {
        *p++ = '-';
        u = (uint64_t)(-(micro + 1)) + 1;
    } else {
        u = (uint64_t)micro;
    }
    uint64_t ip = u / 1000000, fp = u % 1000000;
    char tmp[24];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (k)
        *p++ = tmp[--k];
    *p++ = '.';
    for (int d = 5; d >= 0; d--) {
        p[d] = (char)('0' + fp % 10);
        fp /= 10;
    }
    return p + 6;
}

static int gen_rows(size_t n, size_t m, uint64_t seed, size_t per_prompt)
{
    static char buf[1 << 20];
    size_t len = 0;
    if (per_prompt)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "prompt,");
    for (size_t i = 0; i < m; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "v%zu%c", i + 1, i + 1 < m ? ',' : '\n');
    int64_t row[BENCH_MAX_M];
    for (size_t j = 0; j < n; j++) {
        if (len > sizeof buf - 32 * (m + 1)) {
            if (fwrite(buf, 1, len, stdout) != len)
                return 1;
            len = 0;
        }
        char *p = buf + len;
        if (per_prompt)
            p += sprintf(p, "p%zu,", j / per_prompt);
        bench_synth_row(seed, j, m, per_prompt, row);
        for (size_t i = 0; i < m; i++) {
            p = put_micro(p, row[i]);
            *p++ = i + 1 < m ? ',' : '\n';
        }
        len = (size_t)(p - buf);
    }
    if (fwrite(buf, 1, len, stdout) != len || fflush(stdout))
        return 1;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int gen_palettes(const char *data, size_t count, uint64_t seed, char *names)
{
    bench_table t;
    if (bench_table_read(data, &t))
        return 1;
    double lo[BENCH_MAX_M], hi[BENCH_MAX_M];
    char *cols[BENCH_MAX_M];
    size_t k = 0;
    double *col = malloc(t.n * sizeof *col);
    int rc = 1;
    if (!col || t.n == 0)
        goto done;
    for (char *save = NULL, *name = strtok_r(names, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        long c = bench_table_column(&t, name);
        if (c < 0 || k == BENCH_MAX_M) {
            fprintf(stderr, "bench_gen: %s: no column %s (or too many)\n", data, name);
            goto done;
        }
        double mean = 0;
        for (size_t j = 0; j < t.n; j++) {
            col[j] = t.x[j * t.m + (size_t)c];
            mean += col[j];
        }
        mean /= (double)t.n;
        qsort(col, t.n, sizeof *col, cmp_double);
        double h = 0.7 * (double)(t.n - 1);
        size_t f = (size_t)h;
        double q70 = f + 1 < t.n ? col[f] + (h - (double)f) * (col[f + 1] - col[f]) : col[f];
        lo[k] = fmin(mean, q70);
        hi[k] = fmax(mean, q70);
        cols[k++] = name;
    }
    for (size_t i = 0; i < k; i++)
        printf("%s%c", cols[i], i + 1 < k ? ',' : '\n');
    uint64_t st = seed;
    for (size_t r = 0; r < count; r++)
        for (size_t i = 0; i < k; i++) {
            const double u = map_test_uniform(&st);
            printf("%.17g%c", lo[i] + u * (hi[i] - lo[i]), i + 1 < k ? ',' : '\n');
        }
    rc = fflush(stdout) ? 1 : 0;
done:
    free(col);
    bench_table_free(&t);
    return rc;
}

int main(int argc, char **argv)
{
    size_t n, m, seed, per = 0;
    if (argc >= 5 && strcmp(argv[1], "rows") == 0) {
        if (bench_parse_size(argv[2], 1, (size_t)1 << 40, &n) ||
            bench_parse_size(argv[3], 1, BENCH_MAX_M, &m) ||
            bench_parse_size(argv[4], 0, SIZE_MAX, &seed) ||
            (argc == 6 && bench_parse_size(argv[5], 0, (size_t)1 << 40, &per)) || argc > 6)
            return usage();
        return gen_rows(n, m, (uint64_t)seed, per);
    }
    if (argc == 6 && strcmp(argv[1], "palettes") == 0) {
        if (bench_parse_size(argv[3], 1, (size_t)1 << 30, &n) ||
            bench_parse_size(argv[4], 0, SIZE_MAX, &seed))
            return usage();
        return gen_palettes(argv[2], n, (uint64_t)seed, argv[5]);
    }
    return usage();
}
