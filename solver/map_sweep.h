/* map_sweep.h — many palettes (or many λ) over one dataset, in parallel, with
 * results streamed in input order.
 *
 * A sweep is a sequence of rows 0 … nrows−1. Row r is defined by a caller's
 * generator, a deterministic function of r (and of the generator's seed),
 * never of the thread that computes it:
 *   palette mode  row r is a palette c (k targets) solved with
 *                 map_solve_palette (cfg.fp; the margin is NAN unless
 *                 fp->want_margin or the verdict needed the LP): status,
 *                 λ, levels, KL, ESS, margin;
 *   λ mode        row r is a λ ≥ 0 (k entries): the tilt's levels, KL, ESS
 *                 and whether it raises every chosen value above its
 *                 reference mean (MATH.md §5, §8).
 * Built-in generators below cover the CLI's sources: a Cartesian grid, a
 * uniform box (the random palette kinds, MATH.md §10), a precomputed table
 * (a palettes file) and random λ = U(0,S)·Dirichlet(1,…,1).
 *
 * Determinism. Rows are cut into chunks of a fixed size (cfg.chunk, default
 * MAP_SWEEP_CHUNK = 64) by row number alone: chunk c holds rows
 * [c·chunk, (c+1)·chunk). A worker takes a whole chunk and solves its rows in
 * order (MAP_SWEEP_WARM_NEAREST: in an order that follows the palettes);
 * the first row of a chunk always starts cold (λ = 0), each later row
 * may warm-start from a row of the same chunk solved before it (cfg.warm): that
 * row's λ moved to first order by Σ_FF⁻¹ (c − c_row) on its free set, with
 * the Σ its own solve ended with (no extra pass). So every
 * row's computation is fixed by the row number and the configuration, and
 * the output is bit-identical for any number of threads. Warm starts change
 * only the path to λ*, not the answer (to the solver's tolerance).
 *
 * Order. Workers fill a bounded reorder buffer (a window of chunks); one
 * thread — the caller's — hands rows to cfg.on_row strictly in row order as
 * soon as the next one is complete, so output streams while the sweep runs.
 *
 * Resume. cfg.start_row = s delivers rows s … nrows−1 only. When s is inside
 * a chunk and warm starts are on, that chunk's rows before s are recomputed
 * (not delivered) so that every delivered row is bit-identical to the one an
 * uninterrupted sweep would have produced.
 *
 * Cancellation. cfg.cancel points at an atomic int that a signal handler may
 * set (atomic_int is lock-free on every platform we build for; asserted in
 * map_sweep.c). Once it reads non-zero, workers stop at their next row
 * boundary, every row complete and contiguous from the next undelivered one
 * is still delivered, and map_sweep_run returns MAP_OK with
 * summary.cancelled = 1 and summary.next_row the first row not delivered.
 *
 * Threads: POSIX threads, one map_solver_ws each, allocated up front; the
 * problem's data are shared read-only. No globals: several sweeps may run at
 * once in one process. With one thread no thread is created.
 */
#ifndef MAP_SWEEP_H
#define MAP_SWEEP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "map_common.h"
#include "map_dataset.h"
#include "map_solver.h"

#define MAP_SWEEP_CHUNK 64

typedef enum map_sweep_mode {
    MAP_SWEEP_PALETTES = 0, /* rows are palettes, solved */
    MAP_SWEEP_LAMBDAS = 1   /* rows are λ, evaluated */
} map_sweep_mode;

typedef enum map_sweep_warm {
    MAP_SWEEP_WARM_NONE = 0,     /* every row cold (λ = 0) */
    MAP_SWEEP_WARM_PREVIOUS = 1, /* from the previous row's λ in the chunk when that row was
                                    optimal, else cold (grids: neighbours are adjacent) */
    MAP_SWEEP_WARM_NEAREST = 2   /* the chunk's rows solved in the order of a spanning tree
                                    over its palettes (Prim's, in scale units): each next the
                                    unsolved row nearest to an optimal solved one, from that
                                    one's λ (ties: the lowest row, the neighbour solved
                                    first); cold if none (random sources) */
} map_sweep_warm;

/* Fills out (k entries) with row's palette or λ. Called concurrently from
 * several threads with the same ctx, so it must only read ctx; the result
 * must depend on row and ctx alone. Returns MAP_OK, or a map_code with err
 * filled, which stops the sweep. */
typedef int (*map_sweep_gen_fn)(const void *ctx, size_t row, double *out, map_error *err);

/* One result row. The arrays are valid only during the on_row call. */
typedef struct map_sweep_row {
    size_t row;
    map_solve_status status; /* palette mode: the verdict; λ mode: always MAP_SOLVE_OPTIMAL */
    int improves;            /* λ mode: 1 if level_i > reference mean_i for every chosen
                                value, else 0; palette mode: −1 */
    size_t k;                /* chosen values */
    size_t nlevel;           /* level columns */
    const double *target;    /* k: the palette (palette mode); NULL in λ mode */
    const double *lambda;    /* k: λ (palette mode: as in map_result: NAN if infeasible, +inf
                                on the boundary's face; λ mode: the generated λ) */
    const double *level;     /* nlevel realised levels of the level columns; NAN where λ is not
                                finite */
    double kl;               /* KL(q_λ || p0) in nats; NAN where λ is not finite */
    double ess;              /* Kish effective sample size; NAN where λ is not finite */
    double margin;           /* palette mode: the scaled margin v*; λ mode: NAN */
    int iterations;          /* palette mode: Newton iterations; λ mode: 0 */
} map_sweep_row;

/* Receives each row, in row order, on the thread that called map_sweep_run.
 * A non-zero return stops the sweep at once and is returned unchanged by
 * map_sweep_run (err left alone), so a caller can report its own failure. */
typedef int (*map_sweep_row_fn)(void *ctx, const map_sweep_row *row);

/* Progress: done = rows delivered so far counting the rows before
 * start_row, total = nrows. Called on the caller's thread after each batch
 * of delivered rows; a renderer should throttle itself. */
typedef void (*map_sweep_progress_fn)(void *ctx, size_t done, size_t total);

typedef struct map_sweep_config {
    const map_problem *problem; /* template: data, k, cols, scale, absmax, groups as in
                                   map_solve; target is ignored (may be NULL) */
    map_sweep_mode mode;
    size_t nrows;               /* rows of the sweep */
    map_sweep_gen_fn gen;       /* row → palette or λ */
    const void *gen_ctx;
    size_t nlevel;              /* level columns reported per row; 0: the k chosen ones */
    const size_t *level_cols;   /* nlevel column indices into the data (when nlevel > 0) */
    const map_solver_params *par; /* NULL: defaults */
    const map_feas_params *fp;    /* NULL: defaults */
    map_sweep_warm warm;          /* palette mode only */
    size_t chunk;                 /* rows per chunk; 0: MAP_SWEEP_CHUNK. Part of the result's
                                     definition (warm starts), not a tuning knob */
    unsigned threads;             /* workers; 0: the online CPUs */
    size_t start_row;             /* first row delivered (resume); ≤ nrows */
    const atomic_int *cancel;     /* may be NULL; see the file comment */
    map_sweep_row_fn on_row;      /* required */
    void *row_ctx;
    map_sweep_progress_fn on_progress; /* may be NULL */
    void *progress_ctx;
} map_sweep_config;

/* Fills *cfg with zeros and the defaults: palette mode, warm starts from the
 * previous row, chunk MAP_SWEEP_CHUNK, all CPUs. */
void map_sweep_config_default(map_sweep_config *cfg);

typedef struct map_sweep_summary {
    size_t delivered;       /* rows passed to on_row that returned 0 */
    size_t next_row;        /* start_row + delivered: the row a resume starts from */
    int cancelled;          /* stopped by *cancel with rows left */
    size_t status_count[5]; /* delivered rows per map_solve_status */
    size_t improving;       /* λ mode: delivered rows with improves = 1 */
    size_t computed;        /* rows computed, warm-up rows of a resume included */
    double seconds;         /* wall-clock time of the run */
    unsigned threads;       /* workers used */
} map_sweep_summary;

/* Runs the sweep described by cfg (see the file comment). Returns MAP_OK
 * when it ran to the end or was cancelled (summary->cancelled), the
 * callback's code when on_row stopped it, or: MAP_EUSAGE for an invalid
 * configuration, MAP_EDATA for an invalid problem or a generated row that is
 * not valid (non-finite target, negative or non-finite λ; the message names
 * the row), MAP_ENOMEM when memory or threads cannot be had or a solve fails
 * internally. Rows before the failing one are delivered first. summary may
 * be NULL. Allocates its buffers and workspaces and frees them before
 * returning. */
int map_sweep_run(const map_sweep_config *cfg, map_sweep_summary *summary, map_error *err);

/* The number of online CPUs (at least 1). */
unsigned map_sweep_cpus(void);

/* ---- Generators --------------------------------------------------------- */

/* Cartesian grid: value i takes steps[i] ≥ 1 points evenly spaced from
 * from[i] to to[i] inclusive (one step: from[i]); the last value varies
 * fastest, so row r is the mixed-radix number r with digits
 * (a_0, …, a_{k−1}), a_i < steps[i], and c_i = from_i + (to_i − from_i)·a_i/(steps_i − 1)
 * (exactly to_i at the last step). */
typedef struct map_sweep_grid {
    size_t k;
    const double *from, *to;
    const size_t *steps;
} map_sweep_grid;

/* Sets *rows to Π steps[i]. MAP_EDATA if a step count is 0, an endpoint is
 * not finite or the product overflows. */
int map_sweep_grid_rows(const map_sweep_grid *grid, size_t *rows, map_error *err);

/* Generator over a map_sweep_grid (ctx). */
int map_sweep_grid_gen(const void *grid, size_t row, double *out, map_error *err);

/* Uniform box: c_i = lo_i + (hi_i − lo_i)·u_i with u_i in [0, 1) drawn from a
 * counter-based generator (SplitMix64) keyed by (seed, row, i): the same
 * seed gives the same palettes on every platform and for any thread count. */
typedef struct map_sweep_uniform {
    size_t k;
    const double *lo, *hi;
    uint64_t seed;
} map_sweep_uniform;

int map_sweep_uniform_gen(const void *uniform, size_t row, double *out, map_error *err);

/* The random palette kinds of the MAP paper (MATH.md §10). */
typedef enum map_sweep_kind {
    MAP_SWEEP_AGGRESSIVE = 0,  /* c_i ~ U(q80, max) */
    MAP_SWEEP_CONSERVATIVE = 1 /* c_i ~ U(mean, q70) */
} map_sweep_kind;

/* Stable names "aggressive" and "conservative", and their parser (0, or −1
 * for an unknown name, *out untouched). */
const char *map_sweep_kind_name(map_sweep_kind kind);
int map_sweep_kind_parse(const char *text, map_sweep_kind *out);

/* The percentile (0–100) that bounds kind's interval: 80 (aggressive, from
 * below) or 70 (conservative, from above). */
double map_sweep_kind_percentile(map_sweep_kind kind);

/* The interval [*lo, *hi] a palette of kind draws a value's target from,
 * given that value's mean, maximum and type-7 percentile q at
 * map_sweep_kind_percentile(kind). */
void map_sweep_kind_interval(map_sweep_kind kind, double mean, double max, double q, double *lo,
                             double *hi);

/* Bounds of kind for the k columns cols of X (type-7 quantiles over all
 * samples): lo and hi get k entries each, to use in a map_sweep_uniform.
 * Allocates scratch (one sorted column at a time) and frees it; MAP_ENOMEM,
 * or MAP_EDATA for an empty matrix or a column out of range. */
int map_sweep_kind_bounds(map_sweep_kind kind, const map_matrix *X, size_t k, const size_t *cols,
                          double *lo, double *hi, map_error *err);

/* A precomputed table: row r is x[r·k … r·k + k − 1] (e.g. a palettes file). */
typedef struct map_sweep_table {
    size_t k, nrows;
    const double *x;
} map_sweep_table;

int map_sweep_table_gen(const void *table, size_t row, double *out, map_error *err);

/* Random λ: λ = scale·u·w with u ~ U(0, 1) and w ~ Dirichlet(1, …, 1) on k
 * values (normalised exponentials), keyed by (seed, row) as above. */
typedef struct map_sweep_dirichlet {
    size_t k;
    double scale; /* S > 0 */
    uint64_t seed;
} map_sweep_dirichlet;

int map_sweep_dirichlet_gen(const void *dirichlet, size_t row, double *out, map_error *err);

#endif
