/* map_decode.c — decoding with k candidates (map_decode.h): the tilted
 * weights, the exact best-of-k distribution on each prompt's samples sorted
 * by score, SIR by Monte Carlo with GSL's mt19937, and the per-prompt
 * selections. */
#include "map_decode.h"

#include <assert.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "map_names.h"

/* A sample's place in the sorted order: its score and index. */
typedef struct decode_key {
    double s;
    size_t row;
} decode_key;

struct map_decode_ws {
    size_t n, m, gmax, kmax;
    /* prepared data (borrowed) */
    map_matrix X;
    const double *score;
    size_t ngroups;
    decode_key *key;   /* n: each prompt's samples sorted by (score, row) */
    size_t *gstart;    /* ngroups + 1 offsets into key */
    /* scratch */
    double *prob;      /* n, sample order */
    double *cand;      /* kmax candidate scores */
    size_t *cidx;      /* kmax candidate rows */
    double *y, *mean, *m2; /* m each: one replicate's level, running mean and M2 */
    gsl_rng *rng;
};

static const map_enum_entry method_names[] = {{"best", MAP_DECODE_BEST},
                                               {"sir", MAP_DECODE_SIR}};

MAP_ENUM_FUNCS(map_decode_method, map_decode_method, method_names, "best")

void map_decode_scores(const map_matrix *X, size_t k, const size_t *cols, const double *lambda,
                       double *score)
{
    for (size_t j = 0; j < X->n; j++) {
        double s = 0.0;
        for (size_t i = 0; i < k; i++)
            s += lambda[i] * map_matrix_at(X, j, cols[i]);
        score[j] = s;
    }
}

/* weight[rows[t]] = exp(score − max) / (K Σ exp(score − max)) for the rows
 * rows[0 .. len) (rows NULL: 0 .. len). */
static void weights_of(const double *score, const size_t *rows, size_t len, double K,
                       double *weight)
{
    double smax = -INFINITY;
    for (size_t t = 0; t < len; t++)
        smax = fmax(smax, score[rows ? rows[t] : t]);
    double sum = 0.0;
    for (size_t t = 0; t < len; t++) {
        const size_t j = rows ? rows[t] : t;
        weight[j] = exp(score[j] - smax);
        sum += weight[j];
    }
    const double scale = 1.0 / (K * sum);
    for (size_t t = 0; t < len; t++)
        weight[rows ? rows[t] : t] *= scale;
}

void map_decode_weights(size_t n, const double *score, const map_groups *groups, double *weight)
{
    if (!groups) {
        weights_of(score, NULL, n, 1.0, weight);
        return;
    }
    const double K = (double)groups->ngroups;
    for (size_t g = 0; g < groups->ngroups; g++)
        weights_of(score, groups->order + groups->start[g], groups->start[g + 1] - groups->start[g],
                   K, weight);
}

/* ---- workspace -------------------------------------------------------------- */

map_decode_ws *map_decode_ws_new(size_t n, size_t m, size_t ngroups_max, size_t kmax)
{
    if (n == 0 || m == 0 || ngroups_max == 0 || kmax == 0)
        return NULL;
    map_solver_init(); /* GSL's error handler off */
    map_decode_ws *ws = map_calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->n = n;
    ws->m = m;
    ws->gmax = ngroups_max;
    ws->kmax = kmax;
    ws->key = map_mallocarray(n, sizeof *ws->key);
    ws->gstart = map_mallocarray(ngroups_max + 1, sizeof *ws->gstart);
    ws->prob = map_mallocarray(n, sizeof *ws->prob);
    ws->cand = map_mallocarray(kmax, sizeof *ws->cand);
    ws->cidx = map_mallocarray(kmax, sizeof *ws->cidx);
    ws->y = map_mallocarray(m, sizeof *ws->y);
    ws->mean = map_mallocarray(m, sizeof *ws->mean);
    ws->m2 = map_mallocarray(m, sizeof *ws->m2);
    ws->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!ws->key || !ws->gstart || !ws->prob || !ws->cand || !ws->cidx || !ws->y || !ws->mean ||
        !ws->m2 || !ws->rng) {
        map_decode_ws_free(ws);
        return NULL;
    }
    return ws;
}

void map_decode_ws_free(map_decode_ws *ws)
{
    if (!ws)
        return;
    MAP_FREE_ALL(ws->key, ws->gstart, ws->prob, ws->cand, ws->cidx, ws->y, ws->mean, ws->m2);
    if (ws->rng)
        gsl_rng_free(ws->rng);
    map_free(ws);
}

static int key_cmp(const void *pa, const void *pb)
{
    const decode_key *a = pa, *b = pb;
    if (a->s != b->s)
        return a->s < b->s ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

int map_decode_prepare(map_decode_ws *ws, const map_matrix *X, const double *score,
                       const map_groups *groups, map_error *err)
{
    const size_t n = X->n;
    const size_t K = groups ? groups->ngroups : 1;
    if (n != ws->n || X->m != ws->m || K == 0 || K > ws->gmax)
        return map_error_set(err, MAP_EDATA,
                             "decode: data of %zu x %zu in %zu prompts does not fit the "
                             "workspace (%zu x %zu, %zu prompts)", n, X->m, K, ws->n, ws->m,
                             ws->gmax);
    for (size_t j = 0; j < n; j++)
        if (!isfinite(score[j]))
            return map_error_set(err, MAP_EDATA, "decode: the score of sample %zu is not finite",
                                 j + 1);
    ws->X = *X;
    ws->score = score;
    ws->ngroups = K;
    if (!groups) {
        ws->gstart[0] = 0;
        ws->gstart[1] = n;
        for (size_t j = 0; j < n; j++)
            ws->key[j] = (decode_key){score[j], j};
    } else {
        assert(groups->start[K] == n);
        for (size_t g = 0; g <= K; g++)
            ws->gstart[g] = groups->start[g];
        for (size_t t = 0; t < n; t++)
            ws->key[t] = (decode_key){score[groups->order[t]], groups->order[t]};
    }
    for (size_t g = 0; g < K; g++)
        qsort(ws->key + ws->gstart[g], ws->gstart[g + 1] - ws->gstart[g], sizeof *ws->key,
              key_cmp);
    return MAP_OK;
}

size_t map_decode_ngroups(const map_decode_ws *ws) { return ws->ngroups; }

size_t map_decode_short_groups(const map_decode_ws *ws, size_t k)
{
    size_t c = 0;
    for (size_t g = 0; g < ws->ngroups; g++)
        c += ws->gstart[g + 1] - ws->gstart[g] < k;
    return c;
}

/* ---- best-of-k ------------------------------------------------------------ */

/* log of the probability that best-of-k keeps the tie block at ranks
 * a+1 … b of N: log((b/N)^k − (a/N)^k), without cancellation. */
static double block_logp(size_t a, size_t b, size_t N, double k)
{
    const double lead = k * log((double)b / (double)N);
    if (a == 0)
        return lead;
    return lead + log(-expm1(k * log1p(-(double)(b - a) / (double)b)));
}

/* A walk over the tie blocks of every prompt's sorted samples. */
typedef struct block_walk {
    size_t g, a;    /* the prompt, and the next block's first rank within it */
    size_t lo, len; /* the block: key[lo .. lo + len) */
    size_t N;       /* the prompt's size */
    double logN;    /* log N */
    double logp;    /* log of the block's probability under best-of-k within its prompt */
} block_walk;

/* Advances w to the next block (w starts zeroed); 0 when there is none.
 * k = 0: the limit (only the top block, probability 1). */
static int next_block(const map_decode_ws *ws, size_t k, block_walk *w)
{
    while (w->g < ws->ngroups && w->a >= ws->gstart[w->g + 1] - ws->gstart[w->g]) {
        w->g++;
        w->a = 0;
    }
    if (w->g >= ws->ngroups)
        return 0;
    const size_t s0 = ws->gstart[w->g], N = ws->gstart[w->g + 1] - s0, a = w->a;
    if (a == 0)
        w->logN = log((double)N);
    size_t b = a + 1;
    while (b < N && ws->key[s0 + b].s == ws->key[s0 + a].s)
        b++;
    w->lo = s0 + a;
    w->len = b - a;
    w->N = N;
    w->logp = k == 0 ? (b == N ? 0.0 : -INFINITY) : block_logp(a, b, N, (double)k);
    w->a = b;
    return 1;
}

/* Writes each sample's probability under best-of-k (prob, sample order) and
 * returns the KL divergence from the reference, in one walk over the
 * blocks (KL ≥ 0; rounding could leave −1e-16 at k = 1). */
static double best_walk(const map_decode_ws *ws, size_t k, double *prob)
{
    const double K = (double)ws->ngroups;
    double klsum = 0.0;
    block_walk w = {0};
    while (next_block(ws, k, &w)) {
        /* Each of the block's samples has pb/len within its prompt: their
         * KL terms add up to pb · log(N pb / len). */
        const double pb = exp(w.logp);
        if (pb > 0.0)
            klsum += pb * (w.logp + w.logN - (w.len > 1 ? log((double)w.len) : 0.0));
        const double p = pb / ((double)w.len * K);
        for (size_t t = 0; t < w.len; t++)
            prob[ws->key[w.lo + t].row] = p;
    }
    /* k = 1 keeps the reference itself: KL 0 exactly, not its rounding. */
    return k == 1 ? 0.0 : fmax(0.0, klsum / K);
}

void map_decode_best_probs(const map_decode_ws *ws, size_t k, double *prob)
{
    (void)best_walk(ws, k, prob);
}

void map_decode_best(map_decode_ws *ws, size_t k, double *level, double *kl)
{
    *kl = best_walk(ws, k, ws->prob);
    const size_t m = ws->m;
    for (size_t i = 0; i < m; i++)
        level[i] = 0.0;
    for (size_t j = 0; j < ws->n; j++) {
        const double p = ws->prob[j];
        if (p == 0.0)
            continue;
        for (size_t i = 0; i < m; i++)
            level[i] += p * map_matrix_at(&ws->X, j, i);
    }
}

/* ---- SIR -------------------------------------------------------------------- */

int map_decode_sir(map_decode_ws *ws, size_t k, size_t R, unsigned long seed, double *level,
                   double *se, map_error *err)
{
    if (k < 1 || k > ws->kmax)
        return map_error_set(err, MAP_EDATA, "decode: k = %zu is outside 1 .. %zu", k, ws->kmax);
    if (R < 1)
        return map_error_set(err, MAP_EDATA, "decode: replicates must be at least 1");
    const size_t m = ws->m, K = ws->ngroups;
    gsl_rng_set(ws->rng, seed);
    for (size_t i = 0; i < m; i++)
        ws->mean[i] = ws->m2[i] = 0.0;
    for (size_t r = 0; r < R; r++) {
        const size_t g = K > 1 ? (size_t)gsl_rng_uniform_int(ws->rng, K) : 0;
        const size_t s0 = ws->gstart[g], N = ws->gstart[g + 1] - s0;
        double cmax = -INFINITY;
        for (size_t c = 0; c < k; c++) {
            const decode_key *kc = &ws->key[s0 + (N > 1 ? gsl_rng_uniform_int(ws->rng, N) : 0)];
            ws->cidx[c] = kc->row;
            ws->cand[c] = kc->s;
            cmax = fmax(cmax, kc->s);
        }
        /* The kept level's expectation, a running weighted mean (convex
         * updates: no overflow whatever the rewards' magnitude). */
        for (size_t i = 0; i < m; i++)
            ws->y[i] = 0.0;
        double wsum = 0.0;
        for (size_t c = 0; c < k; c++) {
            const double w = exp(ws->cand[c] - cmax);
            wsum += w;
            const double f = w / wsum;
            for (size_t i = 0; i < m; i++)
                ws->y[i] = (1.0 - f) * ws->y[i] + f * map_matrix_at(&ws->X, ws->cidx[c], i);
        }
        /* Welford's running mean and M2 of the replicates' levels, on halves
         * so that differences of rewards near ±DBL_MAX do not overflow. */
        const double inv = 1.0 / (double)(r + 1);
        for (size_t i = 0; i < m; i++) {
            const double y = ws->y[i], d = 0.5 * y - 0.5 * ws->mean[i];
            ws->mean[i] += 2.0 * (d * inv);
            ws->m2[i] += 4.0 * (d * (0.5 * y - 0.5 * ws->mean[i]));
        }
    }
    for (size_t i = 0; i < m; i++) {
        level[i] = ws->mean[i];
        se[i] = R > 1 ? sqrt(ws->m2[i] / (double)(R - 1) / (double)R) : NAN;
    }
    return MAP_OK;
}

/* ---- per prompt --------------------------------------------------------------- */

/* The first of the top tied block of a group's N sorted keys (ascending
 * score): the top-scoring sample, the first in dataset order among ties. */
static size_t top_of(const decode_key *key, size_t N)
{
    size_t t = N - 1;
    while (t > 0 && key[t - 1].s == key[N - 1].s)
        t--;
    return t;
}

void map_decode_select(map_decode_ws *ws, map_decode_method method, unsigned long seed,
                       size_t *chosen)
{
    if (method == MAP_DECODE_SIR)
        gsl_rng_set(ws->rng, seed);
    for (size_t g = 0; g < ws->ngroups; g++) {
        const size_t s0 = ws->gstart[g], N = ws->gstart[g + 1] - s0;
        const decode_key *key = ws->key + s0;
        if (method == MAP_DECODE_BEST) {
            chosen[g] = key[top_of(key, N)].row;
            continue;
        }
        /* Inverse CDF over the sorted scores (top last, so the sum ends on
         * the largest terms); u in [0, 1). */
        const double smax = key[N - 1].s;
        double sum = 0.0;
        for (size_t t = 0; t < N; t++)
            sum += exp(key[t].s - smax);
        const double u = gsl_rng_uniform(ws->rng) * sum;
        double acc = 0.0;
        size_t t = 0;
        for (; t + 1 < N; t++) {
            acc += exp(key[t].s - smax);
            if (u < acc)
                break;
        }
        chosen[g] = key[t].row;
    }
}

void map_decode_extremes(const map_decode_ws *ws, size_t *hi, size_t *lo)
{
    for (size_t g = 0; g < ws->ngroups; g++) {
        const size_t s0 = ws->gstart[g], N = ws->gstart[g + 1] - s0;
        const decode_key *key = ws->key + s0;
        hi[g] = key[top_of(key, N)].row;
        lo[g] = key[0].row;
    }
}
