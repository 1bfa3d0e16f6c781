/* map_sweep_app.h — the logic of `mapsolve sweep`, callable without the CLI:
 * build the rows of a source (a grid, the MAP paper's random palettes, a
 * palettes file, or a random λ cloud) over a dataset, run them through the
 * parallel sweep engine (solver/map_sweep.h) and hand the results, in row
 * order, to a table sink (CSV, JSON Lines) and optionally to the store.
 *
 * Table columns, in this order:
 *   row, status, target_<v>…, lambda_<v>…, level_<v>…, kl, ess, margin, iterations
 * for the k chosen values v; λ-cloud sweeps add a last column `improves`
 * (1 when the point raises every chosen value above its reference level).
 */
#ifndef MAP_SWEEP_APP_H
#define MAP_SWEEP_APP_H

#include <stdatomic.h>
#include <stdint.h>

#include "map_app.h"
#include "map_sweep.h"

typedef enum map_sweep_source {
    MAP_SOURCE_GRID = 0, /* grid: VALUE=FROM:TO:STEPS,... */
    MAP_SOURCE_RANDOM,   /* count palettes of kind over values */
    MAP_SOURCE_PALETTES, /* a CSV file (path, "-" = stdin), one column per value */
    MAP_SOURCE_LAMBDAS   /* count λ = U(0, scale)·Dirichlet(1,…,1) over values */
} map_sweep_source;

/* Stable names: "grid", "random", "palettes", "lambdas". */
const char *map_sweep_source_name(map_sweep_source s);

typedef struct map_sweep_request {
    map_sweep_source source;
    const char *grid;           /* GRID */
    size_t count;               /* RANDOM, LAMBDAS: rows, ≥ 1 */
    map_sweep_kind kind;        /* RANDOM */
    const char *const *values;  /* RANDOM, LAMBDAS: the chosen values */
    size_t k;
    double scale;               /* LAMBDAS: S > 0 */
    const char *palettes;       /* PALETTES: file path or "-" */
    uint64_t seed;              /* RANDOM, LAMBDAS */
    unsigned threads;           /* 0: all CPUs */
    int per_prompt;             /* per-prompt normalisation (ds must carry prompts) */
    int want_margin;            /* palettes: compute each margin v* (map_feas_params.want_margin) */
    size_t start_row;           /* resume: first row to compute and emit */
    const atomic_int *cancel;   /* may be NULL; set by a signal handler to stop cleanly */
    map_sweep_progress_fn on_progress; /* may be NULL */
    void *progress_ctx;
    map_store *store;           /* may be NULL: rows are also appended to sweep store_id,
                                   in batches of one transaction each */
    int64_t store_id;
} map_sweep_request;

/* ---- the request as JSON (what a stored sweep records) -----------------
 *
 * One object, the fields of the request that define its rows (never the run
 * fields: threads, start_row, cancel, progress, store):
 *   "dataset": the dataset's name,
 *   "source": "grid" | "random" | "palettes" | "lambdas",
 *   "grid": the grid spec (grid), "palettes": the file (palettes),
 *   "count": rows (random, lambdas), "kind": "aggressive" | "conservative"
 *   (random), "values": [names…] (random, lambdas), "scale": S (lambdas),
 *   "seed": the seed, "normalize": "global" | "prompt", "margin": boolean. */

/* Encodes rq (and the dataset's name, non-NULL) as JSON into a new
 * NUL-terminated *json (free with map_free). MAP_EUSAGE for a request
 * missing its source's fields; MAP_ENOMEM. */
int map_sweep_request_encode(const map_sweep_request *rq, const char *dataset, char **json,
                             map_error *err);

/* A request decoded by map_sweep_request_decode, with the strings it owns:
 * rq's grid, palettes and values point into dataset/grid/palettes/values;
 * rq's run fields are zero. */
typedef struct map_sweep_saved {
    map_sweep_request rq;
    char *dataset;
    char *grid;
    char *palettes;
    char **values; /* rq.k names */
} map_sweep_saved;

/* Decodes json (as map_sweep_request_encode writes it) into *out, which is
 * zeroed first and on failure. Errors: MAP_EDATA naming the field, e.g.
 * "field 'grid' must be a string" (or "not JSON: …"); MAP_ENOMEM. Free a
 * success with map_sweep_saved_free. */
int map_sweep_request_decode(const char *json, map_sweep_saved *out, map_error *err);

void map_sweep_saved_free(map_sweep_saved *s);

typedef struct map_sweep_outcome {
    map_sweep_summary summary; /* from the engine */
    size_t nrows;              /* rows of the whole sweep */
    size_t k;                  /* chosen values */
    char **values;             /* k names (owned; freed by map_sweep_outcome_free) */
} map_sweep_outcome;

void map_sweep_outcome_free(map_sweep_outcome *out);

/* Plans the sweep's shape without running it: the number of rows and the
 * chosen values (for the store's record). Same errors as map_app_sweep. */
int map_app_sweep_shape(const map_dataset *ds, const map_sweep_request *rq, map_sweep_outcome *out,
                        map_error *err);

/* Runs the sweep. Errors: MAP_EDATA for a bad source (grid spec, unknown
 * value, a constant value, a palettes file with a non-value column, …),
 * MAP_EDATA when per-prompt normalisation is asked of a dataset without a
 * prompt column, MAP_ENOMEM, MAP_ESTORE from the store, the sink's return.
 * Rows before a failure are emitted (and stored). *out is filled. */
int map_app_sweep(const map_dataset *ds, const map_sweep_request *rq, const map_table_sink *sink,
                  map_sweep_outcome *out, map_error *err);

/* ---- stored sweeps -------------------------------------------------------
 *
 * A stored sweep is recorded before its first row (map_app_sweep_record),
 * run by map_app_sweep with rq->store set (rows committed in batches as they
 * come), and marked complete after a run that was not cancelled
 * (map_app_sweep_finish). map_app_sweep_reopen reads a recorded sweep back
 * as a request that continues it from its first missing row. */

/* Records a new, incomplete sweep of rq over ds (a dataset of st, by its
 * name) in one transaction: its request as JSON (what map_app_sweep_reopen
 * re-runs), its shape (rows, chosen values), source and seed, and command,
 * the command line `sweeps` shows (NULL: ""). On success *id [out] is the
 * new sweep's id and rq->store, rq->store_id point at it. Errors: those of
 * map_app_sweep_shape and map_sweep_request_encode; MAP_ESTORE; MAP_ENOMEM. */
int map_app_sweep_record(map_store *st, const map_dataset *ds, map_sweep_request *rq,
                         const char *command, int64_t *id, map_error *err);

/* After map_app_sweep of a stored sweep (rq->store set): marks it complete
 * unless out says the run was cancelled. MAP_ESTORE. */
int map_app_sweep_finish(const map_sweep_request *rq, const map_sweep_outcome *out,
                         map_error *err);

/* Reads stored sweep id back: *info [out] its record (free with
 * map_store_sweep_info_free(info, 1)) and, when it recorded a request (a
 * sweep stored since schema version 4), *saved [out] that request with its
 * run fields set to continue it: start_row the first missing row, store st,
 * store_id id. *have_request [out] is 0 for an older sweep, which recorded
 * only its command line (info->command), for the front end that ran it to
 * convert. Errors: unknown id MAP_EUSAGE; a recorded request that cannot be
 * read MAP_ESTORE ("sweep N: stored request: ..."); MAP_ENOMEM. */
int map_app_sweep_reopen(map_store *st, int64_t id, map_store_sweep_info **info,
                         map_sweep_saved *saved, int *have_request, map_error *err);

/* Records rq (run on dataset) as the request of stored sweep id, once, for
 * a sweep stored before requests were (schema version 3) whose command line
 * the front end has converted. Errors: map_sweep_request_encode's;
 * MAP_ESTORE. */
int map_app_sweep_set_request(map_store *st, int64_t id, const map_sweep_request *rq,
                              const char *dataset, map_error *err);

/* MAP_OK when stored sweep id is one of dataset's; MAP_EUSAGE when it is
 * another dataset's ("sweep ID belongs to dataset 'A', not 'B'") or unknown.
 * Apart from map_app_export_sweep so that a front end can refuse the request
 * before it creates (and truncates) its output. */
int map_app_sweep_check_owner(map_store *st, int64_t id, const char *dataset, map_error *err);

/* Writes stored sweep id as a table with the same columns as the live sweep
 * (rows in row order; an incomplete sweep gives the rows stored). Unknown
 * id: MAP_EUSAGE; MAP_ESTORE; MAP_ENOMEM; the sink's return. */
int map_app_export_sweep(map_store *st, int64_t id, const map_table_sink *sink, map_error *err);

#endif
