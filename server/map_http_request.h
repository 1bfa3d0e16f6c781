/* map_http_request.h — the request bodies of the HTTP service: a JSON
 * object per endpoint, decoded into the application layer's request structs
 * (map_app.h, map_sweep_app.h, map_histogram.h). Field names are the CLI's
 * option names with dashes as underscores ("max_iter", "kl_max"), plus
 * "dataset" (the CLI's NAME) and, where the CLI takes lists, JSON arrays
 * ("values": ["a", "b"], "kl": [0.5, 1], "init": [0.1, 0], "priority").
 * "palette" is a spec string as on the command line or an object
 * {"VALUE": number or "mean" or "qNN", ...} in palette order.
 *
 * The parser is strict: unknown fields, wrong types and out-of-range
 * numbers are refused with a message and the offending field as a JSON
 * Pointer ("/palette/humor", "/kl/1"). This is the parser fuzzed by
 * tests/fuzz/fuzz_request.c.
 */
#ifndef MAP_HTTP_REQUEST_H
#define MAP_HTTP_REQUEST_H

#include <stddef.h>

#include "map_app.h"
#include "map_sweep_app.h"

typedef enum map_http_kind {
    MAP_HTTP_SOLVE = 0,
    MAP_HTTP_FEASIBLE,
    MAP_HTTP_ADJUST,
    MAP_HTTP_FRONTIER,
    MAP_HTTP_REGION,
    MAP_HTTP_SWEEP,
    MAP_HTTP_HISTOGRAM,
    MAP_HTTP_NKINDS
} map_http_kind;

/* The most work one synchronous request may ask for (a 400 beyond, naming
 * the field): rows of a frontier (points × budgets) or region (points),
 * and bootstrap resamples of a solve. */
#define MAP_HTTP_ROWS_MAX 20000
#define MAP_HTTP_BOOTSTRAP_MAX 10000

/* "solve", "feasible", ... (the endpoint's last path segment). */
const char *map_http_kind_name(map_http_kind kind);

/* Why a body was refused: a message and the field at fault (a JSON
 * Pointer, "" for the body as a whole); malformed: the body is not JSON. */
typedef struct map_http_fail {
    char field[256];
    char msg[1024];
    int malformed;
} map_http_fail;

/* A decoded request. Pointers into the owned strings below; free with
 * map_http_request_free. Only the parts of its kind are filled. */
typedef struct map_http_request {
    map_http_kind kind;
    char *dataset;                /* "dataset" (required) */
    char *palette;                /* "palette" as a spec string (solve, feasible, adjust,
                                     histogram: required) */
    /* solve options (solve, adjust, histogram; feasible reads normalize) */
    map_solve_opts so;
    double init[MAP_MAX_K];
    map_solver_params par;        /* "tol", "max_iter" */
    map_feas_params fp;           /* "margin" */
    /* adjust */
    map_adjust_opts ao;           /* "mode", "priority", "inset" */
    char **priority;
    size_t npriority;
    /* frontier, region; sweep's "values" */
    char **values;
    size_t nvalues;
    double *kl;                   /* frontier "kl" */
    size_t nkl;
    char *direction;              /* frontier "direction" as a spec string */
    size_t points;                /* frontier (default 21), region (default 36) */
    double kl_max;                /* frontier "kl_max" (NaN: default) */
    char *from;                   /* region "from" as a spec string (NULL: the means) */
    int polygon;                  /* region */
    /* sweep */
    map_sweep_request sweep;      /* source, grid, count, kind, values, scale, seed, threads,
                                     per_prompt, want_margin (run fields zero) */
    char *grid;
    int store;                    /* "store": record the sweep in the database */
    /* histogram */
    char *value;
    size_t bins;                  /* default MAP_HISTOGRAM_BINS_DEFAULT */
} map_http_request;

/* Decodes body (len bytes, need not be NUL-terminated) for kind into *rq
 * (zeroed first; free it with map_http_request_free whatever the result).
 * Returns 0, or −1 with *fail filled (malformed JSON, not an object, an
 * unknown or missing field, a wrong type or range). Never reads past len. */
int map_http_request_parse(map_http_kind kind, const char *body, size_t len, map_http_request *rq,
                           map_http_fail *fail);

void map_http_request_free(map_http_request *rq);

#endif
