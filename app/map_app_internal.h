/* map_app_internal.h — what the application layer's command files share and
 * no front end sees: a dataset's rows grouped by prompt and the solver
 * problem of a palette (solve, feasible, adjust) or of chosen values
 * (frontier, region) on a dataset, built in map_app_problem.c; the solve
 * that solve and adjust both run, and the one that hands its prompt groups
 * on to histogram and decode (map_app_solve.c); and the scores λᵀr of a
 * solve, which decode and the histogram weigh samples by
 * (map_decode_app.c). */
#ifndef MAP_APP_INTERNAL_H
#define MAP_APP_INTERNAL_H

#include "map_app.h"
#include "map_stats.h"

/* A dataset's rows grouped by prompt, as the solver takes them (MATH.md §9):
 * g borrows order and start, the arrays gr owns (on the heap, so a struct
 * copy moves them when the source is zeroed after it). A zeroed app_groups
 * holds no groups. */
typedef struct app_groups {
    map_groups g;
    size_t *order, *start;
    size_t singletons; /* prompts with a single sample */
} app_groups;

/* gr's groups as the solver takes them, or NULL when gr holds none (global
 * normalisation). */
static inline const map_groups *app_groups_get(const app_groups *gr)
{
    return gr->order ? &gr->g : NULL;
}

/* Groups ds's rows by prompt into *gr (map_dataset_group_rows; free with
 * app_groups_free). A dataset without a prompt column is MAP_EDATA "dataset
 * 'NAME' has no prompt column: WHAT needs one (ingest it with a prompt
 * column)" with err->field set to field (NULL: none); MAP_ENOMEM. On
 * failure gr holds nothing. */
int app_groups_build(const map_dataset *ds, const char *what, const char *field, app_groups *gr,
                     map_error *err);

/* Frees what gr owns and zeroes it; a zeroed gr is a no-op. */
void app_groups_free(app_groups *gr);

/* The solver problem of a palette on a dataset: its non-constant values in
 * palette order, scale = sd and absmax from the column statistics, and the
 * reference means c0. pb points into the struct itself: use it in place,
 * never copy it. pb is valid only when kp >= 1. */
typedef struct app_problem {
    size_t kp;
    size_t cols[MAP_MAX_K];
    double target[MAP_MAX_K], scale[MAP_MAX_K], absmax[MAP_MAX_K], mean[MAP_MAX_K];
    map_problem pb;
    /* per-prompt normalisation: pb.groups = &groups.g when set (owned) */
    map_normalize normalize;
    app_groups groups;
} app_problem;

/* Frees what the builders allocated in ap (the groups). */
void app_problem_free(app_problem *ap);

/* A palette on a dataset, ready to solve: the parsed palette, one item per
 * palette value (name, spec, target, constant, pidx; λ and level NaN until
 * solved, a constant's λ 0 and level its value), the dataset's column
 * statistics and the problem. Used in place (ap points into itself); pal
 * and items may be moved out (set to NULL) by whoever takes them. */
typedef struct app_palette {
    map_palette *pal;
    map_solve_item *items;
    map_colstat *st;
    app_problem ap;
} app_palette;

/* Parses spec (field "palette") for ds and builds its problem under
 * normalize. A constant value (min == max) whose target is at most its
 * value is left out of the problem; above it, it stays in with scale
 * max(1, |value|) so that the verdict is infeasible with d = e_i. On
 * failure everything is freed (pp zeroed). */
int app_palette_build(const map_dataset *ds, const char *spec, map_normalize normalize,
                      app_palette *pp, map_error *err);

/* Frees what pp still owns. */
void app_palette_free(app_palette *pp);

/* Column statistics of ds (a new array, map_free); MAP_EDATA for a dataset
 * without samples. */
int app_column_stats(const map_dataset *ds, map_colstat **st, map_error *err);

/* The problem on the chosen values of ds (names, k of them; field
 * "values"): scale = sd, absmax, target = mean (the tables ignore it), from
 * ds's column statistics. A dataset without samples, and unknown, repeated
 * and constant values, are MAP_EDATA naming them. On failure ap holds
 * nothing to free. */
int app_chosen_problem(const map_dataset *ds, const char *const *names, size_t k,
                       map_normalize normalize, app_problem *ap, map_error *err);

/* A new solve report for ds taking pp's palette and items (pp->pal and
 * pp->items NULL afterwards; left with pp on failure). */
int app_solve_report_new(const map_dataset *ds, app_palette *pp, map_solve_report **out,
                         map_error *err);

/* map_app_solve, handing over the prompt groups its problem was built on:
 * *groups (may be NULL: not wanted) is zeroed under global normalisation
 * and on failure, else the caller's to free with app_groups_free. */
int app_solve_groups(const map_dataset *ds, const map_solve_request *rq, map_solve_report **out,
                     app_groups *groups, map_error *err);

/* Solves pp's problem (at its current targets) and fills rep: the result,
 * the items' λ and levels, the levels of every value and the analyses opts
 * asks for (par, fp NULL: defaults). */
int app_solve_problem(const map_dataset *ds, const app_palette *pp, const map_solve_opts *opts,
                      const map_solver_params *par, const map_feas_params *fp,
                      map_solve_report *rep, map_error *err);

/* fp (NULL: the defaults) with want_margin set as given. */
map_feas_params app_feas_with_margin(const map_feas_params *fp, int want_margin);

/* The scores λᵀr_j of the n samples of ds under the λ of rep, a solve on ds
 * with finite λ (rep->has_tilt), summed in palette order
 * (map_decode_scores): *score is a new array (map_free); MAP_ENOMEM. */
int app_solve_scores(const map_dataset *ds, const map_solve_report *rep, double **score,
                     map_error *err);

#endif
