/* map_newton.c — the projected-Newton solver (Bertsekas 1982, MATH.md §4)
 * for the MAP dual. GSL glue for Cholesky. */
#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <string.h>

#include "map_solver_internal.h"

void map_solver_params_default(map_solver_params *p)
{
    p->tol = 1e-10;
    p->max_iter = 100;
    p->armijo_sigma = 1e-4;
    p->armijo_beta = 0.5;
    p->max_backtrack = 60;
    p->eps_active = 1e-3;
}

const char *map_solve_status_name(map_solve_status s)
{
    switch (s) {
    case MAP_SOLVE_OPTIMAL: return "optimal";
    case MAP_SOLVE_NOT_CONVERGED: return "not_converged";
    case MAP_SOLVE_STALLED: return "stalled";
    case MAP_SOLVE_INFEASIBLE: return "infeasible";
    case MAP_SOLVE_BOUNDARY: return "boundary";
    }
    return "unknown";
}

int map_problem_check(const map_problem *pb, map_error *err)
{
    if (pb->data.n == 0 || pb->data.m == 0 || !map_matrix_has_data(&pb->data))
        return map_error_set(err, MAP_EDATA, "the dataset has no samples");
    if (pb->k == 0)
        return map_error_set(err, MAP_EDATA, "the palette names no value");
    if (pb->k > MAP_MAX_K)
        return map_error_set(err, MAP_EDATA, "the palette names %zu values; at most %d are supported",
                             pb->k, MAP_MAX_K);
    for (size_t i = 0; i < pb->k; i++) {
        if (pb->cols[i] >= pb->data.m)
            return map_error_set(err, MAP_EDATA, "palette column %zu is out of range", pb->cols[i]);
        for (size_t l = 0; l < i; l++)
            if (pb->cols[l] == pb->cols[i])
                return map_error_set(err, MAP_EDATA, "palette names column %zu twice", pb->cols[i]);
        if (!isfinite(pb->target[i]))
            return map_error_set(err, MAP_EDATA, "palette target %zu is not finite", i + 1);
        if (!(pb->scale[i] > 0.0) || !isfinite(pb->scale[i]))
            return map_error_set(err, MAP_EDATA, "palette scale %zu is not positive", i + 1);
    }
    return MAP_OK;
}

/* Moments with covariance of the k constrained columns in the given storage. */
static map_moments moments_on(double *mean, double *cov)
{
    map_moments a = {0.0, mean, cov, 0.0, 0.0};
    return a;
}

/* Σ_i λ_i (v_i − c_i), the centred form of λᵀv (the centre is the target). */
static double dot_centred(const map_problem *pb, const double *lambda, const double *v)
{
    double s = 0.0;
    for (size_t i = 0; i < pb->k; i++)
        s += lambda[i] * (v[i] - pb->target[i]);
    return s;
}

/* λᵀc, to turn the centred Λ_c back into Λ */
static double lambda_dot_target(const map_problem *pb, const double *lambda)
{
    double s = 0.0;
    for (size_t i = 0; pb->target && i < pb->k; i++)
        s += lambda[i] * pb->target[i];
    return s;
}

int map_evaluate(const map_problem *pb, const double *lambda, map_solver_ws *ws, double *logz,
                 double *mu, double *sigma, double *ess, double *max_weight)
{
    if (pb->k > ws->kmax)
        return MAP_ENOMEM;
    map_moments a = moments_on(ws->cur_mean, ws->cur_m2);
    map_eval_moments(pb, lambda, pb->k, pb->cols, 1, ws, &a);
    if (logz)
        *logz = a.logz_c + lambda_dot_target(pb, lambda);
    if (mu)
        memcpy(mu, a.mean, pb->k * sizeof *mu);
    if (sigma)
        memcpy(sigma, a.cov, pb->k * pb->k * sizeof *sigma);
    if (ess)
        *ess = a.ess;
    if (max_weight)
        *max_weight = a.max_weight;
    return MAP_OK;
}

int map_levels(const map_problem *pb, const double *lambda, size_t p, const size_t *stat_cols,
               map_solver_ws *ws, double *levels, map_error *err)
{
    if (pb->k > ws->kmax || p > ws->pmax)
        return map_error_set(err, MAP_ENOMEM, "solver workspace too small for %zu columns", p);
    map_moments a = moments_on(ws->lev_mean, NULL);
    map_eval_moments(pb, lambda, p, stat_cols, 0, ws, &a);
    memcpy(levels, a.mean, p * sizeof *levels);
    return MAP_OK;
}

/* f(λ) = Λ(λ) − λᵀc = Λ_c(λ), the function minimised, in its centred form
 * (no large terms that cancel). */
static double objective(const map_moments *a)
{
    return a->logz_c;
}

/* Per-value stopping threshold: tol·scale_i plus a floor at the rounding
 * level of the accumulated means. */
static double threshold(const map_problem *pb, const map_solver_params *par, size_t i)
{
    const double floor_i = pb->absmax ? 1e3 * DBL_EPSILON * pb->absmax[i] : 0.0;
    return par->tol * pb->scale[i] + floor_i;
}

/* Fills grad (μ − c) and returns the scaled KKT residual max |pg_i|/scale_i;
 * *pass is set when every |pg_i| is within its threshold. */
static double kkt_measure(const map_problem *pb, const map_solver_params *par, const double *lambda,
                          const double *mu, double *grad, int *pass)
{
    double worst = 0.0;
    *pass = 1;
    for (size_t i = 0; i < pb->k; i++) {
        grad[i] = mu[i] - pb->target[i];
        const double pg = lambda[i] > 0.0 ? grad[i] : fmin(0.0, grad[i]);
        if (fabs(pg) > threshold(pb, par, i))
            *pass = 0;
        worst = fmax(worst, fabs(pg) / pb->scale[i]);
    }
    return worst;
}

/* At most this many free values take the exact test of rcond_surely_above. */
#define MAP_RCOND_EXACT_MAX 8

/* Whether the reciprocal condition 1/(‖A‖₁‖A⁻¹‖₁) of A = L Lᵀ (L in the
 * lower triangle of the row-major h, nf ≤ MAP_RCOND_EXACT_MAX; anorm =
 * ‖A‖₁) is surely above 1e3·ε: ‖A⁻¹‖₁ from L⁻¹ exactly, with a factor 2 for
 * rounding. GSL's estimate is then above 1e3·ε too, since the ‖A⁻¹‖₁ it
 * estimates is a lower bound (‖A⁻¹x‖₁ for some ‖x‖₁ ≤ 1), computed to a
 * relative error of about cond·ε, here below 1/2000. */
static int rcond_surely_above(const double *h, size_t nf, double anorm)
{
    double li[MAP_RCOND_EXACT_MAX * MAP_RCOND_EXACT_MAX]; /* L⁻¹, lower triangle */
    for (size_t c = 0; c < nf; c++)
        for (size_t r = c; r < nf; r++) {
            double v = r == c ? 1.0 : 0.0;
            for (size_t t = c; t < r; t++)
                v -= h[r * nf + t] * li[t * nf + c];
            li[r * nf + c] = v / h[r * nf + r];
        }
    double ainv = 0.0; /* ‖A⁻¹‖₁, (A⁻¹)_ij = Σ_m≥max(i,j) (L⁻¹)_mi (L⁻¹)_mj */
    for (size_t j = 0; j < nf; j++) {
        double col = 0.0;
        for (size_t i = 0; i < nf; i++) {
            double v = 0.0;
            for (size_t m = i > j ? i : j; m < nf; m++)
                v += li[m * nf + i] * li[m * nf + j];
            col += fabs(v);
        }
        ainv = fmax(ainv, col);
    }
    return isfinite(ainv) && ainv > 0.0 && (1.0 / anorm) / ainv > 2e3 * DBL_EPSILON;
}

/* Cholesky of the free-set Hessian in the scaled variables y_i = λ_i·scale_i,
 * D⁻¹ Σ_FF D⁻¹ with D = diag(scale) (close to a correlation matrix), in
 * ws->hff, regularised with a growing multiple of I if it is not positive
 * definite (GSL's reciprocal condition estimate at most 1e3·ε). Returns that
 * estimate (0 if hopeless; negative when regularised) when want_rcond; else
 * ±1 when the exact test of rcond_surely_above makes the estimate needless
 * (the same factor, the same decision, for the Newton steps, which use the
 * factor alone). */
static double factor_free(const map_problem *pb, const map_moments *a, size_t nf, map_solver_ws *ws,
                          int want_rcond)
{
    const size_t k = pb->k;
    double tau = 0.0;
    for (int attempt = 0; attempt < 12; attempt++) {
        double colsum[MAP_RCOND_EXACT_MAX] = {0.0};
        for (size_t r = 0; r < nf; r++) {
            const size_t ir = ws->freeidx[r];
            for (size_t c = 0; c < nf; c++) {
                const size_t ic = ws->freeidx[c];
                ws->hff[r * nf + c] = a->cov[ir * k + ic] / (pb->scale[ir] * pb->scale[ic]);
            }
            ws->hff[r * nf + r] += tau;
            if (nf <= MAP_RCOND_EXACT_MAX)
                for (size_t c = 0; c < nf; c++)
                    colsum[c] += fabs(ws->hff[r * nf + c]);
        }
        double anorm = 0.0;
        for (size_t c = 0; c < nf && nf <= MAP_RCOND_EXACT_MAX; c++)
            anorm = fmax(anorm, colsum[c]);
        gsl_matrix_view H = gsl_matrix_view_array(ws->hff, nf, nf);
        if (gsl_linalg_cholesky_decomp1(&H.matrix) == GSL_SUCCESS) {
            if (!want_rcond && nf <= MAP_RCOND_EXACT_MAX && anorm > 0.0
                && rcond_surely_above(ws->hff, nf, anorm))
                return tau > 0.0 ? -1.0 : 1.0;
            double rcond = 0.0;
            gsl_vector_view w = gsl_vector_view_array(ws->work3, 3 * nf);
            if (gsl_linalg_cholesky_rcond(&H.matrix, &rcond, &w.vector) != GSL_SUCCESS)
                rcond = 0.0;
            if (rcond > 1e3 * DBL_EPSILON || attempt == 11)
                return tau > 0.0 ? -fmax(rcond, DBL_MIN) : rcond; /* negative: regularised */
        }
        tau = tau == 0.0 ? 1e-12 : tau * 100.0;
    }
    return 0.0;
}

int map_solve(const map_problem *pb, const map_solver_params *par, const double *init,
              map_solver_ws *ws, double *lambda, double *mu, map_solution *sol, map_error *err)
{
    return map_newton_run(pb, par, init, NULL, ws, lambda, mu, sol, NULL, err);
}

/* The certificate test of map_newton_run at the current iterate: with
 * Λ_c(λ) below −bound (bound = the average over groups of log n_g), the
 * groups' maxima of λᵀ(r_j − c) average below zero, so λ itself (normalised
 * as map_result documents) is a candidate certificate; it is verified in one
 * pass. Returns 1 when it verified (direction and gap written). */
static int try_certificate(const map_problem *pb, const double *lambda, double *direction,
                           double *gap)
{
    double mx = 0.0;
    for (size_t i = 0; i < pb->k; i++)
        mx = fmax(mx, lambda[i] * pb->scale[i]);
    if (!(mx > 0.0) || !isfinite(mx))
        return 0;
    for (size_t i = 0; i < pb->k; i++)
        direction[i] = lambda[i] / mx;
    return map_certificate_check(pb, direction, gap);
}

int map_newton_run(const map_problem *pb, const map_solver_params *par, const double *init,
                   const map_newton_opts *opt, map_solver_ws *ws, double *lambda, double *mu,
                   map_solution *sol, map_newton_out *out, map_error *err)
{
    map_newton_out out_local;
    if (!out)
        out = &out_local;
    memset(out, 0, sizeof *out);
    map_solver_params defaults;
    par = map_par_or_default(par, &defaults);
    int rc = map_problem_check_ws(pb, ws, err);
    if (rc)
        return rc;
    const size_t k = pb->k;
    memset(sol, 0, sizeof *sol);
    for (size_t i = 0; i < k; i++)
        lambda[i] = init && init[i] > 0.0 && isfinite(init[i]) ? init[i] : 0.0;

    map_moments cur = moments_on(ws->cur_mean, ws->cur_m2);
    map_moments trial = moments_on(ws->try_mean, ws->try_m2);
    map_eval_moments(pb, lambda, k, pb->cols, 1, ws, &cur);
    sol->evaluations = 1;
    double f = objective(&cur);
    double *grad = ws->grad, *dir = ws->dir, *lt = ws->lam_try;
    map_solve_status status = MAP_SOLVE_NOT_CONVERGED;
    double rcond = 1.0;
    size_t nf = 0;
    int pass = 0;
    double kkt = kkt_measure(pb, par, lambda, cur.mean, grad, &pass);

    /* Once the KKT test passes, one more Newton step is taken when the last
     * step was not already negligible: near λ* convergence is quadratic, so
     * it buys λ to nearly full precision for the price of one pass. */
    int polishing = 0;
    double last_step = 0.0, next_cert_try = INFINITY;
    for (int it = 0;; it++) {
        if (pass) {
            if (polishing || it == 0 || last_step <= 1e-9) {
                status = MAP_SOLVE_OPTIMAL;
                break;
            }
            polishing = 1;
        }
        if (it >= par->max_iter || (opt && opt->budget > 0 && it >= opt->budget))
            break;
        sol->iterations = it + 1;
        /* ε-active set in scaled units y_i = λ_i·scale_i (Bertsekas' ε_k). */
        double wnorm = 0.0;
        for (size_t i = 0; i < k; i++) {
            const double y = lambda[i] * pb->scale[i];
            const double step = y - fmax(0.0, y - grad[i] / pb->scale[i]);
            wnorm += step * step;
        }
        const double eps = fmin(par->eps_active, sqrt(wnorm));
        nf = 0;
        for (size_t i = 0; i < k; i++) {
            ws->active[i] = lambda[i] * pb->scale[i] <= eps && grad[i] > 0.0;
            if (!ws->active[i])
                ws->freeidx[nf++] = i;
        }
        /* Direction: Newton on F in the scaled variables (solve
         * D⁻¹Σ_FF D⁻¹ y = −D⁻¹ grad_F, then d_F = D⁻¹ y), diagonally scaled
         * gradient on A. */
        for (size_t i = 0; i < k; i++) {
            if (ws->active[i]) {
                const double sii = cur.cov[i * k + i];
                dir[i] = sii > 0.0 ? -grad[i] / sii : -grad[i] / (pb->scale[i] * pb->scale[i]);
            }
        }
        if (nf > 0) {
            rcond = factor_free(pb, &cur, nf, ws, 0);
            gsl_matrix_view L = gsl_matrix_view_array(ws->hff, nf, nf);
            gsl_vector_view rhs = gsl_vector_view_array(ws->work3, nf);
            for (size_t r = 0; r < nf; r++)
                ws->work3[r] = -grad[ws->freeidx[r]] / pb->scale[ws->freeidx[r]];
            gsl_linalg_cholesky_svx(&L.matrix, &rhs.vector);
            for (size_t r = 0; r < nf; r++)
                dir[ws->freeidx[r]] = ws->work3[r] / pb->scale[ws->freeidx[r]];
        }
        /* Polishing: when the Newton step itself is already negligible, λ is
         * as precise as the step would make it; the pass is saved.
         * Negligible: at most 1e-9 in scale units, and for each component
         * at most 1e-8 of itself (plus 1e-13 in scale units), so that a
         * small λ_i is as precise relative to itself as the others. */
        if (polishing) {
            double next = 0.0;
            int relative = 1;
            for (size_t i = 0; i < k; i++) {
                const double di = fabs(fmax(0.0, lambda[i] + dir[i]) - lambda[i]);
                next = fmax(next, di * pb->scale[i]);
                relative &= di <= 1e-8 * lambda[i] + 1e-13 / pb->scale[i];
            }
            if (next <= 1e-9 && relative) {
                status = MAP_SOLVE_OPTIMAL;
                last_step = next; /* how far λ still is from λ*, to first order */
                sol->iterations = it; /* this step is not taken */
                break;
            }
        }
        /* Armijo backtracking along the projection arc. */
        double t = 1.0;
        int accepted = 0;
        const double fscale = fabs(f);
        /* A polishing step (the KKT test already passed) that the full step
         * does not improve is at the rounding floor of f: halving it a few
         * dozen times costs a pass each and buys nothing. */
        const int max_bt = polishing && par->max_backtrack > 2 ? 2 : par->max_backtrack;
        for (int bt = 0; bt < max_bt; bt++) {
            double pred = 0.0;
            for (size_t i = 0; i < k; i++) {
                lt[i] = fmax(0.0, lambda[i] + t * dir[i]);
                if (ws->active[i])
                    pred += grad[i] * (lambda[i] - lt[i]);
                else
                    pred -= t * grad[i] * dir[i];
            }
            map_eval_moments(pb, lt, k, pb->cols, 1, ws, &trial);
            sol->evaluations++;
            const double ft = objective(&trial);
            const double noise = 64.0 * DBL_EPSILON * (fscale + 1.0);
            if (isfinite(ft) && f - ft >= par->armijo_sigma * pred) {
                accepted = 1;
            } else if (isfinite(ft) && pred <= noise && ft - f <= noise) {
                /* The decrease is below the rounding of f: judge the step by
                 * the optimality measure instead. */
                double *keep = ws->lev_mean; /* scratch of ≥ k doubles */
                int p2 = 0;
                const double kkt_t = kkt_measure(pb, par, lt, trial.mean, keep, &p2);
                accepted = kkt_t < kkt;
            }
            if (accepted)
                break;
            t *= par->armijo_beta;
        }
        if (!accepted) {
            status = pass ? MAP_SOLVE_OPTIMAL : MAP_SOLVE_STALLED;
            out->stalled = !pass;
            break;
        }
        last_step = 0.0;
        for (size_t i = 0; i < k; i++)
            last_step = fmax(last_step, fabs(lt[i] - lambda[i]) * pb->scale[i]);
        memcpy(lambda, lt, k * sizeof *lambda);
        map_moments tmp = cur;
        cur = trial;
        trial = tmp;
        f = objective(&cur);
        kkt = kkt_measure(pb, par, lambda, cur.mean, grad, &pass);
        /* An unattainable palette makes g unbounded: Newton drives λ out and
         * Λ_c falls without limit. Test λ as a certificate once Λ_c is below
         * the bound, and again only after a further fall of one nat (a test
         * that failed by rounding is not repeated every iteration). */
        if (opt && opt->watch_certificate && !pass && f < -opt->cert_bound - 1e-9 * opt->cert_bound
            && f < next_cert_try) {
            next_cert_try = f - 1.0;
            sol->evaluations++;
            if (try_certificate(pb, lambda, out->direction, &out->cert_gap)) {
                out->certificate = 1;
                break;
            }
        }
    }
    /* The tight set (constraints met within tolerance): a singular tilted
     * covariance there means the samples may lie on a hyperplane dᵀr = dᵀc
     * with d ≥ 0, where the palette is attained but v* = 0 (the feasibility
     * layer then asks the LP). */
    nf = 0;
    for (size_t i = 0; i < k; i++)
        if (grad[i] <= threshold(pb, par, i))
            ws->freeidx[nf++] = i;
    out->tight_rcond = nf ? factor_free(pb, &cur, nf, ws, 1) : 1.0;
    size_t tight[MAP_MAX_K];
    const size_t ntight = nf;
    memcpy(tight, ws->freeidx, nf * sizeof *tight);
    /* Final free set and conditioning at the returned λ: the same
     * factorisation when it is the tight set (the usual case). */
    nf = 0;
    for (size_t i = 0; i < k; i++)
        if (lambda[i] > 0.0 || grad[i] < 0.0)
            ws->freeidx[nf++] = i;
    if (nf == ntight && memcmp(tight, ws->freeidx, nf * sizeof *tight) == 0)
        rcond = out->tight_rcond;
    else
        rcond = nf ? factor_free(pb, &cur, nf, ws, 1) : 1.0;

    /* Σ(λ) at the returned λ stays in the workspace for callers that
     * predict a neighbour's λ from it (map_solver_ws_final_cov). */
    if (cur.cov != ws->cur_m2)
        memcpy(ws->cur_m2, cur.cov, k * k * sizeof *ws->cur_m2);
    memcpy(mu, cur.mean, k * sizeof *mu);
    const double logz_c = cur.logz_c;
    double gap = 0.0, viol = 0.0;
    for (size_t i = 0; i < k; i++) {
        gap += lambda[i] * (mu[i] - pb->target[i]);
        viol = fmax(viol, (pb->target[i] - mu[i]) / pb->scale[i]);
    }
    sol->status = status;
    sol->logz = logz_c + lambda_dot_target(pb, lambda);
    sol->dual = -logz_c;
    sol->kl = fmax(0.0, dot_centred(pb, lambda, mu) - logz_c);
    sol->ess = cur.ess;
    sol->max_weight = cur.max_weight;
    sol->kkt = kkt;
    sol->gap = gap;
    sol->violation = viol;
    sol->cond = rcond != 0.0 ? 1.0 / fabs(rcond) : INFINITY;
    sol->nfree = nf;
    out->last_step = last_step;
    return MAP_OK;
}
