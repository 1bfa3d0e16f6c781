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
    double *grp_mean, *grp_m2; /* pmax, pmax*pmax: one group's partial */
};

/* The moments the Newton iteration needs at λ, under global or per-prompt
 * normalisation (MATH.md §2, §9): Λ_c (log-partition of the scores centred at
 * the targets, averaged over groups), the tilted means and covariances of the
 * stat columns (averaged over groups), and ESS / largest weight of q_λ. */
typedef struct map_moments {
    double logz_c;
    double *mean; /* p entries (caller storage) */
    double *cov;  /* p*p entries (caller storage); untouched unless want_cov */
    double ess, max_weight;
} map_moments;

/* One pass over the data (each group's rows once) at λ for pb's scores. */
void map_eval_moments(const map_problem *pb, const double *lambda, size_t p, const size_t *scols,
                      int want_cov, map_solver_ws *ws, map_moments *out);

/* One pass over all rows of X: the partial of the tilt defined by the scores
 * s_j = Σ_i λ_i (r_j[cols[i]] − center[i]) for the stat columns scols (p of
 * them) into *out, whose storage and want_cov are set by the caller. The
 * partial's smax (and so log Z) is that of the centred scores. */
void map_eval_pass(const map_matrix *X, size_t k, const size_t *cols, const double *center,
                   const double *lambda, size_t p, const size_t *scols, map_solver_ws *ws,
                   map_partial *out);

/* The rows of a problem as K groups (K = 1: all rows, global
 * normalisation): group g is positions start[g] … start[g+1] − 1 of order
 * (the identity when order is NULL). */
typedef struct map_rows_view {
    size_t K;
    const size_t *start;
    const size_t *order;
    size_t one[2]; /* start for K = 1 */
} map_rows_view;

static inline void map_rows_view_of(const map_problem *pb, map_rows_view *g)
{
    if (pb->groups) {
        g->K = pb->groups->ngroups;
        g->start = pb->groups->start;
        g->order = pb->groups->order;
    } else {
        g->K = 1;
        g->one[0] = 0;
        g->one[1] = pb->data.n;
        g->start = g->one;
        g->order = NULL;
    }
}

/* The data row at position pos of the view. */
static inline size_t map_rows_at(const map_rows_view *g, size_t pos) { return g->order ? g->order[pos] : pos; }

/* map_margin under per-prompt normalisation (pb->groups with K > 1): the
 * same outputs (*margin; direction, may be NULL, normalised as in
 * map_result) from bounds certified in our arithmetic, by cutting planes over
 * d alone (map_margin_prompt.c). One pass over the data per round, plus one
 * that packs the rows of the prompts of two or more samples (n·k doubles,
 * allocated per call and freed). *rounds (may be NULL) receives the rounds
 * used. MAP_OK, or MAP_ENOMEM when memory or GLPK fails. */
int map_margin_prompt(const map_problem *pb, const map_feas_params *fp, double *margin,
                      double *direction, int *rounds, map_error *err);

#endif
