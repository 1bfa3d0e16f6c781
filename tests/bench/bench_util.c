/* bench_util.c — the clock, the synthetic rows and the numeric CSV reader
 * shared by the benchmark programs (contracts in bench_util.h). */
#include "bench_util.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "map_test_rng.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int bench_parse_size(const char *s, size_t lo, size_t hi, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi)
        return -1;
    *out = (size_t)v;
    return 0;
}

/* k standard normals (Box-Muller) from the stream *state into out. */
static void normals(uint64_t *state, size_t k, double *out)
{
    const double two_pi = 6.283185307179586;
    for (size_t i = 0; i < k; i += 2) {
        double u1 = ((double)(map_test_splitmix64(state) >> 11) + 1.0) * 0x1.0p-53; /* (0, 1] */
        double u2 = map_test_uniform(state); /* [0, 1) */
        double r = sqrt(-2.0 * log(u1));
        out[i] = r * cos(two_pi * u2);
        if (i + 1 < k)
            out[i + 1] = r * sin(two_pi * u2);
    }
}

void bench_synth_row(uint64_t seed, size_t j, size_t m, size_t per_prompt, int64_t *out_micro)
{
    assert(m >= 1 && m <= BENCH_MAX_M);
    double z[BENCH_MAX_M + 1], a[BENCH_MAX_M];
    uint64_t st = seed * 0xD1B54A32D192ED03ull ^ ((uint64_t)j + 1) * 0x9E3779B97F4A7C15ull;
    normals(&st, m + 1, z);
    if (per_prompt > 0) {
        uint64_t sp = ~seed * 0xD1B54A32D192ED03ull ^ ((uint64_t)(j / per_prompt) + 1) * 0xA24BAED4963EE407ull;
        normals(&sp, m, a);
    }
    for (size_t i = 0; i < m; i++) {
        double v = 0.6 * z[0] + 0.8 * z[i + 1];
        if (per_prompt > 0)
            v += 0.5 * a[i];
        out_micro[i] = llround(v * 1e6);
    }
}

/* Splits the header line s (modified in place) at commas into *names. */
static int split_header(char *s, char ***names, size_t *m)
{
    size_t cap = 8, k = 0;
    char **v = malloc(cap * sizeof *v);
    if (!v)
        return -1;
    s[strcspn(s, "\r\n")] = '\0';
    for (char *p = s;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (k == cap) {
            char **w = realloc(v, 2 * cap * sizeof *v);
            if (!w)
                break;
            v = w;
            cap *= 2;
        }
        v[k] = strdup(p);
        if (!v[k])
            break;
        k++;
        if (!comma) {
            *names = v;
            *m = k;
            return 0;
        }
        p = comma + 1;
    }
    for (size_t i = 0; i < k; i++)
        free(v[i]);
    free(v);
    return -1;
}

int bench_table_read(const char *path, bench_table *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t linecap = 0, cap = 0, lineno = 1;
    int rc = -1;
    if (getline(&line, &linecap, f) < 0 || split_header(line, &out->names, &out->m)) {
        fprintf(stderr, "bench: %s: no header\n", path);
        goto done;
    }
    while (getline(&line, &linecap, f) >= 0) {
        lineno++;
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        if (out->n == cap) {
            size_t nc = cap ? 2 * cap : 1024;
            double *x = realloc(out->x, nc * out->m * sizeof *x);
            if (!x) {
                fprintf(stderr, "bench: %s: out of memory\n", path);
                goto done;
            }
            out->x = x;
            cap = nc;
        }
        const char *p = line;
        for (size_t i = 0; i < out->m; i++) {
            char *end;
            double v = strtod(p, &end);
            char want = i + 1 < out->m ? ',' : '\0';
            if (end == p || !isfinite(v) || (want ? *end != want : (*end != '\0' && *end != '\n' && *end != '\r'))) {
                fprintf(stderr, "bench: %s:%zu: column %zu is not a number\n", path, lineno, i + 1);
                goto done;
            }
            out->x[out->n * out->m + i] = v;
            p = end + 1;
        }
        out->n++;
    }
    rc = 0;
done:
    free(line);
    fclose(f);
    if (rc)
        bench_table_free(out);
    return rc;
}

long bench_table_column(const bench_table *t, const char *name)
{
    for (size_t i = 0; i < t->m; i++)
        if (strcmp(t->names[i], name) == 0)
            return (long)i;
    return -1;
}

void bench_table_free(bench_table *t)
{
    for (size_t i = 0; t->names && i < t->m; i++)
        free(t->names[i]);
    free(t->names);
    free(t->x);
    memset(t, 0, sizeof *t);
}
