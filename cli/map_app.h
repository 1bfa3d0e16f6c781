/* map_app.h — the logic of every mapsolve command as plain functions, usable
 * without the command line (the CLI in main.c and, later, a local HTTP
 * server call these). Nothing here prints or exits: results come back as
 * structs the caller renders with map_output.h, failures as a map_code with
 * a message in the map_error.
 */
#ifndef MAP_APP_H
#define MAP_APP_H

#include <stddef.h>
#include <stdint.h>

#include "map_common.h"
#include "map_dataset.h"
#include "map_ingest.h"
#include "map_palette.h"
#include "map_solver.h"
#include "map_store.h"

/* ---- ingest ------------------------------------------------------------- */

typedef struct map_ingest_report {
    char *name;       /* the dataset's name */
    char *source;     /* the source path as given */
    char *hash;       /* hex content hash */
    size_t n, m;      /* samples, values */
    char **values;    /* m value names */
    char *same_as;    /* another dataset with the same content hash, or NULL */
    int replaced;     /* a dataset of that name existed and was replaced */
} map_ingest_report;

/* Checks a dataset name: non-empty, at most 200 bytes, no control
 * characters. MAP_EUSAGE with a message otherwise. */
int map_app_check_name(const char *name, map_error *err);

/* Reads opts->path (map_ingest_read), names the dataset `name`, looks for
 * stored content with the same hash (reported in rep->same_as when stored
 * under another name) and stores it with map_store_put_dataset (one
 * transaction). Nothing is written unless the whole file was read and
 * validated. A taken name without replace is MAP_EDATA. On success fills
 * *rep (free with map_ingest_report_free); on failure *rep is empty. */
int map_app_ingest(const map_ingest_opts *opts, const char *name, int replace, map_store *st,
                   map_ingest_report *rep, map_error *err);

/* The two halves of map_app_ingest, for callers that must not touch the
 * store before the input is known to be good (the CLI does not create a
 * database for a bad file):
 * map_app_ingest_read checks name, reads and validates opts->path and names
 * the dataset (*out: free with map_dataset_free);
 * map_app_ingest_store looks up the content hash and stores ds (borrowed). */
int map_app_ingest_read(const map_ingest_opts *opts, const char *name, map_dataset **out,
                        map_error *err);
int map_app_ingest_store(map_store *st, const map_dataset *ds, int replace, map_ingest_report *rep,
                         map_error *err);

/* Frees what *rep owns and empties it; NULL is a no-op. */
void map_ingest_report_free(map_ingest_report *rep);

/* ---- describe ----------------------------------------------------------- */

typedef struct map_value_summary {
    const char *name; /* borrowed from the dataset */
    size_t n;
    double mean, sd; /* population sd (divisor n) */
    double min, q10, q25, q50, q75, q90, max; /* type-7 percentiles */
} map_value_summary;

/* Summaries of every value of ds (ds->n >= 1). *out is a new array of ds->m
 * entries whose names borrow from ds (free the array with map_free). */
int map_app_describe(const map_dataset *ds, map_value_summary **out, map_error *err);

/* ---- solve -------------------------------------------------------------- */

typedef struct map_solve_item {
    const char *name;   /* borrowed from the palette */
    const char *spec;   /* the target as written */
    double target;      /* numeric target c_i */
    double lambda;      /* λ_i (0 for a constant value left out) */
    double level;       /* realised level μ_i(λ) */
    int constant;       /* the value is constant and meets its target: left out with λ = 0 */
    long pidx;          /* index in the solved problem (result.lambda etc.), -1 if left out */
} map_solve_item;

typedef struct map_solve_report {
    char *dataset;          /* dataset name (owned) */
    size_t n;               /* samples */
    map_palette *palette;   /* the resolved palette (owned) */
    size_t k;               /* palette size (= palette->k) */
    map_solve_item *items;  /* k entries in palette order (owned) */
    size_t kp;              /* constrained values actually solved (k minus constants) */
    map_result result;      /* map_solve_palette's result on the kp values; when kp == 0 a
                               synthetic optimal result at λ = 0 */
    int has_tilt;           /* λ is finite, so the levels and result.diag describe the
                               tilted distribution q_λ; 0 for infeasible and boundary
                               verdicts (λ undefined or unbounded): levels are NaN and
                               result.diag is not meaningful */
    size_t m;               /* every value of the dataset */
    char **values;          /* m names (owned) */
    double *levels;         /* m realised levels under q_λ (owned); NaN when !has_tilt,
                               except constant values */
} map_solve_report;

/* Solves palette spec on the dataset ds (MATH.md §1-6): value i's scale is
 * its sd under p0, absmax from the same column statistics. A constant value
 * (min == max) whose target is at most its value is left out with λ = 0; a
 * constant value with a higher target is MAP_EDATA. Calls map_solve_palette
 * (par, fp may be NULL for defaults) and then map_levels for every value.
 * Returns MAP_OK whenever a verdict was reached — the caller reads
 * rep->result.status (map_app_solve_code gives the exit code) — MAP_EDATA
 * for a bad palette, MAP_ENOMEM. On success *out is a new report (free with
 * map_solve_report_free). */
int map_app_solve_dataset(const map_dataset *ds, const char *spec, const map_solver_params *par,
                          const map_feas_params *fp, map_solve_report **out, map_error *err);

/* Loads dataset `name` from st (values only) and calls map_app_solve_dataset.
 * Unknown dataset: MAP_EUSAGE. */
int map_app_solve(map_store *st, const char *name, const char *spec, const map_solver_params *par,
                  const map_feas_params *fp, map_solve_report **out, map_error *err);

/* MAP_OK for an optimal result, MAP_NOT_ATTAINED otherwise. */
int map_app_solve_code(const map_solve_report *rep);

void map_solve_report_free(map_solve_report *rep);

#endif
