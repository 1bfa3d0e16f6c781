/* map_decode_app.h — from a solved palette's λ to what a MAP user does with
 * it: the sample weights of the tilted distribution (weights), the levels
 * that decoding with k candidates reaches (decode: best-of-k exact, SIR by
 * Monte Carlo), and a kept generation or a preference pair per prompt
 * (select). Each command solves the palette with map_app_solve
 * first; an unattained palette comes back as a report whose solve carries
 * the verdict and its evidence, and nothing else (the caller reads
 * map_app_solve_code of it). Request structs in, report structs out; nothing
 * here prints. Errors name the request's fields.
 */
#ifndef MAP_DECODE_APP_H
#define MAP_DECODE_APP_H

#include <stddef.h>

#include "map_app.h"
#include "map_decode.h"

/* ---- weights ------------------------------------------------------------- */

typedef struct map_weights_request {
    const char *palette;     /* palette spec (as for solve) */
    map_normalize normalize; /* prompt: weights per prompt sum to 1/K (ds needs its prompts) */
} map_weights_request;

typedef struct map_weights_report {
    map_solve_report *solve; /* the solve (owned); its status decides the rest */
    const map_dataset *ds;   /* the dataset solved (borrowed: it must outlive the report) */
    size_t n;                /* samples */
    double *score;           /* n scores λᵀr (owned); NULL unless the solve is optimal */
    double *weight;          /* n weights (owned): the tilted distribution, summing to 1
                                (per prompt: each prompt's to 1/K); NULL unless optimal */
} map_weights_report;

/* Solves req->palette on ds and, when optimal, the score and weight of
 * every sample (map_decode_weights): Σ_j weight_j r_j is the solve's level
 * of every value. MAP_OK whenever the solve reached a verdict; the errors of
 * map_app_solve otherwise. *out: free with
 * map_weights_report_free. */
int map_app_weights(const map_dataset *ds, const map_weights_request *req,
                    map_weights_report **out, map_error *err);
void map_weights_report_free(map_weights_report *rep);

/* ---- decode -------------------------------------------------------------- */

#define MAP_DECODE_REPLICATES_DEFAULT 20000
/* sir: the most candidate draws (replicates × the largest k) one k may take. */
#define MAP_DECODE_DRAWS_MAX 1e10
/* A decoded level reaches its target when it is within this fraction of the
 * way from the reference level to the target (below the target). */
#define MAP_DECODE_REACH_FRACTION 0.1

typedef struct map_decode_request {
    const char *palette;     /* palette spec */
    const size_t *ks;        /* nks candidate counts, each ≥ 1, in the order the rows come */
    size_t nks;              /* ≥ 1 */
    int best, sir;           /* the methods computed (at least one) */
    size_t replicates;       /* sir: Monte Carlo replicates R ≥ 1 */
    unsigned long seed;      /* sir: GSL mt19937 seed, set afresh for each k */
    map_normalize normalize; /* prompt: the solve is per prompt and the candidates come from
                                each prompt's own samples, prompts weighing equally */
} map_decode_request;

/* Fills *req with the defaults: no palette, no ks, both methods,
 * MAP_DECODE_REPLICATES_DEFAULT replicates, seed 1, global. */
void map_decode_request_default(map_decode_request *req);

typedef struct map_decode_row {
    map_decode_method method;
    size_t k;             /* candidates; 0 for the limit k → ∞ */
    double *level;        /* m expected levels (every dataset value) */
    double *se;           /* m standard errors: 0 for best and the limits, NaN when R = 1 */
    double kl;            /* KL(decoded ‖ reference), nats: exact for best; the solve's KL
                             for sir's limit; NaN for sir at finite k */
    int reaches;          /* every palette value reaches its threshold (report->threshold) */
    size_t short_prompts; /* prompts with fewer than k samples (drawn with replacement);
                             globally 1 when n < k */
} map_decode_row;

typedef struct map_decode_report {
    map_solve_report *solve; /* owned; rows are computed only when it is optimal */
    size_t m;                /* values (names: solve->values) */
    size_t nrows;
    map_decode_row *rows;    /* for each method (best, then sir): one row per k in request
                                order, then the limit (k = 0). best's limit is the top-scoring
                                samples of each prompt (KL log(N/tied)); sir's is the tilted
                                distribution itself, the MAP levels and KL of the solve */
    double *reference;       /* m reference levels: best-of-1 (the means; per prompt the
                                average of the prompts' means) */
    double *threshold;       /* solve->k entries, palette order: the level each value must
                                reach, target − MAP_DECODE_REACH_FRACTION·max(0, target −
                                reference) */
    int ran[2];              /* by map_decode_method: computed */
    size_t smallest_k[2];    /* by method: the smallest listed k whose row reaches, 0 when
                                none does (or the method was not run) */
    size_t prompts;          /* K (1 globally) */
    size_t replicates;       /* R of sir */
    unsigned long seed;
} map_decode_report;

/* Solves req->palette on ds and, when optimal, computes the decode rows
 * (map_decode_best, map_decode_sir). Errors: MAP_EUSAGE for a bad request
 * (no ks, a k of 0, replicates 0 with sir or replicates × the largest k over
 * MAP_DECODE_DRAWS_MAX, no method; err->field names it), the errors of
 * map_app_solve, MAP_ENOMEM. *out: free with
 * map_decode_report_free. */
int map_app_decode(const map_dataset *ds, const map_decode_request *req, map_decode_report **out,
                   map_error *err);
void map_decode_report_free(map_decode_report *rep);

/* ---- select ----------------------------------------------------------------- */

typedef struct map_select_request {
    const char *palette;       /* palette spec */
    map_decode_method method;  /* best: each prompt's top score; sir: drawn ∝ exp(score) */
    unsigned long seed;        /* sir's GSL mt19937 seed */
    int pairs;                 /* preference pairs instead of one kept sample per prompt */
    const char *text_column;   /* pairs: the text column of chosen / rejected (NULL: the
                                  first); must be NULL without pairs */
    map_normalize normalize;   /* of the solve */
} map_select_request;

typedef struct map_select_report {
    map_solve_report *solve; /* owned; records only when it is optimal */
    const map_dataset *ds;   /* borrowed (prompts and texts are read from it) */
    int pairs;
    double *score;           /* n scores (owned) */
    size_t prompts;          /* K */
    size_t nrecords;
    size_t *chosen;          /* nrecords sample indices: the kept sample, or the pair's chosen */
    size_t *rejected;        /* pairs: nrecords (owned), else NULL */
    size_t text_col;         /* pairs: index into ds->text_names */
    size_t singletons;       /* pairs: prompts skipped for having a single sample */
    size_t ties;             /* pairs: prompts skipped because all their samples score the
                                same (no preference) */
} map_select_report;

/* Solves req->palette on ds (which needs its prompt column and, for pairs,
 * a text column; load with MAP_LOAD_PROMPTS | MAP_LOAD_TEXT) and, when
 * optimal, one record per prompt in the order of first appearance: the kept
 * sample (map_decode_select), or for pairs its highest-scoring sample as
 * chosen and its lowest as rejected (map_decode_extremes; prompts with one
 * sample or with equal scores are skipped and counted). Errors: MAP_EDATA
 * for a dataset without a prompt column, pairs on one without text columns
 * or whose texts were not loaded, a text_column that is not one of its text
 * columns, or field names that collide in a record (a text column or value
 * called "prompt" or "score", or a text column named like a value);
 * MAP_EUSAGE for text_column without pairs; the errors of the solve. */
int map_app_select(const map_dataset *ds, const map_select_request *req, map_select_report **out,
                   map_error *err);
void map_select_report_free(map_select_report *rep);

#endif
