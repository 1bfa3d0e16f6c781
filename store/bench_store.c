/* bench_store.c — times storing and loading a 10^6 x 6 random dataset (and,
 * separately, 10^6 prompts): the put with and without prompts (as rows/s),
 * the part of a put that computes the per-value statistics, the matrix load
 * (MB/s) and a load of the statistics alone. Prints figures; not a
 * pass/fail test.
 *
 * Usage: bench_store [DB_PATH] [ROWS]. Without DB_PATH a temporary
 * directory is used and removed afterwards.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "map_common.h"
#include "map_dataset.h"
#include "map_stats.h"
#include "map_store.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what, const map_error *err)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, err->msg);
    return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    char dir[PATH_MAX] = "";
    char path[PATH_MAX + 16];
    size_t n = 1000000;
    const size_t m = 6;
    if (argc > 2) {
        long v;
        if (map_parse_long(argv[2], 1, LONG_MAX, &v) != 0) {
            fprintf(stderr, "bench_store: bad row count '%s'\n", argv[2]);
            return 2;
        }
        n = (size_t)v;
    }
    if (argc > 1) {
        snprintf(path, sizeof path, "%s", argv[1]);
    } else {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/mapsolve-bench-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return EXIT_FAILURE;
        }
        snprintf(path, sizeof path, "%s/bench.db", dir);
    }

    map_dataset *ds = map_dataset_new();
    if (!ds)
        return EXIT_FAILURE;
    ds->name = map_strdup("bench");
    ds->n = n;
    ds->m = m;
    ds->values = map_calloc(m, sizeof *ds->values);
    ds->x = map_mallocarray(n * m, sizeof *ds->x);
    ds->prompt_name = map_strdup("prompt");
    ds->prompts = map_calloc(n, sizeof *ds->prompts);
    if (!ds->name || !ds->values || !ds->x || !ds->prompt_name || !ds->prompts)
        return EXIT_FAILURE;
    for (size_t i = 0; i < m; i++) {
        char buf[16];
        snprintf(buf, sizeof buf, "v%zu", i);
        if (!(ds->values[i] = map_strdup(buf)))
            return EXIT_FAILURE;
    }
    uint64_t s = 88172645463325252u;
    for (size_t k = 0; k < n * m; k++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ds->x[k] = (double)(s >> 11) * 0x1.0p-53;
    }
    for (size_t j = 0; j < n; j++) {
        char buf[32];
        snprintf(buf, sizeof buf, "prompt-%zu", j);
        if (!(ds->prompts[j] = map_strdup(buf)))
            return EXIT_FAILURE;
    }

    map_error err;
    map_store *st = NULL;
    if (map_store_open(path, &st, &err))
        return fail("open", &err);
    const double mb = (double)(n * m * sizeof(double)) / 1e6;

    double t0 = now();
    if (map_store_put_dataset(st, ds, 1, &err))
        return fail("put", &err);
    const double t_put = now() - t0;

    /* The same matrix without prompts, and the statistics alone. */
    char **prompts = ds->prompts;
    char *prompt_name = ds->prompt_name;
    ds->prompts = NULL;
    ds->prompt_name = NULL;
    /* In a database of its own, so that it does not pay for checkpointing
     * the first put's WAL. */
    char path_np[PATH_MAX + 32];
    snprintf(path_np, sizeof path_np, "%s-np", path);
    map_store *st_np = NULL;
    if (map_store_open(path_np, &st_np, &err))
        return fail("open", &err);
    t0 = now();
    if (map_store_put_dataset(st_np, ds, 1, &err))
        return fail("put without prompts", &err);
    const double t_put_np = now() - t0;
    map_store_close(st_np);
    ds->prompts = prompts;
    ds->prompt_name = prompt_name;
    map_valstat *vs = map_mallocarray(m, sizeof *vs);
    const map_matrix X = map_dataset_matrix(ds);
    t0 = now();
    if (!vs || map_value_stats(&X, vs, &err))
        return fail("stats", &err);
    const double t_stats = now() - t0;
    map_free(vs);

    map_dataset *back = NULL;
    double t_get = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        map_dataset_free(back);
        t0 = now();
        if (map_store_get_dataset(st, "bench", 0, &back, &err))
            return fail("get", &err);
        const double t = now() - t0;
        t_get = t < t_get ? t : t_get;
    }
    const int same = memcmp(back->x, ds->x, n * m * sizeof(double)) == 0;
    map_dataset_free(back);

    double t_nomat = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        t0 = now();
        if (map_store_get_dataset(st, "bench", MAP_LOAD_NO_MATRIX, &back, &err))
            return fail("get statistics", &err);
        const double t = now() - t0;
        t_nomat = t < t_nomat ? t : t_nomat;
        map_dataset_free(back);
    }

    t0 = now();
    if (map_store_get_dataset(st, "bench", MAP_LOAD_PROMPTS, &back, &err))
        return fail("get with prompts", &err);
    const double t_prompts = now() - t0;
    map_dataset_free(back);

    printf("store-load: %zu x %zu doubles (%.1f MB), db %s\n", n, m, mb, path);
    printf("  put (matrix + %zu prompts, one transaction): %8.1f ms  (%.2f M rows/s)\n", n,
           1e3 * t_put, 1e-6 * (double)n / t_put);
    printf("  put (matrix only, its own database):       %8.1f ms  (%.2f M rows/s)\n",
           1e3 * t_put_np, 1e-6 * (double)n / t_put_np);
    printf("    of which the statistics (map_value_stats): %6.1f ms\n", 1e3 * t_stats);
    printf("  get matrix only (best of 5):               %8.1f ms  (%.0f MB/s)\n", 1e3 * t_get,
           mb / t_get);
    printf("  get statistics only (best of 5):           %8.1f ms\n", 1e3 * t_nomat);
    printf("  get matrix + prompts:                      %8.1f ms\n", 1e3 * t_prompts);
    printf("  round trip bit-exact: %s\n", same ? "yes" : "NO");

    map_store_close(st);
    map_dataset_free(ds);
    if (dir[0]) {
        char f[PATH_MAX + 32];
        static const char *const suffix[] = {"", "-wal", "-shm", "-np", "-np-wal", "-np-shm"};
        for (int k = 0; k < 6; k++) {
            snprintf(f, sizeof f, "%s%s", path, suffix[k]);
            unlink(f);
        }
        rmdir(dir);
    }
    return same ? EXIT_SUCCESS : EXIT_FAILURE;
}
