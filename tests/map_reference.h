/* map_reference.h — an independent implementation of the MAP dual for tests:
 * straightforward two-pass log-sum-exp in long double, minimised with NLopt's
 * bound-constrained L-BFGS. Shares no code with solver/. */
#ifndef MAP_REFERENCE_H
#define MAP_REFERENCE_H

#include <stddef.h>

/* f(λ) = log((1/n) Σ exp(λᵀr_j)) − λᵀc and its gradient (if grad != NULL);
 * x is row-major n x ld, cols the k constrained columns. */
double map_ref_objective(const double *x, size_t n, size_t ld, size_t k, const size_t *cols,
                         const double *c, const double *lambda, double *grad);

/* Minimises f over λ ≥ 0 with NLopt LD_LBFGS to tight tolerances, starting
 * from lambda (in/out). Returns the NLopt result code (> 0 on success). */
int map_ref_solve(const double *x, size_t n, size_t ld, size_t k, const size_t *cols,
                  const double *c, double *lambda);

#endif

/* The scaled margin v* = max_{q ∈ Δ_n} min_i (Σ_j q_j (r_ji − c_i)/scale_i)
 * as one LP over all n samples (primal form, GLPK simplex then exact
 * rational polish). Independent of the solver's cutting-plane dual form.
 * Returns 0 and sets *margin, or -1 if GLPK failed. */
int map_ref_margin(const double *x, size_t n, size_t ld, size_t k, const size_t *cols,
                   const double *c, const double *scale, double *margin);

/* The ray adjustment as one LP over all samples: the largest ρ ≤ 1 with
 * Σ_j q_j (r_ji − c0_i) ≥ ρ (c_i − c0_i) for some q ∈ Δ_n. 0 or -1. */
int map_ref_ray(const double *x, size_t n, size_t ld, size_t k, const size_t *cols, const double *c,
                const double *c0, double *rho);
