/* map_workspace.c — the solver's workspace: one allocation per buffer, sized
 * once for the largest problem, reused by every evaluation and Newton step. */
#include <gsl/gsl_errno.h>
#include <string.h>

#include "map_solver_internal.h"

map_solver_ws *map_solver_ws_new(size_t kmax, size_t pmax)
{
    if (kmax == 0 || kmax > MAP_MAX_K)
        return NULL;
    if (pmax < kmax)
        pmax = kmax;
    /* GSL's default handler aborts; the library reports errors itself. */
    gsl_set_error_handler_off();
    map_solver_ws *ws = map_calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->kmax = kmax;
    ws->pmax = pmax;
    int ok = 1;
#define WS_ALLOC(field, count)                                       \
    do {                                                             \
        ws->field = map_mallocarray((count), sizeof *ws->field);     \
        ok = ok && ws->field != NULL;                                \
    } while (0)
    WS_ALLOC(blk_s, MAP_BLOCK);
    WS_ALLOC(blk_r, MAP_BLOCK * pmax);
    WS_ALLOC(blk_d, pmax);
    WS_ALLOC(blk_mean, pmax);
    WS_ALLOC(blk_m2, pmax * pmax);
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
    WS_ALLOC(grp_mean, pmax);
    WS_ALLOC(grp_m2, pmax * pmax);
#undef WS_ALLOC
    if (!ok) {
        map_solver_ws_free(ws);
        return NULL;
    }
    memset(ws->zero, 0, kmax * sizeof *ws->zero);
    return ws;
}

void map_solver_ws_free(map_solver_ws *ws)
{
    if (!ws)
        return;
    map_free(ws->blk_s);
    map_free(ws->blk_r);
    map_free(ws->blk_d);
    map_free(ws->blk_mean);
    map_free(ws->blk_m2);
    map_free(ws->cur_mean);
    map_free(ws->cur_m2);
    map_free(ws->try_mean);
    map_free(ws->try_m2);
    map_free(ws->lev_mean);
    map_free(ws->grad);
    map_free(ws->dir);
    map_free(ws->lam_try);
    map_free(ws->work3);
    map_free(ws->hff);
    map_free(ws->freeidx);
    map_free(ws->active);
    map_free(ws->zero);
    map_free(ws->grp_mean);
    map_free(ws->grp_m2);
    map_free(ws);
}
