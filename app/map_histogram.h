/* map_histogram.h — the distribution of one value's rewards before and
 * after tilting by a solved palette (the MAP paper's histogram figure): a
 * palette is solved as `solve` does, then one value's samples are binned
 * over [min, max] under the reference weights p0 and under q_λ.
 */
#ifndef MAP_HISTOGRAM_H
#define MAP_HISTOGRAM_H

#include <stddef.h>

#include "map_app.h"

#define MAP_HISTOGRAM_BINS_DEFAULT 40
#define MAP_HISTOGRAM_BINS_MAX 10000

typedef struct map_histogram_report {
    char *value;              /* the binned value's name (owned) */
    size_t bins;              /* number of bins, ≥ 1 */
    double *edges;            /* bins + 1 increasing edges from the value's min to max (owned);
                                 a constant value gets [v − 0.5, v + 0.5] */
    double *reference;        /* bins fractions under p0, summing to 1 (owned) */
    double *tilted;           /* bins fractions under q_λ, summing to 1 (owned); NULL when
                                 the solve has no finite λ (infeasible, boundary, ...) */
    map_solve_report *solve;  /* the solve of the palette (owned): status, λ */
} map_histogram_report;

/* Solves rq over ds (map_app_solve; rq->opts's per-prompt normalisation
 * weighs each prompt equally in both histograms)
 * and bins value `value` of ds into `bins` equal bins over [min, max] (the
 * last bin closed). The tilted weights are q_j ∝ exp(λᵀ r_j) (within each
 * prompt under per-prompt normalisation), summed in double precision after
 * subtracting the largest exponent. Errors: an unknown value or bins outside
 * [1, MAP_HISTOGRAM_BINS_MAX] is MAP_EDATA with err->field "value" or
 * "bins" (the message begins with it too); the solve's errors; MAP_ENOMEM.
 * *out: free with
 * map_histogram_report_free. */
int map_app_histogram(const map_dataset *ds, const map_solve_request *rq, const char *value,
                      size_t bins, map_histogram_report **out, map_error *err);

/* Frees rep and what it owns; NULL is a no-op. */
void map_histogram_report_free(map_histogram_report *rep);

#endif
