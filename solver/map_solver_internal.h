/* map_solver_internal.h — workspace layout and helpers shared by the solver's
 * translation units. Not installed; not for callers. */
#ifndef MAP_SOLVER_INTERNAL_H
#define MAP_SOLVER_INTERNAL_H

#include <assert.h>

#include "map_solver.h"

#define MAP_ASSERT(x) assert(x)

/* Rows per evaluation block: big enough to amortise the merge, small enough
 * that a block's scores and rewards stay in L1/L2. */
#define MAP_BLOCK 256

/* The margin LP stops when its certified bounds are this close (relative to
 * max(1, |v*|)); margins within it of zero are zero to the data's rounding. */
#define MAP_MARGIN_RESOLUTION 1e-12

struct map_solver_ws {
    size_t kmax, pmax;
    /* evaluation scratch */
    double *blk_s;    /* MAP_BLOCK scores / weights */
    double *blk_r;    /* MAP_BLOCK * pmax gathered rewards */
    double *blk_d;    /* pmax centred row */
    double *blk_mean; /* pmax */
    double *blk_m2;   /* pmax * pmax */
    /* two full partials (current and trial iterate), k columns with covariance */
    double *cur_mean, *cur_m2, *try_mean, *try_m2;
    /* levels partial (pmax, no covariance) */
    double *lev_mean;
    /* Newton scratch, kmax each unless noted */
    double *grad, *dir, *lam_try, *work3; /* work3: 3*kmax */
    double *hff;                          /* kmax*kmax */
    size_t *freeidx;
    int *active;
    double *zero; /* kmax zeros: the centre when a problem has none */
};

/* One pass over all rows of X: the partial of the tilt defined by the scores
 * s_j = Σ_i λ_i (r_j[cols[i]] − center[i]) for the stat columns scols (p of
 * them) into *out, whose storage and want_cov are set by the caller. The
 * partial's smax (and so log Z) is that of the centred scores. */
void map_eval_pass(const map_matrix *X, size_t k, const size_t *cols, const double *center,
                   const double *lambda, size_t p, const size_t *scols, map_solver_ws *ws,
                   map_partial *out);

#endif
