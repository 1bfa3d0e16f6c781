/* map_frontier.h — Pareto frontiers and feasibility regions (MATH.md §8).
 *
 * Three tables along tilts λ = t·u, u ≥ 0 a direction on the chosen values:
 *   budget frontier  for directions spread over the simplex, the t with
 *                    KL(t·u) = ε and the point μ(t·u) (map_frontier_budget);
 *   direction curve  for one u, points with KL evenly spaced in [0, kl_max]
 *                    (map_frontier_curve);
 *   limit ε → ∞      the face of the samples' hull maximising uᵀr
 *                    (map_frontier_budget with ε = +inf; for two values the
 *                    hull's vertices themselves with map_upper_hull, in
 *                    map_hull.h).
 * And one table of the attainable set itself: from a base palette c0, the
 * furthest attainable point along directions around it (map_region, in
 * map_region.h), exact through the certified margin v* of map_margin.
 * This header includes map_hull.h and map_region.h, so that it alone gives
 * every declaration of the three.
 *
 * Along a ray (MATH.md §5), with d_j = uᵀr_j − max_l uᵀr_l ≤ 0,
 *     KL(t) = KL(q_{t·u} || p0) = t·E_q[d] − log((1/n) Σ_j exp(t·d_j)),
 *     dKL/dt = t·Var_q(d) = t·uᵀΣ(t·u)u,
 * so KL rises monotonically from 0 to its supremum
 *     KL_sup(u) = log(n / F),   F = #{j : uᵀr_j = max_l uᵀr_l}
 * as the tilt concentrates, uniformly, on the samples of the maximising face.
 * Ties are decided with a tolerance relative to the scale of the scores:
 * uᵀr_j ≥ max − tie_rtol·(|max| + (max − min)). A budget ε ≥ KL_sup(u) is
 * not reached by any finite t; it is reported as such (MAP_RAY_SATURATED
 * with the limit point), never clipped silently.
 *
 * Problems: these functions take a map_problem whose data, k, cols, scale and
 * absmax are read as in map_solve; its target is ignored (may be NULL).
 * scale is needed where a function says so (standardised directions; the
 * region's margin, map_region.h); elsewhere it may be NULL.
 *
 * Reentrancy: no globals. Scratch lives in a caller-owned map_frontier_ws,
 * allocated once for (n, kmax, pmax); per-point loops do not allocate. Rows
 * go to a caller's callback one at a time, so a caller can stream them; the
 * callback's return value stops the run (see map_frontier_emit).
 */
#ifndef MAP_FRONTIER_H
#define MAP_FRONTIER_H

#include <stddef.h>

#include "map_common.h"
#include "map_dataset.h"
#include "map_hull.h"
#include "map_region.h"
#include "map_solver.h"

/* ---- Parameters --------------------------------------------------------- */

typedef struct map_frontier_params {
    double kl_rtol;  /* stop when |KL − ε| ≤ kl_rtol·ε; default 1e-12 */
    int max_iter;    /* root-finding steps per point (Newton, bisection or
                        doubling, one pass over the cached scores each);
                        default 200 */
    double tie_rtol; /* face tolerance relative to |max| + spread of the
                        scores uᵀr_j; default 1e-12 */
    int standardise; /* 1: directions on the simplex are taken in standardised
                        units, u_i ∝ w_i / scale_i (needs pb->scale), so that
                        the points spread evenly whatever the values' units;
                        0: u = w as in MATH.md §8. Default 1. */
} map_frontier_params;

/* Fills *p with the defaults above. */
void map_frontier_params_default(map_frontier_params *p);

/* ---- Workspace ---------------------------------------------------------- */

typedef struct map_frontier_ws map_frontier_ws;

/* Allocates a workspace for datasets of up to nmax samples, problems of up to
 * kmax values (1..MAP_MAX_K) and up to pmax level columns (pmax ≥ kmax is
 * enforced): one score per sample plus a map_solver_ws. NULL on
 * out-of-memory, nmax = 0 or kmax out of range. Free with
 * map_frontier_ws_free (NULL is a no-op). */
map_frontier_ws *map_frontier_ws_new(size_t nmax, size_t kmax, size_t pmax);
void map_frontier_ws_free(map_frontier_ws *ws);

/* ---- One ray ------------------------------------------------------------ */

typedef enum map_ray_status {
    MAP_RAY_CONVERGED = 0, /* |KL − ε| ≤ kl_rtol·ε */
    MAP_RAY_ROUNDING = 1,  /* t bracketed to a few ulps before the KL test
                              passed; kl is what that t gives */
    MAP_RAY_MAX_ITER = 2,  /* iteration limit; t is the last iterate */
    MAP_RAY_SATURATED = 3  /* ε ≥ KL_sup(u): no finite t; the point is the
                              limit t → ∞, uniform on the maximising face */
} map_ray_status;

/* Stable lower-case names: "converged", "rounding", "max_iter", "saturated". */
const char *map_ray_status_name(map_ray_status s);

typedef struct map_ray_point {
    map_ray_status status;
    double budget;     /* the KL asked for, ε (nats; +inf for the limit) */
    double t;          /* λ = t·u; +inf when saturated */
    double kl;         /* KL(q_{t·u} || p0) reached, nats (= kl_sup when saturated) */
    double kl_sup;     /* KL_sup(u) = log(n / face) */
    size_t face;       /* samples on the face maximising uᵀr */
    double ess;        /* Kish effective sample size of the tilt (face when saturated) */
    double max_weight; /* largest single weight (1/face when saturated) */
    int passes;        /* evaluations of KL(t) (passes over the cached scores) */
} map_ray_point;

/* KL_sup(u) = log(n / face) and the face size for a direction u (k entries,
 * finite, ≥ 0, not all zero) on pb->cols; tie_rtol ≤ 0 means the default.
 * Two passes over the data; allocates nothing. MAP_EDATA for an invalid
 * problem or direction. */
int map_kl_sup(const map_problem *pb, const double *u, double tie_rtol, double *kl_sup, size_t *face,
               map_error *err);

/* The t ≥ 0 with KL(t·u) = eps (u as given, not normalised), by safeguarded
 * Newton on t (bracket by doubling, bisection when a Newton step leaves the
 * bracket or does not halve the residual), started from the small-budget
 * estimate t ≈ √(2ε)/sd(uᵀr). Fills *pt (par may be NULL: defaults; scale is
 * not needed). One pass over the data caches the scores, then each
 * evaluation is one pass over them.
 * Returns MAP_OK (pt->status converged, rounding or max_iter);
 * MAP_NOT_ATTAINED with a message when eps ≥ KL_sup(u): pt->status is
 * saturated and pt carries the limit (t = +inf, kl = kl_sup); MAP_EDATA for
 * eps < 0 or NaN, an invalid problem or direction; MAP_ENOMEM when ws is
 * too small. eps = 0 gives t = 0. */
int map_kl_budget_t(const map_problem *pb, const double *u, double eps, const map_frontier_params *par,
                    map_frontier_ws *ws, map_ray_point *pt, map_error *err);

/* ---- Frontier tables ------------------------------------------------------ */

/* One row of a frontier table. Arrays hold k entries (the chosen values in
 * pb->cols order); levels holds p entries. */
typedef struct map_frontier_row {
    size_t index;               /* 0-based position in the table */
    size_t k;
    double weight[MAP_MAX_K];   /* grid point on the simplex (Σ = 1), as generated */
    double u[MAP_MAX_K];        /* direction of λ actually used (Σ = 1): weight, or
                                   weight_i/scale_i renormalised when standardised */
    double lambda[MAP_MAX_K];   /* λ = t·u; at the limit +inf where u_i > 0, 0 elsewhere */
    map_ray_point ray;          /* t, KL, ESS, status */
    size_t p;                   /* number of level columns */
    const double *levels;       /* realised levels E_q[r] of the level columns (borrowed
                                   from the workspace: valid during the callback only) */
} map_frontier_row;

/* Receives each row in order. A non-zero return stops the run at once and is
 * returned unchanged by the table function (which then leaves err alone), so
 * a caller can report its own failure (e.g. MAP_ENOMEM for a write error). */
typedef int (*map_frontier_emit)(void *ctx, const map_frontier_row *row);

/* The simplex grid used for k values and about npoints directions: the
 * resolution h ≥ 1 whose C(h+k−1, k−1) points are closest to npoints (ties:
 * the smaller h). Returns that count (h+1 for k = 2, i.e. npoints, at least 2)
 * and sets *h if h is non-NULL; 0 for k < 2 or npoints = 0. The grid is
 * {a/h : a ∈ N^k, Σa = h}, visited with a_1 decreasing (lexicographically
 * descending), so for k = 2 from (1, 0) to (0, 1). */
size_t map_simplex_grid_size(size_t k, size_t npoints, size_t *h);

/* Budget frontier (k ≥ 2): for each direction of the simplex grid
 * (map_simplex_grid_size), the point of KL budget eps: t with KL(t·u) = eps,
 * λ = t·u, the realised levels of the p columns level_cols (NULL: all m
 * columns of the dataset, p ignored), KL and ESS. Directions whose KL_sup is
 * at most eps are saturated rows carrying the limit point (the mean of the
 * face's samples: the best that any distribution on the samples reaches
 * along u; its KL, kl_sup, is below the budget). eps = +inf gives the limit
 * for every direction (the ε → ∞ frontier). Consecutive directions
 * warm-start each other. Needs pb->scale when par->standardise.
 * Returns MAP_OK, MAP_EDATA (invalid problem, eps < 0 or NaN, npoints = 0,
 * k < 2, a level column out of range), MAP_ENOMEM (ws too small), or the
 * callback's non-zero return. */
int map_frontier_budget(const map_problem *pb, double eps, size_t npoints, size_t p,
                        const size_t *level_cols, const map_frontier_params *par, map_frontier_ws *ws,
                        map_frontier_emit emit, void *ctx, map_error *err);

/* Direction curve: for one direction u (k entries, ≥ 0, not all zero; used
 * as given, normalised to Σ = 1, par->standardise does not apply), npoints
 * ≥ 2 points with budgets KL_i = kl_max·i/(npoints − 1), i = 0..npoints−1.
 * kl_max ≤ 0 or NaN means 0.9·KL_sup(u). Budgets at or above KL_sup(u) (only
 * when kl_max is given that high) are saturated rows, as in the frontier;
 * every row has weight = u. Returns as map_frontier_budget. */
int map_frontier_curve(const map_problem *pb, const double *u, double kl_max, size_t npoints, size_t p,
                       const size_t *level_cols, const map_frontier_params *par, map_frontier_ws *ws,
                       map_frontier_emit emit, void *ctx, map_error *err);

#endif
