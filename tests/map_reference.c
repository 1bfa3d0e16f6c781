/* map_reference.c — see map_reference.h. */
#include "map_reference.h"

#include <glpk.h>
#include <math.h>
#include <nlopt.h>
#include <stdlib.h>

double map_ref_objective(const double *x, size_t n, size_t ld, size_t k, const size_t *cols,
                         const double *c, const double *lambda, double *grad)
{
    long double smax = -INFINITY;
    for (size_t j = 0; j < n; j++) {
        long double s = 0;
        for (size_t i = 0; i < k; i++)
            s += (long double)lambda[i] * x[j * ld + cols[i]];
        if (s > smax)
            smax = s;
    }
    long double z = 0, g[64] = {0};
    for (size_t j = 0; j < n; j++) {
        long double s = 0;
        for (size_t i = 0; i < k; i++)
            s += (long double)lambda[i] * x[j * ld + cols[i]];
        const long double e = expl(s - smax);
        z += e;
        for (size_t i = 0; i < k; i++)
            g[i] += e * x[j * ld + cols[i]];
    }
    long double f = smax + logl(z / (long double)n);
    for (size_t i = 0; i < k; i++) {
        f -= (long double)lambda[i] * c[i];
        if (grad)
            grad[i] = (double)(g[i] / z - c[i]);
    }
    return (double)f;
}

typedef struct {
    const double *x;
    size_t n, ld, k;
    const size_t *cols;
    const double *c;
} ref_ctx;

static double nlopt_f(unsigned k, const double *lambda, double *grad, void *data)
{
    const ref_ctx *ctx = data;
    (void)k;
    return map_ref_objective(ctx->x, ctx->n, ctx->ld, ctx->k, ctx->cols, ctx->c, lambda, grad);
}

int map_ref_solve(const double *x, size_t n, size_t ld, size_t k, const size_t *cols,
                  const double *c, double *lambda)
{
    ref_ctx ctx = {x, n, ld, k, cols, c};
    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, (unsigned)k);
    if (!opt)
        return -1;
    double lb[64];
    for (size_t i = 0; i < k; i++)
        lb[i] = 0.0;
    nlopt_set_lower_bounds(opt, lb);
    nlopt_set_min_objective(opt, nlopt_f, &ctx);
    nlopt_set_ftol_rel(opt, 1e-16);
    nlopt_set_xtol_rel(opt, 1e-14);
    nlopt_set_maxeval(opt, 20000);
    nlopt_set_vector_storage(opt, 20);
    /* L-BFGS stops on its own relative tests well before full precision on
     * flat duals; restarting it from its result rebuilds the curvature
     * model and drives the gradient down further. */
    double fmin = 0.0;
    int rc = 0;
    for (int restart = 0; restart < 4; restart++) {
        const int r = (int)nlopt_optimize(opt, lambda, &fmin);
        if (restart > 0 && r < 0)
            break; /* no further progress; lambda keeps the best point found */
        rc = r;
        if (rc < 0 && rc != NLOPT_ROUNDOFF_LIMITED)
            break;
    }
    nlopt_destroy(opt);
    /* NLopt's "roundoff limited" still leaves a usable point. */
    return rc == NLOPT_ROUNDOFF_LIMITED ? 1 : rc;
}

/* Maximises v over q ∈ Δ_n subject to, for each i,
 *     Σ_j q_j (r_ji − shift_i) / div_i + coef_i · v ≥ 0,
 * with v ≤ vmax (GLP_FR when vmax is infinite): one LP over all samples,
 * GLPK simplex then exact rational polish. 0 and *v, or -1. */
static int simplex_lp(const double *x, size_t n, size_t ld, size_t k, const size_t *cols,
                      const double *shift, const double *div, const double *coef, double vmax,
                      double *v)
{
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    glp_add_cols(lp, (int)n + 1);
    for (size_t j = 0; j < n; j++)
        glp_set_col_bnds(lp, (int)j + 1, GLP_LO, 0.0, 0.0);
    if (isinf(vmax))
        glp_set_col_bnds(lp, (int)n + 1, GLP_FR, 0.0, 0.0);
    else
        glp_set_col_bnds(lp, (int)n + 1, GLP_UP, 0.0, vmax);
    glp_set_obj_coef(lp, (int)n + 1, 1.0);
    glp_add_rows(lp, (int)k + 1);
    int *ind = malloc((n + 2) * sizeof *ind);
    double *val = malloc((n + 2) * sizeof *val);
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < n; j++) {
            ind[j + 1] = (int)j + 1;
            val[j + 1] = (x[j * ld + cols[i]] - shift[i]) / div[i];
        }
        ind[n + 1] = (int)n + 1;
        val[n + 1] = coef[i];
        glp_set_mat_row(lp, (int)i + 1, (int)n + 1, ind, val);
        glp_set_row_bnds(lp, (int)i + 1, GLP_LO, 0.0, 0.0);
    }
    for (size_t j = 0; j < n; j++) {
        ind[j + 1] = (int)j + 1;
        val[j + 1] = 1.0;
    }
    glp_set_mat_row(lp, (int)k + 1, (int)n, ind, val);
    glp_set_row_bnds(lp, (int)k + 1, GLP_FX, 1.0, 1.0);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    int rc = glp_simplex(lp, &parm);
    if (rc == 0)
        rc = glp_exact(lp, &parm);
    const int ok = rc == 0 && glp_get_status(lp) == GLP_OPT;
    if (ok)
        *v = glp_get_obj_val(lp);
    glp_delete_prob(lp);
    free(ind);
    free(val);
    return ok ? 0 : -1;
}

int map_ref_margin(const double *x, size_t n, size_t ld, size_t k, const size_t *cols,
                   const double *c, const double *scale, double *margin)
{
    double coef[64];
    for (size_t i = 0; i < k; i++)
        coef[i] = -1.0;
    return simplex_lp(x, n, ld, k, cols, c, scale, coef, INFINITY, margin);
}

int map_ref_ray(const double *x, size_t n, size_t ld, size_t k, const size_t *cols, const double *c,
                const double *c0, double *rho)
{
    double coef[64], one[64];
    for (size_t i = 0; i < k; i++) {
        coef[i] = -(c[i] - c0[i]);
        one[i] = 1.0;
    }
    return simplex_lp(x, n, ld, k, cols, c0, one, coef, 1.0, rho);
}
