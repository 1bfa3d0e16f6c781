/* map_app.h — the logic of every mapsolve command as plain functions, usable
 * without the command line (the CLI in cli/, the HTTP service in server/ and
 * libmapsolve call these). Nothing here prints or exits: results come back
 * as structs the caller renders (render/), failures as a map_code with a
 * message in the map_error, naming the request field at fault in
 * map_error.field. Sweeps are in map_sweep_app.h, export in map_export.h,
 * decoding in map_decode_app.h.
 */
#ifndef MAP_APP_H
#define MAP_APP_H

#include <stddef.h>
#include <stdint.h>

#include "map_common.h"
#include "map_dataset.h"
#include "map_ingest.h"
#include "map_methods.h"
#include "map_palette.h"
#include "map_resample.h"
#include "map_solver.h"
#include "map_store.h"

/* ---- the store: opening it; datasets, remove, sweeps -------------------- */

/* How a command uses the database. */
typedef enum map_store_access {
    MAP_STORE_READ,   /* read-only; never creates the file */
    MAP_STORE_UPDATE, /* read-write, the file must exist (remove) */
    MAP_STORE_CREATE  /* read-write, created when missing (ingest, a stored sweep) */
} map_store_access;

/* The one store-open policy of the front ends. db is the database's path
 * (NULL: $MAPSOLVE_DB, else ./mapsolve.db: map_store_default_path). When the
 * file does not exist, READ and UPDATE do not create it: for a listing (name
 * NULL) *st stays NULL and MAP_OK is returned; otherwise MAP_EUSAGE "no
 * dataset named NAME in PATH (no such database)". On success *st (possibly
 * NULL, see above) is the caller's to close (map_store_close). */
int map_app_store_open(const char *db, map_store_access how, const char *name, map_store **st,
                       map_error *err);

/* The datasets of a store, ordered by name. */
typedef struct map_datasets_result {
    map_dataset_info *info; /* count entries */
    size_t count;
} map_datasets_result;

/* Lists st's datasets into *res (st NULL, a database that does not exist:
 * none). Free with map_datasets_result_free. */
int map_app_datasets(map_store *st, map_datasets_result *res, map_error *err);
void map_datasets_result_free(map_datasets_result *res);

typedef struct map_remove_request {
    const char *name; /* the dataset */
} map_remove_request;

/* Deletes dataset rq->name and its sweeps in one transaction. Unknown
 * dataset: MAP_EUSAGE. */
int map_app_remove(map_store *st, const map_remove_request *rq, map_error *err);

typedef struct map_sweeps_request {
    const char *dataset; /* NULL: the sweeps of every dataset */
} map_sweeps_request;

/* The stored sweeps, ordered by id. */
typedef struct map_sweeps_result {
    map_store_sweep_info *info; /* count entries */
    size_t count;
} map_sweeps_result;

/* Lists the stored sweeps rq asks for into *res (st NULL: none; an unknown
 * dataset lists none). Free with map_sweeps_result_free. */
int map_app_sweeps(map_store *st, const map_sweeps_request *rq, map_sweeps_result *res,
                   map_error *err);
void map_sweeps_result_free(map_sweeps_result *res);

/* Loads dataset name from st with the store's load flags (MAP_LOAD_*).
 * Unknown dataset: MAP_EUSAGE. *ds: map_dataset_free. */
int map_app_load(map_store *st, const char *name, unsigned flags, map_dataset **ds,
                 map_error *err);

/* ---- ingest ------------------------------------------------------------- */

typedef struct map_ingest_report {
    char *name;       /* the dataset's name */
    char *source;     /* the source path as given */
    char *hash;       /* hex content hash */
    size_t n, m;      /* samples, values */
    char **values;    /* m value names */
    char *same_as;    /* another dataset with the same content hash, or NULL */
    int replaced;     /* a dataset of that name existed and was replaced */
    map_precision precision; /* as stored (ds->precision) */
} map_ingest_report;

/* Checks a dataset name: non-empty, at most 200 bytes, no control
 * characters. MAP_EUSAGE with a message otherwise. */
int map_app_check_name(const char *name, map_error *err);

/* What ingest is asked: a file, the dataset's name and the database. */
typedef struct map_ingest_request {
    map_ingest_opts read;     /* the file (read.path; "-" standard input) and how to read it */
    const char *name;         /* the dataset's name (map_app_check_name) */
    int replace;              /* replace a dataset of that name */
    map_precision precision;  /* how the matrix is stored (default DOUBLE) */
    const char *db;           /* the database (map_app_store_open), created when missing */
} map_ingest_request;

/* Reads rq->read.path (map_ingest_read) and checks the whole of it before
 * the database is opened (and perhaps created): bad input leaves no trace.
 * Then names the dataset, looks for stored content with the same hash
 * (reported in rep->same_as when stored under another name) and stores it
 * with map_store_put_dataset (one transaction). A taken name without
 * replace is MAP_EDATA. On success fills *rep (free with
 * map_ingest_report_free); on failure *rep is empty. */
int map_app_ingest(const map_ingest_request *rq, map_ingest_report *rep, map_error *err);

/* Frees what *rep owns and empties it; NULL is a no-op. */
void map_ingest_report_free(map_ingest_report *rep);

/* ---- describe ----------------------------------------------------------- */

typedef struct map_value_summary {
    const char *name; /* borrowed from the dataset */
    size_t n;
    double mean, sd; /* population sd (divisor n) */
    double min, q10, q25, q50, q75, q90, max; /* type-7 percentiles */
} map_value_summary;

/* Summaries of every value of ds (ds->n >= 1): read from ds->stats when the
 * store supplied them (ds->x may then be NULL: MAP_LOAD_NO_MATRIX), else
 * computed from ds->x (map_value_stats: selection, no sort). *out is a new
 * array of ds->m entries whose names borrow from ds (free the array with
 * map_free). MAP_EUSAGE when ds has neither. */
int map_app_describe(const map_dataset *ds, map_value_summary **out, map_error *err);

/* ---- options shared by solve, feasible and adjust ----------------------- */

typedef enum map_normalize {
    MAP_NORMALIZE_GLOBAL = 0, /* one distribution over all samples (MATH.md §1) */
    MAP_NORMALIZE_PROMPT = 1  /* per prompt, prompts weighted equally (MATH.md §9) */
} map_normalize;

/* "global", "prompt". */
const char *map_normalize_name(map_normalize v);

/* Parses "global" or "prompt"; 0 on success, −1 otherwise (*v unchanged). */
int map_normalize_parse(const char *text, map_normalize *v);

/* What a solve does beyond the plain projected-Newton answer. feasible
 * reads normalize only. */
typedef struct map_solve_opts {
    map_normalize normalize; /* default global; prompt needs the dataset's prompt column
                                (load it: MAP_LOAD_PROMPTS) */
    map_method method;       /* default newton; lbfgs and mma cross-check through NLopt */
    const double *init;      /* warm start: ninit = palette size values λ_i ≥ 0 in palette order
                                (a constant value's entry is ignored); NULL for λ = 0 */
    size_t ninit;
    int sensitivity;         /* shadow prices and dλ/dc on the free set (MATH.md §5) */
    size_t bootstrap;        /* B > 0: B bootstrap replicates (prompts resampled under
                                per-prompt normalisation) */
    double holdout;          /* in (0, 1): hold this fraction out (prompts under per-prompt
                                normalisation); 0: none */
    unsigned long seed;      /* for bootstrap and holdout; default 1 */
} map_solve_opts;

void map_solve_opts_default(map_solve_opts *so);

/* ---- solve -------------------------------------------------------------- */

/* Two palette values that are exactly collinear on the samples
 * (b = slope·a + intercept with squared correlation within 1e-12 of 1: a
 * duplicate, a negation, an affine copy): only a combination of their λs is
 * identifiable. */
typedef struct map_collinear {
    const char *a, *b;        /* borrowed from the palette */
    double slope, intercept;
} map_collinear;

typedef struct map_solve_item {
    const char *name;   /* borrowed from the palette */
    const char *spec;   /* the target as written */
    double target;      /* numeric target c_i */
    double lambda;      /* λ_i (0 for a constant value left out) */
    double level;       /* realised level μ_i(λ) */
    int constant;       /* the value is constant and meets its target: left out with λ = 0 */
    long pidx;          /* index in the solved problem (result.lambda etc.), -1 if left out */
} map_solve_item;

/* A warning about a solved palette: the tilt rests on few samples, so its
 * levels will not carry to new generations (a hold-out check shows how far
 * they do). Raised only for a finite, non-trivial tilt (some λ_i > 0):
 *   low_ess       the effective sample size is below MAP_WARN_ESS_MIN samples
 *                 or below MAP_WARN_ESS_FRACTION of n;
 *   heavy_weight  one sample carries more than MAP_WARN_MAX_WEIGHT of the
 *                 weight. */
#define MAP_WARN_ESS_MIN 30.0
#define MAP_WARN_ESS_FRACTION 0.01
#define MAP_WARN_MAX_WEIGHT 0.1
#define MAP_MAX_WARNINGS 4

typedef struct map_warning {
    const char *code;  /* "low_ess" or "heavy_weight" (static storage) */
    char detail[256];  /* one sentence with the figures, no trailing period */
} map_warning;

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
    /* normalisation */
    map_normalize normalize;
    size_t prompts;         /* prompts (groups) under per-prompt normalisation, else 0 */
    size_t singletons;      /* prompts with a single sample: they cannot be tilted */
    map_method method;      /* the algorithm of the final solve */
    size_t ill_conditioned; /* 1 when the final Hessian's condition exceeds 1e10 (collinear
                               values: the Newton system was or nearly was regularised) */
    size_t ncollinear;      /* exactly collinear pairs among the solved values (at most
                               MAP_MAX_K reported) */
    map_collinear collinear[MAP_MAX_K];
    /* --sensitivity (optimal only) */
    int has_sensitivity;
    double *dldc;           /* kp × kp, dλ_i/dc_l by pidx (owned); zero outside the free set */
    size_t sens_nfree;
    double sens_cond;
    char sens_note[256];    /* why the sensitivity is missing, when it is ("" otherwise) */
    /* --bootstrap (optimal only) */
    int has_bootstrap;
    unsigned long seed;
    map_boot_result boot;
    map_boot_stat *boot_lambda; /* kp, by pidx (owned) */
    map_boot_stat *boot_levels; /* m, every value (owned) */
    /* --holdout */
    int has_holdout;
    double holdout;             /* the fraction held out */
    map_holdout_result ho;
    double *ho_train_levels;    /* m (owned); NaN unless ho.train.status is optimal */
    double *ho_test_levels;     /* m (owned) */
    /* warnings (see map_warning), in the order low_ess, heavy_weight */
    size_t nwarnings;
    map_warning warnings[MAP_MAX_WARNINGS];
} map_solve_report;

/* What solve, feasible and adjust are asked. An error about one of these
 * names its field in map_error.field: "palette", "normalize", "init",
 * "inset", "priority". */
typedef struct map_solve_request {
    const char *palette;             /* VALUE=TARGET,... with TARGET a number, 'mean' or qNN
                                        (map_palette_parse_for) */
    map_solve_opts opts;             /* feasible reads opts.normalize only */
    const map_solver_params *params; /* NULL: the solver's defaults; feasible ignores it */
    const map_feas_params *feas;     /* NULL: the verdict's defaults */
} map_solve_request;

/* *rq = {palette, map_solve_opts_default, NULL, NULL}. */
void map_solve_request_init(map_solve_request *rq, const char *palette);

/* Solves rq's palette on the dataset ds (MATH.md §1-6): value i's scale is
 * its sd under p0, absmax from the same column statistics. A constant value
 * (min == max) whose target is at most its value is left out with λ = 0; a
 * higher target makes the palette infeasible with the certificate d = e_i
 * (it is kept in the problem with scale max(1, |value|) so that the
 * certificate is checked like any other). Calls map_solve_palette_method and
 * then map_levels for every value, and the analyses rq->opts asks for.
 * Returns MAP_OK whenever a verdict was reached — the caller reads
 * rep->result.status (map_app_solve_code) — MAP_EDATA for a bad palette,
 * per-prompt normalisation on a dataset without prompts or a hold-out that
 * leaves either side empty, MAP_EUSAGE for opts.init of the wrong length or
 * with a negative or non-finite entry, MAP_ENOMEM. On success *out is a new
 * report (free with map_solve_report_free). Thread-safe on a shared ds. */
int map_app_solve(const map_dataset *ds, const map_solve_request *rq, map_solve_report **out,
                  map_error *err);

/* MAP_OK for an optimal result, MAP_NOT_ATTAINED otherwise. */
int map_app_solve_code(const map_solve_report *rep);

void map_solve_report_free(map_solve_report *rep);

/* ---- feasible ----------------------------------------------------------- */

typedef enum map_verdict {
    MAP_VERDICT_ATTAINABLE = 0, /* v* > boundary tolerance: a finite λ exists */
    MAP_VERDICT_BOUNDARY = 1,   /* |v*| ≤ boundary tolerance: attainable only in the limit */
    MAP_VERDICT_INFEASIBLE = 2  /* a verified certificate d refutes the palette */
} map_verdict;

/* Stable names: "attainable", "boundary", "infeasible". */
const char *map_verdict_name(map_verdict v);

typedef struct map_feasible_report {
    char *dataset;          /* dataset name (owned) */
    size_t n;               /* samples */
    map_palette *palette;   /* the resolved palette (owned) */
    size_t k;               /* palette size */
    map_solve_item *items;  /* k entries (owned); lambda and level are NaN (not solved) except
                               for constant values (λ 0, level their value) */
    size_t kp;              /* values in the feasibility problem (k minus constants) */
    map_verdict verdict;
    double margin;          /* v* (map_margin), scaled by each value's sd; NaN when kp == 0 */
    int has_direction;      /* direction[] is meaningful (infeasible and boundary) */
    double direction[MAP_MAX_K]; /* by item pidx: the certificate d (infeasible; d = e_i for a
                                    target above a value's maximum) or the face normal
                                    (boundary: the values with d_i > 0 drive it) */
    double cert_gap;        /* infeasible: dᵀc − max_j dᵀr_j > 0, verified with
                               map_certificate_check; NaN otherwise */
    map_normalize normalize;
    size_t prompts, singletons; /* as in map_solve_report */
} map_feasible_report;

/* The feasibility verdict on rq's palette over ds (under rq->opts.normalize)
 * with its evidence, without the Newton solve: the same problem as
 * map_app_solve (constant values, scales, absmax) and the same verdict rules
 * as map_solve_palette (rq->feas). MAP_OK whenever a verdict was reached,
 * MAP_EDATA for a bad palette, MAP_ENOMEM. *out: free with
 * map_feasible_report_free. */
int map_app_feasible(const map_dataset *ds, const map_solve_request *rq,
                     map_feasible_report **out, map_error *err);

/* MAP_OK for attainable, MAP_NOT_ATTAINED for boundary and infeasible. */
int map_app_feasible_code(const map_feasible_report *rep);

void map_feasible_report_free(map_feasible_report *rep);

/* ---- adjust ------------------------------------------------------------- */

typedef enum map_adjust_mode {
    MAP_ADJUST_RAY = 0,   /* c0 + ρ(c − c0), the largest attainable ρ (MATH.md §7) */
    MAP_ADJUST_GREEDY = 1 /* one target at a time in priority order */
} map_adjust_mode;

/* "ray", "greedy". */
const char *map_adjust_mode_name(map_adjust_mode mode);

/* Parses "ray" or "greedy"; 0 on success, −1 otherwise (*mode unchanged). */
int map_adjust_mode_parse(const char *text, map_adjust_mode *mode);

#define MAP_ADJUST_INSET_DEFAULT 1e-3

typedef struct map_adjust_opts {
    map_adjust_mode mode;          /* default MAP_ADJUST_RAY */
    const char *const *priority;   /* greedy: palette values to adjust first, in this order
                                      (the rest follow in palette order); may be NULL */
    size_t npriority;
    double inset;                  /* in [0, 1); default MAP_ADJUST_INSET_DEFAULT */
} map_adjust_opts;

void map_adjust_opts_default(map_adjust_opts *ao);

typedef struct map_adjust_report {
    map_adjust_mode mode;
    double requested_margin; /* v* of the requested palette; NaN when every value is constant */
    int unchanged;           /* the requested palette is strictly attainable (v* above the
                                boundary tolerance) and was solved as is */
    double rho;              /* ray: the largest attainable ρ (1 when unchanged or on the
                                boundary); NaN for greedy */
    double inset;            /* the inset applied: opts->inset, or 0 when unchanged */
    double *requested;       /* k requested targets (owned), palette order */
    double *adjusted;        /* k adjusted targets (owned): on the boundary when the palette
                                was unattainable, else the requested ones */
    map_solve_report *solve; /* the solve at the targets actually solved (owned):
                                solve->items[i].target = c0 + (1 − inset)(adjusted − c0) */
} map_adjust_report;

/* What adjust is asked: the palette and how the adjusted palette is solved,
 * and how to adjust it. */
typedef struct map_adjust_request {
    map_solve_request solve;
    map_adjust_opts adjust;
} map_adjust_request;

/* *rq = {map_solve_request_init(palette), map_adjust_opts_default}. */
void map_adjust_request_init(map_adjust_request *rq, const char *palette);

/* Adjusts rq's palette over ds (MATH.md §7) when it is not strictly
 * attainable — ray (map_adjust_ray with c0 the reference levels: the means,
 * or under per-prompt normalisation the average of the prompts' means) or
 * greedy (map_adjust_greedy in the priority order) — steps the adjusted
 * palette inside the boundary by rq->adjust.inset (map_palette_inset toward
 * c0) so that λ is finite, and solves it as map_app_solve does with
 * rq->solve's options. A strictly attainable palette is solved unchanged
 * (ρ = 1, inset 0). Constant values are handled as in map_app_solve and
 * keep their targets. Errors: an inset outside [0, 1) is MAP_EUSAGE; a bad
 * palette, or a priority name that is not a value of the palette or
 * appears twice, MAP_EDATA; MAP_ENOMEM. MAP_OK otherwise: the caller reads
 * rep->solve->result.status (map_app_solve_code(rep->solve)). *out: free with
 * map_adjust_report_free. */
int map_app_adjust(const map_dataset *ds, const map_adjust_request *rq, map_adjust_report **out,
                   map_error *err);

void map_adjust_report_free(map_adjust_report *rep);

/* ---- tables (frontier, region) ------------------------------------------ */

/* One cell of a table row: what a renderer writes as a CSV cell or a JSON
 * value. */
typedef enum map_cell_kind {
    MAP_CELL_EMPTY = 0, /* no value: an empty CSV cell, JSON null */
    MAP_CELL_NUMBER,    /* x (CSV: 17 significant digits, inf as "inf", NaN empty; JSON:
                           non-finite as null) */
    MAP_CELL_COUNT,     /* n, an integer */
    MAP_CELL_TEXT       /* s (borrowed, valid during the call) */
} map_cell_kind;

typedef struct map_cell {
    map_cell_kind kind;
    double x;
    size_t n;
    const char *s;
} map_cell;

/* Cells of each kind. */
static inline map_cell map_cell_number(double x)
{
    return (map_cell){MAP_CELL_NUMBER, x, 0, NULL};
}
static inline map_cell map_cell_count(size_t n) { return (map_cell){MAP_CELL_COUNT, 0.0, n, NULL}; }
static inline map_cell map_cell_text(const char *s) { return (map_cell){MAP_CELL_TEXT, 0.0, 0, s}; }
static inline map_cell map_cell_empty(void) { return (map_cell){MAP_CELL_EMPTY, 0.0, 0, NULL}; }

/* Where a table goes, row by row: header once (ncols column names, valid
 * during the call), then row for each row (ncols cells, valid during the
 * call). A non-zero return stops the table and is returned by the command
 * function (which then leaves err alone, unless the sink filled it). */
typedef struct map_table_sink {
    int (*header)(void *ctx, size_t ncols, const char *const *names, map_error *err);
    int (*row)(void *ctx, const map_cell *cells, map_error *err);
    void *ctx;
} map_table_sink;

/* ---- frontier ----------------------------------------------------------- */

typedef struct map_frontier_opts {
    const char *const *values; /* the chosen values (k names of the dataset) */
    size_t k;
    const double *budgets;     /* --kl: KL budgets ε ≥ 0 in nats; NULL/0 for none */
    size_t nbudgets;
    const char *direction;     /* --direction: VALUE=WEIGHT,... over the chosen values (unnamed
                                  ones 0; weights ≥ 0, not all 0); NULL for none */
    size_t points;             /* directions per budget (a simplex grid of about this many),
                                  or points along the direction; ≥ 1 (≥ 2 for a direction) */
    double kl_max;             /* --direction: the largest budget; NaN (or ≤ 0) for 90% of the
                                  direction's supremum KL */
    map_normalize normalize;   /* per-prompt KL and levels (MATH.md §9) with MAP_NORMALIZE_PROMPT;
                                  ds must then carry its prompts */
} map_frontier_opts;

typedef struct map_frontier_summary {
    size_t rows;      /* rows written */
    size_t saturated; /* rows whose budget is at or above the supremum KL of their direction */
    size_t vertices;  /* hull vertex rows (limit with two values) */
    double reference[MAP_MAX_K]; /* the reference levels (λ = 0) of the k chosen values: their
                                    means, or under per-prompt normalisation the average of the
                                    prompts' means (MATH.md §9); set before the header goes to
                                    the sink (zeros when the values were refused) */
} map_frontier_summary;

/* Pareto frontiers of ds over the chosen values (MATH.md §8), as one table
 * with the columns
 *   point, budget, u_<v> (chosen v), t, lambda_<v> (chosen v),
 *   level_<v> (every dataset value), kl, ess, status
 * (point counts rows from 0 across the table; status is the ray's:
 * converged, rounding, max_iter, saturated, or vertex). Three modes:
 *   budgets (fo->nbudgets > 0, k ≥ 2): for each budget in order, a simplex
 *     grid of directions (map_frontier_budget). A budget at or above a
 *     direction's supremum KL gives a saturated row: t = +inf, λ_i = +inf
 *     where u_i > 0, the levels of the limit point and its KL (the supremum,
 *     below the budget);
 *   direction (fo->direction): points with KL evenly spaced in [0, kl_max]
 *     along one direction (map_frontier_curve);
 *   limit (neither, k ≥ 2): budget +inf for every direction (the faces of the
 *     samples' hull, saturated rows); for two values followed by the upper
 *     hull's vertices (map_upper_hull): status vertex, budget +inf, u, t and
 *     λ empty, the sample's levels, KL log n and ESS 1 (q on that sample).
 * Rows go to sink as they are computed. Errors: a chosen value unknown,
 * repeated or constant, a bad direction or budget, k or points out of range:
 * MAP_EDATA; MAP_ENOMEM; the sink's return. *sum is filled (rows so far even
 * on failure). */
int map_app_frontier(const map_dataset *ds, const map_frontier_opts *fo, const map_table_sink *sink,
                     map_frontier_summary *sum, map_error *err);

/* ---- region ------------------------------------------------------------- */

typedef struct map_region_opts {
    const char *const *values; /* 2 or 3 chosen values */
    size_t k;
    size_t points;             /* directions, ≥ 1 */
    const char *from;          /* base palette c0 as a palette spec over the chosen values
                                  (others at their mean); NULL: the reference means */
    int polygon;               /* k = 2: only the bounded rows, the first repeated at the end
                                  to close the boundary polygon */
    map_normalize normalize;   /* per-prompt attainable set (average of the prompts' hulls) and
                                  reference levels with MAP_NORMALIZE_PROMPT */
} map_region_opts;

typedef struct map_region_summary {
    size_t rows;      /* rows written */
    size_t unbounded; /* directions with no positive component (the whole ray attainable) */
    double reference[MAP_MAX_K]; /* the reference levels of the chosen values, as in
                                    map_frontier_summary */
} map_region_summary;

/* The attainable set around c0 (map_region): for each direction, the largest
 * step s with c0 + s·dir attainable, as a table with the columns
 *   point, dir_<v>..., step, target_<v>...
 * (dir in the values' own units; target = c0 + step·dir, on the boundary).
 * A direction with no positive component leaves the whole ray attainable:
 * its step and targets are empty cells. Errors: as map_app_frontier, plus
 * k not 2 or 3, --polygon with k = 3, a --from value not among the chosen
 * ones, an unattainable c0 (MAP_EDATA). */
int map_app_region(const map_dataset *ds, const map_region_opts *ro, const map_table_sink *sink,
                   map_region_summary *sum, map_error *err);

#endif
