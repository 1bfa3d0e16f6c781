/* map_methods.h — the MAP dual through other algorithms, for cross-checking
 * the projected-Newton solver (MATH.md §1-6): NLopt's bound-constrained
 * L-BFGS (LD_LBFGS) and MMA (LD_MMA) on f(λ) = Λ(λ) − λᵀc over λ ≥ 0, with
 * the gradient μ(λ) − c from the solver's own one-pass evaluation. The
 * feasibility verdict comes first, exactly as in map_solve_palette; an
 * optimal status is claimed only when the KKT test passes at the returned λ.
 */
#ifndef MAP_METHODS_H
#define MAP_METHODS_H

#include "map_solver.h"

typedef enum map_method {
    MAP_METHOD_NEWTON = 0, /* projected Newton (map_solve_palette): the default, the fastest */
    MAP_METHOD_LBFGS = 1,  /* NLopt LD_LBFGS */
    MAP_METHOD_MMA = 2     /* NLopt LD_MMA */
} map_method;

/* "newton", "lbfgs", "mma". */
const char *map_method_name(map_method m);

/* Parses a method name; 0 on success, −1 otherwise (*m unchanged). */
int map_method_parse(const char *text, map_method *m);

/* The KKT tolerance of the NLopt methods, relative to each value's scale
 * (plus the rounding floor of map_solver_params): their answers are optimal
 * when max_i |pg_i| ≤ MAP_METHOD_KKT_TOL·scale_i + 1e3·ε·absmax_i. First-order
 * methods do not reach Newton's 1e-10 reliably (MMA stalls near 1e-8 on the
 * real datasets); they are asked for 1e-2 of this and stopped there, and
 * the evaluated λ with the smallest KKT measure is returned. A larger
 * par->tol is honoured. */
#define MAP_METHOD_KKT_TOL 1e-7

/* Solves pb's palette with a verdict like map_solve_palette, by `method`.
 * MAP_METHOD_NEWTON is map_solve_palette itself. For LBFGS and MMA: the
 * quick exit d = e_i, the margin LP and the certificate check as in
 * map_solve_palette; for a strictly attainable palette NLopt from init (k
 * entries projected onto λ ≥ 0; NULL: λ = 0), stopping when the KKT test
 * passes at 1e-2·MAP_METHOD_KKT_TOL (checked at every evaluation: NLopt is
 * then forced to stop), when 200 evaluations in a row did not cut the
 * smallest KKT measure by 10%, after
 * par->max_iter·100 evaluations, or when NLopt reports that rounding limits
 * progress (its f and x tolerances are off: they stop MMA far too early).
 * res->diag is computed afresh at the returned λ (KL, ESS, largest weight,
 * KKT, gap, violation, condition of the scaled free-set Hessian);
 * diag.iterations and diag.evaluations are the number of evaluations.
 * status is optimal only if the KKT test passes at that λ, else
 * not_converged. Returns MAP_OK when a verdict was reached, MAP_EDATA for
 * an invalid problem, MAP_ENOMEM (workspace too small, NLopt could not
 * allocate or failed outright). Allocates an NLopt
 * object per call. */
int map_solve_palette_method(const map_problem *pb, map_method method, const map_solver_params *par,
                             const map_feas_params *fp, const double *init, map_solver_ws *ws,
                             map_result *res, map_error *err);

/* The diagnostics of a λ ≥ 0 (k entries) on pb, as the Newton solver
 * reports them at its answer: logz, dual, KL, ESS, largest weight, KKT
 * residual, gap, violation, condition and free-set size; status is
 * MAP_SOLVE_OPTIMAL when the KKT test passes with tolerance tol (relative
 * to scale, plus the rounding floor), else MAP_SOLVE_NOT_CONVERGED. Writes
 * the levels μ(λ) to mu (k entries). One pass over the data. */
int map_diagnose(const map_problem *pb, const double *lambda, double tol, map_solver_ws *ws,
                 double *mu, map_solution *sol);

#endif
