/* map_workspace.c — the solver's workspace: one allocation per buffer, sized
 * once for the largest problem, reused by every evaluation and Newton step;
 * its evaluation threads (map_solver_ws_set_threads); and the packed value
 * columns a sweep's passes may read (map_colpack). */
#include <gsl/gsl_errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "map_solver_internal.h"

/* Carves one thread's evaluation buffers out of one allocation: pmax stat
 * columns, covariances of up to pcov of them. */
static int scratch_alloc(map_eval_scratch *scr, size_t pmax, size_t pcov)
{
    const size_t blk = (size_t)MAP_BLOCK * pmax;
    double *a = map_mallocarray(MAP_BLOCK + blk + 2 * (pmax + pcov * pcov), sizeof *a);
    if (!a)
        return 0;
    scr->s = a;
    scr->r = scr->s + MAP_BLOCK;
    scr->blk_mean = scr->r + blk;
    scr->blk_m2 = scr->blk_mean + pmax;
    scr->grp_mean = scr->blk_m2 + pcov * pcov;
    scr->grp_m2 = scr->grp_mean + pmax;
    return 1;
}

static void scratch_free(map_eval_scratch *scr)
{
    map_free(scr->s);
    scr->s = NULL;
}

/* count chunk slots with storage for pmax stat columns and a pcov × pcov
 * covariance, in one allocation; NULL on out-of-memory. */
static map_eval_slot *slots_alloc(size_t count, size_t pmax, size_t pcov)
{
    const size_t per = pmax + pcov * pcov;
    if (count > ((size_t)-1 - sizeof(map_eval_slot) * count) / sizeof(double) / per)
        return NULL;
    map_eval_slot *s = map_calloc(1, count * sizeof *s + count * per * sizeof(double));
    if (!s)
        return NULL;
    double *store = (double *)(s + count);
    for (size_t c = 0; c < count; c++) {
        s[c].part.p = pmax;
        s[c].part.mean = store + c * per;
        s[c].part.m2 = store + c * per + pmax;
    }
    return s;
}

/* GSL's default error handler aborts the process; the library reports GSL's
 * failures as status codes instead, so the handler is turned off, once. */
static void solver_init_once(void) { gsl_set_error_handler_off(); }

void map_solver_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, solver_init_once);
}

map_solver_ws *map_solver_ws_new(size_t kmax, size_t pmax)
{
    if (kmax == 0 || kmax > MAP_MAX_K)
        return NULL;
    if (pmax < kmax)
        pmax = kmax;
    map_solver_init();
    map_solver_ws *ws = map_calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->kmax = kmax;
    ws->pmax = pmax;
    ws->threads = 1;
    int ok = 1;
#define WS_ALLOC(field, count)                                       \
    do {                                                             \
        ws->field = map_mallocarray((count), sizeof *ws->field);     \
        ok = ok && ws->field != NULL;                                \
    } while (0)
    WS_ALLOC(cur_mean, kmax);
    WS_ALLOC(cur_m2, kmax * kmax);
    WS_ALLOC(try_mean, kmax);
    WS_ALLOC(try_m2, kmax * kmax);
    WS_ALLOC(lev_mean, pmax);
    WS_ALLOC(grad, kmax);
    WS_ALLOC(dir, kmax);
    WS_ALLOC(lam_try, kmax);
    WS_ALLOC(work3, 3 * kmax);
    WS_ALLOC(hff, kmax * kmax);
    WS_ALLOC(freeidx, kmax);
    WS_ALLOC(active, kmax);
    WS_ALLOC(zero, kmax);
#undef WS_ALLOC
    ws->scr = map_calloc(1, sizeof *ws->scr);
    ok = ok && ws->scr && scratch_alloc(&ws->scr[0], pmax, pmax);
    ws->slot1 = slots_alloc(1, pmax, pmax);
    ok = ok && ws->slot1;
    if (!ok) {
        map_solver_ws_free(ws);
        return NULL;
    }
    memset(ws->zero, 0, kmax * sizeof *ws->zero);
    return ws;
}

int map_solver_ws_set_threads(map_solver_ws *ws, unsigned threads)
{
    if (threads == 0) {
        const long c = sysconf(_SC_NPROCESSORS_ONLN);
        threads = c > 0 ? (unsigned)(c < MAP_EVAL_MAX_THREADS ? c : MAP_EVAL_MAX_THREADS) : 1;
    }
    if (threads > MAP_EVAL_MAX_THREADS)
        threads = MAP_EVAL_MAX_THREADS;
    if (threads == ws->threads)
        return MAP_OK;
    /* Build the new set first, so that a failure leaves the old one intact. */
    map_eval_scratch *scr = map_calloc(threads, sizeof *scr);
    /* The chunk slots and the workers' buffers hold covariances of up to
     * max(kmax, 16) columns (what the solver asks for); passes with
     * covariances of more run alone, which keeps a workspace for many stat
     * columns from needing MAP_EVAL_MAX_CHUNKS · pmax² doubles. */
    const size_t pcov = ws->pmax < 16 ? ws->pmax : (ws->kmax > 16 ? ws->kmax : 16);
    map_eval_slot *slots = threads > 1 && !ws->slots ? slots_alloc(MAP_EVAL_MAX_CHUNKS, ws->pmax, pcov) : NULL;
    int ok = scr && (threads == 1 || ws->slots || slots);
    for (unsigned t = 1; ok && t < threads; t++)
        ok = scratch_alloc(&scr[t], ws->pmax, pcov);
    if (!ok) {
        for (unsigned t = 1; scr && t < threads; t++)
            scratch_free(&scr[t]);
        map_free(scr);
        map_free(slots);
        return MAP_ENOMEM;
    }
    map_eval_pool_free(ws->pool);
    ws->pool = NULL;
    scr[0] = ws->scr[0];
    for (unsigned t = 1; t < ws->threads; t++)
        scratch_free(&ws->scr[t]);
    map_free(ws->scr);
    ws->scr = scr;
    if (threads == 1) {
        map_free(ws->slots);
        ws->slots = NULL;
    } else if (slots) {
        ws->slots = slots;
        ws->slots_pcov = pcov;
    }
    ws->threads = threads;
    return MAP_OK;
}

map_colpack *map_colpack_new(const map_matrix *X, size_t k, const size_t *cols)
{
    if (X->n == 0 || k == 0 || k > MAP_MAX_K || !map_matrix_has_data(X))
        return NULL;
    const size_t ld = (X->n + 7) / 8 * 8;
    if (ld > MAP_COLPACK_MAX_BYTES / sizeof(double) / k)
        return NULL;
    map_colpack *pk = map_calloc(1, sizeof *pk);
    double *x = map_calloc(k * ld, sizeof *x); /* the padding is zeros */
    if (!pk || !x) {
        MAP_FREE_ALL(pk, x);
        return NULL;
    }
    pk->src = X->xf ? (const void *)X->xf : (const void *)X->x;
    pk->n = X->n;
    pk->ld = ld;
    pk->k = k;
    pk->x = x;
    memcpy(pk->cols, cols, k * sizeof *cols);
    for (size_t i = 0; i < k; i++) {
        double *col = x + i * ld;
        for (size_t j = 0; j < X->n; j++)
            col[j] = map_matrix_at(X, j, cols[i]);
    }
    return pk;
}

void map_colpack_free(map_colpack *pk)
{
    if (pk)
        map_free(pk->x);
    map_free(pk);
}

void map_solver_ws_set_colpack(map_solver_ws *ws, const map_colpack *pk) { ws->pack = pk; }

void map_solver_ws_free(map_solver_ws *ws)
{
    if (!ws)
        return;
    map_eval_pool_free(ws->pool);
    for (unsigned t = 0; ws->scr && t < ws->threads; t++)
        scratch_free(&ws->scr[t]);
    MAP_FREE_ALL(ws->scr, ws->slot1, ws->slots, ws->cur_mean, ws->cur_m2, ws->try_mean, ws->try_m2,
                 ws->lev_mean, ws->grad, ws->dir, ws->lam_try, ws->work3, ws->hff, ws->freeidx,
                 ws->active, ws->zero);
    map_free(ws);
}
