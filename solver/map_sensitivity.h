/* map_sensitivity.h — shadow prices and the sensitivity of λ* to the
 * palette (MATH.md §5): ∂(KL*)/∂c_i = λ_i*, and on the free set
 * F = {i : λ_i* > 0} (the binding constraints), dλ_F/dc_F = Σ_FF⁻¹ with Σ
 * the tilted covariance at λ* (averaged over prompts under per-prompt
 * normalisation). Values outside F have dλ_i/dc = 0 to first order.
 */
#ifndef MAP_SENSITIVITY_H
#define MAP_SENSITIVITY_H

#include "map_solver.h"

/* At an optimal λ (k entries) of pb: writes the k×k matrix dldc (row-major,
 * dldc[i*k + l] = ∂λ_i/∂c_l; zero in every row or column outside F) and
 * *nfree = |F|. One pass over the data (map_evaluate), then a Cholesky
 * factorisation (GSL) of the free block scaled by the values' sds; *cond
 * (may be NULL) is its 1-norm condition estimate. MAP_EDATA when Σ_FF is
 * not positive definite (λ is then not a smooth function of c: collinear
 * values), MAP_ENOMEM when the workspace is too small. Allocates nothing. */
int map_sensitivity(const map_problem *pb, const double *lambda, map_solver_ws *ws, double *dldc,
                    size_t *nfree, double *cond, map_error *err);

#endif
