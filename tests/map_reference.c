/* map_reference.c — see map_reference.h. */
#include "map_reference.h"

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
    double fmin = 0.0;
    int rc = (int)nlopt_optimize(opt, lambda, &fmin);
    nlopt_destroy(opt);
    /* NLopt's "roundoff limited" still leaves a usable point. */
    return rc == NLOPT_ROUNDOFF_LIMITED ? 1 : rc;
}
