/* map_kernel.h — private to solver/: what one evaluation pass computes (the
 * job) and the kernel that reduces a run of its rows to a partial
 * (map_kernel.c), for the chunks and threads of map_eval.c. */
#ifndef MAP_KERNEL_H
#define MAP_KERNEL_H

#include "map_solver_internal.h"

/* What one pass evaluates: the scores s_j = Σ_i λ_i (r_j[cols[i]] − center[i])
 * over rows of X (through order when non-NULL), the p stat columns scols,
 * and how the rows split into chunks. */
typedef struct eval_job {
    const map_matrix *X;
    const size_t *order;  /* row indices (per prompt), NULL: the identity */
    const size_t *gstart; /* K + 1 group offsets into order; NULL: global */
    size_t n, K;          /* rows, groups */
    size_t chunk;         /* rows per chunk (global) or groups per chunk (per prompt) */
    size_t nchunks;
    size_t k;
    const size_t *cols;
    const double *center;
    const double *lambda;
    size_t p;
    const size_t *scols;
    int want_cov;
    const map_colpack *pack; /* the scored columns packed (= the stat columns, k ≤ 8), or NULL */
} eval_job;

/* At most this many packed columns (the unrolled copies). */
#define MAP_PACK_MAX_K 8

/* The partial of rows [b, b+n) of idx (of X when idx is NULL), n ≥ 1, into
 * *out: blocks from b on, each merged into the running partial in order. */
void map_kernel_rows_partial(const eval_job *jb, const size_t *idx, size_t b, size_t n,
                             const map_eval_scratch *scr, map_partial *out);

#endif
