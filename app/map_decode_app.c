/* map_decode_app.c — the weights, decode and select commands as library
 * functions (map_decode_app.h): solve the palette, form each sample's score
 * λᵀr (app_solve_scores, which the histogram uses too), and hand the
 * mathematics to solver/map_decode.c. */
#include "map_decode_app.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "map_app_internal.h"

/* ---- shared ---------------------------------------------------------------- */

int app_solve_scores(const map_dataset *ds, const map_solve_report *rep, double **score,
                     map_error *err)
{
    assert(rep->has_tilt); /* finite λ: the scores exist */
    size_t cols[MAP_MAX_K], k = 0;
    double lambda[MAP_MAX_K];
    for (size_t i = 0; i < rep->k; i++) {
        const long p = rep->items[i].pidx;
        if (p < 0)
            continue;
        cols[k] = rep->palette->items[i].col;
        lambda[k++] = rep->result.lambda[p];
    }
    if (!(*score = map_mallocarray(ds->n, sizeof **score)))
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    const map_matrix X = map_dataset_matrix(ds);
    map_decode_scores(&X, k, cols, lambda, *score);
    return MAP_OK;
}

/* Solves palette on ds under normalize; when the verdict is optimal, *score
 * is a new array of the n scores λᵀr (map_free), else NULL. *groups: the
 * solve's prompt groups under per-prompt normalisation, else zeroed (free
 * with app_groups_free). */
static int solve_scores(const map_dataset *ds, const char *palette, map_normalize normalize,
                        map_solve_report **solve, double **score, app_groups *groups,
                        map_error *err)
{
    *solve = NULL;
    *score = NULL;
    memset(groups, 0, sizeof *groups);
    if (!palette)
        return map_error_set_field(err, MAP_EUSAGE, "palette", "missing");
    map_solve_request rq;
    map_solve_request_init(&rq, palette);
    rq.opts.normalize = normalize;
    int rc = app_solve_groups(ds, &rq, solve, groups, err);
    if (rc || map_app_solve_code(*solve) != MAP_OK)
        return rc;
    return app_solve_scores(ds, *solve, score, err);
}

/* ---- weights --------------------------------------------------------------- */

void map_weights_report_free(map_weights_report *rep)
{
    if (!rep)
        return;
    map_solve_report_free(rep->solve);
    MAP_FREE_ALL(rep->score, rep->weight, rep);
}

int map_app_weights(const map_dataset *ds, const map_weights_request *req,
                    map_weights_report **out, map_error *err)
{
    *out = NULL;
    map_weights_report *rep = map_calloc(1, sizeof *rep);
    if (!rep)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    rep->ds = ds;
    rep->n = ds->n;
    app_groups groups;
    int rc = solve_scores(ds, req->palette, req->normalize, &rep->solve, &rep->score, &groups,
                          err);
    if (!rc && rep->score) {
        if (!(rep->weight = map_mallocarray(ds->n, sizeof *rep->weight)))
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
        else
            map_decode_weights(ds->n, rep->score, app_groups_get(&groups), rep->weight);
    }
    app_groups_free(&groups);
    if (rc) {
        map_weights_report_free(rep);
        return rc;
    }
    *out = rep;
    return MAP_OK;
}

/* ---- decode ------------------------------------------------------------------ */

void map_decode_request_default(map_decode_request *req)
{
    memset(req, 0, sizeof *req);
    req->best = 1;
    req->sir = 1;
    req->replicates = MAP_DECODE_REPLICATES_DEFAULT;
    req->seed = 1;
    req->normalize = MAP_NORMALIZE_GLOBAL;
}

void map_decode_report_free(map_decode_report *rep)
{
    if (!rep)
        return;
    map_solve_report_free(rep->solve);
    for (size_t r = 0; r < rep->nrows; r++) {
        map_free(rep->rows[r].level);
        map_free(rep->rows[r].se);
    }
    MAP_FREE_ALL(rep->rows, rep->reference, rep->threshold, rep);
}

/* Checks req; *kmax: the largest k listed (≥ 1 when req passes). */
static int check_decode_request(const map_decode_request *req, size_t *kmax, map_error *err)
{
    if (!req->best && !req->sir)
        return map_error_set_field(err, MAP_EUSAGE, "method", "no method asked for (best, sir)");
    if (req->nks == 0 || !req->ks)
        return map_error_set_field(err, MAP_EUSAGE, "k", "no k listed");
    size_t largest = 0;
    for (size_t t = 0; t < req->nks; t++) {
        if (req->ks[t] < 1)
            return map_error_set_field(err, MAP_EUSAGE, "k", "entry %zu is %zu; every k must be "
                                       "at least 1", t + 1, req->ks[t]);
        largest = req->ks[t] > largest ? req->ks[t] : largest;
    }
    if (req->sir && req->replicates < 1)
        return map_error_set_field(err, MAP_EUSAGE, "replicates", "must be at least 1");
    if (req->sir && (double)req->replicates * (double)largest > MAP_DECODE_DRAWS_MAX)
        return map_error_set_field(err, MAP_EUSAGE, "replicates",
                                   "%zu replicates of up to %zu candidates are %.3g draws, over "
                                   "the limit of %.0e per k",
                                   req->replicates, largest,
                                   (double)req->replicates * (double)largest, MAP_DECODE_DRAWS_MAX);
    *kmax = largest;
    return MAP_OK;
}

/* Whether level (m, every value) reaches every palette value's threshold. */
static int reaches(const map_decode_report *rep, const double *level)
{
    const map_solve_report *s = rep->solve;
    for (size_t i = 0; i < s->k; i++)
        if (!(level[s->palette->items[i].col] >= rep->threshold[i]))
            return 0;
    return 1;
}

/* A new row of rep (level and se allocated, zeroed). */
static map_decode_row *row_add(map_decode_report *rep, map_decode_method method, size_t k,
                               map_error *err)
{
    map_decode_row *r = &rep->rows[rep->nrows];
    memset(r, 0, sizeof *r);
    r->method = method;
    r->k = k;
    r->level = map_calloc(rep->m, sizeof *r->level);
    r->se = map_calloc(rep->m, sizeof *r->se);
    rep->nrows++;
    if (!r->level || !r->se) {
        map_error_set(err, MAP_ENOMEM, "out of memory");
        return NULL;
    }
    return r;
}

/* The rows of an optimal solve; groups: its prompts under per-prompt
 * normalisation, else NULL; kmax: the largest k listed. */
static int decode_rows(const map_dataset *ds, const map_decode_request *req, size_t kmax,
                       const double *score, const map_groups *groups, map_decode_report *rep,
                       map_error *err)
{
    const size_t n = ds->n, m = ds->m;
    int rc = MAP_OK;
    const size_t K = groups ? groups->ngroups : 1;
    rep->prompts = K;
    map_decode_ws *ws = map_decode_ws_new(n, m, K, req->sir ? kmax : 1);
    rep->rows = map_calloc(2 * (req->nks + 1), sizeof *rep->rows);
    rep->reference = map_calloc(m, sizeof *rep->reference);
    rep->threshold = map_calloc(rep->solve->k, sizeof *rep->threshold);
    if (!ws || !rep->rows || !rep->reference || !rep->threshold)
        rc = map_error_set(err, MAP_ENOMEM, "out of memory allocating the decode workspace");
    const map_matrix X = map_dataset_matrix(ds);
    if (!rc)
        rc = map_decode_prepare(ws, &X, score, groups, err);
    if (!rc) {
        double kl;
        map_decode_best(ws, 1, rep->reference, &kl);
        const map_solve_report *s = rep->solve;
        for (size_t i = 0; i < s->k; i++) {
            const double c = s->items[i].target, c0 = rep->reference[s->palette->items[i].col];
            rep->threshold[i] = c - MAP_DECODE_REACH_FRACTION * fmax(0.0, c - c0);
        }
    }
    for (int meth = 0; meth < 2 && !rc; meth++) {
        const map_decode_method method = meth ? MAP_DECODE_SIR : MAP_DECODE_BEST;
        if (!(meth ? req->sir : req->best))
            continue;
        rep->ran[method] = 1;
        for (size_t t = 0; t <= req->nks && !rc; t++) {
            const size_t k = t < req->nks ? req->ks[t] : 0;
            map_decode_row *r = row_add(rep, method, k, err);
            if (!r) {
                rc = MAP_ENOMEM;
                break;
            }
            r->short_prompts = k ? map_decode_short_groups(ws, k) : 0;
            if (method == MAP_DECODE_BEST) {
                map_decode_best(ws, k, r->level, &r->kl);
            } else if (k) {
                r->kl = NAN;
                rc = map_decode_sir(ws, k, req->replicates, req->seed, r->level, r->se, err);
            } else {
                /* the limit: the tilted distribution itself */
                memcpy(r->level, rep->solve->levels, m * sizeof *r->level);
                r->kl = rep->solve->result.diag.kl;
            }
            if (rc)
                break;
            r->reaches = reaches(rep, r->level);
            if (k && r->reaches && (rep->smallest_k[method] == 0 || k < rep->smallest_k[method]))
                rep->smallest_k[method] = k;
        }
    }
    map_decode_ws_free(ws);
    return rc;
}

int map_app_decode(const map_dataset *ds, const map_decode_request *req, map_decode_report **out,
                   map_error *err)
{
    *out = NULL;
    size_t kmax = 0;
    int rc = check_decode_request(req, &kmax, err);
    if (rc)
        return rc;
    map_decode_report *rep = map_calloc(1, sizeof *rep);
    if (!rep)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    rep->m = ds->m;
    rep->replicates = req->sir ? req->replicates : 0;
    rep->seed = req->seed;
    double *score = NULL;
    app_groups groups;
    rc = solve_scores(ds, req->palette, req->normalize, &rep->solve, &score, &groups, err);
    if (!rc && score)
        rc = decode_rows(ds, req, kmax, score, app_groups_get(&groups), rep, err);
    map_free(score);
    app_groups_free(&groups);
    if (rc) {
        map_decode_report_free(rep);
        return rc;
    }
    *out = rep;
    return MAP_OK;
}

/* ---- select -------------------------------------------------------------------- */

void map_select_report_free(map_select_report *rep)
{
    if (!rep)
        return;
    map_solve_report_free(rep->solve);
    MAP_FREE_ALL(rep->score, rep->chosen, rep->rejected, rep);
}

/* The record fields must be distinct: "prompt", the text columns, the
 * values, "score" (pairs use fixed names only). */
static int check_record_names(const map_dataset *ds, map_error *err)
{
    static const char *const fixed[2] = {"prompt", "score"};
    for (size_t f = 0; f < 2; f++) {
        for (size_t c = 0; c < ds->ntext; c++)
            if (strcmp(ds->text_names[c], fixed[f]) == 0)
                return map_error_set(err, MAP_EDATA, "select: text column '%s' of dataset '%s' "
                                     "has the name of a record field", fixed[f], ds->name);
        if (map_dataset_value_index(ds, fixed[f]) >= 0)
            return map_error_set(err, MAP_EDATA, "select: value '%s' of dataset '%s' has the "
                                 "name of a record field", fixed[f], ds->name);
    }
    for (size_t c = 0; c < ds->ntext; c++)
        if (map_dataset_value_index(ds, ds->text_names[c]) >= 0)
            return map_error_set(err, MAP_EDATA, "select: dataset '%s' has a text column and a "
                                 "value both called '%s'", ds->name, ds->text_names[c]);
    return MAP_OK;
}

/* Checks ds and req for select; for pairs sets rep->text_col. */
static int check_select(const map_dataset *ds, const map_select_request *req,
                        map_select_report *rep, map_error *err)
{
    const char *name = ds->name ? ds->name : "?";
    if (req->text_column && !req->pairs)
        return map_error_set_field(err, MAP_EUSAGE, "text_column", "applies to pairs only");
    if (!ds->prompt_name || !ds->prompts)
        return map_error_set(err, MAP_EDATA,
                             "dataset '%s' has no prompt column: select keeps one sample per "
                             "prompt and needs one (ingest it with a prompt column)", name);
    if (ds->ntext > 0 && !ds->text)
        return map_error_set(err, MAP_EDATA, "select: the texts of dataset '%s' were not loaded",
                             name);
    if (!req->pairs)
        return check_record_names(ds, err);
    if (ds->ntext == 0)
        return map_error_set(err, MAP_EDATA,
                             "dataset '%s' has no text column: pairs need the generations' "
                             "text (ingest it with text columns)", name);
    rep->text_col = 0;
    if (req->text_column) {
        size_t c = 0;
        while (c < ds->ntext && strcmp(ds->text_names[c], req->text_column) != 0)
            c++;
        if (c == ds->ntext)
            return map_error_set_field(err, MAP_EDATA, "text_column",
                                 "'%s' is not a text column of dataset '%s' (its "
                                 "text columns: %s%s)", req->text_column, name,
                                 ds->text_names[0], ds->ntext > 1 ? ", ..." : "");
        rep->text_col = c;
    }
    return MAP_OK;
}

int map_app_select(const map_dataset *ds, const map_select_request *req, map_select_report **out,
                   map_error *err)
{
    *out = NULL;
    map_select_report *rep = map_calloc(1, sizeof *rep);
    if (!rep)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    rep->ds = ds;
    rep->pairs = req->pairs;
    app_groups groups;
    memset(&groups, 0, sizeof groups);
    int rc = check_select(ds, req, rep, err);
    if (!rc)
        rc = solve_scores(ds, req->palette, req->normalize, &rep->solve, &rep->score, &groups,
                          err);
    map_decode_ws *ws = NULL;
    if (!rc && rep->score) {
        /* The solve's groups under per-prompt normalisation, else new ones
         * (check_select has refused a dataset without prompts, so only
         * MAP_ENOMEM can come of this). */
        if (!groups.order)
            rc = app_groups_build(ds, "select", NULL, &groups, err);
        const size_t K = groups.g.ngroups;
        rep->prompts = K;
        if (!rc) {
            ws = map_decode_ws_new(ds->n, ds->m, K, 1);
            rep->chosen = map_mallocarray(K, sizeof *rep->chosen);
            if (req->pairs)
                rep->rejected = map_mallocarray(K, sizeof *rep->rejected);
            if (!ws || !rep->chosen || (req->pairs && !rep->rejected))
                rc = map_error_set(err, MAP_ENOMEM, "out of memory");
        }
        const map_matrix X = map_dataset_matrix(ds);
        if (!rc)
            rc = map_decode_prepare(ws, &X, rep->score, &groups.g, err);
        if (!rc && !req->pairs) {
            map_decode_select(ws, req->method, req->seed, rep->chosen);
            rep->nrecords = K;
        } else if (!rc) {
            map_decode_extremes(ws, rep->chosen, rep->rejected);
            size_t kept = 0;
            for (size_t g = 0; g < K; g++) {
                const size_t hi = rep->chosen[g], lo = rep->rejected[g];
                if (groups.start[g + 1] - groups.start[g] == 1)
                    rep->singletons++;
                else if (!(rep->score[hi] > rep->score[lo]))
                    rep->ties++;
                else {
                    rep->chosen[kept] = hi;
                    rep->rejected[kept++] = lo;
                }
            }
            rep->nrecords = kept;
        }
    }
    map_decode_ws_free(ws);
    app_groups_free(&groups);
    if (rc) {
        map_select_report_free(rep);
        return rc;
    }
    *out = rep;
    return MAP_OK;
}
