/* map_kernel.c — the evaluation kernels of one pass (map_kernel.h): a
 * vectorisable exp, the partials and their merge, the fused block kernel,
 * and the block kernel over packed columns.
 *
 * Rows are processed in blocks of MAP_BLOCK, gathered into a structure of
 * arrays (scores, then one array per stat column) so that the weights, sums
 * and centred cross-products run as plain loops over the block while it is in
 * L1; the block's own maximum and an exact two-pass (mean, then centred
 * cross-products) partial are formed there and merged into the running
 * partial. Sums over a block run in MAP_LANES interleaved lanes combined in a
 * fixed order, so the compiler can vectorise them and the result does not
 * depend on whether it did.
 *
 * A sweep's passes may read its value columns packed (map_colpack) instead
 * of gathering them: the same blocks and sums, computed straight from the
 * columns, two blocks at a time (the packed kernel below).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "map_kernel.h"

/* ---- exp on x ≤ 0 ------------------------------------------------------- */

#define MAP_EXP_SHIFT 0x1.8p52 /* adding it rounds to an integer kept in the low mantissa bits */

/* 2^k for an integer-valued k in [−1022, 0] held as t = k + MAP_EXP_SHIFT:
 * the low bits of t are k in two's complement; shifted into the exponent
 * field and added to the bits of 1.0 they give the bits of 2^k. */
static inline double exp_pow2(double t)
{
    uint64_t u;
    memcpy(&u, &t, sizeof u);
    u = (u << 52) + UINT64_C(0x3ff0000000000000);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* The reduction and polynomial of exp_neg below, written once for a double
 * and for a vector of doubles (T): x = kd·ln2 + r with kd integer-valued, and
 * er = e^r by the Taylor polynomial of degree 13 in Horner form; the same
 * operations in the same order for both, so the same bits. Declares kd and
 * er in the enclosing block. */
#define MAP_EXP_REDUCE(T, x, kd, er)                                                               \
    const T kd = ((x) * 0x1.71547652b82fep0 + MAP_EXP_SHIFT) - MAP_EXP_SHIFT;                    \
    T er;                                                                                          \
    {                                                                                              \
        /* ln2 in two parts: ln2hi has 32 trailing zeros, so kd·ln2hi is exact */                  \
        const T r_ = ((x) - kd * 0x1.62e42fee00000p-1) - kd * 0x1.a39ef35793c76p-33;               \
        T q_ = (1.0 / 6227020800.0) * r_ + 1.0 / 479001600.0; /* 1/13!, 1/12! */                   \
        q_ = q_ * r_ + 1.0 / 39916800.0;                                                           \
        q_ = q_ * r_ + 1.0 / 3628800.0;                                                            \
        q_ = q_ * r_ + 1.0 / 362880.0;                                                             \
        q_ = q_ * r_ + 1.0 / 40320.0;                                                              \
        q_ = q_ * r_ + 1.0 / 5040.0;                                                               \
        q_ = q_ * r_ + 1.0 / 720.0;                                                                \
        q_ = q_ * r_ + 1.0 / 120.0;                                                                \
        q_ = q_ * r_ + 1.0 / 24.0;                                                                 \
        q_ = q_ * r_ + 1.0 / 6.0;                                                                  \
        q_ = q_ * r_ + 0.5;                                                                        \
        er = 1.0 + (r_ + (r_ * r_) * q_);                                                          \
    }

/* exp(x) for −1400 ≤ x ≤ 0 (the caller clamps: results below −746 round
 * to 0), within 1 ulp of the correctly rounded value in the normal range.
 * Branch-free so that a loop of calls vectorises (a clamp here would be a
 * comparison that GCC, honouring FP traps, will not if-convert):
 * Cody–Waite reduction x = k·ln2 + r with a two-part ln2 (|k| ≤ 2020 needs
 * 11 bits, ln2hi has 32 trailing zeros, so k·ln2hi is exact), |r| ≤ ln2/2
 * (a little more when x·log2e rounds), the Taylor polynomial of degree 13
 * (truncation below 1e−17), and the scaling by 2^k in two steps 2^k1·2^k2
 * (k1, k2 ≥ −1010) so that results in the subnormal range are rounded once,
 * at the last multiply, and those below it flush to 0. */
static inline double exp_neg(double x)
{
    MAP_EXP_REDUCE(double, x, kd, er)
    const double t1 = kd * 0.5 + MAP_EXP_SHIFT; /* k1 = round(k/2) */
    const double k2 = kd - (t1 - MAP_EXP_SHIFT);
    return er * exp_pow2(t1) * exp_pow2(k2 + MAP_EXP_SHIFT);
}

/* Below this, exp_neg's argument is clamped (its result is 0 from −746 on). */
#define MAP_EXP_FLOOR (-1400.0)

void map_exp_neg_array(const double *x, double *y, size_t n)
{
    for (size_t j = 0; j < n; j++)
        y[j] = x[j] < MAP_EXP_FLOOR ? MAP_EXP_FLOOR : x[j];
    for (size_t j = 0; j < n; j++)
        y[j] = exp_neg(y[j]);
}

/* ---- Partials ----------------------------------------------------------- */

void map_partial_reset(map_partial *a)
{
    a->count = 0.0;
    a->smax = -INFINITY;
    a->wsum = 0.0;
    a->w2sum = 0.0;
    memset(a->mean, 0, a->p * sizeof *a->mean);
    if (a->want_cov)
        memset(a->m2, 0, a->p * a->p * sizeof *a->m2);
}

static void partial_copy(map_partial *a, const map_partial *b)
{
    a->count = b->count;
    a->smax = b->smax;
    a->wsum = b->wsum;
    a->w2sum = b->w2sum;
    memcpy(a->mean, b->mean, a->p * sizeof *a->mean);
    if (a->want_cov)
        memcpy(a->m2, b->m2, a->p * a->p * sizeof *a->m2);
}

void map_partial_merge(map_partial *a, const map_partial *b)
{
    MAP_ASSERT(a->p == b->p && a->want_cov == b->want_cov);
    if (b->count == 0.0)
        return;
    if (a->count == 0.0) {
        partial_copy(a, b);
        return;
    }
    const double M = fmax(a->smax, b->smax);
    /* One side holds the maximum: its factor is exp(0) = 1, without a call. */
    const double fa = a->smax == M ? 1.0 : exp(a->smax - M);
    const double fb = b->smax == M ? 1.0 : exp(b->smax - M);
    const double wa = a->wsum * fa, wb = b->wsum * fb;
    const double w = wa + wb;
    const double frac = wb / w;
    const size_t p = a->p;
    if (a->want_cov) {
        const double cross = wa * frac; /* wa·wb/w */
        for (size_t i = 0; i < p; i++) {
            const double di = b->mean[i] - a->mean[i];
            for (size_t l = i; l < p; l++) {
                const double dl = b->mean[l] - a->mean[l];
                const double v = a->m2[i * p + l] * fa + b->m2[i * p + l] * fb + di * dl * cross;
                a->m2[i * p + l] = v;
                a->m2[l * p + i] = v;
            }
        }
    }
    for (size_t i = 0; i < p; i++)
        a->mean[i] += (b->mean[i] - a->mean[i]) * frac;
    a->smax = M;
    a->wsum = w;
    a->w2sum = a->w2sum * fa * fa + b->w2sum * fb * fb;
    a->count += b->count;
}

/* ---- The block kernel --------------------------------------------------- */

/* Interleaved accumulators per sum; the lanes are combined as
 * (l0 + l1) + (l2 + l3). */
#define MAP_LANES 4

static inline double lanes_sum(const double *a) { return (a[0] + a[1]) + (a[2] + a[3]); }

/* Four lanes as one value (GCC and Clang vector extension): the compiler
 * keeps it in one or two registers, where a small array of accumulators
 * indexed by a variable would live in memory. Lane q holds the rows
 * j ≡ q (mod 4), exactly as the scalar lane arrays elsewhere. */
typedef double map_v4 __attribute__((vector_size(4 * sizeof(double))));

/* Loads four doubles into v (no vector is passed or returned by value:
 * that would change the ABI between the AVX2 and baseline copies). */
#define MAP_V4_LOAD(v, ptr) memcpy(&(v), (ptr), sizeof(v))

static inline double v4_sum(const map_v4 *a) { return ((*a)[0] + (*a)[1]) + ((*a)[2] + (*a)[3]); }

/* out[t] = Σ_j (e_j d_ij) d_(l+t)j over the block's padded rows, in lanes,
 * for the three (two, one) columns starting at dl (MAP_BLOCK apart). */
static inline void cov_tile3(const double *s, const double *di, const double *dl, size_t nbp, double *out)
{
    map_v4 a0 = {0, 0, 0, 0}, a1 = a0, a2 = a0, vs, vi, v0, v1, v2;
    for (size_t j = 0; j < nbp; j += 4) {
        MAP_V4_LOAD(vs, s + j);
        MAP_V4_LOAD(vi, di + j);
        MAP_V4_LOAD(v0, dl + j);
        MAP_V4_LOAD(v1, dl + MAP_BLOCK + j);
        MAP_V4_LOAD(v2, dl + 2 * MAP_BLOCK + j);
        const map_v4 ed = vs * vi;
        a0 += ed * v0;
        a1 += ed * v1;
        a2 += ed * v2;
    }
    out[0] = v4_sum(&a0);
    out[1] = v4_sum(&a1);
    out[2] = v4_sum(&a2);
}

static inline void cov_tile2(const double *s, const double *di, const double *dl, size_t nbp, double *out)
{
    map_v4 a0 = {0, 0, 0, 0}, a1 = a0, vs, vi, v0, v1;
    for (size_t j = 0; j < nbp; j += 4) {
        MAP_V4_LOAD(vs, s + j);
        MAP_V4_LOAD(vi, di + j);
        MAP_V4_LOAD(v0, dl + j);
        MAP_V4_LOAD(v1, dl + MAP_BLOCK + j);
        const map_v4 ed = vs * vi;
        a0 += ed * v0;
        a1 += ed * v1;
    }
    out[0] = v4_sum(&a0);
    out[1] = v4_sum(&a1);
}

static inline void cov_tile1(const double *s, const double *di, const double *dl, size_t nbp, double *out)
{
    map_v4 a0 = {0, 0, 0, 0}, vs, vi, v0;
    for (size_t j = 0; j < nbp; j += 4) {
        MAP_V4_LOAD(vs, s + j);
        MAP_V4_LOAD(vi, di + j);
        MAP_V4_LOAD(v0, dl + j);
        a0 += (vs * vi) * v0;
    }
    out[0] = v4_sum(&a0);
}

/* Rows (positions of idx) fetched ahead of their use. */
#define MAP_PREFETCH MAP_BLOCK

/* The partial of rows [b, b+nb) (of idx when non-NULL), nb ≤ MAP_BLOCK, into
 * *dst (every field written); rows (positions) up to end may be prefetched. Always inlined so that the dispatcher below can
 * instantiate it with constant small k and p, which lets the compiler unroll
 * the per-column loops and keep the lane accumulators in registers. */
static inline __attribute__((always_inline)) void
block_impl(const map_matrix *X, const size_t *idx, size_t b, size_t nb, size_t end, size_t k, const size_t *cols,
           const double *center, const double *lambda, size_t p, const size_t *scols,
           const map_eval_scratch *scr, map_partial *dst)
{
    double *restrict s = scr->s;
    double *restrict r = scr->r;
    const size_t ld = X->ld;
    double smax = -INFINITY, smin = INFINITY;
    /* The gather: the one place that reads the matrix, once per element
     * type. Float elements are widened to double as they are read, so the
     * scores and every sum after this are the double arithmetic of the
     * double path on the (float) data. */
#define MAP_GATHER(x)                                                                               \
    for (size_t j = 0; j < nb; j++) {                                                               \
        const __typeof__(*(x)) *row = (x) + (idx ? idx[b + j] : b + j) * ld;                        \
        /* The row a block ahead, so that it arrives while this block's                             \
         * weights and sums are computed (the memory is idle then). */                              \
        if (b + j + MAP_PREFETCH < end)                                                             \
            __builtin_prefetch((x) + (idx ? idx[b + j + MAP_PREFETCH] : b + j + MAP_PREFETCH) * ld); \
        double sj = 0.0;                                                                            \
        for (size_t i = 0; i < k; i++)                                                              \
            sj += lambda[i] * ((double)row[cols[i]] - center[i]);                                   \
        s[j] = sj;                                                                                  \
        smax = sj > smax ? sj : smax;                                                               \
        smin = sj < smin ? sj : smin;                                                               \
        for (size_t i = 0; i < p; i++)                                                              \
            r[i * MAP_BLOCK + j] = (double)row[scols[i]];                                           \
    }
    if (X->xf) {
        const float *const xf = X->xf;
        MAP_GATHER(xf)
    } else {
        const double *const x = X->x;
        MAP_GATHER(x)
    }
#undef MAP_GATHER
    /* Pad to whole lanes with zero weights (exp of about −1000) and zero
     * values: they add +0. */
    const size_t nbp = (nb + MAP_LANES - 1) / MAP_LANES * MAP_LANES;
    for (size_t j = 0; j < nb; j++)
        s[j] -= smax;
    for (size_t j = nb; j < nbp; j++) {
        s[j] = -1000.0;
        for (size_t i = 0; i < p; i++)
            r[i * MAP_BLOCK + j] = 0.0;
    }
    if (smin - smax < MAP_EXP_FLOOR) /* rare: scores spread beyond exp_neg's range */
        for (size_t j = 0; j < nb; j++)
            s[j] = s[j] < MAP_EXP_FLOOR ? MAP_EXP_FLOOR : s[j];
    for (size_t j = 0; j < nbp; j++)
        s[j] = exp_neg(s[j]);
    double w[MAP_LANES] = {0}, w2[MAP_LANES] = {0};
    for (size_t j = 0; j < nbp; j += MAP_LANES)
        for (size_t l = 0; l < MAP_LANES; l++) {
            w[l] += s[j + l];
            w2[l] += s[j + l] * s[j + l];
        }
    const double wsum = lanes_sum(w);
    double *mean = dst->mean;
    for (size_t i = 0; i < p; i++) {
        const double *ri = r + i * MAP_BLOCK;
        double a[MAP_LANES] = {0};
        for (size_t j = 0; j < nbp; j += MAP_LANES)
            for (size_t l = 0; l < MAP_LANES; l++)
                a[l] += s[j + l] * ri[j + l];
        mean[i] = lanes_sum(a) / wsum;
    }
    if (dst->want_cov) {
        /* Centred in place: r is not needed after the means. */
        double *restrict d = r;
        for (size_t i = 0; i < p; i++) {
            const double mi = mean[i];
            for (size_t j = 0; j < nbp; j++)
                d[i * MAP_BLOCK + j] -= mi;
        }
        double *m2 = dst->m2;
        for (size_t i = 0; i < p; i++) {
            const double *di = d + i * MAP_BLOCK;
            size_t l = i;
            for (; l + 3 <= p; l += 3)
                cov_tile3(s, di, d + l * MAP_BLOCK, nbp, m2 + i * p + l);
            if (p - l == 2)
                cov_tile2(s, di, d + l * MAP_BLOCK, nbp, m2 + i * p + l);
            else if (p - l == 1)
                cov_tile1(s, di, d + l * MAP_BLOCK, nbp, m2 + i * p + l);
        }
        for (size_t i = 0; i < p; i++)
            for (size_t l = 0; l < i; l++)
                m2[i * p + l] = m2[l * p + i];
    }
    dst->count = (double)nb;
    dst->smax = smax;
    dst->wsum = wsum;
    dst->w2sum = lanes_sum(w2);
}

/* ---- The block kernel over packed columns ------------------------------ */

/* The same block partials as block_impl, bit for bit, when the k ≤ 8
 * scored columns are the stat columns and lie packed (map_colpack): the
 * scores eight or sixteen rows at a time straight from the columns, the
 * weights in a loop of their own (packed_weights), then the lane sums and
 * the centred cross-products, with the same operations on each element and
 * the same four lanes per sum as block_impl (so the same rounding); whole
 * blocks two at a time where two are left (block_packed_pair), the last
 * one or a short one alone (block_packed_impl). */

/* Eight rows at a time where the work is per element (the weights): two
 * independent halves for the scheduler, or one register with AVX-512. */
typedef double map_v8 __attribute__((vector_size(8 * sizeof(double))));
typedef int64_t map_v8i __attribute__((vector_size(8 * sizeof(int64_t))));
typedef uint64_t map_v8u __attribute__((vector_size(8 * sizeof(uint64_t))));

/* Four (eight) doubles at any 8-byte aligned address, read or written in
 * arrays of doubles (may_alias, as the compilers' own intrinsic vector types
 * are): plain unaligned vector moves, where a memcpy into an array element
 * may be split into halves that the next load cannot forward. */
typedef double map_v4a
    __attribute__((vector_size(4 * sizeof(double)), aligned(sizeof(double)), may_alias));
typedef double map_v8a
    __attribute__((vector_size(8 * sizeof(double)), aligned(sizeof(double)), may_alias));
#define MAP_V4_AT(ptr) (*(const map_v4a *)(const void *)(ptr))
#define MAP_V8_AT(ptr) (*(const map_v8a *)(const void *)(ptr))
#define MAP_V8_PUT(ptr, v) (*(map_v8a *)(void *)(ptr) = (v))

/* mask ? a : b, lane by lane (mask lanes all ones or all zeros: a comparison). */
#define MAP_V8_SELECT(mask, a, b) ((map_v8)((((map_v8i)(a)) & (mask)) | (((map_v8i)(b)) & ~(mask))))

/* exp_pow2 on eight lanes. */
static inline __attribute__((always_inline)) void exp_pow2_v8(const map_v8 *t, map_v8 *out)
{
    map_v8u u;
    memcpy(&u, t, sizeof u);
    u = (u << 52) + UINT64_C(0x3ff0000000000000);
    memcpy(out, &u, sizeof u);
}

/* exp_neg on eight lanes, in place: the same operations in the same order. */
static inline __attribute__((always_inline)) void exp_neg_v8(map_v8 *xy)
{
    const map_v8 x = *xy;
    MAP_EXP_REDUCE(map_v8, x, kd, er)
    const map_v8 t1 = kd * 0.5 + MAP_EXP_SHIFT;
    const map_v8 k2 = (kd - (t1 - MAP_EXP_SHIFT)) + MAP_EXP_SHIFT;
    map_v8 p1, p2;
    exp_pow2_v8(&t1, &p1);
    exp_pow2_v8(&k2, &p2);
    *xy = er * p1 * p2;
}

/* exp_neg_v8 for arguments in [−700, 0]: the result is normal there, so
 * the scaling by 2^k in one step gives the bits of the two steps. */
static inline __attribute__((always_inline)) void exp_neg_normal_v8(map_v8 *xy)
{
    const map_v8 x = *xy;
    MAP_EXP_REDUCE(map_v8, x, kd, er)
    const map_v8 t = kd + MAP_EXP_SHIFT;
    map_v8 p;
    exp_pow2_v8(&t, &p);
    *xy = er * p;
}

/* Scores at least this far below the block's maximum take exp_neg_normal_v8
 * (their weights are normal numbers, with room for the rounding of k). */
#define MAP_EXP_NORMAL (-700.0)


/* The weights of eight rows in place in *t (on entry their scores less the
 * block's maximum): exp_neg_normal_v8 when normal (no score is more than
 * 700 below the maximum), else exp_neg_v8 of the scores floored at
 * MAP_EXP_FLOOR. */
static inline __attribute__((always_inline)) void weight_v8(map_v8 *t, int normal)
{
    if (normal) {
        exp_neg_normal_v8(t);
    } else {
        const map_v8 vfloor = {MAP_EXP_FLOOR, MAP_EXP_FLOOR, MAP_EXP_FLOOR, MAP_EXP_FLOOR,
                               MAP_EXP_FLOOR, MAP_EXP_FLOOR, MAP_EXP_FLOOR, MAP_EXP_FLOOR};
        *t = MAP_V8_SELECT((map_v8i)(*t < vfloor), vfloor, *t);
        exp_neg_v8(t);
    }
}

/* The weights of the rows j .. nbp8 − 1 of s (as weight_v8), sixteen rows a
 * step, then eight. */
static inline __attribute__((always_inline)) void weights_from(double *restrict s, size_t j,
                                                               size_t nbp8, double smax, int normal)
{
    for (; j + 16 <= nbp8; j += 16) {
        map_v8 t = MAP_V8_AT(s + j) - smax, u = MAP_V8_AT(s + j + 8) - smax;
        weight_v8(&t, normal);
        weight_v8(&u, normal);
        MAP_V8_PUT(s + j, t);
        MAP_V8_PUT(s + j + 8, u);
    }
    for (; j < nbp8; j += 8) {
        map_v8 t = MAP_V8_AT(s + j) - smax;
        weight_v8(&t, normal);
        MAP_V8_PUT(s + j, t);
    }
}

/* The weights of a block's scores s[0 .. nb − 1] (maximum smax, minimum
 * smin) in place, eight rows at a time up to nbp8 (s has room), the rows
 * from nb on weighted +0. When no score is more than 700 below the maximum
 * (the usual case), every weight is a normal number: one scaling, no floor
 * (none is below it); else the floor is applied to every score (the same
 * values as block_impl, which applies it only when some score is below it)
 * and the weights are scaled in two steps. The weights are formed before
 * their sums (each independent of the others, so that their polynomial
 * chains overlap), sixteen rows a step, thirty-two in the usual case (four
 * chains in flight). weights_from is inlined with normal a constant in each
 * case, so that its loops test nothing. */
static inline __attribute__((always_inline)) void packed_weights(double *restrict s, size_t nb,
                                                                 size_t nbp8, double smax,
                                                                 double smin)
{
    size_t j = nb;
    const int normal = smin - smax >= MAP_EXP_NORMAL;
    for (; j < nbp8; j++)
        s[j] = normal ? smax : -INFINITY; /* weight 1 (then set to 0) or 0 */
    if (!normal) {
        weights_from(s, 0, nbp8, smax, 0);
        return;
    }
    for (j = 0; j + 32 <= nbp8; j += 32) {
        map_v8 t = MAP_V8_AT(s + j) - smax, u = MAP_V8_AT(s + j + 8) - smax;
        map_v8 v = MAP_V8_AT(s + j + 16) - smax, y = MAP_V8_AT(s + j + 24) - smax;
        exp_neg_normal_v8(&t);
        exp_neg_normal_v8(&u);
        exp_neg_normal_v8(&v);
        exp_neg_normal_v8(&y);
        MAP_V8_PUT(s + j, t);
        MAP_V8_PUT(s + j + 8, u);
        MAP_V8_PUT(s + j + 16, v);
        MAP_V8_PUT(s + j + 24, y);
    }
    weights_from(s, j, nbp8, smax, 1);
    for (j = nb; j < nbp8; j++)
        s[j] = 0.0;
}

/* Copies λ and the centre (k entries each) into the caller's locals lam and
 * cen, so that they stay in registers across the stores to the scores. */
static inline __attribute__((always_inline)) void
copy_lambda_center(size_t k, const double *lambda, const double *center, double *lam, double *cen)
{
    for (size_t i = 0; i < k; i++) {
        lam[i] = lambda[i];
        cen[i] = center[i];
    }
}

static inline __attribute__((always_inline)) void
block_packed_impl(const map_colpack *pk, size_t b, size_t nb, size_t k, const double *center,
                  const double *lambda, const map_eval_scratch *scr, map_partial *dst)
{
    double *restrict s = scr->s;
    const size_t ld = pk->ld;
    const double *const x = pk->x + b;
    const size_t nbp = (nb + MAP_LANES - 1) / MAP_LANES * MAP_LANES;
    MAP_ASSERT(k <= MAP_PACK_MAX_K && b + nbp <= ld);
    /* Scores and their largest value, sixteen rows at a time in two running
     * maxima (each a chain of dependent compare-and-selects; the largest
     * value is exact in any order). */
    double lam[MAP_PACK_MAX_K], cen[MAP_PACK_MAX_K];
    copy_lambda_center(k, lambda, center, lam, cen);
    const map_v8 zero8 = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    map_v8 m0 = zero8 - INFINITY, m1 = m0, n0 = zero8 + INFINITY, n1 = n0;
    size_t j = 0;
    for (; j + 16 <= nb; j += 16) {
        map_v8 s0 = zero8, s1 = zero8;
        for (size_t i = 0; i < k; i++) {
            s0 += lam[i] * (MAP_V8_AT(x + i * ld + j) - cen[i]);
            s1 += lam[i] * (MAP_V8_AT(x + i * ld + j + 8) - cen[i]);
        }
        MAP_V8_PUT(s + j, s0);
        MAP_V8_PUT(s + j + 8, s1);
        m0 = MAP_V8_SELECT((map_v8i)(s0 > m0), s0, m0);
        m1 = MAP_V8_SELECT((map_v8i)(s1 > m1), s1, m1);
        n0 = MAP_V8_SELECT((map_v8i)(s0 < n0), s0, n0);
        n1 = MAP_V8_SELECT((map_v8i)(s1 < n1), s1, n1);
    }
    for (; j + 8 <= nb; j += 8) {
        map_v8 s0 = zero8;
        for (size_t i = 0; i < k; i++)
            s0 += lam[i] * (MAP_V8_AT(x + i * ld + j) - cen[i]);
        MAP_V8_PUT(s + j, s0);
        m0 = MAP_V8_SELECT((map_v8i)(s0 > m0), s0, m0);
        n0 = MAP_V8_SELECT((map_v8i)(s0 < n0), s0, n0);
    }
    m0 = MAP_V8_SELECT((map_v8i)(m1 > m0), m1, m0);
    n0 = MAP_V8_SELECT((map_v8i)(n1 < n0), n1, n0);
    double smax = -INFINITY, smin = INFINITY;
    for (size_t l = 0; l < 8; l++) {
        smax = m0[l] > smax ? m0[l] : smax;
        smin = n0[l] < smin ? n0[l] : smin;
    }
    for (; j < nb; j++) {
        double sj = 0.0;
        for (size_t i = 0; i < k; i++)
            sj += lam[i] * (x[i * ld + j] - cen[i]);
        s[j] = sj;
        smax = sj > smax ? sj : smax;
        smin = sj < smin ? sj : smin;
    }
    /* The weights, eight rows at a time (the pack and s have room; padding
     * rows, zeros in the pack, get weight +0), then their sums in lanes. */
    const size_t nbp8 = (nb + 7) / 8 * 8;
    MAP_ASSERT(b + nbp8 <= ld && nbp8 <= MAP_BLOCK);
    packed_weights(s, nb, nbp8, smax, smin);
    const map_v4 zero = {0.0, 0.0, 0.0, 0.0};
    map_v4 w = zero, w2 = zero, a[MAP_PACK_MAX_K];
    for (size_t i = 0; i < k; i++)
        a[i] = zero;
    for (j = 0; j < nbp8; j += MAP_LANES) {
        const map_v4 e = MAP_V4_AT(s + j);
        w += e;
        w2 += e * e;
        for (size_t i = 0; i < k; i++)
            a[i] += e * MAP_V4_AT(x + i * ld + j);
    }
    const double wsum = v4_sum(&w);
    double *mean = dst->mean;
    for (size_t i = 0; i < k; i++)
        mean[i] = v4_sum(&a[i]) / wsum;
    if (dst->want_cov) {
        /* Σ_j e_j (x_ij − mean_i)(x_lj − mean_l), l ≥ i. */
        map_v4 acc[MAP_PACK_MAX_K * (MAP_PACK_MAX_K + 1) / 2];
        const size_t nacc = k * (k + 1) / 2;
        for (size_t q = 0; q < nacc; q++)
            acc[q] = zero;
        for (j = 0; j < nbp; j += MAP_LANES) {
            const map_v4 e = MAP_V4_AT(s + j);
            map_v4 d[MAP_PACK_MAX_K];
            for (size_t i = 0; i < k; i++)
                d[i] = MAP_V4_AT(x + i * ld + j) - mean[i];
            size_t q = 0;
            for (size_t i = 0; i < k; i++) {
                const map_v4 ed = e * d[i];
                for (size_t l = i; l < k; l++)
                    acc[q++] += ed * d[l];
            }
        }
        double *m2 = dst->m2;
        size_t q = 0;
        for (size_t i = 0; i < k; i++)
            for (size_t l = i; l < k; l++) {
                const double v = v4_sum(&acc[q++]);
                m2[i * k + l] = v;
                m2[l * k + i] = v;
            }
    }
    dst->count = (double)nb;
    dst->smax = smax;
    dst->wsum = wsum;
    dst->w2sum = v4_sum(&w2);
}

/* block_packed_impl on two whole blocks at once (rows b0 … b0 + 255 and b1
 * … b1 + 255 into *d0 and *d1), with the same operations on each block (so
 * the same bits). Each lane sum is a chain of dependent additions, one per
 * four rows, whose latency bounds a loop over one block when it has few sums
 * (2 + k, and k(k+1)/2 in the covariance); the two blocks' chains are
 * independent, and side by side in one eight-lane vector (AVX-512) they run
 * at once for the price of one. s0 and s1 hold MAP_BLOCK doubles each. */
static inline __attribute__((always_inline)) void
block_packed_pair(const map_colpack *pk, size_t b0, size_t b1, size_t k, const double *center,
                  const double *lambda, double *restrict s0, double *restrict s1, map_partial *d0,
                  map_partial *d1)
{
    const size_t ld = pk->ld;
    const double *const x0 = pk->x + b0, *const x1 = pk->x + b1;
    MAP_ASSERT(k <= MAP_PACK_MAX_K && b0 + MAP_BLOCK <= ld && b1 + MAP_BLOCK <= ld
               && d0->want_cov == d1->want_cov);
    double lam[MAP_PACK_MAX_K], cen[MAP_PACK_MAX_K];
    copy_lambda_center(k, lambda, center, lam, cen);
    /* Scores and their largest and smallest value. */
    const map_v8 zero8 = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    map_v8 m0 = zero8 - INFINITY, m1 = m0, n0 = zero8 + INFINITY, n1 = n0;
    for (size_t j = 0; j < MAP_BLOCK; j += 8) {
        map_v8 t0 = zero8, t1 = zero8;
        for (size_t i = 0; i < k; i++) {
            t0 += lam[i] * (MAP_V8_AT(x0 + i * ld + j) - cen[i]);
            t1 += lam[i] * (MAP_V8_AT(x1 + i * ld + j) - cen[i]);
        }
        MAP_V8_PUT(s0 + j, t0);
        MAP_V8_PUT(s1 + j, t1);
        m0 = MAP_V8_SELECT((map_v8i)(t0 > m0), t0, m0);
        m1 = MAP_V8_SELECT((map_v8i)(t1 > m1), t1, m1);
        n0 = MAP_V8_SELECT((map_v8i)(t0 < n0), t0, n0);
        n1 = MAP_V8_SELECT((map_v8i)(t1 < n1), t1, n1);
    }
    double smax0 = -INFINITY, smin0 = INFINITY, smax1 = -INFINITY, smin1 = INFINITY;
    for (size_t l = 0; l < 8; l++) {
        smax0 = m0[l] > smax0 ? m0[l] : smax0;
        smin0 = n0[l] < smin0 ? n0[l] : smin0;
        smax1 = m1[l] > smax1 ? m1[l] : smax1;
        smin1 = n1[l] < smin1 ? n1[l] : smin1;
    }
    packed_weights(s0, MAP_BLOCK, MAP_BLOCK, smax0, smin0);
    packed_weights(s1, MAP_BLOCK, MAP_BLOCK, smax1, smin1);
    /* Sums: four rows of each block in one eight-lane vector (block 0 in
     * the low half, block 1 in the high half), so that each half adds what
     * a four-lane sum of its block adds, in the same order; one register
     * with AVX-512, two independent chains without. */
#define MAP_PAIR_AT(p0, p1) __builtin_shufflevector(MAP_V4_AT(p0), MAP_V4_AT(p1), 0, 1, 2, 3, 4, 5, 6, 7)
    map_v8 w = zero8, w2 = zero8, a[MAP_PACK_MAX_K];
    for (size_t i = 0; i < k; i++)
        a[i] = zero8;
    for (size_t j = 0; j < MAP_BLOCK; j += MAP_LANES) {
        const map_v8 e = MAP_PAIR_AT(s0 + j, s1 + j);
        w += e;
        w2 += e * e;
        for (size_t i = 0; i < k; i++)
            a[i] += e * MAP_PAIR_AT(x0 + i * ld + j, x1 + i * ld + j);
    }
    map_v4 h0, h1;
#define MAP_PAIR_SUMS(v, r0, r1)                                                                   \
    do {                                                                                           \
        h0 = __builtin_shufflevector((v), (v), 0, 1, 2, 3);                                        \
        h1 = __builtin_shufflevector((v), (v), 4, 5, 6, 7);                                        \
        (r0) = v4_sum(&h0);                                                                        \
        (r1) = v4_sum(&h1);                                                                        \
    } while (0)
    double wsum0, wsum1, w2sum0, w2sum1;
    MAP_PAIR_SUMS(w, wsum0, wsum1);
    MAP_PAIR_SUMS(w2, w2sum0, w2sum1);
    double *mean0 = d0->mean, *mean1 = d1->mean;
    map_v8 mv[MAP_PACK_MAX_K]; /* the two blocks' means, each over its half */
    for (size_t i = 0; i < k; i++) {
        double s0i, s1i;
        MAP_PAIR_SUMS(a[i], s0i, s1i);
        mean0[i] = s0i / wsum0;
        mean1[i] = s1i / wsum1;
        const map_v8 m = {mean0[i], mean0[i], mean0[i], mean0[i],
                          mean1[i], mean1[i], mean1[i], mean1[i]};
        mv[i] = m;
    }
    if (d0->want_cov) {
        map_v8 acc[MAP_PACK_MAX_K * (MAP_PACK_MAX_K + 1) / 2];
        const size_t nacc = k * (k + 1) / 2;
        for (size_t q = 0; q < nacc; q++)
            acc[q] = zero8;
        for (size_t j = 0; j < MAP_BLOCK; j += MAP_LANES) {
            const map_v8 e = MAP_PAIR_AT(s0 + j, s1 + j);
            map_v8 c[MAP_PACK_MAX_K];
            for (size_t i = 0; i < k; i++)
                c[i] = MAP_PAIR_AT(x0 + i * ld + j, x1 + i * ld + j) - mv[i];
            size_t q = 0;
            for (size_t i = 0; i < k; i++) {
                const map_v8 ed = e * c[i];
                for (size_t l = i; l < k; l++, q++)
                    acc[q] += ed * c[l];
            }
        }
        double *m20 = d0->m2, *m21 = d1->m2;
        size_t q = 0;
        for (size_t i = 0; i < k; i++)
            for (size_t l = i; l < k; l++, q++) {
                double v0, v1;
                MAP_PAIR_SUMS(acc[q], v0, v1);
                m20[i * k + l] = m20[l * k + i] = v0;
                m21[i * k + l] = m21[l * k + i] = v1;
            }
    }
#undef MAP_PAIR_SUMS
#undef MAP_PAIR_AT
    d0->count = d1->count = (double)MAP_BLOCK;
    d0->smax = smax0;
    d1->smax = smax1;
    d0->wsum = wsum0;
    d1->wsum = wsum1;
    d0->w2sum = w2sum0;
    d1->w2sum = w2sum1;
}

/* Compiled three times, for AVX-512 (x86-64-v4: eight-row vectors in one
 * register, and 32 registers for four-row ones too, which the packed
 * kernel's lane sums need at six values; its pass costs about 0.6 times the
 * AVX2 copy's), AVX2 and the baseline, the copy chosen once per process by the CPU; none
 * contracts to FMA (ISO C mode) and the lanes fix the order of every sum, so
 * the three give the same bits. Not under
 * ThreadSanitizer, whose instrumented ifunc resolver runs before it is set
 * up and crashes. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define MAP_KERNEL_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define MAP_KERNEL_CLONES
#endif

MAP_KERNEL_CLONES
static void block_partial(const eval_job *jb, const size_t *idx, size_t b, size_t nb,
                          const map_eval_scratch *scr, map_partial *dst)
{
    const size_t k = jb->k, p = jb->p;
    if (jb->pack && !idx) {
#define MAP_PACKED_CASE(K)                                                                         \
    case K:                                                                                        \
        block_packed_impl(jb->pack, b, nb, K, jb->center, jb->lambda, scr, dst);                   \
        return;
        switch (k) {
            MAP_PACKED_CASE(1)
            MAP_PACKED_CASE(2)
            MAP_PACKED_CASE(3)
            MAP_PACKED_CASE(4)
            MAP_PACKED_CASE(5)
            MAP_PACKED_CASE(6)
            MAP_PACKED_CASE(7)
            MAP_PACKED_CASE(8)
        default:
            break;
        }
#undef MAP_PACKED_CASE
    }
    /* The common shapes (the same number of columns scored and summarised, up
     * to 8) get their own unrolled copies; anything else the generic one. */
#define MAP_BLOCK_CASE(K)                                                                          \
    case K:                                                                                        \
        block_impl(jb->X, idx, b, nb, jb->n, K, jb->cols, jb->center, jb->lambda, K, jb->scols, scr, dst); \
        return;
    if (k == p) {
        switch (k) {
            MAP_BLOCK_CASE(1)
            MAP_BLOCK_CASE(2)
            MAP_BLOCK_CASE(3)
            MAP_BLOCK_CASE(4)
            MAP_BLOCK_CASE(5)
            MAP_BLOCK_CASE(6)
            MAP_BLOCK_CASE(7)
            MAP_BLOCK_CASE(8)
        default:
            break;
        }
    }
#undef MAP_BLOCK_CASE
    block_impl(jb->X, idx, b, nb, jb->n, k, jb->cols, jb->center, jb->lambda, p, jb->scols, scr, dst);
}

/* block_packed_pair for the job's k (≤ MAP_PACK_MAX_K). */
MAP_KERNEL_CLONES
static void block_pair(const eval_job *jb, size_t b0, size_t b1, double *s0, double *s1,
                       map_partial *d0, map_partial *d1)
{
#define MAP_PAIR_CASE(K)                                                                           \
    case K:                                                                                        \
        block_packed_pair(jb->pack, b0, b1, K, jb->center, jb->lambda, s0, s1, d0, d1);            \
        return;
    switch (jb->k) {
        MAP_PAIR_CASE(1)
        MAP_PAIR_CASE(2)
        MAP_PAIR_CASE(3)
        MAP_PAIR_CASE(4)
        MAP_PAIR_CASE(5)
        MAP_PAIR_CASE(6)
        MAP_PAIR_CASE(7)
        MAP_PAIR_CASE(8)
    default:
        MAP_ASSERT(0);
    }
#undef MAP_PAIR_CASE
}

/* The partial of rows [b, b+n) of idx (of X when idx is NULL), n ≥ 1, into
 * *out: blocks from b on, each merged into the running partial in order. */
void map_kernel_rows_partial(const eval_job *jb, const size_t *idx, size_t b, size_t n,
                             const map_eval_scratch *scr, map_partial *out)
{
    MAP_ASSERT(n >= 1);
    map_partial blk = {jb->p, jb->want_cov, 0.0, -INFINITY, 0.0, 0.0, scr->blk_mean, scr->blk_m2};
    if (jb->pack && !idx) {
        /* Packed: whole blocks two at a time (the block kernel
         * for the last one when it is alone or short), merged in the same
         * order. The second block's scores use the gather buffer r (unused
         * here) and its partial the group buffers (global passes only). */
        map_partial blk2 = {jb->p, jb->want_cov, 0.0, -INFINITY, 0.0, 0.0, scr->grp_mean, scr->grp_m2};
        for (size_t o = 0; o < n; o += 2 * MAP_BLOCK) {
            map_partial *first = o == 0 ? out : &blk;
            if (n - o >= 2 * MAP_BLOCK) {
                block_pair(jb, b + o, b + o + MAP_BLOCK, scr->s, scr->r, first, &blk2);
                if (o > 0)
                    map_partial_merge(out, &blk);
                map_partial_merge(out, &blk2);
                continue;
            }
            const size_t nb = n - o < MAP_BLOCK ? n - o : MAP_BLOCK;
            block_partial(jb, NULL, b + o, nb, scr, first);
            if (o > 0)
                map_partial_merge(out, &blk);
            if (n - o > MAP_BLOCK) {
                block_partial(jb, NULL, b + o + MAP_BLOCK, n - o - MAP_BLOCK, scr, &blk);
                map_partial_merge(out, &blk);
            }
        }
        return;
    }
    const size_t nb0 = n < MAP_BLOCK ? n : MAP_BLOCK;
    block_partial(jb, idx, b, nb0, scr, out);
    for (size_t o = nb0; o < n; o += MAP_BLOCK) {
        const size_t nb = n - o < MAP_BLOCK ? n - o : MAP_BLOCK;
        block_partial(jb, idx, b + o, nb, scr, &blk);
        map_partial_merge(out, &blk);
    }
}
