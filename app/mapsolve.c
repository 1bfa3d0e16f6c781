/* mapsolve.c — the public C interface (mapsolve.h): thin handles over the
 * application layer (map_app.h), the store (map_store.h) and the solver's
 * one-time initialisation (map_solver_init). */
#include "mapsolve.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_app.h"
#include "map_common.h"
#include "map_dataset.h"
#include "map_hash.h"
#include "map_solver.h"
#include "map_stats.h"
#include "map_store.h"
#include "map_vec.h"

struct mapsolve_dataset {
    map_dataset *ds;
};

struct mapsolve_store {
    map_store *st;
    int readonly;
};

struct mapsolve_result {
    map_solve_report *rep;   /* borrowed from adj for an adjustment, else owned */
    map_adjust_report *adj;  /* owned; NULL for a solve */
};

/* One cell of a table: a number (NaN when empty), or a text (owned). */
typedef struct table_cell {
    double x;
    char *s;
} table_cell;

struct mapsolve_table {
    char **names;      /* cols column names (owned) */
    size_t cols;
    map_vec cells;     /* rows × cols table_cell, row-major */
};

_Static_assert((int)MAPSOLVE_OK == (int)MAP_OK && (int)MAPSOLVE_EARG == (int)MAP_EUSAGE &&
                   (int)MAPSOLVE_EDATA == (int)MAP_EDATA &&
                   (int)MAPSOLVE_ESTORE == (int)MAP_ESTORE &&
                   (int)MAPSOLVE_ENOMEM == (int)MAP_ENOMEM,
               "mapsolve_code mirrors map_code");
_Static_assert(MAPSOLVE_OPTIMAL == (int)MAP_SOLVE_OPTIMAL &&
                   MAPSOLVE_NOT_CONVERGED == (int)MAP_SOLVE_NOT_CONVERGED &&
                   MAPSOLVE_STALLED == (int)MAP_SOLVE_STALLED &&
                   MAPSOLVE_INFEASIBLE == (int)MAP_SOLVE_INFEASIBLE &&
                   MAPSOLVE_BOUNDARY == (int)MAP_SOLVE_BOUNDARY,
               "mapsolve_status mirrors map_solve_status");
_Static_assert(MAPSOLVE_ATTAINABLE == (int)MAP_VERDICT_ATTAINABLE &&
                   MAPSOLVE_VERDICT_BOUNDARY == (int)MAP_VERDICT_BOUNDARY &&
                   MAPSOLVE_VERDICT_INFEASIBLE == (int)MAP_VERDICT_INFEASIBLE,
               "mapsolve_verdict mirrors map_verdict");
_Static_assert(MAPSOLVE_ERRMSG_MAX == MAP_ERRMSG_MAX, "same message size");
_Static_assert(MAPSOLVE_ERRFIELD_MAX == MAP_ERRFIELD_MAX, "same field size");

/* Copies the internal error (or code and message) into the caller's. */
static int fail(mapsolve_error *err, const map_error *e)
{
    if (err) {
        err->code = e->code;
        snprintf(err->msg, sizeof err->msg, "%s", e->msg);
        snprintf(err->field, sizeof err->field, "%s", e->field);
    }
    return e->code;
}

static int fail_msg(mapsolve_error *err, int code, const char *msg)
{
    if (err) {
        err->code = code;
        snprintf(err->msg, sizeof err->msg, "%s", msg);
        err->field[0] = '\0';
    }
    return code;
}

static int ok(mapsolve_error *err)
{
    if (err) {
        err->code = MAPSOLVE_OK;
        err->msg[0] = '\0';
        err->field[0] = '\0';
    }
    return MAPSOLVE_OK;
}

const char *mapsolve_version(void) { return MAPSOLVE_VERSION_STRING; }

const char *mapsolve_errstr(int code)
{
    switch (code) {
    case MAPSOLVE_OK: return "ok";
    case MAPSOLVE_EARG: return "bad argument";
    case MAPSOLVE_EDATA: return "bad data or palette";
    case MAPSOLVE_ESTORE: return "store failure";
    case MAPSOLVE_ENOMEM: return "out of memory";
    default: return "unknown code";
    }
}

void mapsolve_init(void) { map_solver_init(); }

/* ---- datasets ----------------------------------------------------------- */

int mapsolve_dataset_from_matrix(size_t n, size_t m, const double *x, const char *const *names,
                                 const char *const *prompts, mapsolve_dataset **out,
                                 mapsolve_error *err)
{
    if (!out)
        return fail_msg(err, MAPSOLVE_EARG, "out is NULL");
    *out = NULL;
    if (n == 0 || m == 0 || !x || !names)
        return fail_msg(err, MAPSOLVE_EARG, "a dataset needs n >= 1, m >= 1, x and names");
    if (n > SIZE_MAX / m / sizeof(double))
        return fail_msg(err, MAPSOLVE_EARG, "n * m is too large");
    for (size_t i = 0; i < m; i++) {
        if (!names[i] || !names[i][0])
            return fail_msg(err, MAPSOLVE_EARG, "a value name is NULL or empty");
        for (size_t l = 0; l < i; l++)
            if (strcmp(names[i], names[l]) == 0) {
                map_error e = {0};
                map_error_set(&e, MAP_EUSAGE, "value name '%s' appears twice", names[i]);
                return fail(err, &e);
            }
    }
    for (size_t j = 0; j < n * m; j++)
        if (!isfinite(x[j])) {
            map_error e = {0};
            map_error_set(&e, MAP_EDATA, "sample %zu, value '%s': not a finite number", j / m,
                          names[j % m]);
            return fail(err, &e);
        }
    if (prompts)
        for (size_t j = 0; j < n; j++)
            if (!prompts[j])
                return fail_msg(err, MAPSOLVE_EARG, "a prompt key is NULL");

    mapsolve_dataset *h = map_calloc(1, sizeof *h);
    map_dataset *ds = map_dataset_new();
    int good = h && ds;
    if (good) {
        ds->n = n;
        ds->m = m;
        ds->name = map_strdup("");
        ds->source = map_strdup("memory");
        ds->values = map_calloc(m, sizeof *ds->values);
        ds->x = map_mallocarray(n * m, sizeof *ds->x);
        char hex[MAP_HASH_HEX_LEN + 1];
        map_hash_bytes_hex(x, n * m * sizeof *x, hex);
        ds->hash = map_strdup(hex);
        good = ds->name && ds->source && ds->values && ds->x && ds->hash;
    }
    if (good) {
        memcpy(ds->x, x, n * m * sizeof *x);
        for (size_t i = 0; i < m && good; i++)
            good = (ds->values[i] = map_strdup(names[i])) != NULL;
    }
    if (good && prompts) {
        ds->prompt_name = map_strdup("prompt");
        ds->prompts = map_calloc(n, sizeof *ds->prompts);
        good = ds->prompt_name && ds->prompts;
        for (size_t j = 0; j < n && good; j++)
            good = (ds->prompts[j] = map_strdup(prompts[j])) != NULL;
    }
    if (good) {
        /* The statistics and percentiles once, as ingest stores them: every
         * solve on this read-only (shareable) dataset then reads them
         * instead of passing over the matrix again. */
        ds->stats = map_mallocarray(m, sizeof *ds->stats);
        const map_matrix X = map_dataset_matrix(ds);
        map_error e = {0};
        good = ds->stats && map_value_stats(&X, ds->stats, &e) == MAP_OK;
    }
    if (!good) {
        map_dataset_free(ds);
        map_free(h);
        return fail_msg(err, MAPSOLVE_ENOMEM, "out of memory");
    }
    h->ds = ds;
    *out = h;
    return ok(err);
}

void mapsolve_dataset_free(mapsolve_dataset *ds)
{
    if (ds)
        map_dataset_free(ds->ds);
    map_free(ds);
}

const char *mapsolve_dataset_name(const mapsolve_dataset *ds)
{
    return ds && ds->ds->name ? ds->ds->name : "";
}

size_t mapsolve_dataset_samples(const mapsolve_dataset *ds) { return ds ? ds->ds->n : 0; }

size_t mapsolve_dataset_values(const mapsolve_dataset *ds) { return ds ? ds->ds->m : 0; }

const char *mapsolve_dataset_value_name(const mapsolve_dataset *ds, size_t i)
{
    return ds && i < ds->ds->m ? ds->ds->values[i] : NULL;
}

/* ---- the store ---------------------------------------------------------- */

int mapsolve_open(const char *path, unsigned flags, mapsolve_store **out, mapsolve_error *err)
{
    if (!out)
        return fail_msg(err, MAPSOLVE_EARG, "out is NULL");
    *out = NULL;
    if (flags & ~(unsigned)MAPSOLVE_OPEN_READONLY)
        return fail_msg(err, MAPSOLVE_EARG, "unknown flags");
    mapsolve_store *h = map_calloc(1, sizeof *h);
    if (!h)
        return fail_msg(err, MAPSOLVE_ENOMEM, "out of memory");
    map_error e = {0};
    const char *p = map_store_default_path(path);
    const int rc = (flags & MAPSOLVE_OPEN_READONLY) ? map_store_open_readonly(p, &h->st, &e)
                                                    : map_store_open(p, &h->st, &e);
    if (rc) {
        map_free(h);
        return fail(err, &e);
    }
    h->readonly = (flags & MAPSOLVE_OPEN_READONLY) != 0;
    *out = h;
    return ok(err);
}

void mapsolve_close(mapsolve_store *st)
{
    if (st)
        map_store_close(st->st);
    map_free(st);
}

int mapsolve_list(mapsolve_store *st, char ***names, size_t *count, mapsolve_error *err)
{
    if (!names || !count)
        return fail_msg(err, MAPSOLVE_EARG, "names or count is NULL");
    *names = NULL;
    *count = 0;
    if (!st)
        return fail_msg(err, MAPSOLVE_EARG, "store is NULL");
    map_error e = {0};
    map_dataset_info *info = NULL;
    size_t c = 0;
    if (map_store_list(st->st, &info, &c, &e))
        return fail(err, &e);
    char **v = map_calloc(c ? c : 1, sizeof *v);
    int good = v != NULL;
    for (size_t i = 0; i < c && good; i++)
        good = (v[i] = map_strdup(info[i].name)) != NULL;
    map_dataset_info_free(info, c);
    if (!good) {
        mapsolve_names_free(v, c);
        return fail_msg(err, MAPSOLVE_ENOMEM, "out of memory");
    }
    *names = v;
    *count = c;
    return ok(err);
}

void mapsolve_names_free(char **names, size_t count)
{
    if (!names)
        return;
    map_free_strings(names, count);
}

int mapsolve_load(mapsolve_store *st, const char *name, mapsolve_dataset **out,
                  mapsolve_error *err)
{
    if (!out)
        return fail_msg(err, MAPSOLVE_EARG, "out is NULL");
    *out = NULL;
    if (!st || !name)
        return fail_msg(err, MAPSOLVE_EARG, "store or name is NULL");
    mapsolve_dataset *h = map_calloc(1, sizeof *h);
    if (!h)
        return fail_msg(err, MAPSOLVE_ENOMEM, "out of memory");
    map_error e = {0};
    if (map_store_get_dataset(st->st, name, MAP_LOAD_PROMPTS, &h->ds, &e)) {
        map_free(h);
        return fail(err, &e);
    }
    *out = h;
    return ok(err);
}

int mapsolve_store_dataset(mapsolve_store *st, const char *name, const mapsolve_dataset *ds,
                           int replace, mapsolve_error *err)
{
    if (!st || !name || !ds)
        return fail_msg(err, MAPSOLVE_EARG, "store, name or dataset is NULL");
    if (st->readonly)
        return fail_msg(err, MAPSOLVE_EARG, "the store is open read-only");
    map_error e = {0};
    if (map_app_check_name(name, &e))
        return fail(err, &e);
    map_dataset tmp = *ds->ds; /* shallow: only the name differs */
    tmp.name = (char *)name;
    if (map_store_put_dataset(st->st, &tmp, replace, &e))
        return fail(err, &e);
    return ok(err);
}

/* ---- options ------------------------------------------------------------ */

void mapsolve_options_default(mapsolve_options *opts)
{
    if (!opts)
        return;
    map_solver_params par;
    map_solver_params_default(&par);
    map_feas_params fp = {0};
    map_feas_params_default(&fp);
    opts->normalize = MAPSOLVE_NORMALIZE_GLOBAL;
    opts->method = MAPSOLVE_METHOD_NEWTON;
    opts->tol = par.tol;
    opts->max_iter = par.max_iter;
    opts->boundary_tol = fp.boundary_tol;
}

/* Translates opts into the application layer's structs. */
static int convert_opts(const mapsolve_options *opts, map_solve_opts *so, map_solver_params *par,
                        map_feas_params *fp, mapsolve_error *err)
{
    mapsolve_options o;
    mapsolve_options_default(&o);
    if (opts)
        o = *opts;
    map_solve_opts_default(so);
    map_solver_params_default(par);
    map_feas_params_default(fp);
    if (o.normalize != MAPSOLVE_NORMALIZE_GLOBAL && o.normalize != MAPSOLVE_NORMALIZE_PROMPT)
        return fail_msg(err, MAPSOLVE_EARG, "unknown normalize option");
    if (o.method != MAPSOLVE_METHOD_NEWTON && o.method != MAPSOLVE_METHOD_LBFGS &&
        o.method != MAPSOLVE_METHOD_MMA)
        return fail_msg(err, MAPSOLVE_EARG, "unknown method option");
    if (!(o.tol > 0) || !isfinite(o.tol) || o.max_iter < 1 || !(o.boundary_tol >= 0) ||
        !isfinite(o.boundary_tol))
        return fail_msg(err, MAPSOLVE_EARG,
                        "tol must be positive, max_iter at least 1, boundary_tol non-negative");
    so->normalize = (map_normalize)o.normalize;
    so->method = (map_method)o.method;
    par->tol = o.tol;
    par->max_iter = o.max_iter;
    fp->boundary_tol = o.boundary_tol;
    return MAPSOLVE_OK;
}

/* The checks and translation every palette request starts with: a dataset
 * and a palette, and opts in the application layer's request (which points
 * at par and fp). */
static int palette_request(const mapsolve_dataset *ds, const char *palette,
                           const mapsolve_options *opts, map_solve_request *rq,
                           map_solver_params *par, map_feas_params *fp, mapsolve_error *err)
{
    if (!ds || !palette)
        return fail_msg(err, MAPSOLVE_EARG, "dataset or palette is NULL");
    map_solve_request_init(rq, palette);
    rq->params = par;
    rq->feas = fp;
    return convert_opts(opts, &rq->opts, par, fp, err);
}

/* ---- solve -------------------------------------------------------------- */

/* A solve (adjust_mode NULL) or an adjustment (*adjust_mode) of palette on
 * ds into a new result. */
static int palette_result(const mapsolve_dataset *ds, const char *palette,
                          const mapsolve_options *opts, const int *adjust_mode,
                          mapsolve_result **out, mapsolve_error *err)
{
    if (!out)
        return fail_msg(err, MAPSOLVE_EARG, "out is NULL");
    *out = NULL;
    map_adjust_request rq;
    map_solver_params par;
    map_feas_params fp;
    const int rc = palette_request(ds, palette, opts, &rq.solve, &par, &fp, err);
    if (rc)
        return rc;
    map_error e = {0};
    map_adjust_opts *ao = &rq.adjust;
    map_adjust_opts_default(ao);
    if (adjust_mode) {
        if (*adjust_mode != MAPSOLVE_ADJUST_RAY && *adjust_mode != MAPSOLVE_ADJUST_GREEDY) {
            map_error_set_field(&e, MAP_EUSAGE, "mode", "unknown adjustment mode %d", *adjust_mode);
            return fail(err, &e);
        }
        ao->mode = *adjust_mode == MAPSOLVE_ADJUST_RAY ? MAP_ADJUST_RAY : MAP_ADJUST_GREEDY;
    }
    mapsolve_result *r = map_calloc(1, sizeof *r);
    if (!r)
        return fail_msg(err, MAPSOLVE_ENOMEM, "out of memory");
    const int arc = adjust_mode ? map_app_adjust(ds->ds, &rq, &r->adj, &e)
                                : map_app_solve(ds->ds, &rq.solve, &r->rep, &e);
    if (arc) {
        map_free(r);
        return fail(err, &e);
    }
    if (r->adj)
        r->rep = r->adj->solve;
    *out = r;
    return ok(err);
}

int mapsolve_solve(const mapsolve_dataset *ds, const char *palette, const mapsolve_options *opts,
                   mapsolve_result **out, mapsolve_error *err)
{
    return palette_result(ds, palette, opts, NULL, out, err);
}

void mapsolve_result_free(mapsolve_result *r)
{
    if (!r)
        return;
    if (r->adj)
        map_adjust_report_free(r->adj);
    else
        map_solve_report_free(r->rep);
    map_free(r);
}

int mapsolve_result_status(const mapsolve_result *r)
{
    return r ? (int)r->rep->result.status : -1;
}

size_t mapsolve_result_k(const mapsolve_result *r) { return r ? r->rep->k : 0; }

static const map_solve_item *item(const mapsolve_result *r, size_t i)
{
    return r && i < r->rep->k ? &r->rep->items[i] : NULL;
}

const char *mapsolve_result_name(const mapsolve_result *r, size_t i)
{
    const map_solve_item *it = item(r, i);
    return it ? it->name : NULL;
}

double mapsolve_result_target(const mapsolve_result *r, size_t i)
{
    const map_solve_item *it = item(r, i);
    return it ? it->target : NAN;
}

double mapsolve_result_lambda(const mapsolve_result *r, size_t i)
{
    const map_solve_item *it = item(r, i);
    return it ? it->lambda : NAN;
}

double mapsolve_result_level(const mapsolve_result *r, size_t i)
{
    const map_solve_item *it = item(r, i);
    if (!it)
        return NAN;
    return r->rep->has_tilt || it->constant ? it->level : NAN;
}

int mapsolve_result_has_direction(const mapsolve_result *r)
{
    return r ? r->rep->result.has_direction : 0;
}

double mapsolve_result_direction(const mapsolve_result *r, size_t i)
{
    const map_solve_item *it = item(r, i);
    if (!it)
        return NAN;
    if (!r->rep->result.has_direction || it->pidx < 0)
        return 0.0;
    return r->rep->result.direction[it->pidx];
}

double mapsolve_result_cert_gap(const mapsolve_result *r)
{
    return r && r->rep->result.status == MAP_SOLVE_INFEASIBLE ? r->rep->result.cert_gap : NAN;
}

double mapsolve_result_kl(const mapsolve_result *r)
{
    return r && r->rep->has_tilt ? r->rep->result.diag.kl : NAN;
}

double mapsolve_result_ess(const mapsolve_result *r)
{
    return r && r->rep->has_tilt ? r->rep->result.diag.ess : NAN;
}

double mapsolve_result_margin(const mapsolve_result *r) { return r ? r->rep->result.margin : NAN; }

int mapsolve_result_iterations(const mapsolve_result *r)
{
    return r ? r->rep->result.diag.iterations : 0;
}

const char *mapsolve_status_name(int status)
{
    if (status < MAPSOLVE_OPTIMAL || status > MAPSOLVE_BOUNDARY)
        return "unknown";
    return map_solve_status_name((map_solve_status)status);
}

/* ---- feasible ----------------------------------------------------------- */

const char *mapsolve_verdict_name(int verdict)
{
    if (verdict < MAPSOLVE_ATTAINABLE || verdict > MAPSOLVE_VERDICT_INFEASIBLE)
        return "unknown";
    return map_verdict_name((map_verdict)verdict);
}

int mapsolve_feasible(const mapsolve_dataset *ds, const char *palette,
                      const mapsolve_options *opts, int *verdict, double *margin,
                      mapsolve_error *err)
{
    if (!verdict)
        return fail_msg(err, MAPSOLVE_EARG, "verdict is NULL");
    map_solve_request rq;
    map_solver_params par;
    map_feas_params fp;
    const int rc = palette_request(ds, palette, opts, &rq, &par, &fp, err);
    if (rc)
        return rc;
    map_feasible_report *rep = NULL;
    map_error e = {0};
    if (map_app_feasible(ds->ds, &rq, &rep, &e))
        return fail(err, &e);
    *verdict = (int)rep->verdict;
    if (margin)
        *margin = rep->margin;
    map_feasible_report_free(rep);
    return ok(err);
}

/* ---- adjust ------------------------------------------------------------- */

int mapsolve_adjust(const mapsolve_dataset *ds, const char *palette, int mode,
                    const mapsolve_options *opts, mapsolve_result **out, mapsolve_error *err)
{
    return palette_result(ds, palette, opts, &mode, out, err);
}

double mapsolve_result_requested(const mapsolve_result *r, size_t i)
{
    if (!item(r, i))
        return NAN;
    return r->adj ? r->adj->requested[i] : r->rep->items[i].target;
}

double mapsolve_result_adjusted(const mapsolve_result *r, size_t i)
{
    if (!item(r, i))
        return NAN;
    return r->adj ? r->adj->adjusted[i] : r->rep->items[i].target;
}

double mapsolve_result_rho(const mapsolve_result *r)
{
    return r && r->adj && r->adj->mode == MAP_ADJUST_RAY ? r->adj->rho : NAN;
}

/* ---- tables ------------------------------------------------------------- */

static int table_header(void *ctx, size_t ncols, const char *const *names, map_error *err)
{
    mapsolve_table *t = ctx;
    if (!(t->names = map_strdup_all(names, ncols)))
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    t->cols = ncols;
    return MAP_OK;
}

static int table_row(void *ctx, const map_cell *cells, map_error *err)
{
    mapsolve_table *t = ctx;
    if (map_vec_reserve(&t->cells, t->cells.len + t->cols))
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    for (size_t j = 0; j < t->cols; j++) {
        table_cell *c = map_vec_push(&t->cells); /* reserved: cannot fail */
        c->x = NAN;
        switch (cells[j].kind) {
        case MAP_CELL_NUMBER: c->x = cells[j].x; break;
        case MAP_CELL_COUNT: c->x = (double)cells[j].n; break;
        case MAP_CELL_TEXT:
            if (!(c->s = map_strdup(cells[j].s ? cells[j].s : "")))
                return map_error_set(err, MAP_ENOMEM, "out of memory");
            break;
        case MAP_CELL_EMPTY: break;
        }
    }
    return MAP_OK;
}

void mapsolve_table_free(mapsolve_table *t)
{
    if (!t)
        return;
    table_cell *c = t->cells.data;
    for (size_t i = 0; i < t->cells.len; i++)
        map_free(c[i].s);
    map_vec_free(&t->cells);
    map_free_strings(t->names, t->cols);
    map_free(t);
}

/* The argument checks every table request starts with, in a fixed order
 * (test_mapsolve.c pins it: out, then frontier's budgets, NULL and 0 for
 * region, then ds and values), and its set-up: *out (the caller's result) is
 * set to NULL at once; on success *so holds the converted options and *t a new
 * empty table, which the caller fills and hands to table_done. */
static int table_request(const mapsolve_dataset *ds, const char *const *values, size_t k,
                         const double *budgets, size_t nbudgets, const mapsolve_options *opts,
                         mapsolve_table **out, map_solve_opts *so, mapsolve_table **t,
                         mapsolve_error *err)
{
    if (!out)
        return fail_msg(err, MAPSOLVE_EARG, "out is NULL");
    *out = NULL;
    if (!budgets && nbudgets > 0)
        return fail_msg(err, MAPSOLVE_EARG, "budgets is NULL");
    if (!ds || (!values && k > 0))
        return fail_msg(err, MAPSOLVE_EARG, "dataset or values is NULL");
    for (size_t i = 0; i < k; i++)
        if (!values[i])
            return fail_msg(err, MAPSOLVE_EARG, "a value name is NULL");
    map_solver_params par;
    map_feas_params fp;
    const int rc = convert_opts(opts, so, &par, &fp, err);
    if (rc)
        return rc;
    if (!(*t = map_calloc(1, sizeof **t)))
        return fail_msg(err, MAPSOLVE_ENOMEM, "out of memory");
    map_vec_init(&(*t)->cells, sizeof(table_cell), 64);
    return MAPSOLVE_OK;
}

/* Ends a table request: on failure frees t and reports e. */
static int table_done(int rc, mapsolve_table *t, const map_error *e, mapsolve_table **out,
                      mapsolve_error *err)
{
    if (rc) {
        mapsolve_table_free(t);
        return fail(err, e);
    }
    *out = t;
    return ok(err);
}

int mapsolve_frontier(const mapsolve_dataset *ds, const char *const *values, size_t k,
                      const double *budgets, size_t nbudgets, size_t points,
                      const mapsolve_options *opts, mapsolve_table **out, mapsolve_error *err)
{
    map_solve_opts so;
    mapsolve_table *t = NULL;
    int rc = table_request(ds, values, k, budgets, nbudgets, opts, out, &so, &t, err);
    if (rc)
        return rc;
    const map_frontier_opts fo = {values, k, budgets, nbudgets, NULL, points, NAN, so.normalize};
    const map_table_sink sink = {table_header, table_row, t};
    map_frontier_summary sum;
    map_error e = {0};
    rc = map_app_frontier(ds->ds, &fo, &sink, &sum, &e);
    return table_done(rc, t, &e, out, err);
}

int mapsolve_region(const mapsolve_dataset *ds, const char *const *values, size_t k,
                    size_t points, const char *from, const mapsolve_options *opts,
                    mapsolve_table **out, mapsolve_error *err)
{
    map_solve_opts so;
    mapsolve_table *t = NULL;
    int rc = table_request(ds, values, k, NULL, 0, opts, out, &so, &t, err);
    if (rc)
        return rc;
    const map_region_opts ro = {values, k, points, from, 0, so.normalize};
    const map_table_sink sink = {table_header, table_row, t};
    map_region_summary sum;
    map_error e = {0};
    rc = map_app_region(ds->ds, &ro, &sink, &sum, &e);
    return table_done(rc, t, &e, out, err);
}

size_t mapsolve_table_rows(const mapsolve_table *t)
{
    return t && t->cols ? t->cells.len / t->cols : 0;
}

size_t mapsolve_table_cols(const mapsolve_table *t) { return t ? t->cols : 0; }

const char *mapsolve_table_column(const mapsolve_table *t, size_t j)
{
    return t && j < t->cols ? t->names[j] : NULL;
}

long mapsolve_table_find(const mapsolve_table *t, const char *name)
{
    for (size_t j = 0; t && name && j < t->cols; j++)
        if (strcmp(t->names[j], name) == 0)
            return (long)j;
    return -1;
}

static const table_cell *cell(const mapsolve_table *t, size_t i, size_t j)
{
    if (!t || j >= t->cols || i >= mapsolve_table_rows(t))
        return NULL;
    return (const table_cell *)t->cells.data + i * t->cols + j;
}

double mapsolve_table_value(const mapsolve_table *t, size_t i, size_t j)
{
    const table_cell *c = cell(t, i, j);
    return c && !c->s ? c->x : NAN;
}

const char *mapsolve_table_text(const mapsolve_table *t, size_t i, size_t j)
{
    const table_cell *c = cell(t, i, j);
    return c ? c->s : NULL;
}
