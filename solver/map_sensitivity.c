/* map_sensitivity.c — dλ_F/dc_F = Σ_FF⁻¹ at the optimum (map_sensitivity.h),
 * by GSL Cholesky on the sd-scaled free block. */
#include "map_sensitivity.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <float.h>
#include <math.h>
#include <string.h>

int map_sensitivity(const map_problem *pb, const double *lambda, map_solver_ws *ws, double *dldc,
                    size_t *nfree, double *cond, map_error *err)
{
    const size_t k = pb->k;
    double sigma[MAP_MAX_K * MAP_MAX_K], h[MAP_MAX_K * MAP_MAX_K], work[3 * MAP_MAX_K];
    size_t f[MAP_MAX_K];
    memset(dldc, 0, k * k * sizeof *dldc);
    *nfree = 0;
    if (cond)
        *cond = 1.0;
    if (map_evaluate(pb, lambda, ws, NULL, NULL, sigma, NULL, NULL) != MAP_OK)
        return map_error_set(err, MAP_ENOMEM, "solver workspace too small for %zu values", k);
    size_t nf = 0;
    for (size_t i = 0; i < k; i++)
        if (lambda[i] > 0.0 && isfinite(lambda[i]))
            f[nf++] = i;
    *nfree = nf;
    if (nf == 0)
        return MAP_OK;
    /* S = D⁻¹ Σ_FF D⁻¹ (near a correlation matrix), Σ_FF⁻¹ = D⁻¹ S⁻¹ D⁻¹. */
    for (size_t r = 0; r < nf; r++)
        for (size_t c = 0; c < nf; c++)
            h[r * nf + c] = sigma[f[r] * k + f[c]] / (pb->scale[f[r]] * pb->scale[f[c]]);
    map_solver_init();
    gsl_matrix_view H = gsl_matrix_view_array(h, nf, nf);
    /* Singular, or singular to rounding (an exact duplicate may leave a
     * pivot of rounding size rather than a failed Cholesky). */
    double rcond = 0.0;
    gsl_vector_view w = gsl_vector_view_array(work, 3 * nf);
    if (gsl_linalg_cholesky_decomp1(&H.matrix) != GSL_SUCCESS ||
        gsl_linalg_cholesky_rcond(&H.matrix, &rcond, &w.vector) != GSL_SUCCESS ||
        !(rcond > 1e3 * DBL_EPSILON))
        return map_error_set(err, MAP_EDATA,
                             "the tilted covariance of the binding values is singular: lambda "
                             "is not a smooth function of the targets (collinear values)");
    if (cond)
        *cond = 1.0 / rcond;
    if (gsl_linalg_cholesky_invert(&H.matrix) != GSL_SUCCESS)
        return map_error_set(err, MAP_EDATA, "cannot invert the free-set covariance");
    for (size_t r = 0; r < nf; r++)
        for (size_t c = 0; c < nf; c++)
            dldc[f[r] * k + f[c]] = h[r * nf + c] / (pb->scale[f[r]] * pb->scale[f[c]]);
    return MAP_OK;
}
