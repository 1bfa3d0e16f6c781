/* mapsolve.h — the public C interface of libmapsolve.
 *
 * libmapsolve solves MAP value palettes: given n reference samples with m
 * reward values each and a palette (a target level for k of the values), it
 * finds the weights λ ≥ 0 of the combined reward λᵀR whose tilted
 * distribution reaches every target with the least KL divergence from the
 * samples, or proves with a certificate that no such λ exists.
 *
 * Conventions (the whole header follows them):
 *  - Every name is prefixed with mapsolve_ / MAPSOLVE_.
 *  - Stateful things are opaque handles with a create/destroy pair; every
 *    destroy function accepts NULL as a no-op.
 *  - Functions that can fail return a status code (mapsolve_code): 0 is
 *    MAPSOLVE_OK. They take a last argument `mapsolve_error *err` which may
 *    be NULL; when it is not NULL it is filled with the code and a
 *    NUL-terminated message on failure, and reset (MAPSOLVE_OK, "", "") on
 *    success. On failure every output handle is set to NULL.
 *  - [out] marks output parameters. Strings returned as `const char *` are
 *    borrowed from the handle they came from and live as long as it.
 *  - The library never prints, never exits and never aborts.
 *  - Global state: only a one-time, thread-safe initialisation (GSL's
 *    aborting error handler is turned off, through pthread_once) done by the
 *    first call that needs it; mapsolve_init may be called first to do it
 *    explicitly. Nothing else is process-wide.
 *  - Thread safety is stated per function. In short: a mapsolve_dataset is
 *    read-only after creation and may be shared by any number of threads;
 *    a mapsolve_store and a mapsolve_result must be used by one thread at a
 *    time; distinct handles are independent.
 *
 * Build: `cc prog.c $(pkg-config --cflags --libs mapsolve)`.
 */
#ifndef MAPSOLVE_H
#define MAPSOLVE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(MAPSOLVE_STATIC)
#define MAPSOLVE_API __attribute__((visibility("default")))
#else
#define MAPSOLVE_API
#endif

/* ---- version ------------------------------------------------------------ */

#define MAPSOLVE_VERSION_MAJOR 0
#define MAPSOLVE_VERSION_MINOR 1
#define MAPSOLVE_VERSION_PATCH 0
#define MAPSOLVE_VERSION_STRING "0.1.0"

/* The version of the library actually linked, "MAJOR.MINOR.PATCH" (static
 * storage; compare with MAPSOLVE_VERSION_STRING). Thread-safe. */
MAPSOLVE_API const char *mapsolve_version(void);

/* ---- errors ------------------------------------------------------------- */

/* Status codes. The numbers are stable. */
typedef enum mapsolve_code {
    MAPSOLVE_OK = 0,      /* success (for a solve: a verdict was reached, whatever it is) */
    MAPSOLVE_EARG = 2,    /* bad argument: NULL where a value is needed, an index out of range,
                             an unknown dataset, an invalid option */
    MAPSOLVE_EDATA = 3,   /* bad data or palette (non-finite reward, unknown value in the
                             palette, malformed target) */
    MAPSOLVE_ESTORE = 4,  /* the SQLite store failed or is unusable */
    MAPSOLVE_ENOMEM = 5   /* out of memory or another internal resource failure */
} mapsolve_code;

#define MAPSOLVE_ERRMSG_MAX 1024
#define MAPSOLVE_ERRFIELD_MAX 32

/* The detail of a failure: the code, a message (no trailing newline) and,
 * when one option is at fault, its name as the field of the options struct
 * or argument that holds it ("palette", "values", "kl", "points", ...; the
 * message then does not repeat it). */
typedef struct mapsolve_error {
    int code;                          /* a mapsolve_code */
    char msg[MAPSOLVE_ERRMSG_MAX];     /* NUL-terminated */
    char field[MAPSOLVE_ERRFIELD_MAX]; /* NUL-terminated; "" when no one field is at fault */
} mapsolve_error;

/* A short constant description of a code ("ok", "bad argument", ...;
 * "unknown code" otherwise). Static storage. Thread-safe. */
MAPSOLVE_API const char *mapsolve_errstr(int code);

/* Performs the one-time initialisation now (otherwise done by the first call
 * that needs it). Idempotent, thread-safe, never fails. */
MAPSOLVE_API void mapsolve_init(void);

/* ---- datasets ----------------------------------------------------------- */

/* A dataset: n samples × m named reward values (and optionally a prompt key
 * per sample, for per-prompt normalisation). Immutable once created: every
 * function taking a `const mapsolve_dataset *` only reads it, so one dataset
 * may be used by several threads at once. */
typedef struct mapsolve_dataset mapsolve_dataset;

/* Creates a dataset from memory. x holds n × m rewards row-major (sample j's
 * value i is x[j*m + i]); names holds m distinct, non-empty value names;
 * prompts is NULL or n prompt keys (samples with the same key form a prompt).
 * Everything is copied: the caller keeps ownership of x, names and prompts.
 * Fails with MAPSOLVE_EARG (n or m is 0, x or names NULL, a NULL or empty or
 * duplicate name), MAPSOLVE_EDATA (a non-finite reward), MAPSOLVE_ENOMEM.
 * On success *out [out] is a new handle: free with mapsolve_dataset_free.
 * Thread-safe (touches no shared state). */
MAPSOLVE_API int mapsolve_dataset_from_matrix(size_t n, size_t m, const double *x,
                                              const char *const *names,
                                              const char *const *prompts,
                                              mapsolve_dataset **out, mapsolve_error *err);

/* Frees the dataset. NULL is a no-op. No other thread may be using it. */
MAPSOLVE_API void mapsolve_dataset_free(mapsolve_dataset *ds);

/* The dataset's name: the stored name for one loaded from a store, "" for
 * one built from memory. Borrowed. Thread-safe. */
MAPSOLVE_API const char *mapsolve_dataset_name(const mapsolve_dataset *ds);

/* Samples n and values m (0 for NULL). Thread-safe. */
MAPSOLVE_API size_t mapsolve_dataset_samples(const mapsolve_dataset *ds);
MAPSOLVE_API size_t mapsolve_dataset_values(const mapsolve_dataset *ds);

/* Value i's name (borrowed), NULL when i ≥ m. Thread-safe. */
MAPSOLVE_API const char *mapsolve_dataset_value_name(const mapsolve_dataset *ds, size_t i);

/* ---- the store ---------------------------------------------------------- */

/* A connection to a mapsolve database (the SQLite file the `mapsolve`
 * command writes). Not thread-safe: use one handle from one thread at a
 * time (open one handle per thread to read concurrently). */
typedef struct mapsolve_store mapsolve_store;

enum {
    MAPSOLVE_OPEN_READONLY = 1u << 0 /* open an existing database without writing to it;
                                        without this flag the file is created if missing
                                        and its schema migrated */
};

/* Opens the database at path; NULL path means $MAPSOLVE_DB when set and
 * non-empty, else "mapsolve.db" in the working directory. flags: 0 or
 * MAPSOLVE_OPEN_READONLY (other bits: MAPSOLVE_EARG). Fails with
 * MAPSOLVE_ESTORE (missing directory or file, not a mapsolve database, a
 * newer schema). On success *out [out]: close with mapsolve_close. */
MAPSOLVE_API int mapsolve_open(const char *path, unsigned flags, mapsolve_store **out,
                               mapsolve_error *err);

/* Closes the store. NULL is a no-op. Datasets loaded from it stay valid. */
MAPSOLVE_API void mapsolve_close(mapsolve_store *st);

/* Lists the stored datasets' names in name order: *names [out] is a new
 * array of *count [out] new strings; free with mapsolve_names_free. */
MAPSOLVE_API int mapsolve_list(mapsolve_store *st, char ***names, size_t *count,
                               mapsolve_error *err);

/* Frees what mapsolve_list returned. NULL is a no-op. */
MAPSOLVE_API void mapsolve_names_free(char **names, size_t count);

/* Loads the dataset called name (matrix, value names, prompt keys when it
 * has a prompt column). Unknown name: MAPSOLVE_EARG. On success *out [out]
 * is a new handle independent of st: free with mapsolve_dataset_free. */
MAPSOLVE_API int mapsolve_load(mapsolve_store *st, const char *name, mapsolve_dataset **out,
                               mapsolve_error *err);

/* Stores ds under name (one transaction, with its per-value statistics).
 * A taken name fails with MAPSOLVE_EDATA unless replace is non-zero. A
 * read-only store: MAPSOLVE_EARG. ds is not consumed. */
MAPSOLVE_API int mapsolve_store_dataset(mapsolve_store *st, const char *name,
                                        const mapsolve_dataset *ds, int replace,
                                        mapsolve_error *err);

/* ---- options ------------------------------------------------------------ */

enum { MAPSOLVE_NORMALIZE_GLOBAL = 0, MAPSOLVE_NORMALIZE_PROMPT = 1 };
enum { MAPSOLVE_METHOD_NEWTON = 0, MAPSOLVE_METHOD_LBFGS = 1, MAPSOLVE_METHOD_MMA = 2 };

/* Plain options of mapsolve_solve and mapsolve_feasible; fill with
 * mapsolve_options_default and change fields. */
typedef struct mapsolve_options {
    int normalize;       /* MAPSOLVE_NORMALIZE_GLOBAL (default): one distribution over all
                            samples; _PROMPT: per prompt, prompts weighted equally (needs
                            prompt keys) */
    int method;          /* MAPSOLVE_METHOD_NEWTON (default), _LBFGS, _MMA */
    double tol;          /* KKT tolerance relative to each value's sd; default 1e-10 */
    int max_iter;        /* Newton iterations; default 100 */
    double boundary_tol; /* |margin| ≤ boundary_tol is the boundary verdict; default 1e-9 */
} mapsolve_options;

/* Fills *opts [out] with the defaults above. Thread-safe. */
MAPSOLVE_API void mapsolve_options_default(mapsolve_options *opts);

/* ---- solve -------------------------------------------------------------- */

/* Solve statuses. The numbers are stable. */
typedef enum mapsolve_status {
    MAPSOLVE_OPTIMAL = 0,       /* λ found: every target met, least KL */
    MAPSOLVE_NOT_CONVERGED = 1, /* iteration limit reached (λ: best iterate) */
    MAPSOLVE_STALLED = 2,       /* line search could not progress above rounding */
    MAPSOLVE_INFEASIBLE = 3,    /* no λ: a verified certificate direction d refutes the palette */
    MAPSOLVE_BOUNDARY = 4       /* attainable only in the limit λ → ∞ */
} mapsolve_status;

/* "optimal", "not_converged", "stalled", "infeasible", "boundary";
 * "unknown" otherwise. Static storage. Thread-safe. */
MAPSOLVE_API const char *mapsolve_status_name(int status);

/* The outcome of one solve. Read-only after mapsolve_solve returns it; the
 * accessors only read, so a result may be read by several threads. */
typedef struct mapsolve_result mapsolve_result;

/* Solves palette on ds. palette is a comma-separated list of NAME=TARGET
 * items, as the command's --palette: TARGET is a number, "mean" or "qNN"
 * (the NN-th percentile of the value over the samples, type 7, NN in
 * [0, 100], e.g. q70 or q97.5). opts NULL means the defaults. Returns MAPSOLVE_OK whenever a
 * verdict was reached — read it with mapsolve_result_status — MAPSOLVE_EDATA
 * for a bad palette or per-prompt normalisation on a dataset without prompt
 * keys, MAPSOLVE_EARG for a NULL argument or an invalid option,
 * MAPSOLVE_ENOMEM. On success *out [out] is a new
 * result: free with mapsolve_result_free. Thread-safe for a shared ds
 * (each call allocates its own workspace). */
MAPSOLVE_API int mapsolve_solve(const mapsolve_dataset *ds, const char *palette,
                                const mapsolve_options *opts, mapsolve_result **out,
                                mapsolve_error *err);

/* Frees the result. NULL is a no-op. */
MAPSOLVE_API void mapsolve_result_free(mapsolve_result *r);

/* The verdict, a mapsolve_status. */
MAPSOLVE_API int mapsolve_result_status(const mapsolve_result *r);

/* k, the number of palette items (0 for NULL). */
MAPSOLVE_API size_t mapsolve_result_k(const mapsolve_result *r);

/* Per palette item i < k (in palette order); out of range: NULL or NaN.
 * name: the value's name (borrowed). target: the numeric target c_i.
 * lambda: λ_i (meaningful for optimal; the best iterate for not_converged
 * and stalled; NaN for infeasible and boundary).
 * level: the realised level μ_i(λ) (NaN for infeasible and boundary).
 * direction: the certificate d_i ≥ 0 (infeasible) or the face normal
 * (boundary); 0 when mapsolve_result_has_direction is 0. */
MAPSOLVE_API const char *mapsolve_result_name(const mapsolve_result *r, size_t i);
MAPSOLVE_API double mapsolve_result_target(const mapsolve_result *r, size_t i);
MAPSOLVE_API double mapsolve_result_lambda(const mapsolve_result *r, size_t i);
MAPSOLVE_API double mapsolve_result_level(const mapsolve_result *r, size_t i);
MAPSOLVE_API int mapsolve_result_has_direction(const mapsolve_result *r);
MAPSOLVE_API double mapsolve_result_direction(const mapsolve_result *r, size_t i);

/* Infeasible: the certificate's gap dᵀc − max_j dᵀr_j (> 0, verified);
 * NaN otherwise. */
MAPSOLVE_API double mapsolve_result_cert_gap(const mapsolve_result *r);

/* KL(q_λ ‖ p0) in nats and Kish's effective sample size of q_λ; NaN when λ
 * is not finite (infeasible, boundary). */
MAPSOLVE_API double mapsolve_result_kl(const mapsolve_result *r);
MAPSOLVE_API double mapsolve_result_ess(const mapsolve_result *r);

/* The scaled feasibility margin v* when it was computed, else NaN. */
MAPSOLVE_API double mapsolve_result_margin(const mapsolve_result *r);

/* Newton (or NLopt) iterations of the final solve. */
MAPSOLVE_API int mapsolve_result_iterations(const mapsolve_result *r);

/* ---- feasible ----------------------------------------------------------- */

typedef enum mapsolve_verdict {
    MAPSOLVE_ATTAINABLE = 0,         /* a finite λ exists */
    MAPSOLVE_VERDICT_BOUNDARY = 1,   /* attainable only in the limit */
    MAPSOLVE_VERDICT_INFEASIBLE = 2  /* refuted by a verified certificate */
} mapsolve_verdict;

/* "attainable", "boundary", "infeasible"; "unknown" otherwise. Thread-safe. */
MAPSOLVE_API const char *mapsolve_verdict_name(int verdict);

/* The feasibility verdict on palette over ds without solving for λ (one
 * LP): *verdict [out] a mapsolve_verdict, *margin [out] (may be NULL) the
 * margin v*, scaled by each value's sd (NaN when every palette value is
 * constant). opts NULL: defaults (only normalize and boundary_tol are
 * read). Same errors and thread-safety as mapsolve_solve. */
MAPSOLVE_API int mapsolve_feasible(const mapsolve_dataset *ds, const char *palette,
                                   const mapsolve_options *opts, int *verdict, double *margin,
                                   mapsolve_error *err);

/* ---- adjust ------------------------------------------------------------- */

enum { MAPSOLVE_ADJUST_RAY = 0, MAPSOLVE_ADJUST_GREEDY = 1 };

/* Adjusts palette when it is not strictly attainable (MATH.md §7) and
 * solves the adjusted palette. mode MAPSOLVE_ADJUST_RAY moves every target
 * toward the reference means, c0 + ρ(c − c0) with the largest attainable ρ;
 * MAPSOLVE_ADJUST_GREEDY lowers one target at a time in palette order. The
 * adjusted palette (on the boundary) is stepped inside by 0.1% of the way
 * back to c0 so that λ is finite. A strictly attainable palette is solved
 * unchanged. *out [out] is a result read with the accessors above (target:
 * the palette actually solved) and mapsolve_result_requested,
 * _adjusted and _rho below; free with mapsolve_result_free. Errors as
 * mapsolve_solve, plus an unknown mode (MAPSOLVE_EARG, field "mode").
 * Thread-safe for a shared ds. */
MAPSOLVE_API int mapsolve_adjust(const mapsolve_dataset *ds, const char *palette, int mode,
                                 const mapsolve_options *opts, mapsolve_result **out,
                                 mapsolve_error *err);

/* Per palette item i < k: the requested target, and the adjusted one (on
 * the boundary when the palette was unattainable, else the requested one).
 * For a result of mapsolve_solve both are the target. Out of range: NaN. */
MAPSOLVE_API double mapsolve_result_requested(const mapsolve_result *r, size_t i);
MAPSOLVE_API double mapsolve_result_adjusted(const mapsolve_result *r, size_t i);

/* The ray's ρ ∈ (0, 1] of a ray adjustment (1 when the palette was
 * attainable); NaN for mapsolve_solve and greedy results. */
MAPSOLVE_API double mapsolve_result_rho(const mapsolve_result *r);

/* ---- tables: frontier and region ---------------------------------------- */

/* A table of rows and named columns, as the command writes it as CSV.
 * Read-only once returned: may be read by several threads. */
typedef struct mapsolve_table mapsolve_table;

/* Pareto frontiers of ds over the k chosen values (MATH.md §8): for each of
 * the nbudgets KL budgets (nats, ≥ 0), about `points` directions spread over
 * the simplex of the chosen values, each with the tilt whose KL is the
 * budget. nbudgets 0: the unbounded-budget limit (for two values followed by
 * the upper hull's vertices). Columns as `mapsolve frontier`'s CSV: point,
 * budget, u_<v>, t, lambda_<v> (chosen v), level_<v> (every value), kl,
 * ess, status (text). opts NULL: defaults (only normalize is read). Errors:
 * MAPSOLVE_EARG for NULL arguments; MAPSOLVE_EDATA for a chosen value unknown,
 * repeated or constant, fewer than two values, a bad budget or points 0
 * (err->field names "values", "kl" or "points"); MAPSOLVE_ENOMEM. On success
 * *out [out] is a new table: free with mapsolve_table_free. Thread-safe for
 * a shared ds. */
MAPSOLVE_API int mapsolve_frontier(const mapsolve_dataset *ds, const char *const *values,
                                   size_t k, const double *budgets, size_t nbudgets,
                                   size_t points, const mapsolve_options *opts,
                                   mapsolve_table **out, mapsolve_error *err);

/* The attainable palettes around a base palette: for each of `points`
 * directions over the 2 or 3 chosen values, the largest step s with
 * c0 + s·dir attainable (exact, on the boundary). from: the base palette c0
 * in palette syntax over the chosen values (NULL: the reference means); it
 * must be attainable. Columns as `mapsolve region`'s CSV: point, dir_<v>,
 * step, target_<v>; a direction with no positive component has empty step
 * and targets (NaN). Errors, ownership and thread-safety as
 * mapsolve_frontier (fields "values", "points", "from"). */
MAPSOLVE_API int mapsolve_region(const mapsolve_dataset *ds, const char *const *values, size_t k,
                                 size_t points, const char *from, const mapsolve_options *opts,
                                 mapsolve_table **out, mapsolve_error *err);

/* Frees the table. NULL is a no-op. */
MAPSOLVE_API void mapsolve_table_free(mapsolve_table *t);

/* Rows and columns (0 for NULL). */
MAPSOLVE_API size_t mapsolve_table_rows(const mapsolve_table *t);
MAPSOLVE_API size_t mapsolve_table_cols(const mapsolve_table *t);

/* The name of column j (borrowed), or NULL out of range. */
MAPSOLVE_API const char *mapsolve_table_column(const mapsolve_table *t, size_t j);

/* The index of the column called name, or -1. */
MAPSOLVE_API long mapsolve_table_find(const mapsolve_table *t, const char *name);

/* The number in row i, column j: NaN for an empty cell, a text cell, or out
 * of range; +inf where the CSV says inf. */
MAPSOLVE_API double mapsolve_table_value(const mapsolve_table *t, size_t i, size_t j);

/* The text of row i, column j (borrowed) when it is a text cell (the status
 * column), else NULL. */
MAPSOLVE_API const char *mapsolve_table_text(const mapsolve_table *t, size_t i, size_t j);

#ifdef __cplusplus
}
#endif

#endif /* MAPSOLVE_H */
