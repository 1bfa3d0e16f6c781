/* map_eval.c — the one-pass evaluation of Λ, μ and Σ at λ.
 *
 * Rows are processed in fixed blocks. Within a block the scores are formed,
 * the block's own maximum taken, and an exact two-pass (mean, then centred
 * cross-products) partial computed while the block is in cache; the block
 * partial is then merged into the running partial. Block boundaries do not
 * depend on anything but n, so results are reproducible, and the same merge
 * combines slices computed by different threads or ranks.
 */
#include <math.h>
#include <string.h>

#include "map_solver_internal.h"

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
    const double fa = exp(a->smax - M), fb = exp(b->smax - M);
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

/* Partial of rows [b, b+nb) (of idx when non-NULL) into blk (which is reset
 * first). Always inlined so that the dispatcher below can instantiate it with
 * constant small k and p, which lets the compiler unroll the per-row loops. */
static inline __attribute__((always_inline)) void
block_impl(const map_matrix *X, const size_t *idx, size_t b, size_t nb, size_t k, const size_t *cols,
           const double *center, const double *lambda, size_t p, const size_t *scols,
           map_solver_ws *ws, map_partial *blk)
{
    double *s = ws->blk_s;
    double *r = ws->blk_r;
    double smax = -INFINITY;
    for (size_t j = 0; j < nb; j++) {
        const double *row = X->x + (idx ? idx[b + j] : b + j) * X->ld;
        double sj = 0.0;
        for (size_t i = 0; i < k; i++)
            sj += lambda[i] * (row[cols[i]] - center[i]);
        s[j] = sj;
        if (sj > smax)
            smax = sj;
        double *rj = r + j * p;
        for (size_t i = 0; i < p; i++)
            rj[i] = row[scols[i]];
    }
    /* Accumulate in locals (registers for the unrolled small-p copies):
     * nothing the loops write can alias the rows they read. */
    double wsum = 0.0, w2sum = 0.0;
    double local_mean[MAP_MAX_K];
    double *mean = p <= MAP_MAX_K ? local_mean : blk->mean; /* stat columns may exceed MAP_MAX_K */
    for (size_t i = 0; i < p; i++)
        mean[i] = 0.0;
    for (size_t j = 0; j < nb; j++) {
        const double e = exp(s[j] - smax);
        s[j] = e;
        wsum += e;
        w2sum += e * e;
        const double *rj = r + j * p;
        for (size_t i = 0; i < p; i++)
            mean[i] += e * rj[i];
    }
    for (size_t i = 0; i < p; i++) {
        mean[i] /= wsum;
        blk->mean[i] = mean[i];
    }
    if (blk->want_cov) {
        double *m2 = blk->m2;
        if (p <= 8) {
            double acc[8 * 8];
            for (size_t i = 0; i < p * p; i++)
                acc[i] = 0.0;
            for (size_t j = 0; j < nb; j++) {
                const double e = s[j];
                const double *rj = r + j * p;
                double dv[8];
                for (size_t i = 0; i < p; i++)
                    dv[i] = rj[i] - mean[i];
                for (size_t i = 0; i < p; i++) {
                    const double edi = e * dv[i];
                    for (size_t l = i; l < p; l++)
                        acc[i * p + l] += edi * dv[l];
                }
            }
            for (size_t i = 0; i < p * p; i++)
                m2[i] = acc[i];
        } else {
            memset(m2, 0, p * p * sizeof *m2);
            double *dv = ws->blk_d;
            for (size_t j = 0; j < nb; j++) {
                const double e = s[j];
                const double *rj = r + j * p;
                for (size_t i = 0; i < p; i++)
                    dv[i] = rj[i] - mean[i];
                for (size_t i = 0; i < p; i++) {
                    const double edi = e * dv[i];
                    for (size_t l = i; l < p; l++)
                        m2[i * p + l] += edi * dv[l];
                }
            }
        }
        for (size_t i = 0; i < p; i++)
            for (size_t l = 0; l < i; l++)
                m2[i * p + l] = m2[l * p + i];
    }
    blk->count = (double)nb;
    blk->smax = smax;
    blk->wsum = wsum;
    blk->w2sum = w2sum;
}

static void block_partial(const map_matrix *X, const size_t *idx, size_t b, size_t nb, size_t k,
                          const size_t *cols, const double *center, const double *lambda, size_t p,
                          const size_t *scols, map_solver_ws *ws, map_partial *blk)
{
    /* The common shapes (the same columns scored and summarised, up to 8
     * values) get their own unrolled copies; anything else the generic one. */
#define MAP_BLOCK_CASE(K)                                                                      \
    case K:                                                                                    \
        block_impl(X, idx, b, nb, K, cols, center, lambda, K, scols, ws, blk);                 \
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
    block_impl(X, idx, b, nb, k, cols, center, lambda, p, scols, ws, blk);
}

/* Partial over rows [0, n) of idx (or of X when idx is NULL). */
static void eval_rows(const map_matrix *X, const size_t *idx, size_t n, size_t k, const size_t *cols,
                      const double *center, const double *lambda, size_t p, const size_t *scols,
                      map_solver_ws *ws, map_partial *out)
{
    map_partial blk = {p, out->want_cov, 0.0, -INFINITY, 0.0, 0.0, ws->blk_mean, ws->blk_m2};
    map_partial_reset(out);
    for (size_t b = 0; b < n; b += MAP_BLOCK) {
        const size_t nb = n - b < MAP_BLOCK ? n - b : MAP_BLOCK;
        block_partial(X, idx, b, nb, k, cols, center, lambda, p, scols, ws, &blk);
        map_partial_merge(out, &blk);
    }
}

void map_eval_pass(const map_matrix *X, size_t k, const size_t *cols, const double *center,
                   const double *lambda, size_t p, const size_t *scols, map_solver_ws *ws,
                   map_partial *out)
{
    MAP_ASSERT(p <= ws->pmax && k <= ws->kmax);
    if (!center)
        center = ws->zero;
    eval_rows(X, NULL, X->n, k, cols, center, lambda, p, scols, ws, out);
}

void map_eval_moments(const map_problem *pb, const double *lambda, size_t p, const size_t *scols,
                      int want_cov, map_solver_ws *ws, map_moments *out)
{
    MAP_ASSERT(p <= ws->pmax && pb->k <= ws->kmax);
    const map_matrix *X = &pb->data;
    const map_groups *g = pb->groups;
    const double *center = pb->target ? pb->target : ws->zero;
    if (!g) {
        map_partial a = {p, want_cov, 0.0, -INFINITY, 0.0, 0.0, out->mean, out->cov};
        eval_rows(X, NULL, X->n, pb->k, pb->cols, center, lambda, p, scols, ws, &a);
        out->logz_c = a.smax + log(a.wsum / (double)X->n);
        if (want_cov)
            for (size_t i = 0; i < p * p; i++)
                out->cov[i] /= a.wsum;
        out->ess = a.wsum * a.wsum / a.w2sum;
        out->max_weight = 1.0 / a.wsum;
        return;
    }
    /* Per prompt: averages over the groups, summed in group order. */
    map_partial a = {p, want_cov, 0.0, -INFINITY, 0.0, 0.0, ws->grp_mean, ws->grp_m2};
    double logz = 0.0, w2 = 0.0, wmax = 0.0;
    memset(out->mean, 0, p * sizeof *out->mean);
    if (want_cov)
        memset(out->cov, 0, p * p * sizeof *out->cov);
    for (size_t q = 0; q < g->ngroups; q++) {
        const size_t n_q = g->start[q + 1] - g->start[q];
        eval_rows(X, g->order + g->start[q], n_q, pb->k, pb->cols, center, lambda, p, scols, ws, &a);
        logz += a.smax + log(a.wsum / (double)n_q);
        for (size_t i = 0; i < p; i++)
            out->mean[i] += a.mean[i];
        if (want_cov)
            for (size_t i = 0; i < p * p; i++)
                out->cov[i] += a.m2[i] / a.wsum;
        w2 += a.w2sum / (a.wsum * a.wsum);
        wmax = fmax(wmax, 1.0 / a.wsum);
    }
    const double K = (double)g->ngroups;
    out->logz_c = logz / K;
    for (size_t i = 0; i < p; i++)
        out->mean[i] /= K;
    if (want_cov)
        for (size_t i = 0; i < p * p; i++)
            out->cov[i] /= K;
    /* Mixture q_j = w_j / K: Σ q_j² = Σ_g (Σ_j w_j²) / K². */
    out->ess = K * K / w2;
    out->max_weight = wmax / K;
}
