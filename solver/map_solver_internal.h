/* map_solver_internal.h — workspace layout and helpers shared by the solver's
 * translation units. Not installed; not for callers. */
#ifndef MAP_SOLVER_INTERNAL_H
#define MAP_SOLVER_INTERNAL_H

#include <assert.h>
#include <math.h>

#include "map_solver.h"

#define MAP_ASSERT(x) assert(x)

/* Rows per evaluation block: big enough to amortise the merge, small enough
 * that a block's scores and rewards stay in L1/L2. */
#define MAP_BLOCK 256

/* Rows per chunk of a pass (a multiple of MAP_BLOCK): the unit of work a
 * thread takes, and the unit whose partials are merged in a fixed order.
 * Passes over fewer rows run inline on the calling thread. */
#define MAP_CHUNK 65536

/* At most this many chunks per pass (bigger chunks for bigger n), which
 * bounds the per-chunk partials a threaded workspace holds. */
#define MAP_EVAL_MAX_CHUNKS 256

/* At most this many threads per workspace. */
#define MAP_EVAL_MAX_THREADS 256

/* One thread's evaluation buffers. */
typedef struct map_eval_scratch {
    double *s;                 /* MAP_BLOCK scores, then weights */
    double *r;                 /* pmax × MAP_BLOCK: the stat columns of a block, one array each
                                  (centred at the block mean in place for the cross-products) */
    double *blk_mean, *blk_m2; /* pmax, pcov²: a block's partial */
    double *grp_mean, *grp_m2; /* pmax, pcov²: one group's partial (pcov = pmax for the
                                  caller's set, slots_pcov for the workers') */
} map_eval_scratch;

/* A chunk's result: its partial (global), or per prompt the sums over its
 * groups of Λ_g (logz), μ_g (part.mean), Σ_g (part.m2), Σ_j w_j² / w² (w2)
 * and the largest 1 / w (wmax). */
typedef struct map_eval_slot {
    map_partial part;
    double logz, w2, wmax;
} map_eval_slot;

struct map_eval_pool;

/* Stops and joins the pool's workers and frees it; NULL is a no-op. */
void map_eval_pool_free(struct map_eval_pool *pool);

/* y[j] = exp(x[j]) for x[j] ≤ 0 (the kernel the pass uses; for tests). */
void map_exp_neg_array(const double *x, double *y, size_t n);

/* The margin LP stops when its certified bounds are this close (relative to
 * max(1, |v*|)); margins within it of zero are zero to the data's rounding. */
#define MAP_MARGIN_RESOLUTION 1e-12

/* The k value columns of a matrix as doubles, one column after another (n
 * rows each, then zeros up to ld, a multiple of 8): what the passes of
 * a sweep read instead of gathering the columns out of each row, since its
 * values are the same for every palette. Widening a float is exact, so a
 * pass over the pack gives the bits of a pass over the matrix. */
typedef struct map_colpack {
    const void *src; /* the X->x or X->xf it was packed from */
    size_t n, ld, k;
    size_t cols[MAP_MAX_K];
    double *x; /* k · ld doubles */
} map_colpack;

/* At most this many bytes are packed (n · k · 8): above it a sweep reads
 * the matrix itself (a pass over that much data is bound by memory anyway,
 * and the copy would cost as much memory as a matrix of k columns). */
#define MAP_COLPACK_MAX_BYTES ((size_t)64 << 20)

/* The pack of columns cols[0 .. k−1] of X, or NULL when X is empty, the pack
 * would exceed MAP_COLPACK_MAX_BYTES or memory is short (the caller then
 * goes on without one). Free with map_colpack_free (NULL is a no-op). */
map_colpack *map_colpack_new(const map_matrix *X, size_t k, const size_t *cols);
void map_colpack_free(map_colpack *pk);

/* Lets ws's global passes whose scored and summarised columns are exactly
 * pk's (in order) read pk instead of X (borrowed: pk must outlive its use;
 * NULL: none). Results are the same bits either way. */
void map_solver_ws_set_colpack(map_solver_ws *ws, const map_colpack *pk);

struct map_solver_ws {
    size_t kmax, pmax;
    const map_colpack *pack; /* borrowed; NULL: passes read the matrix */
    /* evaluation: threads scratch sets (scr[0] the caller's), one chunk
     * slot for the inline path, MAP_EVAL_MAX_CHUNKS slots when threads > 1,
     * and the pool, started on the first pass that has work for it */
    unsigned threads;
    map_eval_scratch *scr;
    map_eval_slot *slot1;
    map_eval_slot *slots;
    size_t slots_pcov; /* slots hold covariances of up to this many columns */
    struct map_eval_pool *pool;
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

/* The rewards of the k palette values of sample j, as doubles (of either
 * element type of pb->data), into out[0 .. pb->k − 1]: out[i] = r_j,cols[i]. */
static inline void map_row_cols(const map_problem *pb, size_t j, double *out)
{
    const size_t at = j * pb->data.ld;
    if (pb->data.xf)
        for (size_t i = 0; i < pb->k; i++)
            out[i] = (double)pb->data.xf[at + pb->cols[i]];
    else
        for (size_t i = 0; i < pb->k; i++)
            out[i] = pb->data.x[at + pb->cols[i]];
}

/* Options of map_newton_run beyond map_solver_params (NULL: none). */
typedef struct map_newton_opts {
    int budget;            /* iterations at most (≤ par->max_iter); 0: par->max_iter */
    int watch_certificate; /* test λ as a certificate of infeasibility when Λ_c < −cert_bound */
    double cert_bound;     /* the average over groups of log n_g (log n globally) */
} map_newton_opts;

/* What map_newton_run saw beyond map_solution. */
typedef struct map_newton_out {
    int certificate;             /* λ normalised is a verified certificate: in direction, cert_gap */
    int stalled;                 /* the line search failed before the KKT test passed */
    double last_step;            /* max_i |Δλ_i|·scale_i of the last accepted step (or of the
                                    Newton step found negligible at the end) */
    double tight_rcond;          /* reciprocal condition of the scaled Σ on the constraints met
                                    within tolerance; ≤ 0 when it had to be regularised */
    double direction[MAP_MAX_K]; /* the certificate (normalised as map_result's direction) */
    double cert_gap;
} map_newton_out;

/* map_solve with options: stops early at a verified certificate (out->
 * certificate; sol->status then NOT_CONVERGED and λ the iterate) or at the
 * budget. opt and out may be NULL (map_solve itself). */
int map_newton_run(const map_problem *pb, const map_solver_params *par, const double *init,
                   const map_newton_opts *opt, map_solver_ws *ws, double *lambda, double *mu,
                   map_solution *sol, map_newton_out *out, map_error *err);

/* The tilted covariance Σ(λ) (k×k, row-major) at the λ that the last
 * map_solve / map_newton_run on ws returned; valid until ws is used again.
 * map_solve_palette leaves it there for an optimal result. */
static inline const double *map_solver_ws_final_cov(const map_solver_ws *ws) { return ws->cur_m2; }

/* map_margin under per-prompt normalisation (pb->groups with K > 1): the
 * same outputs (*margin; direction, may be NULL, normalised as in
 * map_result) from bounds certified in our arithmetic, by cutting planes over
 * d alone (map_margin_prompt.c). One pass over the data per round, plus one
 * that packs the rows of the prompts of two or more samples (n·k doubles,
 * allocated per call and freed). *rounds (may be NULL) receives the rounds
 * used. MAP_OK, or MAP_ENOMEM when memory or GLPK fails. */
int map_margin_prompt(const map_problem *pb, const map_feas_params *fp, double *margin,
                      double *direction, int *rounds, map_error *err);

/* The margin and direction that map_margin and map_margin_prompt report from
 * their certified bounds: the upper bound (f at dbest), or the midpoint when
 * the bounds did not meet to MAP_MARGIN_RESOLUTION, never below a positive
 * lower bound; direction (may be NULL) is dbest (sd-scaled, on the simplex)
 * in the values' own units, normalised to max_i d_i·scale_i = 1. */
void map_margin_report(const map_problem *pb, double upper, double lower, const double *dbest,
                       double *margin, double *direction);

/* fp, or the documented defaults written to *store when fp is NULL. */
static inline const map_feas_params *map_feas_or_default(const map_feas_params *fp,
                                                         map_feas_params *store)
{
    if (fp)
        return fp;
    map_feas_params_default(store);
    return store;
}

/* par, or the documented defaults written to *store when par is NULL. */
static inline const map_solver_params *map_par_or_default(const map_solver_params *par,
                                                         map_solver_params *store)
{
    if (par)
        return par;
    map_solver_params_default(store);
    return store;
}

/* map_problem_check, then that ws holds pb's k values (MAP_ENOMEM if not). */
static inline int map_problem_check_ws(const map_problem *pb, const map_solver_ws *ws, map_error *err)
{
    const int rc = map_problem_check(pb, err);
    if (rc)
        return rc;
    if (pb->k > ws->kmax)
        return map_error_set(err, MAP_ENOMEM, "solver workspace holds %zu values, problem has %zu",
                             ws->kmax, pb->k);
    return MAP_OK;
}

/* d (k entries, as an LP solver returned them) onto the simplex the way the
 * cutting-plane loops use it: negatives (the solver's rounding) to 0, then
 * scaled to sum 1; the centre 1/k when nothing is left. */
static inline void map_simplex_normalise(double *d, size_t k)
{
    double dsum = 0.0;
    for (size_t i = 0; i < k; i++) {
        d[i] = fmax(0.0, d[i]);
        dsum += d[i];
    }
    for (size_t i = 0; i < k; i++)
        d[i] = dsum > 0.0 ? d[i] / dsum : 1.0 / (double)k;
}

#endif
