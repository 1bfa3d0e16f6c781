/* map_reference_grouped.c — see map_reference_grouped.h. */
#include "map_reference_grouped.h"

#include <glpk.h>
#include <math.h>
#include <nlopt.h>
#include <stdlib.h>

/* One group's log-partition (log of the mean of exp(λᵀr)) and, if mean !=
 * NULL, its tilted means of p columns scols; long double, two passes. */
static long double group_eval(const double *x, size_t ld, const size_t *rows, size_t ng, size_t k,
                              const size_t *cols, const double *lambda, size_t p,
                              const size_t *scols, long double *mean)
{
    long double smax = -INFINITY;
    for (size_t r = 0; r < ng; r++) {
        long double s = 0;
        for (size_t i = 0; i < k; i++)
            s += (long double)lambda[i] * x[rows[r] * ld + cols[i]];
        if (s > smax)
            smax = s;
    }
    long double z = 0;
    for (size_t i = 0; mean && i < p; i++)
        mean[i] = 0;
    for (size_t r = 0; r < ng; r++) {
        long double s = 0;
        for (size_t i = 0; i < k; i++)
            s += (long double)lambda[i] * x[rows[r] * ld + cols[i]];
        const long double e = expl(s - smax);
        z += e;
        for (size_t i = 0; mean && i < p; i++)
            mean[i] += e * x[rows[r] * ld + scols[i]];
    }
    for (size_t i = 0; mean && i < p; i++)
        mean[i] /= z;
    return smax + logl(z / (long double)ng);
}

double map_refg_objective(const double *x, size_t ld, size_t K, const size_t *start,
                          const size_t *order, size_t k, const size_t *cols, const double *c,
                          const double *lambda, double *grad)
{
    long double f = 0, g[64] = {0}, mean[64];
    for (size_t q = 0; q < K; q++) {
        f += group_eval(x, ld, order + start[q], start[q + 1] - start[q], k, cols, lambda, k, cols,
                        mean);
        for (size_t i = 0; i < k; i++)
            g[i] += mean[i];
    }
    f /= (long double)K;
    for (size_t i = 0; i < k; i++) {
        f -= (long double)lambda[i] * c[i];
        if (grad)
            grad[i] = (double)(g[i] / (long double)K - c[i]);
    }
    return (double)f;
}

void map_refg_levels(const double *x, size_t ld, size_t K, const size_t *start, const size_t *order,
                     size_t k, const size_t *cols, const double *lambda, size_t p,
                     const size_t *scols, double *levels)
{
    long double acc[64] = {0}, mean[64];
    for (size_t q = 0; q < K; q++) {
        group_eval(x, ld, order + start[q], start[q + 1] - start[q], k, cols, lambda, p, scols,
                   mean);
        for (size_t i = 0; i < p; i++)
            acc[i] += mean[i];
    }
    for (size_t i = 0; i < p; i++)
        levels[i] = (double)(acc[i] / (long double)K);
}

typedef struct {
    const double *x;
    size_t ld, K;
    const size_t *start, *order;
    size_t k;
    const size_t *cols;
    const double *c;
} refg_ctx;

static double nlopt_f(unsigned k, const double *lambda, double *grad, void *data)
{
    const refg_ctx *ctx = data;
    (void)k;
    return map_refg_objective(ctx->x, ctx->ld, ctx->K, ctx->start, ctx->order, ctx->k, ctx->cols,
                              ctx->c, lambda, grad);
}

int map_refg_solve(const double *x, size_t ld, size_t K, const size_t *start, const size_t *order,
                   size_t k, const size_t *cols, const double *c, double *lambda)
{
    refg_ctx ctx = {x, ld, K, start, order, k, cols, c};
    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, (unsigned)k);
    if (!opt)
        return -1;
    double lb[64] = {0};
    nlopt_set_lower_bounds(opt, lb);
    nlopt_set_min_objective(opt, nlopt_f, &ctx);
    nlopt_set_ftol_rel(opt, 1e-16);
    nlopt_set_xtol_rel(opt, 1e-14);
    nlopt_set_maxeval(opt, 20000);
    nlopt_set_vector_storage(opt, 20);
    double fmin = 0.0;
    int rc = 0;
    for (int restart = 0; restart < 4; restart++) {
        const int r = (int)nlopt_optimize(opt, lambda, &fmin);
        if (restart > 0 && r < 0)
            break;
        rc = r;
        if (rc < 0 && rc != NLOPT_ROUNDOFF_LIMITED)
            break;
    }
    nlopt_destroy(opt);
    return rc == NLOPT_ROUNDOFF_LIMITED ? 1 : rc;
}

int map_refg_margin(const double *x, size_t ld, size_t K, const size_t *start, const size_t *order,
                    size_t k, const size_t *cols, const double *c, const double *scale,
                    double *margin)
{
    const size_t n = start[K];
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    /* columns: q in the order of `order` (1..n), then v (n+1) */
    glp_add_cols(lp, (int)n + 1);
    for (size_t j = 0; j < n; j++)
        glp_set_col_bnds(lp, (int)j + 1, GLP_LO, 0.0, 0.0);
    glp_set_col_bnds(lp, (int)n + 1, GLP_FR, 0.0, 0.0);
    glp_set_obj_coef(lp, (int)n + 1, 1.0);
    glp_add_rows(lp, (int)(k + K));
    int *ind = malloc((n + 2) * sizeof *ind);
    double *val = malloc((n + 2) * sizeof *val);
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < n; j++) {
            ind[j + 1] = (int)j + 1;
            val[j + 1] = (x[order[j] * ld + cols[i]] - c[i]) / scale[i] / (double)K;
        }
        ind[n + 1] = (int)n + 1;
        val[n + 1] = -1.0;
        glp_set_mat_row(lp, (int)i + 1, (int)n + 1, ind, val);
        glp_set_row_bnds(lp, (int)i + 1, GLP_LO, 0.0, 0.0);
    }
    for (size_t q = 0; q < K; q++) {
        int len = 0;
        for (size_t j = start[q]; j < start[q + 1]; j++) {
            ind[++len] = (int)j + 1;
            val[len] = 1.0;
        }
        glp_set_mat_row(lp, (int)(k + q) + 1, len, ind, val);
        glp_set_row_bnds(lp, (int)(k + q) + 1, GLP_FX, 1.0, 1.0);
    }
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    int rc = glp_simplex(lp, &parm);
    if (rc == 0)
        rc = glp_exact(lp, &parm);
    const int ok = rc == 0 && glp_get_status(lp) == GLP_OPT;
    if (ok)
        *margin = glp_get_obj_val(lp);
    glp_delete_prob(lp);
    free(ind);
    free(val);
    return ok ? 0 : -1;
}

double map_refg_cert_gap(const double *x, size_t ld, size_t K, const size_t *start,
                         const size_t *order, size_t k, const size_t *cols, const double *c,
                         const double *d)
{
    long double dc = 0, acc = 0;
    for (size_t i = 0; i < k; i++)
        dc += (long double)d[i] * c[i];
    for (size_t q = 0; q < K; q++) {
        long double best = -INFINITY;
        for (size_t j = start[q]; j < start[q + 1]; j++) {
            long double s = 0;
            for (size_t i = 0; i < k; i++)
                s += (long double)d[i] * x[order[j] * ld + cols[i]];
            if (s > best)
                best = s;
        }
        acc += best;
    }
    return (double)(dc - acc / (long double)K);
}
