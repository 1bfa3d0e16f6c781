/* map_reference_grouped.h — an independent implementation of the per-prompt
 * MAP dual (MATH.md §9) for tests: a straightforward two-pass log-sum-exp per
 * group in long double, minimised with NLopt's bound-constrained L-BFGS, and
 * the per-prompt scaled margin as one LP over all samples (GLPK simplex then
 * exact rational polish) in which each prompt's q sums to 1. Shares no code
 * with solver/ (nor with map_reference.c).
 *
 * Groups: K groups, group g holding rows order[start[g]] … order[start[g+1]−1]
 * of the row-major n × ld matrix x; cols the k constrained columns. */
#ifndef MAP_REFERENCE_GROUPED_H
#define MAP_REFERENCE_GROUPED_H

#include <stddef.h>

/* f(λ) = (1/K) Σ_g log((1/n_g) Σ_{j∈G_g} exp(λᵀr_j)) − λᵀc and its gradient
 * (1/K) Σ_g μ_g(λ) − c (if grad != NULL). */
double map_refg_objective(const double *x, size_t ld, size_t K, const size_t *start,
                          const size_t *order, size_t k, const size_t *cols, const double *c,
                          const double *lambda, double *grad);

/* The per-prompt levels (1/K) Σ_g μ_g(λ) of p columns scols. */
void map_refg_levels(const double *x, size_t ld, size_t K, const size_t *start, const size_t *order,
                     size_t k, const size_t *cols, const double *lambda, size_t p,
                     const size_t *scols, double *levels);

/* Minimises f over λ ≥ 0 with NLopt LD_LBFGS (restarted until it stops
 * improving), from lambda (in/out). NLopt's result code (> 0 on success). */
int map_refg_solve(const double *x, size_t ld, size_t K, const size_t *start, const size_t *order,
                   size_t k, const size_t *cols, const double *c, double *lambda);

/* v* = max over q (q ≥ 0, Σ_{j∈G_g} q_j = 1 for every g) of
 * min_i (1/K) Σ_j q_j (r_ji − c_i) / scale_i, as one LP. 0 and *margin, or −1. */
int map_refg_margin(const double *x, size_t ld, size_t K, const size_t *start, const size_t *order,
                    size_t k, const size_t *cols, const double *c, const double *scale,
                    double *margin);

/* The gap of a certificate d on the per-prompt attainable set:
 * dᵀc − (1/K) Σ_g max_{j∈G_g} dᵀr_j (positive: d refutes c). */
double map_refg_cert_gap(const double *x, size_t ld, size_t K, const size_t *start,
                         const size_t *order, size_t k, const size_t *cols, const double *c,
                         const double *d);

#endif
