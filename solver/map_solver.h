/* map_solver.h — the MAP dual and its projected-Newton solver.
 *
 * Problem (MATH.md §1): given n reward samples r_j (rows of a matrix) and a
 * palette c on k chosen columns, find λ ≥ 0 maximising the concave dual
 *     g(λ) = λᵀc − Λ(λ),   Λ(λ) = log((1/n) Σ_j exp(λᵀ r_j)).
 * We minimise f = −g. Everything here works on an in-memory matrix that the
 * caller owns and the solver only reads; it knows nothing of storage.
 *
 * Reentrancy: no globals. All scratch memory lives in a caller-owned
 * workspace (map_solver_ws) sized once for the largest k; hot loops do not
 * allocate. One workspace must not be used by two threads at once.
 */
#ifndef MAP_SOLVER_H
#define MAP_SOLVER_H

#include <stddef.h>
#include "map_common.h"
#include "map_dataset.h"

/* ---- One-pass evaluation: mergeable partial statistics ------------------
 *
 * For scores s_j = λᵀ r_j[cols] over a set of rows, a partial holds
 *     smax  = max_j s_j                         (running maximum)
 *     wsum  = Σ_j exp(s_j − smax)               (scaled sum)
 *     w2sum = Σ_j exp(2 (s_j − smax))           (for the effective sample size)
 *     mean  = Σ_j e_j r_j / wsum                (tilted mean of the stat columns)
 *     m2    = Σ_j e_j (r_j − mean)(r_j − mean)ᵀ (scaled centred cross-products)
 * where e_j = exp(s_j − smax). Partials over disjoint row sets combine
 * exactly (up to rounding) with map_partial_merge, in any fixed order, so
 * threads or ranks can each reduce a slice and merge the results. From a
 * partial over all n rows: Λ = smax + log(wsum/n), μ = mean, Σ = m2/wsum,
 * ESS = wsum² / w2sum, largest weight = 1 / wsum.
 */
typedef struct map_partial {
    size_t p;       /* number of stat columns */
    int want_cov;   /* whether m2 is accumulated */
    double count;   /* rows seen */
    double smax;    /* −inf when empty */
    double wsum, w2sum;
    double *mean;   /* p entries (borrowed storage) */
    double *m2;     /* p*p entries, row-major, full symmetric (borrowed storage); NULL if !want_cov */
} map_partial;

/* Sets *a to the empty partial; storage (mean, m2) must already be attached. */
void map_partial_reset(map_partial *a);

/* a ← a ⊕ b (Chan et al.'s pairwise update with rescaling to the larger
 * maximum). a and b must have the same p and want_cov. */
void map_partial_merge(map_partial *a, const map_partial *b);

/* ---- Problem, parameters, results ------------------------------------- */

typedef struct map_problem {
    map_matrix data;         /* all samples, all values (borrowed) */
    size_t k;                /* number of constrained values, 1..MAP_MAX_K */
    const size_t *cols;      /* k distinct column indices into data */
    const double *target;    /* k targets c_i */
    const double *scale;     /* k positive scales (sd under p0) for the KKT test */
    const double *absmax;    /* k max |r_ji|, for the rounding floor; may be NULL */
    const struct map_groups *groups; /* NULL: global normalisation (MATH.md §1); else
                                        per-prompt normalisation over these groups (§9) */
} map_problem;

/* Rows grouped by prompt for per-prompt normalisation (MATH.md §9): group g
 * holds rows order[start[g]] … order[start[g+1] − 1]; every group is
 * non-empty and every row is in exactly one group. Borrowed by the solver.
 * With groups, Λ is the average of the groups' log-partitions, μ and Σ the
 * averages of the groups' tilted means and covariances, the attainable set
 * the average of the groups' convex hulls, and ESS / largest weight refer
 * to the mixture q_j = w_j / K. */
typedef struct map_groups {
    size_t ngroups;      /* K ≥ 1 */
    const size_t *start; /* K + 1 offsets into order, start[0] = 0, start[K] = n */
    const size_t *order; /* n row indices */
} map_groups;

/* Scores are formed as λᵀ(r_j − c) (centred at the targets), so that large
 * offsets in the rewards cost no precision: g(λ) = −log((1/n) Σ exp(λᵀ(r_j − c))). */

#define MAP_MAX_K 64

typedef struct map_solver_params {
    double tol;          /* KKT tolerance relative to each value's scale; default 1e-10 */
    int max_iter;        /* Newton iterations; default 100 */
    double armijo_sigma; /* sufficient-decrease constant; default 1e-4 */
    double armijo_beta;  /* backtracking factor; default 0.5 */
    int max_backtrack;   /* per iteration; default 60 */
    double eps_active;   /* upper bound of the ε-active threshold; default 1e-3 (in units of λ_i·scale_i) */
} map_solver_params;

/* Fills *p with the documented defaults above. */
void map_solver_params_default(map_solver_params *p);

typedef enum map_solve_status {
    MAP_SOLVE_OPTIMAL = 0,       /* KKT test passed: λ ≥ 0, μ ≥ c − tol, complementarity */
    MAP_SOLVE_NOT_CONVERGED = 1, /* iteration limit reached */
    MAP_SOLVE_STALLED = 2,       /* line search could not make progress above rounding */
    MAP_SOLVE_INFEASIBLE = 3,    /* set by the feasibility layer: certificate found */
    MAP_SOLVE_BOUNDARY = 4       /* set by the feasibility layer: attainable only in the limit */
} map_solve_status;

/* Stable lower-case names: "optimal", "not_converged", "stalled", "infeasible", "boundary". */
const char *map_solve_status_name(map_solve_status s);

typedef struct map_solution {
    map_solve_status status;
    int iterations;     /* Newton iterations taken */
    int evaluations;    /* passes over the data */
    double dual;        /* g(λ) */
    double logz;        /* Λ(λ) */
    double kl;          /* KL(q_λ || p0) = λᵀμ − Λ, nats */
    double ess;         /* Kish effective sample size */
    double max_weight;  /* largest w_j */
    double kkt;         /* max_i |pg_i| / scale_i */
    double gap;         /* duality gap λᵀ(μ − c) (absolute) */
    double violation;   /* max_i (c_i − μ_i)⁺ / scale_i */
    double cond;        /* condition estimate (GSL, 1-norm) of D⁻¹Σ_FF D⁻¹, D = diag(scale), at λ (1 if F empty) */
    size_t nfree;       /* size of the free set at the end */
} map_solution;

/* ---- Workspace ---------------------------------------------------------- */

typedef struct map_solver_ws map_solver_ws;

/* Process-wide set-up of the solver library, done once whatever the number
 * of calls and threads (pthread_once): GSL's default error handler, which
 * aborts the process, is turned off, so that GSL's failures come back as the
 * library's status codes. map_solver_ws_new and every other entry point that
 * reaches GSL call it; a program may call it first itself. Never fails. */
void map_solver_init(void);

/* Allocates a workspace for problems with up to kmax constrained values and
 * up to pmax stat columns in map_levels (pmax ≥ kmax is enforced). NULL on
 * out-of-memory. Free with map_solver_ws_free (NULL is a no-op). */
map_solver_ws *map_solver_ws_new(size_t kmax, size_t pmax);

/* Lets every pass over the data that uses ws run on up to threads threads
 * (the caller's plus threads − 1 workers; 0 means one per online CPU; at
 * most 256). A new workspace is single-threaded, which suits callers that
 * already run one workspace per thread. The workers are started on the
 * first pass big enough to share (more than one chunk of 65,536 rows, or
 * per prompt of groups holding about as many) and stopped by
 * map_solver_ws_free or the next call here; smaller passes run inline.
 * Results are bit-identical for any thread count: rows are reduced in fixed
 * chunks merged in a fixed order. Allocates the per-thread buffers here;
 * returns MAP_OK, or MAP_ENOMEM with the workspace unchanged. */
int map_solver_ws_set_threads(map_solver_ws *ws, unsigned threads);

/* Stops the workspace's threads, if any, and frees it; NULL is a no-op. */
void map_solver_ws_free(map_solver_ws *ws);

/* Frees the calling thread's linear-programming state (GLPK keeps one
 * environment per thread, created by the first feasibility LP the thread
 * solves). A thread that is not the solver's own (a server's request
 * thread) calls it before it ends; calling it without such state is a
 * no-op. (Defined in map_feasible.c, as map_lp_thread_done.) */
void map_lp_thread_done(void);

/* ---- Entry points ------------------------------------------------------- */

/* Validates a problem: k in 1..MAP_MAX_K, distinct columns in range, finite
 * targets, positive finite scales, n ≥ 1. MAP_EDATA with a message. */
int map_problem_check(const map_problem *pb, map_error *err);

/* Solves pb by projected Newton (MATH.md §4) from init (k entries, projected
 * onto λ ≥ 0; NULL means λ = 0). Writes λ (k entries) and the realised levels
 * μ(λ) of the k constrained values (k entries), and fills *sol. Returns MAP_OK
 * whenever the computation ran (sol->status tells the outcome), MAP_EDATA for
 * an invalid problem, MAP_ENOMEM if the workspace is too small. */
int map_solve(const map_problem *pb, const map_solver_params *par, const double *init,
              map_solver_ws *ws, double *lambda, double *mu, map_solution *sol, map_error *err);

/* Evaluates at λ (k entries on pb->cols): Λ, μ (k), and optionally Σ (k*k,
 * row-major, may be NULL), ESS and the largest weight (either may be NULL).
 * One pass. */
int map_evaluate(const map_problem *pb, const double *lambda, map_solver_ws *ws,
                 double *logz, double *mu, double *sigma, double *ess, double *max_weight);

/* Realised levels of p arbitrary columns (stat_cols) under the tilt q_λ
 * defined by pb->cols and λ. One pass, no covariance. */
int map_levels(const map_problem *pb, const double *lambda, size_t p, const size_t *stat_cols,
               map_solver_ws *ws, double *levels, map_error *err);

/* ---- Palette solve with a feasibility verdict (MATH.md §6) --------------
 *
 * map_solve_palette is the entry point commands use (MATH.md §12). By
 * default it runs projected Newton first (every target at or below its
 * reference mean: λ = 0 after one pass). Convergence with the KKT test
 * passed and a settled last step is the verdict "optimal"; no LP is solved
 * and margin is NAN. On an unattainable palette Λ_c(λ) soon falls below the
 * average log group size, and λ itself, verified in one pass, is the
 * certificate (d = e_i instead when a target is above a value's maximum).
 * Anything else within a small iteration budget (boundary palettes, stalls)
 * falls back to the exact scaled margin v* by linear programming
 * (map_palette_verdict), then Newton continues when v* > 0; the margin of
 * that LP is reported. With fp->want_margin the LP verdict comes first and
 * the margin is always computed (the verdict and certificate are then
 * exactly map_palette_verdict's). Every verdict comes with evidence that
 * has been checked against the data:
 *   optimal     finite λ passing the KKT test (diag.kkt, diag.violation);
 *   infeasible  a certificate d ≥ 0 with dᵀc − max_j dᵀr_j = cert_gap > 0;
 *   boundary    |v*| within the boundary tolerance: attainable only in the
 *               limit; direction holds the face normal (values driving it).
 */
typedef struct map_result {
    map_solve_status status;
    size_t k;
    double lambda[MAP_MAX_K];    /* λ (optimal; best iterate otherwise) */
    double level[MAP_MAX_K];     /* realised levels μ_i(λ) of the constrained values */
    double margin;               /* v*, the scaled margin; NAN if not computed */
    int has_direction;           /* direction[] is meaningful */
    double direction[MAP_MAX_K]; /* infeasible: certificate d ≥ 0 in the values' own units,
                                    normalised to max_i d_i·scale_i = 1; boundary: the face normal */
    double cert_gap;             /* infeasible: dᵀc − max_j dᵀr_j (> 0, verified) */
    map_solution diag;           /* diagnostics at the returned λ */
} map_result;

typedef struct map_feas_params {
    double boundary_tol; /* |v*| ≤ boundary_tol is the boundary; default 1e-9 */
    int lp_max_rounds;   /* cutting-plane rounds of the margin LP; default 200 */
    int want_margin;     /* map_solve_palette: compute v* (and decide by it first, so that the
                            verdict and certificate are map_palette_verdict's); default 0 */
} map_feas_params;

void map_feas_params_default(map_feas_params *p);

/* Computes the scaled margin v* of pb's palette exactly (to rounding) by a
 * cutting-plane LP over the samples (globally: rows of the LP are samples),
 * or, under per-prompt normalisation with K > 1 prompts, by cutting planes
 * over d alone (an LP in k + 1 columns, one row per cut). On return *margin = v*, and direction
 * (k entries, may be NULL) the minimising d of the dual form, in the values'
 * own units (d_i / scale_i normalised as in map_result). One or more passes
 * over the data; allocates LP storage (not in the evaluation loop). */
int map_margin(const map_problem *pb, const map_feas_params *fp, double *margin, double *direction,
               map_error *err);

/* Verifies a certificate independently of how it was found: one pass computes
 * gap = dᵀc − max_j dᵀr_j. Returns 1 if d ≥ 0, d ≠ 0 and gap > 0. */
int map_certificate_check(const map_problem *pb, const double *d, double *gap);

/* The verdict alone (the first half of map_solve_palette): quick exit,
 * margin, certificate. When the palette is infeasible or on the boundary,
 * res is filled as map_solve_palette fills it and *attainable = 0; when it is
 * strictly attainable, *attainable = 1 and res carries the margin (λ not
 * computed). fp may be NULL. */
int map_palette_verdict(const map_problem *pb, const map_feas_params *fp, map_result *res,
                        int *attainable, map_error *err);

/* Solves pb's palette with a verdict; see above. fp may be NULL (defaults). */
int map_solve_palette(const map_problem *pb, const map_solver_params *par, const map_feas_params *fp,
                      const double *init, map_solver_ws *ws, map_result *res, map_error *err);

/* ---- Palette adjustment (MATH.md §7) -------------------------------------
 *
 * Both adjustments use the exact verdict: attainable iff v* ≥ 0 (the
 * attainable set is closed, so the boundary counts as attainable). Their
 * results lie on the boundary for an unattainable palette; callers that need
 * a finite λ step inside with map_palette_inset.
 */

/* Ray adjustment: the largest ρ in [0, 1] with c0 + ρ(c − c0) attainable,
 * c = pb->target, c0 the reference means (k entries). An attainable palette
 * gives ρ = 1. Bisection on the sign of v* to |Δρ| ≤ rho_tol (default 1e-12
 * when ≤ 0). MAP_EDATA if c0 itself is not attainable. */
int map_adjust_ray(const map_problem *pb, const double *c0, const map_feas_params *fp, double rho_tol,
                   double *rho, map_error *err);

/* Greedy adjustment in priority order (order: k distinct indices into the
 * palette): for each value in turn, its target becomes the largest t ≤ c_i
 * that is attainable together with the targets already fixed, the values
 * not yet reached being unconstrained. Writes the adjusted palette to
 * adjusted (k entries); attainable palettes come back unchanged. */
int map_adjust_greedy(const map_problem *pb, const size_t *order, const map_feas_params *fp,
                      double tol, double *adjusted, map_error *err);

/* Steps a palette on or outside the boundary back toward c0:
 * out = c0 + (1 − inset)(c − c0), inset in [0, 1). */
void map_palette_inset(size_t k, const double *c, const double *c0, double inset, double *out);

#endif
