/* map_eval.c — the one-pass evaluation of Λ, μ and Σ at λ: the fixed chunks
 * of a pass, which the workspace's threads reduce (each chunk from empty to
 * its own partial, by the block kernels of map_kernel.c) and the caller
 * merges in chunk order, and the entry points.
 *
 * Blocks make up chunks whose boundaries depend only on n (or, per prompt,
 * on the grouping); each chunk is reduced from empty to its own partial, and
 * the chunk partials are merged in chunk order. Which thread reduced which
 * chunk never enters the arithmetic, so results are bit-identical for any
 * thread count.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "map_kernel.h"

/* ---- Chunks ------------------------------------------------------------- */

/* Rows per chunk of a global pass over n rows: MAP_CHUNK, or more when that
 * would make more than MAP_EVAL_MAX_CHUNKS chunks; a function of n only. */
static size_t chunk_rows(size_t n)
{
    size_t c = (n + MAP_EVAL_MAX_CHUNKS - 1) / MAP_EVAL_MAX_CHUNKS;
    c = (c + MAP_BLOCK - 1) / MAP_BLOCK * MAP_BLOCK;
    return c > MAP_CHUNK ? c : MAP_CHUNK;
}

/* Groups per chunk of a per-prompt pass (K groups, n rows): about MAP_CHUNK
 * rows at the average group size, at most MAP_EVAL_MAX_CHUNKS chunks; a
 * function of the grouping only. */
static size_t chunk_groups(size_t K, size_t n)
{
    size_t g = (K * (size_t)MAP_CHUNK + n - 1) / n;
    const size_t gmin = (K + MAP_EVAL_MAX_CHUNKS - 1) / MAP_EVAL_MAX_CHUNKS;
    if (g < gmin)
        g = gmin;
    return g > 0 ? g : 1;
}

/* Empties a slot: the empty partial (global) or zero sums (per prompt). */
static void slot_reset(const eval_job *jb, map_eval_slot *s)
{
    s->part.p = jb->p;
    s->part.want_cov = jb->want_cov;
    map_partial_reset(&s->part);
    s->logz = 0.0;
    s->w2 = 0.0;
    s->wmax = 0.0;
}

/* Reduces chunk c of the job from empty into *slot, using scr's buffers. */
static void run_chunk(const eval_job *jb, size_t c, const map_eval_scratch *scr, map_eval_slot *slot)
{
    slot->part.p = jb->p;
    slot->part.want_cov = jb->want_cov;
    if (!jb->gstart) {
        const size_t b = c * jb->chunk;
        const size_t nr = jb->n - b < jb->chunk ? jb->n - b : jb->chunk;
        map_kernel_rows_partial(jb, NULL, b, nr, scr, &slot->part);
        return;
    }
    /* Per prompt: the chunk's groups' log-partitions, means, covariances and
     * weight sums, summed in group order. */
    const size_t p = jb->p;
    slot_reset(jb, slot);
    map_partial a = {p, jb->want_cov, 0.0, -INFINITY, 0.0, 0.0, scr->grp_mean, scr->grp_m2};
    const size_t q0 = c * jb->chunk;
    const size_t q1 = jb->K - q0 < jb->chunk ? jb->K : q0 + jb->chunk;
    double *mean = slot->part.mean, *cov = slot->part.m2;
    for (size_t q = q0; q < q1; q++) {
        const size_t n_q = jb->gstart[q + 1] - jb->gstart[q];
        map_kernel_rows_partial(jb, jb->order, jb->gstart[q], n_q, scr, &a);
        slot->logz += a.smax + log(a.wsum / (double)n_q);
        for (size_t i = 0; i < p; i++)
            mean[i] += a.mean[i];
        if (jb->want_cov) {
            const double iw = 1.0 / a.wsum; /* one division per group, not p² */
            for (size_t i = 0; i < p * p; i++)
                cov[i] += a.m2[i] * iw;
        }
        slot->w2 += a.w2sum / (a.wsum * a.wsum);
        slot->wmax = fmax(slot->wmax, 1.0 / a.wsum);
    }
}

/* tot ← tot ⊕ c: the partials merged (global) or the sums added (per prompt). */
static void slot_add(const eval_job *jb, map_eval_slot *tot, const map_eval_slot *c)
{
    if (!jb->gstart) {
        map_partial_merge(&tot->part, &c->part);
        return;
    }
    const size_t p = jb->p;
    tot->logz += c->logz;
    for (size_t i = 0; i < p; i++)
        tot->part.mean[i] += c->part.mean[i];
    if (jb->want_cov)
        for (size_t i = 0; i < p * p; i++)
            tot->part.m2[i] += c->part.m2[i];
    tot->w2 += c->w2;
    tot->wmax = fmax(tot->wmax, c->wmax);
}

/* ---- The thread pool ---------------------------------------------------- */

/* Workers 1 … nworkers wait for a new generation, take chunks from a shared
 * counter into their own slots, and report when the counter is exhausted;
 * the caller takes chunks too, as worker 0. */
struct map_eval_pool {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long gen; /* bumped for each job */
    int quit;
    unsigned busy;     /* workers not yet done with the current job */
    unsigned nworkers; /* started */
    const eval_job *job;
    map_solver_ws *ws;
    atomic_size_t next; /* the next chunk to take */
    struct pool_worker {
        struct map_eval_pool *pool;
        unsigned id;
        pthread_t thread;
    } *w;
};

/* Takes chunks of the current job until none is left. */
static void pool_take_chunks(struct map_eval_pool *pool, const eval_job *jb, unsigned id)
{
    for (;;) {
        const size_t c = atomic_fetch_add(&pool->next, 1);
        if (c >= jb->nchunks)
            return;
        run_chunk(jb, c, &pool->ws->scr[id], &pool->ws->slots[c]);
    }
}

static void *pool_main(void *arg)
{
    struct pool_worker *w = arg;
    struct map_eval_pool *pool = w->pool;
    unsigned long seen = 0;
    for (;;) {
        pthread_mutex_lock(&pool->mu);
        while (pool->gen == seen && !pool->quit)
            pthread_cond_wait(&pool->go, &pool->mu);
        if (pool->quit) {
            pthread_mutex_unlock(&pool->mu);
            return NULL;
        }
        seen = pool->gen;
        const eval_job *jb = pool->job;
        pthread_mutex_unlock(&pool->mu);
        pool_take_chunks(pool, jb, w->id);
        pthread_mutex_lock(&pool->mu);
        if (--pool->busy == 0)
            pthread_cond_signal(&pool->done);
        pthread_mutex_unlock(&pool->mu);
    }
}

void map_eval_pool_free(struct map_eval_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->mu);
    pool->quit = 1;
    pthread_cond_broadcast(&pool->go);
    pthread_mutex_unlock(&pool->mu);
    for (unsigned i = 0; i < pool->nworkers; i++)
        pthread_join(pool->w[i].thread, NULL);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->go);
    pthread_mutex_destroy(&pool->mu);
    map_free(pool->w);
    map_free(pool);
}

/* Starts ws->threads − 1 workers (fewer if the system refuses some). NULL
 * when none could be started: the caller then runs alone. */
static struct map_eval_pool *pool_start(map_solver_ws *ws)
{
    struct map_eval_pool *pool = map_calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    const unsigned want = ws->threads - 1;
    pool->w = map_calloc(want, sizeof *pool->w);
    if (!pool->w || pthread_mutex_init(&pool->mu, NULL)) {
        map_free(pool->w);
        map_free(pool);
        return NULL;
    }
    if (pthread_cond_init(&pool->go, NULL)) {
        pthread_mutex_destroy(&pool->mu);
        map_free(pool->w);
        map_free(pool);
        return NULL;
    }
    if (pthread_cond_init(&pool->done, NULL)) {
        pthread_cond_destroy(&pool->go);
        pthread_mutex_destroy(&pool->mu);
        map_free(pool->w);
        map_free(pool);
        return NULL;
    }
    pool->ws = ws;
    atomic_init(&pool->next, 0);
    for (unsigned i = 0; i < want; i++) {
        pool->w[i].pool = pool;
        pool->w[i].id = i + 1;
        if (pthread_create(&pool->w[i].thread, NULL, pool_main, &pool->w[i]))
            break;
        pool->nworkers++;
    }
    if (pool->nworkers == 0) {
        map_eval_pool_free(pool);
        return NULL;
    }
    return pool;
}

/* Reduces every chunk of the job and combines them in chunk order into
 * *tot, which the caller has emptied (slot_reset) with its own storage. */
static void run_job(const eval_job *jb, map_solver_ws *ws, map_eval_slot *tot)
{
    if (jb->nchunks > 1 && ws->threads > 1 && ws->slots && (!jb->want_cov || jb->p <= ws->slots_pcov)) {
        if (!ws->pool)
            ws->pool = pool_start(ws);
        struct map_eval_pool *pool = ws->pool;
        if (pool) {
            pthread_mutex_lock(&pool->mu);
            pool->job = jb;
            atomic_store(&pool->next, 0);
            pool->busy = pool->nworkers;
            pool->gen++;
            pthread_cond_broadcast(&pool->go);
            pthread_mutex_unlock(&pool->mu);
            pool_take_chunks(pool, jb, 0);
            pthread_mutex_lock(&pool->mu);
            while (pool->busy)
                pthread_cond_wait(&pool->done, &pool->mu);
            pool->job = NULL;
            pthread_mutex_unlock(&pool->mu);
            for (size_t c = 0; c < jb->nchunks; c++)
                slot_add(jb, tot, &ws->slots[c]);
            return;
        }
    }
    /* Alone: the same chunks, each combined as soon as it is done. */
    for (size_t c = 0; c < jb->nchunks; c++) {
        run_chunk(jb, c, &ws->scr[0], ws->slot1);
        slot_add(jb, tot, ws->slot1);
    }
}

/* ---- Entry points ------------------------------------------------------- */

/* ws's pack when a global pass over X scoring cols and summarising scols can
 * read it: the same matrix and the same columns in the same order, scored
 * and summarised alike; else NULL. */
static const map_colpack *pack_for(const map_solver_ws *ws, const map_matrix *X, size_t k,
                                   const size_t *cols, size_t p, const size_t *scols)
{
    const map_colpack *pk = ws->pack;
    const void *src = X->xf ? (const void *)X->xf : (const void *)X->x;
    if (!pk || pk->src != src || pk->n != X->n || pk->k != k || p != k || k > MAP_PACK_MAX_K)
        return NULL;
    for (size_t i = 0; i < k; i++)
        if (cols[i] != pk->cols[i] || scols[i] != pk->cols[i])
            return NULL;
    return pk;
}

void map_eval_pass(const map_matrix *X, size_t k, const size_t *cols, const double *center,
                   const double *lambda, size_t p, const size_t *scols, map_solver_ws *ws,
                   map_partial *out)
{
    MAP_ASSERT(p <= ws->pmax && k <= ws->kmax && out->p == p);
    map_partial_reset(out);
    if (X->n == 0)
        return;
    const size_t ch = chunk_rows(X->n);
    const eval_job jb = {X, NULL, NULL, X->n, 1, ch, (X->n + ch - 1) / ch, k, cols,
                         center ? center : ws->zero, lambda, p, scols, out->want_cov,
                         pack_for(ws, X, k, cols, p, scols)};
    map_eval_slot tot = {*out, 0.0, 0.0, 0.0};
    run_job(&jb, ws, &tot);
    *out = tot.part;
}

void map_eval_moments(const map_problem *pb, const double *lambda, size_t p, const size_t *scols,
                      int want_cov, map_solver_ws *ws, map_moments *out)
{
    MAP_ASSERT(p <= ws->pmax && pb->k <= ws->kmax);
    const map_matrix *X = &pb->data;
    const map_groups *g = pb->groups;
    const double *center = pb->target ? pb->target : ws->zero;
    const size_t n = X->n;
    if (!g) {
        const size_t ch = chunk_rows(n);
        const eval_job jb = {X, NULL, NULL, n, 1, ch, (n + ch - 1) / ch, pb->k, pb->cols,
                             center, lambda, p, scols, want_cov,
                             pack_for(ws, X, pb->k, pb->cols, p, scols)};
        map_eval_slot tot = {{p, want_cov, 0.0, -INFINITY, 0.0, 0.0, out->mean, out->cov},
                             0.0, 0.0, 0.0};
        slot_reset(&jb, &tot);
        run_job(&jb, ws, &tot);
        const map_partial *a = &tot.part;
        out->logz_c = a->smax + log(a->wsum / (double)n);
        if (want_cov)
            for (size_t i = 0; i < p * p; i++)
                out->cov[i] /= a->wsum;
        out->ess = a->wsum * a->wsum / a->w2sum;
        out->max_weight = 1.0 / a->wsum;
        return;
    }
    /* Per prompt: averages over the groups, summed in group order within a
     * chunk and the chunks' sums in chunk order. */
    const size_t K = g->ngroups;
    const size_t ch = chunk_groups(K, n);
    const eval_job jb = {X, g->order, g->start, n, K, ch, (K + ch - 1) / ch, pb->k, pb->cols,
                         center, lambda, p, scols, want_cov, NULL};
    map_eval_slot tot = {{p, want_cov, 0.0, -INFINITY, 0.0, 0.0, out->mean, want_cov ? out->cov : NULL},
                         0.0, 0.0, 0.0};
    slot_reset(&jb, &tot);
    run_job(&jb, ws, &tot);
    const double Kd = (double)K;
    out->logz_c = tot.logz / Kd;
    for (size_t i = 0; i < p; i++)
        out->mean[i] /= Kd;
    if (want_cov)
        for (size_t i = 0; i < p * p; i++)
            out->cov[i] /= Kd;
    /* Mixture q_j = w_j / K: Σ q_j² = Σ_g (Σ_j w_j²) / K². */
    out->ess = Kd * Kd / tot.w2;
    out->max_weight = tot.wmax / Kd;
}
