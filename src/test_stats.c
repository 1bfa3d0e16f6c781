/* test_stats.c — the quantiles by selection against the sorting reference:
 * every order statistic gsl_stats_quantile_from_sorted_data reads on a
 * sorted copy, bit for bit, on random data with and without ties, sorted and
 * reversed data, n = 1, 2, tiny and large, every integer percentile and
 * fractional ones; and map_value_stats against map_column_stats and sorting.
 */
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <stdint.h>
#include <string.h>

#include "map_stats.h"
#include "map_test.h"

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Fills v with n values of the given kind. */
static void fill(double *v, size_t n, int kind)
{
    for (size_t j = 0; j < n; j++) {
        const double u = (double)(next() >> 11) * 0x1.0p-53;
        switch (kind) {
        case 0: v[j] = u * 2.0 - 1.0; break;                    /* continuous */
        case 1: v[j] = (double)(next() % 5) - 2.0; break;        /* 5 levels, many ties */
        case 2: v[j] = (next() % 8) ? 0.5 : -1e300; break;       /* mostly one value */
        case 3: v[j] = (double)j; break;                          /* sorted */
        case 4: v[j] = (double)(n - j); break;                    /* reversed */
        case 5: v[j] = 3.25; break;                               /* constant */
        default: v[j] = (j % 2) ? INFINITY : u; break;            /* infinities */
        }
    }
}

/* Bitwise equality (so that -0 and 0, or two NaNs, are told apart / matched). */
static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static size_t np_all(double *p)
{
    size_t np = 0;
    for (int k = 0; k <= 100; k++)
        p[np++] = (double)k / 100.0;
    return np;
}

static void check_one(const double *v, size_t n, const char *what)
{
    double *sorted = map_mallocarray(n, sizeof *sorted);
    double *work = map_mallocarray(n, sizeof *work);
    MAP_CHECK(sorted && work, "alloc");
    if (!sorted || !work)
        return;
    memcpy(sorted, v, n * sizeof *v);
    gsl_sort(sorted, 1, n);

    /* All integer percentiles in one call. */
    double p[MAP_NPCT], q[MAP_NPCT];
    const size_t np = np_all(p);
    memcpy(work, v, n * sizeof *v);
    map_quantiles_select(work, n, p, np, q);
    for (size_t k = 0; k < np; k++) {
        const double ref = gsl_stats_quantile_from_sorted_data(sorted, 1, n, p[k]);
        MAP_CHECK(same_bits(q[k], ref), "%s n=%zu q%zu: %.17g vs %.17g", what, n, k, q[k], ref);
    }
    /* Fractional and single percentiles, one call each, on fresh copies. */
    static const double frac[] = {0.001, 0.025, 0.1234, 0.333, 0.5, 0.6789, 0.7, 0.8, 0.975,
                                  0.999, 0.99999, 1.0, 0.0};
    for (size_t k = 0; k < sizeof frac / sizeof frac[0]; k++) {
        memcpy(work, v, n * sizeof *v);
        const double got = map_quantile_select(work, n, frac[k]);
        const double ref = gsl_stats_quantile_from_sorted_data(sorted, 1, n, frac[k]);
        MAP_CHECK(same_bits(got, ref), "%s n=%zu p=%g: %.17g vs %.17g", what, n, frac[k], got,
                  ref);
    }
    /* Probabilities out of order and repeated. */
    const double mixed[] = {0.9, 0.1, 0.5, 0.1, 0.37, 1.0, 0.0};
    double got[7];
    memcpy(work, v, n * sizeof *v);
    map_quantiles_select(work, n, mixed, 7, got);
    for (size_t k = 0; k < 7; k++)
        MAP_CHECK(same_bits(got[k], gsl_stats_quantile_from_sorted_data(sorted, 1, n, mixed[k])),
                  "%s n=%zu mixed p=%g", what, n, mixed[k]);
    /* The selection only permutes. */
    gsl_sort(work, 1, n);
    MAP_CHECK(memcmp(work, sorted, n * sizeof *v) == 0, "%s n=%zu: not a permutation", what, n);
    map_free(sorted);
    map_free(work);
}

static void test_select_vs_sort(void)
{
    static const size_t sizes[] = {1, 2, 3, 4, 5, 7, 15, 16, 17, 33, 100, 101, 257, 1000, 4099,
                                   100003};
    static const char *const kinds[] = {"continuous", "ties", "one value", "sorted", "reversed",
                                        "constant", "infinities"};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int kind = 0; kind < 7; kind++) {
            const size_t n = sizes[s];
            double *v = map_mallocarray(n, sizeof *v);
            MAP_CHECK(v != NULL, "alloc");
            if (!v)
                return;
            fill(v, n, kind);
            check_one(v, n, kinds[kind]);
            map_free(v);
        }
}

/* Adversarial-ish input for median-of-three: the depth limit must still
 * finish it (by sorting) with the right answers. */
static void test_organ_pipe(void)
{
    const size_t n = 50000;
    double *v = map_mallocarray(n, sizeof *v);
    MAP_CHECK(v != NULL, "alloc");
    if (!v)
        return;
    for (size_t j = 0; j < n; j++)
        v[j] = (double)(j < n / 2 ? j : n - j);
    check_one(v, n, "organ pipe");
    map_free(v);
}

/* map_value_stats against map_column_stats and sorting, on n rows (small:
 * selection; from 65536: the bucketed path) of five kinds of column. */
static void value_stats_case(size_t n)
{
    enum { m = 5 };
    double *x = map_mallocarray(n * m, sizeof *x);
    map_valstat vs[m];
    map_colstat cs[m];
    MAP_CHECK(x != NULL, "alloc");
    if (!x)
        return;
    for (size_t j = 0; j < n; j++) {
        x[j * m] = (double)(next() % 7);
        x[j * m + 1] = (double)(next() >> 11) * 0x1.0p-53 * 100.0 - 30.0;
        x[j * m + 2] = -2.5;
        x[j * m + 3] = (double)j * 0.5;                       /* sorted */
        x[j * m + 4] = (next() % 50) ? 1.0 : (double)(j % 13); /* mostly one value */
    }
    const map_matrix X = {n, m, m, x, NULL};
    map_error err;
    MAP_CHECK(map_value_stats(&X, vs, &err) == MAP_OK, "value stats");
    map_column_stats(&X, cs);
    for (size_t i = 0; i < m; i++) {
        MAP_CHECK(memcmp(&vs[i].c, &cs[i], sizeof cs[i]) == 0, "n=%zu column %zu: colstat", n, i);
        double *sorted = NULL;
        MAP_CHECK(map_column_sorted(&X, i, &sorted, &err) == MAP_OK, "sorted");
        for (int k = 0; sorted && k <= 100; k++)
            MAP_CHECK(same_bits(vs[i].pct[k], map_quantile_sorted(sorted, n, k / 100.0)),
                      "n=%zu column %zu q%d: %.17g vs %.17g", n, i, k, vs[i].pct[k],
                      map_quantile_sorted(sorted, n, k / 100.0));
        map_free(sorted);
    }
    map_free(x);
}

static void test_value_stats_large(void)
{
    value_stats_case(1);
    value_stats_case(2);
    value_stats_case(65535);
    value_stats_case(65536);
    value_stats_case(300007);
}

static void test_value_stats(void)
{
    const size_t n = 3001, m = 3;
    double *x = map_mallocarray(n * m, sizeof *x);
    double *col = map_mallocarray(n, sizeof *col);
    map_valstat vs[3];
    map_colstat cs[3];
    MAP_CHECK(x && col, "alloc");
    if (!x || !col)
        return;
    for (size_t j = 0; j < n; j++) {
        x[j * m] = (double)(next() % 7);
        x[j * m + 1] = (double)(next() >> 11) * 0x1.0p-53 * 100.0 - 30.0;
        x[j * m + 2] = -2.5;
    }
    const map_matrix X = {n, m, m, x, NULL};
    map_error err;
    MAP_CHECK(map_value_stats(&X, vs, &err) == MAP_OK, "value stats");
    map_column_stats(&X, cs);
    for (size_t i = 0; i < m; i++) {
        MAP_CHECK(memcmp(&vs[i].c, &cs[i], sizeof cs[i]) == 0, "column %zu: colstat differs", i);
        double *sorted = NULL;
        MAP_CHECK(map_column_sorted(&X, i, &sorted, &err) == MAP_OK, "sorted");
        for (int k = 0; k <= 100; k++)
            MAP_CHECK(same_bits(vs[i].pct[k], map_quantile_sorted(sorted, n, k / 100.0)),
                      "column %zu q%d", i, k);
        double q = 0.0;
        MAP_CHECK(map_column_quantile(&X, i, 0.655, &q, &err) == MAP_OK
                      && same_bits(q, map_quantile_sorted(sorted, n, 0.655)),
                  "column %zu q65.5", i);
        map_free(sorted);
    }
    /* A dataset with stored statistics answers from them, without x. */
    map_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.n = n;
    ds.m = m;
    ds.stats = vs;
    map_colstat back[3];
    map_dataset_column_stats(&ds, back);
    MAP_CHECK(memcmp(back, cs, sizeof cs) == 0, "stored column stats");
    double q = 0.0;
    MAP_CHECK(map_dataset_quantile(&ds, 1, 70.0, &q, &err) == MAP_OK && same_bits(q, vs[1].pct[70]),
              "stored q70");
    MAP_CHECK(map_dataset_quantile(&ds, 1, 70.5, &q, &err) == MAP_EUSAGE,
              "q70.5 needs the matrix");
    ds.x = x;
    double *sorted = NULL;
    MAP_CHECK(map_column_sorted(&X, 1, &sorted, &err) == MAP_OK, "sorted");
    MAP_CHECK(map_dataset_quantile(&ds, 1, 70.5, &q, &err) == MAP_OK
                  && same_bits(q, map_quantile_sorted(sorted, n, 70.5 / 100.0)),
              "q70.5 by selection");
    map_free(sorted);
    map_free(col);
    map_free(x);
}

/* The C library's fmin/fmax, called as functions (what map_column_stats
 * called before it inlined them): through pointers, so that the compiler
 * does not fold or expand them its own way. */
static double (*volatile lib_fmin)(double, double) = fmin;
static double (*volatile lib_fmax)(double, double) = fmax;

/* map_column_stats's ranges agree with the library's fmin/fmax bit for bit,
 * signed zeros and NaN included (it inlines them). */
static void test_ranges_like_fmin(void)
{
    static const double vals[] = {0.0, -0.0, 1.0, -1.0, NAN, INFINITY, -INFINITY, 2.5};
    const size_t nv = sizeof vals / sizeof vals[0];
    for (size_t a = 0; a < nv; a++)
        for (size_t b = 0; b < nv; b++)
            for (size_t c = 0; c < nv; c++) {
                const double x[3] = {vals[a], vals[b], vals[c]};
                const map_matrix X = {3, 1, 1, x, NULL};
                map_colstat cs;
                map_column_stats(&X, &cs);
                double lo = INFINITY, hi = -INFINITY, am = 0.0;
                for (size_t j = 0; j < 3; j++) {
                    lo = lib_fmin(lo, x[j]);
                    hi = lib_fmax(hi, x[j]);
                    am = lib_fmax(am, fabs(x[j]));
                }
                MAP_CHECK(same_bits(cs.min, lo) && same_bits(cs.max, hi)
                              && same_bits(cs.absmax, am),
                          "ranges of %g %g %g: %g %g %g vs %g %g %g", x[0], x[1], x[2], cs.min,
                          cs.max, cs.absmax, lo, hi, am);
            }
}

/* map_column_stats as it was written before it worked in blocks of columns
 * (library fmin/fmax, accumulators in out): the reference its blocked form
 * must match bit for bit. */
static void column_stats_reference(const map_matrix *X, map_colstat *out)
{
    for (size_t i = 0; i < X->m; i++) {
        out[i].min = INFINITY;
        out[i].max = -INFINITY;
        out[i].absmax = 0.0;
    }
    for (size_t j = 0; j < X->n; j++)
        for (size_t i = 0; i < X->m; i++) {
            const double v = X->x[j * X->ld + i];
            out[i].min = lib_fmin(out[i].min, v);
            out[i].max = lib_fmax(out[i].max, v);
            out[i].absmax = lib_fmax(out[i].absmax, fabs(v));
        }
    for (size_t i = 0; i < X->m; i++)
        out[i].mean = out[i].sd = 0.0;
    for (size_t j = 0; j < X->n; j++) {
        const double inv = 1.0 / (double)(j + 1);
        for (size_t i = 0; i < X->m; i++) {
            const double a = out[i].absmax;
            const double v = a > 0.0 ? X->x[j * X->ld + i] / a : 0.0;
            const double d = v - out[i].mean;
            out[i].mean += d * inv;
            out[i].sd += d * (v - out[i].mean);
        }
    }
    for (size_t i = 0; i < X->m; i++) {
        const double a = out[i].absmax;
        out[i].sd = X->n ? a * sqrt(fmax(0.0, out[i].sd) / (double)X->n) : 0.0;
        out[i].mean *= a;
        if (out[i].min == out[i].max)
            out[i].mean = out[i].min;
    }
}

static void test_column_stats_blocks(void)
{
    static const size_t widths[] = {1, 3, 7, 8, 9, 16, 17};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        const size_t m = widths[w], n = 1001, ld = m + 2; /* a stride wider than m */
        double *x = map_mallocarray(n * ld, sizeof *x);
        map_colstat *got = map_mallocarray(m, sizeof *got), *ref = map_mallocarray(m, sizeof *ref);
        MAP_CHECK(x && got && ref, "alloc");
        if (x && got && ref) {
            for (size_t k = 0; k < n * ld; k++) {
                const size_t col = k % ld;
                const double u = (double)(next() >> 11) * 0x1.0p-53;
                x[k] = col % 4 == 0 ? u * 1e300 : col % 4 == 1 ? -7.0 : col % 4 == 2 ? u - 0.5
                                                                       : (double)(next() % 3);
            }
            const map_matrix X = {n, m, ld, x, NULL};
            map_column_stats(&X, got);
            column_stats_reference(&X, ref);
            MAP_CHECK(memcmp(got, ref, m * sizeof *got) == 0, "m=%zu: blocked stats differ", m);
        }
        map_free(x);
        map_free(got);
        map_free(ref);
    }
}

int main(void)
{
    MAP_RUN(test_column_stats_blocks);
    MAP_RUN(test_ranges_like_fmin);
    MAP_RUN(test_select_vs_sort);
    MAP_RUN(test_organ_pipe);
    MAP_RUN(test_value_stats);
    MAP_RUN(test_value_stats_large);
    return map_test_finish();
}
