/* map_resample.h — how far a solved palette carries beyond the samples at
 * hand: bootstrap standard errors and intervals for λ* and the realised
 * levels, and a hold-out check (solve on one part of the samples, realised
 * levels and KL of that tilt on the other). Random draws use GSL's mt19937
 * seeded by the caller, so runs are reproducible.
 *
 * Under per-prompt normalisation (pb->groups) the unit of resampling is the
 * prompt: the bootstrap draws K prompts with replacement (each with all its
 * samples), and the hold-out split puts whole prompts on either side. This
 * matches the problem, where prompts are the independent draws.
 */
#ifndef MAP_RESAMPLE_H
#define MAP_RESAMPLE_H

#include "map_solver.h"

/* A caller-owned workspace for one problem shape: the resampled data matrix
 * (whole rows), its groups, and the replicate results. Allocated once;
 * nothing is allocated per replicate. */
typedef struct map_resample_ws map_resample_ws;

/* A workspace for resampling pb's data (n rows, m columns, pb->groups or
 * none) with B bootstrap replicates of k = pb->k values and p levels. NULL
 * on out-of-memory or B == 0. Free with map_resample_ws_free (NULL no-op). */
map_resample_ws *map_resample_ws_new(const map_problem *pb, size_t B, size_t p);
void map_resample_ws_free(map_resample_ws *rw);

/* Summary of one quantity over the replicates that were solved. */
typedef struct map_boot_stat {
    double estimate; /* the full-data value */
    double mean;     /* mean over the replicates */
    double se;       /* standard deviation over the replicates (divisor B−1) */
    double lo, hi;   /* 2.5% and 97.5% percentiles (type 7) */
} map_boot_stat;

typedef struct map_boot_result {
    size_t replicates; /* B */
    size_t used;       /* replicates whose solve was optimal */
    size_t excluded;   /* the others (not optimal: left out of the summaries) */
} map_boot_result;

/* B bootstrap resamples of pb's samples (of its prompts with groups), drawn
 * with gsl_rng mt19937 seeded with seed; each is solved by projected Newton
 * (map_solve, par may be NULL) warm-started from lambda0 — the full-data
 * optimum (k entries) — and the levels of the p stat_cols under its tilt
 * computed (map_levels). lambda0 and level0 (p entries, the full-data
 * levels) are the estimates in the summaries. Replicates that are not
 * optimal (a resample on which the palette is unattainable or the solve did
 * not converge) are counted in res->excluded and left out. Fills lam (k
 * entries) and lev (p entries). With fewer than 2 replicates used the se
 * and intervals are NaN. ws must hold k values and p stat columns; rw must
 * come from map_resample_ws_new for this problem, B and p. MAP_OK or the
 * error of map_solve. */
int map_bootstrap(const map_problem *pb, const map_solver_params *par, const double *lambda0,
                  const double *level0, size_t p, const size_t *stat_cols, size_t B,
                  unsigned long seed, map_resample_ws *rw, map_solver_ws *ws, map_boot_stat *lam,
                  map_boot_stat *lev, map_boot_result *res, map_error *err);

typedef struct map_holdout_result {
    size_t n_train, n_test;     /* samples on each side */
    size_t k_train, k_test;     /* prompts on each side (0 without groups) */
    map_result train;           /* the palette solved on the training part (with verdict) */
    double kl_test;             /* KL of the training tilt on the held-out part, nats */
    double ess_test;            /* its ESS there */
} map_holdout_result;

/* Splits pb's samples (prompts, with groups) at random — a fraction
 * `fraction` in (0, 1) of them, rounded, at least one, held out; gsl_rng
 * mt19937 seeded with seed — solves the palette on the rest
 * (map_solve_palette, par and fp may be NULL) and, when that tilt is finite
 * (res->train.status optimal), writes the levels of the p stat_cols on the
 * held-out part under it to train_levels (on the training part) and
 * test_levels (held-out), with res->kl_test and res->ess_test; NaN
 * otherwise. rw must come from map_resample_ws_new for pb (any B, this p).
 * MAP_EDATA when either side would be empty; else as map_solve_palette. */
int map_holdout(const map_problem *pb, const map_solver_params *par, const map_feas_params *fp,
                double fraction, unsigned long seed, size_t p, const size_t *stat_cols,
                map_resample_ws *rw, map_solver_ws *ws, double *train_levels, double *test_levels,
                map_holdout_result *res, map_error *err);

#endif
