/* map_stats.c — column summaries and type-7 quantiles: by sorting (GSL
 * glue) and by selection, for one column or all the percentiles a dataset
 * keeps. */
#include "map_stats.h"

#include <assert.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

/* fmin and fmax as glibc computes them on x86-64 (minsd/maxsd: x < y ? x : y,
 * so fmin(+0, −0) is −0; a NaN argument ignored), inline: the library calls
 * were most of the cost of the range pass. test_stats checks them against
 * fmin/fmax. */
static inline double min_of(double x, double y) { return x < y ? x : (y != y ? x : y); }
static inline double max_of(double x, double y) { return x > y ? x : (y != y ? x : y); }

/* Columns a block of map_column_stats works on at once. */
#define STATS_BLOCK 8

/* map_column_stats of the w <= STATS_BLOCK columns c0 … c0 + w − 1 of X.
 * The accumulators live in local arrays the matrix cannot alias, so they
 * stay in registers; each column sees exactly the operations, in the same
 * order, of the one-column-at-a-time loop. */
static void column_stats_block(const map_matrix *X, size_t c0, size_t w, map_colstat *out)
{
    double lo[STATS_BLOCK], hi[STATS_BLOCK], am[STATS_BLOCK];
    double mean[STATS_BLOCK], m2[STATS_BLOCK];
    for (size_t i = 0; i < w; i++) {
        lo[i] = INFINITY;
        hi[i] = -INFINITY;
        am[i] = 0.0;
        mean[i] = 0.0;
        m2[i] = 0.0;
    }
    const size_t n = X->n;
    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < w; i++) {
            const double v = map_matrix_at(X, j, c0 + i);
            lo[i] = min_of(lo[i], v);
            hi[i] = max_of(hi[i], v);
            am[i] = max_of(am[i], fabs(v));
        }
    }
    for (size_t j = 0; j < n; j++) {
        const double inv = 1.0 / (double)(j + 1);
        for (size_t i = 0; i < w; i++) {
            const double a = am[i];
            const double v = a > 0.0 ? map_matrix_at(X, j, c0 + i) / a : 0.0;
            const double d = v - mean[i];
            mean[i] += d * inv;
            m2[i] += d * (v - mean[i]);
        }
    }
    for (size_t i = 0; i < w; i++) {
        map_colstat *o = &out[c0 + i];
        const double a = am[i];
        o->min = lo[i];
        o->max = hi[i];
        o->absmax = a;
        o->sd = n ? a * sqrt(fmax(0.0, m2[i]) / (double)n) : 0.0;
        o->mean = mean[i] * a;
        /* The mean of identical values must be exactly that value. */
        if (o->min == o->max)
            o->mean = o->min;
    }
}

void map_column_stats(const map_matrix *X, map_colstat *out)
{
    /* Pass 1: ranges. Pass 2: Welford's mean and M2 of the values divided by
     * the column's largest magnitude, so that neither differences nor
     * squares overflow for values near ±DBL_MAX. Both passes per block of
     * up to STATS_BLOCK columns. */
    for (size_t c0 = 0; c0 < X->m; c0 += STATS_BLOCK)
        column_stats_block(X, c0, X->m - c0 < STATS_BLOCK ? X->m - c0 : STATS_BLOCK, out);
}

int map_column_sorted(const map_matrix *X, size_t col, double **out, map_error *err)
{
    double *v = map_mallocarray(X->n ? X->n : 1, sizeof *v);
    if (!v)
        return map_error_set(err, MAP_ENOMEM, "out of memory sorting a column of %zu samples", X->n);
    for (size_t j = 0; j < X->n; j++)
        v[j] = map_matrix_at(X, j, col);
    gsl_sort(v, 1, X->n);
    *out = v;
    return MAP_OK;
}

double map_quantile_sorted(const double *sorted, size_t n, double p)
{
    return gsl_stats_quantile_from_sorted_data(sorted, 1, n, p);
}

/* ---- quantiles by selection ------------------------------------------- */

/* Ranges this short are finished by insertion sort. */
#define SELECT_SMALL 16

static void swap2(double *a, double *b)
{
    const double t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(double *a, size_t len)
{
    for (size_t i = 1; i < len; i++) {
        const double x = a[i];
        size_t j = i;
        for (; j > 0 && x < a[j - 1]; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

static double median3(double a, double b, double c)
{
    if (a < b)
        return b < c ? b : (a < c ? c : a);
    return a < c ? a : (b < c ? c : b);
}

/* Puts the order statistics of ranks rk[0..nr-1] (ascending, each in
 * [lo, hi]) of a in place: afterwards a[r] is the value a sorted a would
 * hold there, for each listed r. Partitions around a median-of-three pivot
 * (Hoare's scheme, which splits runs of ties evenly), keeps the ranks on
 * each side, recurses into the left part and loops on the right; a range
 * still unfinished after depth partitions is sorted instead. */
static void select_ranks(double *a, size_t lo, size_t hi, const size_t *rk, size_t nr, int depth)
{
    while (nr > 0 && lo < hi) {
        assert(rk[0] >= lo && rk[nr - 1] <= hi);
        const size_t len = hi - lo + 1;
        if (len <= SELECT_SMALL) {
            insertion_sort(a + lo, len);
            return;
        }
        if (depth-- <= 0) {
            gsl_sort(a + lo, 1, len);
            return;
        }
        const double x = median3(a[lo], a[lo + (hi - lo) / 2], a[hi]);
        /* Signed indices: j may step below lo. x is in the range, so both
         * scans stop inside it. */
        ptrdiff_t i = (ptrdiff_t)lo, j = (ptrdiff_t)hi;
        for (;;) {
            while (a[i] < x)
                i++;
            while (x < a[j])
                j--;
            if (i <= j) {
                swap2(&a[i], &a[j]);
                i++;
                j--;
            }
            if (i > j)
                break;
        }
        /* Now a[lo..j] <= x, a[i..hi] >= x and a[j+1..i-1] == x. */
        size_t nl = 0;
        while (nl < nr && (ptrdiff_t)rk[nl] <= j)
            nl++;
        size_t nm = nl;
        while (nm < nr && (ptrdiff_t)rk[nm] < i)
            nm++;
        if (nl > 0)
            select_ranks(a, lo, (size_t)j, rk, nl, depth);
        rk += nm;
        nr -= nm;
        lo = (size_t)i;
    }
}

static int cmp_size(const void *a, const void *b)
{
    const size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The ranks gsl_stats_quantile_from_sorted_data reads for p. */
static size_t quantile_lhs(size_t n, double p)
{
    const double index = p * (double)(n - 1);
    return (size_t)index;
}

/* gsl_stats_quantile_from_sorted_data's interpolation, given the order
 * statistics it reads (a = rank lhs, b = rank lhs + 1, unused when lhs is
 * the last rank). The same expression in the same order, so bit-identical
 * (ISO C mode compiles without floating-point contraction). */
static double quantile_from(size_t n, double p, double a, double b)
{
    const double index = p * (double)(n - 1);
    const size_t lhs = (size_t)index;
    const double delta = index - (double)lhs;
    if (lhs == n - 1)
        return a;
    return (1 - delta) * a + delta * b;
}

/* The order statistics (0-based ranks) that the type-7 quantiles p[0..np)
 * of n values interpolate between, ascending and distinct, into rk (room for
 * 2·np); returns how many. */
static size_t needed_ranks(size_t n, const double *p, size_t np, size_t *rk)
{
    size_t nr = 0;
    for (size_t k = 0; k < np; k++) {
        assert(p[k] >= 0.0 && p[k] <= 1.0);
        const size_t lhs = quantile_lhs(n, p[k]);
        rk[nr++] = lhs;
        if (lhs + 1 < n)
            rk[nr++] = lhs + 1;
    }
    qsort(rk, nr, sizeof *rk, cmp_size);
    size_t u = 0;
    for (size_t k = 0; k < nr; k++)
        if (u == 0 || rk[k] != rk[u - 1])
            rk[u++] = rk[k];
    return u;
}

void map_quantiles_select(double *v, size_t n, const double *p, size_t np, double *out)
{
    assert(n >= 1 && np <= MAP_NPCT);
    size_t rk[2 * MAP_NPCT];
    const size_t u = needed_ranks(n, p, np, rk);
    int depth = 8;
    for (size_t s = n; s > 1; s >>= 1)
        depth += 2;
    select_ranks(v, 0, n - 1, rk, u, depth);
    for (size_t k = 0; k < np; k++) {
        const size_t lhs = quantile_lhs(n, p[k]);
        out[k] = quantile_from(n, p[k], v[lhs], lhs + 1 < n ? v[lhs + 1] : 0.0);
    }
}

double map_quantile_select(double *v, size_t n, double p)
{
    double q = 0.0;
    map_quantiles_select(v, n, &p, 1, &q);
    return q;
}

/* Copies column col of X into v (X->n doubles). */
static void column_copy(const map_matrix *X, size_t col, double *v)
{
    if (X->xf) {
        const float *x = X->xf + col;
        for (size_t j = 0; j < X->n; j++)
            v[j] = (double)x[j * X->ld];
        return;
    }
    const double *x = X->x + col;
    for (size_t j = 0; j < X->n; j++)
        v[j] = x[j * X->ld];
}

int map_column_quantile(const map_matrix *X, size_t col, double p, double *out, map_error *err)
{
    assert(X->n >= 1 && col < X->m);
    double *v = map_mallocarray(X->n, sizeof *v);
    if (!v)
        return map_error_set(err, MAP_ENOMEM, "out of memory copying a column of %zu samples",
                             X->n);
    column_copy(X, col, v);
    *out = map_quantile_select(v, X->n, p);
    map_free(v);
    return MAP_OK;
}

/* Buckets of the one-pass distribution of quantiles_bucketed, and the
 * sample its splitters come from. */
#define NBUCKET 256
#define NSAMPLE 8192

/* The columns at least this long take the bucketed path. */
#define BUCKETED_MIN_N 65536

/* The quantiles at p[0..np-1] of the n values v into out, as
 * map_quantiles_select computes them, for many p at once: one pass puts
 * each value into one of NBUCKET buckets between splitters taken from an
 * evenly spaced sorted sample (a branch-free binary search; the bucket
 * numbers kept in bk, n bytes), a second scatters the values into tmp (n
 * doubles) bucket by bucket, so that every
 * value of a bucket is below every value of the next; then each bucket that
 * holds a needed rank is selected on its own (select_ranks), a small part
 * of the data. v is left as it was; n >= BUCKETED_MIN_N. */
static void quantiles_bucketed(const double *v, double *tmp, unsigned char *bk, size_t n,
                               const double *p, size_t np, double *out)
{
    assert(n >= BUCKETED_MIN_N && n >= NSAMPLE && np <= MAP_NPCT);
    /* Splitters: sp[b] for b < NBUCKET − 1; bucket(x) = #{b : sp[b] <= x}. */
    double sample[NSAMPLE], sp[NBUCKET];
    for (size_t k = 0; k < NSAMPLE; k++)
        sample[k] = v[(size_t)((double)k * (double)n / NSAMPLE)];
    gsl_sort(sample, 1, NSAMPLE);
    for (size_t b = 0; b + 1 < NBUCKET; b++)
        sp[b] = sample[(b + 1) * NSAMPLE / NBUCKET];
    sp[NBUCKET - 1] = INFINITY; /* never read by the search below */

    static_assert(NBUCKET == 256, "the search below takes 8 steps");
    size_t count[NBUCKET + 1] = {0};
    for (size_t j = 0; j < n; j++) {
        const double x = v[j];
        size_t b = 0;
        b += sp[b + 127] <= x ? 128 : 0;
        b += sp[b + 63] <= x ? 64 : 0;
        b += sp[b + 31] <= x ? 32 : 0;
        b += sp[b + 15] <= x ? 16 : 0;
        b += sp[b + 7] <= x ? 8 : 0;
        b += sp[b + 3] <= x ? 4 : 0;
        b += sp[b + 1] <= x ? 2 : 0;
        b += sp[b] <= x ? 1 : 0;
        bk[j] = (unsigned char)b;
        count[b + 1]++;
    }
    size_t start[NBUCKET + 1], at[NBUCKET];
    start[0] = 0;
    for (size_t b = 0; b < NBUCKET; b++) {
        start[b + 1] = start[b] + count[b + 1];
        at[b] = start[b];
    }
    for (size_t j = 0; j < n; j++)
        tmp[at[bk[j]]++] = v[j];
    /* The ranks needed, ascending and distinct, then bucket by bucket. */
    size_t rk[2 * MAP_NPCT];
    const size_t u = needed_ranks(n, p, np, rk);
    for (size_t k = 0, b = 0; k < u;) {
        while (start[b + 1] <= rk[k])
            b++;
        size_t local[2 * MAP_NPCT];
        size_t nl = 0;
        for (; k < u && rk[k] < start[b + 1]; k++)
            local[nl++] = rk[k] - start[b];
        const size_t len = start[b + 1] - start[b];
        int depth = 8;
        for (size_t s = len; s > 1; s >>= 1)
            depth += 2;
        select_ranks(tmp + start[b], 0, len - 1, local, nl, depth);
    }
    for (size_t k = 0; k < np; k++) {
        const size_t lhs = quantile_lhs(n, p[k]);
        out[k] = quantile_from(n, p[k], tmp[lhs], lhs + 1 < n ? tmp[lhs + 1] : 0.0);
    }
}

int map_value_stats(const map_matrix *X, map_valstat *out, map_error *err)
{
    assert(X->n >= 1);
    const int bucketed = X->n >= BUCKETED_MIN_N;
    double *v = map_mallocarray(X->n, sizeof *v);
    double *tmp = bucketed ? map_mallocarray(X->n, sizeof *tmp) : NULL;
    unsigned char *bk = bucketed ? map_malloc(X->n) : NULL;
    map_colstat *cs = map_mallocarray(X->m ? X->m : 1, sizeof *cs);
    if (!v || !cs || (bucketed && (!tmp || !bk))) {
        MAP_FREE_ALL(v, tmp, bk, cs);
        return map_error_set(err, MAP_ENOMEM, "out of memory computing the statistics of %zu "
                             "samples", X->n);
    }
    map_column_stats(X, cs);
    double p[MAP_NPCT];
    for (size_t k = 0; k < MAP_NPCT; k++)
        p[k] = (double)k / 100.0;
    for (size_t i = 0; i < X->m; i++) {
        out[i].c = cs[i];
        column_copy(X, i, v);
        if (bucketed)
            quantiles_bucketed(v, tmp, bk, X->n, p, MAP_NPCT, out[i].pct);
        else
            map_quantiles_select(v, X->n, p, MAP_NPCT, out[i].pct);
    }
    MAP_FREE_ALL(cs, bk, tmp, v);
    return MAP_OK;
}

void map_dataset_column_stats(const map_dataset *ds, map_colstat *out)
{
    assert(ds->n >= 1);
    if (ds->stats) {
        for (size_t i = 0; i < ds->m; i++)
            out[i] = ds->stats[i].c;
        return;
    }
    const map_matrix X = map_dataset_matrix(ds);
    map_column_stats(&X, out);
}

int map_dataset_quantile(const map_dataset *ds, size_t col, double pct, double *out,
                         map_error *err)
{
    assert(col < ds->m && pct >= 0.0 && pct <= 100.0);
    if (ds->stats && pct == floor(pct)) {
        *out = ds->stats[col].pct[(size_t)pct];
        return MAP_OK;
    }
    if (!ds->x && !ds->xf)
        return map_error_set(err, MAP_EUSAGE, "dataset '%s': its matrix is not loaded",
                             ds->name ? ds->name : "?");
    const map_matrix X = map_dataset_matrix(ds);
    return map_column_quantile(&X, col, pct / 100.0, out, err);
}
