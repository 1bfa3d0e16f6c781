/* map_methods.c — NLopt glue: the MAP dual by bound-constrained L-BFGS and
 * MMA, for cross-checking projected Newton (map_methods.h). The only solver
 * file that touches NLopt. */
#include "map_methods.h"
#include "map_names.h"

#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <nlopt.h>
#include <string.h>

#include "map_solver_internal.h"

static const map_enum_entry method_names[] = {
    {"newton", MAP_METHOD_NEWTON}, {"lbfgs", MAP_METHOD_LBFGS}, {"mma", MAP_METHOD_MMA}};

MAP_ENUM_FUNCS(map_method, map_method, method_names, "unknown")

/* Per-value KKT threshold: tol·scale_i plus the rounding floor of the
 * accumulated means (as the Newton solver's). */
static double threshold(const map_problem *pb, double tol, size_t i)
{
    const double floor_i = pb->absmax ? 1e3 * DBL_EPSILON * pb->absmax[i] : 0.0;
    return tol * pb->scale[i] + floor_i;
}

/* max_i |pg_i| / scale_i at λ with levels mu; *pass when every |pg_i| is
 * within its threshold. */
static double kkt_of(const map_problem *pb, double tol, const double *lambda, const double *mu,
                     int *pass)
{
    double worst = 0.0;
    *pass = 1;
    for (size_t i = 0; i < pb->k; i++) {
        const double g = mu[i] - pb->target[i];
        const double pg = lambda[i] > 0.0 ? g : fmin(0.0, g);
        if (!(fabs(pg) <= threshold(pb, tol, i)))
            *pass = 0;
        worst = fmax(worst, fabs(pg) / pb->scale[i]);
    }
    return worst;
}

/* Condition estimate (1-norm, GSL) of D⁻¹Σ_FF D⁻¹ on the free set F = {λ_i > 0
 * or μ_i < c_i}; +inf when it is not positive definite, 1 when F is empty.
 * Uses ws->hff and ws->work3. */
static double free_condition(const map_problem *pb, const double *lambda, const double *mu,
                             const double *cov, map_solver_ws *ws, size_t *nfree)
{
    const size_t k = pb->k;
    size_t nf = 0;
    for (size_t i = 0; i < k; i++)
        if (lambda[i] > 0.0 || mu[i] < pb->target[i])
            ws->freeidx[nf++] = i;
    *nfree = nf;
    if (nf == 0)
        return 1.0;
    for (size_t r = 0; r < nf; r++)
        for (size_t c = 0; c < nf; c++) {
            const size_t ir = ws->freeidx[r], ic = ws->freeidx[c];
            ws->hff[r * nf + c] = cov[ir * k + ic] / (pb->scale[ir] * pb->scale[ic]);
        }
    map_solver_init();
    gsl_matrix_view H = gsl_matrix_view_array(ws->hff, nf, nf);
    if (gsl_linalg_cholesky_decomp1(&H.matrix) != GSL_SUCCESS)
        return INFINITY;
    double rcond = 0.0;
    gsl_vector_view w = gsl_vector_view_array(ws->work3, 3 * nf);
    if (gsl_linalg_cholesky_rcond(&H.matrix, &rcond, &w.vector) != GSL_SUCCESS || !(rcond > 0.0))
        return INFINITY;
    return 1.0 / rcond;
}

int map_diagnose(const map_problem *pb, const double *lambda, double tol, map_solver_ws *ws,
                 double *mu, map_solution *sol)
{
    const size_t k = pb->k;
    if (k > ws->kmax)
        return MAP_ENOMEM;
    map_moments a = {0.0, ws->try_mean, ws->try_m2, 0.0, 0.0};
    map_eval_moments(pb, lambda, k, pb->cols, 1, ws, &a);
    memcpy(mu, a.mean, k * sizeof *mu);
    double lc = 0.0, centred = 0.0, gap = 0.0, viol = 0.0;
    for (size_t i = 0; i < k; i++) {
        lc += lambda[i] * pb->target[i];
        centred += lambda[i] * (mu[i] - pb->target[i]);
        gap += lambda[i] * (mu[i] - pb->target[i]);
        viol = fmax(viol, (pb->target[i] - mu[i]) / pb->scale[i]);
    }
    int pass = 0;
    sol->kkt = kkt_of(pb, tol, lambda, mu, &pass);
    sol->status = pass ? MAP_SOLVE_OPTIMAL : MAP_SOLVE_NOT_CONVERGED;
    sol->logz = a.logz_c + lc;
    sol->dual = -a.logz_c;
    sol->kl = fmax(0.0, centred - a.logz_c);
    sol->ess = a.ess;
    sol->max_weight = a.max_weight;
    sol->gap = gap;
    sol->violation = viol;
    sol->cond = free_condition(pb, lambda, mu, a.cov, ws, &sol->nfree);
    return MAP_OK;
}

/* What the NLopt objective needs, and the evaluated λ with the smallest
 * KKT measure (the answer: NLopt's own x may be a worse, later point). */
typedef struct nl_ctx {
    const map_problem *pb;
    map_solver_ws *ws;
    nlopt_opt opt;
    double tol;
    double stop_tol; /* force NLopt to stop once the KKT test passes at this */
    int evals;
    int last_gain;   /* the evaluation that last cut best_kkt by 10% */
    double best_kkt; /* the smallest KKT measure seen, at best */
    double best[MAP_MAX_K];
} nl_ctx;

/* f(λ) = Λ(λ) − λᵀc in its centred form Λ_c (no cancelling large terms);
 * ∇f = μ − c. */
static double nl_objective(unsigned n, const double *x, double *grad, void *data)
{
    nl_ctx *c = data;
    const map_problem *pb = c->pb;
    double mean[MAP_MAX_K];
    map_moments a = {0.0, mean, NULL, 0.0, 0.0};
    map_eval_moments(pb, x, n, pb->cols, 0, c->ws, &a);
    c->evals++;
    if (grad)
        for (unsigned i = 0; i < n; i++)
            grad[i] = mean[i] - pb->target[i];
    int pass = 0;
    const double kkt = kkt_of(pb, c->stop_tol, x, mean, &pass);
    if (kkt < c->best_kkt) {
        if (kkt < 0.9 * c->best_kkt)
            c->last_gain = c->evals;
        c->best_kkt = kkt;
        memcpy(c->best, x, n * sizeof *x);
    }
    /* Stop at the target, or when 200 evaluations brought no 10% gain
     * (MMA creeps near its rounding floor). */
    if (pass || c->evals - c->last_gain > 200)
        nlopt_force_stop(c->opt);
    return a.logz_c;
}

int map_solve_palette_method(const map_problem *pb, map_method method, const map_solver_params *par,
                             const map_feas_params *fp, const double *init, map_solver_ws *ws,
                             map_result *res, map_error *err)
{
    if (method == MAP_METHOD_NEWTON)
        return map_solve_palette(pb, par, fp, init, ws, res, err);
    map_solver_params pdef;
    map_feas_params fdef;
    if (!par) {
        map_solver_params_default(&pdef);
        par = &pdef;
    }
    if (!fp) {
        map_feas_params_default(&fdef);
        fp = &fdef;
    }
    int rc = map_problem_check_ws(pb, ws, err);
    if (rc)
        return rc;
    const size_t k = pb->k;
    int attainable = 0;
    rc = map_palette_verdict(pb, fp, res, &attainable, err);
    if (rc || !attainable)
        return rc;

    nl_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.pb = pb;
    ctx.ws = ws;
    ctx.tol = fmax(par->tol, MAP_METHOD_KKT_TOL);
    ctx.stop_tol = 1e-2 * ctx.tol;
    ctx.best_kkt = INFINITY;
    nlopt_opt opt = nlopt_create(method == MAP_METHOD_MMA ? NLOPT_LD_MMA : NLOPT_LD_LBFGS,
                                 (unsigned)k);
    if (!opt)
        return map_error_set(err, MAP_ENOMEM, "NLopt could not create its optimiser");
    ctx.opt = opt;
    double lb[MAP_MAX_K] = {0};
    double x[MAP_MAX_K];
    for (size_t i = 0; i < k; i++)
        x[i] = init && init[i] > 0.0 && isfinite(init[i]) ? init[i] : 0.0;
    nlopt_set_lower_bounds(opt, lb);
    nlopt_set_min_objective(opt, nl_objective, &ctx);
    nlopt_set_ftol_rel(opt, 0.0);
    nlopt_set_ftol_abs(opt, 0.0);
    nlopt_set_xtol_rel(opt, 0.0);
    nlopt_set_maxeval(opt, par->max_iter > 0 ? par->max_iter * 100 : 1);
    /* Stop as soon as an evaluated λ passes the KKT test: the objective saves
     * it in ctx.best and asks NLopt to stop. */
    double fmin_val = 0.0;
    nlopt_result nr = nlopt_optimize(opt, x, &fmin_val);
    nlopt_destroy(opt);
    if (nr < 0 && nr != NLOPT_ROUNDOFF_LIMITED && nr != NLOPT_FORCED_STOP)
        return map_error_set(err, MAP_ENOMEM, "NLopt %s failed (code %d)", map_method_name(method),
                             (int)nr);
    if (ctx.best_kkt < INFINITY)
        memcpy(x, ctx.best, k * sizeof *x);
    for (size_t i = 0; i < k; i++)
        x[i] = fmax(0.0, x[i]);
    memcpy(res->lambda, x, k * sizeof *x);
    rc = map_diagnose(pb, res->lambda, ctx.tol, ws, res->level, &res->diag);
    if (rc)
        return map_error_set(err, rc, "solver workspace too small");
    res->diag.iterations = ctx.evals;
    res->diag.evaluations = ctx.evals + 1;
    res->status = res->diag.status;
    return MAP_OK;
}
