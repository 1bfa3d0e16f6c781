/* bench_ingest.c — times map_ingest_read (parse only, no store) on a
 * generated 10^6-row CSV of 6 values printed with %.6f, with and without a
 * prompt column, and on any CSV files named on the command line. Prints
 * rows/s (best of 3); not a pass/fail test.
 *
 * Usage: bench_ingest [ROWS [FILE [PROMPT_COLUMN]]].
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
#include "map_ingest.h"
#include "map_ingest_internal.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Writes n rows of 6 uniform values in [-1, 1) as %.6f (and a prompt key
 * "p<i mod 5000>" first when with_prompt) to path. Returns 0 or -1. */
static int generate(const char *path, size_t n, int with_prompt)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs(with_prompt ? "prompt,a,b,c,d,e,f\n" : "a,b,c,d,e,f\n", f);
    uint64_t s = 88172645463325252u;
    for (size_t i = 0; i < n; i++) {
        if (with_prompt)
            fprintf(f, "p%zu,", i % 5000);
        for (int j = 0; j < 6; j++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            const double v = (double)(s >> 11) * 0x1.0p-52 - 1.0;
            fprintf(f, j < 5 ? "%.6f," : "%.6f\n", v);
        }
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Ingests path three times with the CSV reader in mode (map_read_csv_mode:
 * 1 one thread, 2 two); prints the best wall-clock and CPU times and the
 * rows/s they give (CPU time, summed over threads, varies less on a loaded
 * machine), and the CPU time of the calling thread (with two threads, about
 * the wall-clock time on an idle machine with two free cores). Returns 0 or
 * -1. */
static int run_mode(const char *label, const char *path, const char *prompt, int mode)
{
    map_read_csv_mode(mode);
    map_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.path = path;
    o.format = MAP_FMT_CSV;
    o.prompt_column = prompt;
    double best = 1e30, best_cpu = 1e30, best_main = 1e30;
    size_t n = 0;
    for (int rep = 0; rep < 3; rep++) {
        map_dataset *ds = NULL;
        map_error err;
        const double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        const double h0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        if (map_ingest_read(&o, &ds, &err) != 0) {
            fprintf(stderr, "bench_ingest: %s\n", err.msg);
            return -1;
        }
        const double t = clock_s(CLOCK_MONOTONIC) - t0;
        const double c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        const double h = clock_s(CLOCK_THREAD_CPUTIME_ID) - h0;
        best_main = h < best_main ? h : best_main;
        best = t < best ? t : best;
        best_cpu = c < best_cpu ? c : best_cpu;
        n = ds->n;
        map_dataset_free(ds);
    }
    map_read_csv_mode(2);
    printf("  %-18s %-11s %7zu rows  wall %6.1f ms %8.0f rows/s  cpu %6.1f ms %8.0f rows/s"
           "  main thread cpu %6.1f ms\n",
           label, mode == 2 ? "two threads" : "one thread", n, 1e3 * best, (double)n / best,
           1e3 * best_cpu, (double)n / best_cpu, 1e3 * best_main);
    return 0;
}

/* run_mode with two threads, then one. */
static int run(const char *label, const char *path, const char *prompt)
{
    return run_mode(label, path, prompt, 2) || run_mode(label, path, prompt, 1) ? -1 : 0;
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    if (argc > 1) {
        long v;
        if (map_parse_long(argv[1], 1, LONG_MAX, &v) != 0) {
            fprintf(stderr, "bench_ingest: bad row count '%s'\n", argv[1]);
            return 2;
        }
        n = (size_t)v;
    }
    if (argc > 2) {
        printf("ingest (parse only, best of 3):\n");
        return run(argv[2], argv[2], argc > 3 ? argv[3] : NULL) ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    const char *base = getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/mapsolve-bench-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    char plain[PATH_MAX + 32], prompted[PATH_MAX + 32];
    snprintf(plain, sizeof plain, "%s/plain.csv", dir);
    snprintf(prompted, sizeof prompted, "%s/prompted.csv", dir);
    int rc = EXIT_SUCCESS;
    if (generate(plain, n, 0) != 0 || generate(prompted, n, 1) != 0) {
        perror("bench_ingest: writing the CSV");
        rc = EXIT_FAILURE;
    } else {
        printf("ingest (parse only, best of 3), %zu rows x 6 values (%%.6f):\n", n);
        if (run("6 values", plain, NULL) != 0 || run("prompt + 6 values", prompted, "prompt") != 0)
            rc = EXIT_FAILURE;
    }
    unlink(plain);
    unlink(prompted);
    rmdir(dir);
    return rc;
}
