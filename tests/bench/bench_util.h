/* bench_util.h — what the benchmark programs of tests/bench share: a
 * monotonic clock, the synthetic reward rows (deterministic per row, so the
 * CSV generator and the in-memory programs see the same numbers without a
 * file between them), and a reader for plain numeric CSV files (a header of
 * names, then numbers only: what `mapsolve export` writes for a dataset
 * without prompt or text columns, and what bench_gen writes for palettes). */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* Parses a whole decimal string into *out (strtoull + end check); returns 0
 * on success, -1 when s is not a number in [lo, hi]. */
int bench_parse_size(const char *s, size_t lo, size_t hi, size_t *out);

/* The synthetic data set, row j of an n x m matrix with seed `seed`: value i
 * is 0.6 g + 0.8 z_i (g, z_i standard normals drawn for this row alone, so
 * each value has mean 0 and sd 1, pairwise correlation 0.36), plus, when
 * per_prompt > 0, a prompt effect 0.5 a_{k,i} shared by the rows of prompt
 * k = j / per_prompt. Values are rounded to 1e-6 and returned in micro-units
 * (out_micro[i], m of them): value = out_micro[i] / 1e6 is exactly the double
 * strtod reads back from the "%.6f" text. m is at most BENCH_MAX_M. */
#define BENCH_MAX_M 64
void bench_synth_row(uint64_t seed, size_t j, size_t m, size_t per_prompt, int64_t *out_micro);

/* A plain numeric CSV file in memory: n rows of m doubles, row-major. */
typedef struct bench_table {
    size_t n, m;
    char **names; /* m column names */
    double *x;    /* n * m values */
} bench_table;

/* Reads PATH (header of names, then rows of exactly m numbers, no quoting).
 * Returns 0 and fills *out (free with bench_table_free) or -1 with a
 * message on stderr. */
int bench_table_read(const char *path, bench_table *out);

/* Index of column NAME in t, or -1. */
long bench_table_column(const bench_table *t, const char *name);

/* Frees what bench_table_read allocated; a zeroed table is a no-op. */
void bench_table_free(bench_table *t);

#endif
