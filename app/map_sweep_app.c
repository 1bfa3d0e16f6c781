/* map_sweep_app.c — sources, table rows and stored batches of a sweep, and
 * the export of a stored one; the parallel work is solver/map_sweep.c's, the
 * request as JSON map_sweep_request.c's. */
#include "map_sweep_app.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <string.h>

#include "map_app_internal.h"
#include "map_grid.h"
#include "map_names.h"
#include "map_stats.h"

/* Rows stored per transaction. */
#define STORE_BATCH 256

const char *map_sweep_source_name(map_sweep_source s)
{
    switch (s) {
    case MAP_SOURCE_GRID: return "grid";
    case MAP_SOURCE_RANDOM: return "random";
    case MAP_SOURCE_PALETTES: return "palettes";
    case MAP_SOURCE_LAMBDAS: return "lambdas";
    }
    return "unknown";
}

void map_sweep_outcome_free(map_sweep_outcome *out)
{
    if (!out)
        return;
    for (size_t i = 0; out->values && i < out->k; i++)
        map_free(out->values[i]);
    map_free(out->values);
    out->values = NULL;
    out->k = 0;
}

/* Everything a planned sweep owns. */
typedef struct plan {
    size_t k;
    size_t cols[MAP_MAX_K];
    double scale[MAP_MAX_K], absmax[MAP_MAX_K];
    double lo[MAP_MAX_K], hi[MAP_MAX_K];
    map_grid *grid;          /* GRID: parsed spec */
    map_sweep_grid sgrid;
    map_sweep_uniform uniform;
    map_sweep_dirichlet dirichlet;
    map_dataset *table_ds;   /* PALETTES: the file */
    map_sweep_table table;
    map_sweep_gen_fn gen;
    const void *gen_ctx;
    size_t nrows;
    app_groups groups;       /* per-prompt groups (zeroed: global) */
} plan;

static void plan_free(plan *p)
{
    map_grid_free(p->grid);
    map_dataset_free(p->table_ds);
    app_groups_free(&p->groups);
}

/* The random palettes' bounds (map_sweep_kind_interval) for p's columns,
 * from the dataset's stored statistics and percentiles: no pass over the
 * matrix when the store has them. */
static int kind_bounds(const map_dataset *ds, map_sweep_kind kind, plan *p, map_error *err)
{
    map_colstat *cs = map_mallocarray(ds->m, sizeof *cs);
    if (!cs)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    map_dataset_column_stats(ds, cs);
    int rc = MAP_OK;
    for (size_t i = 0; !rc && i < p->k; i++) {
        const size_t c = p->cols[i];
        double q = 0.0;
        rc = map_dataset_quantile(ds, c, map_sweep_kind_percentile(kind), &q, err);
        map_sweep_kind_interval(kind, cs[c].mean, cs[c].max, q, &p->lo[i], &p->hi[i]);
    }
    map_free(cs);
    return rc;
}

/* Columns, scales and absolute maxima of the named values. */
static int choose_values(const map_dataset *ds, const char *const *names, size_t k, plan *p,
                         map_error *err)
{
    if (k == 0 || k > MAP_MAX_K)
        return map_error_set(err, MAP_EDATA, "a sweep needs 1 to %d values (%zu given)", MAP_MAX_K, k);
    map_colstat *cs = map_mallocarray(ds->m, sizeof *cs);
    if (!cs)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    map_dataset_column_stats(ds, cs);
    int rc = MAP_OK;
    for (size_t i = 0; i < k && !rc; i++) {
        const long c = map_dataset_value_index(ds, names[i]);
        if (c < 0) {
            rc = map_error_set(err, MAP_EDATA, "dataset '%s' has no value '%s'", ds->name ? ds->name : "",
                               names[i]);
            break;
        }
        for (size_t l = 0; l < i; l++)
            if (p->cols[l] == (size_t)c)
                rc = map_error_set(err, MAP_EDATA, "value '%s' is named twice", names[i]);
        if (!(cs[c].sd > 0.0))
            rc = map_error_set(err, MAP_EDATA,
                               "value '%s' is constant (sd 0): it cannot be swept; leave it out", names[i]);
        p->cols[i] = (size_t)c;
        p->scale[i] = cs[c].sd;
        p->absmax[i] = cs[c].absmax;
    }
    p->k = k;
    map_free(cs);
    return rc;
}

static int build_plan(const map_dataset *ds, const map_sweep_request *rq, plan *p, map_error *err)
{
    memset(p, 0, sizeof *p);
    int rc = MAP_OK;
    const char *names[MAP_MAX_K];
    switch (rq->source) {
    case MAP_SOURCE_GRID: {
        if (!rq->grid)
            return map_error_set(err, MAP_EUSAGE, "no grid given");
        if ((rc = map_grid_parse_for(rq->grid, ds, &p->grid, err)))
            return rc;
        for (size_t i = 0; i < p->grid->k; i++) {
            names[i] = p->grid->from->items[i].name;
            p->lo[i] = p->grid->from->items[i].target;
            p->hi[i] = p->grid->to->items[i].target;
        }
        if ((rc = choose_values(ds, names, p->grid->k, p, err)))
            return rc;
        map_sweep_grid g = {p->k, p->lo, p->hi, p->grid->steps};
        p->sgrid = g;
        if ((rc = map_sweep_grid_rows(&p->sgrid, &p->nrows, err)))
            return rc;
        p->gen = map_sweep_grid_gen;
        p->gen_ctx = &p->sgrid;
        break;
    }
    case MAP_SOURCE_RANDOM:
    case MAP_SOURCE_LAMBDAS:
        if ((rc = choose_values(ds, rq->values, rq->k, p, err)))
            return rc;
        if (rq->count == 0)
            return map_error_set(err, MAP_EUSAGE, "a sweep needs at least one row");
        p->nrows = rq->count;
        if (rq->source == MAP_SOURCE_RANDOM && (rc = kind_bounds(ds, rq->kind, p, err)))
            return rc;
        if (rq->source == MAP_SOURCE_RANDOM) {
            map_sweep_uniform u = {p->k, p->lo, p->hi, rq->seed};
            p->uniform = u;
            p->gen = map_sweep_uniform_gen;
            p->gen_ctx = &p->uniform;
        } else {
            if (!(rq->scale > 0.0) || !isfinite(rq->scale))
                return map_error_set_field(err, MAP_EUSAGE, "scale", "must be a positive number");
            map_sweep_dirichlet d = {p->k, rq->scale, rq->seed};
            p->dirichlet = d;
            p->gen = map_sweep_dirichlet_gen;
            p->gen_ctx = &p->dirichlet;
        }
        break;
    case MAP_SOURCE_PALETTES: {
        map_ingest_opts o = {0};
        o.path = rq->palettes ? rq->palettes : "-";
        o.format = MAP_FMT_CSV;
        if ((rc = map_ingest_read(&o, &p->table_ds, err)))
            return rc;
        const map_dataset *t = p->table_ds;
        if (t->m > MAP_MAX_K)
            return map_error_set(err, MAP_EDATA, "%s: %zu palette columns; at most %d", o.path, t->m,
                                 MAP_MAX_K);
        for (size_t i = 0; i < t->m; i++)
            names[i] = t->values[i];
        if ((rc = choose_values(ds, names, t->m, p, err))) {
            map_error_prefix(err, o.path);
            return rc;
        }
        map_sweep_table tb = {t->m, t->n, t->x};
        p->table = tb;
        p->nrows = t->n;
        p->gen = map_sweep_table_gen;
        p->gen_ctx = &p->table;
        break;
    }
    default:
        return map_error_set(err, MAP_EUSAGE, "unknown sweep source");
    }
    if (rq->per_prompt
        && (rc = app_groups_build(ds, "per-prompt normalisation", "normalize", &p->groups, err)))
        return rc;
    if (rq->start_row > p->nrows)
        return map_error_set(err, MAP_EDATA, "cannot resume at row %zu of a sweep of %zu rows", rq->start_row,
                             p->nrows);
    return MAP_OK;
}

static int fill_shape(const map_dataset *ds, const plan *p, map_sweep_outcome *out, map_error *err)
{
    out->nrows = p->nrows;
    out->values = map_calloc(p->k, sizeof *out->values);
    if (!out->values)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    out->k = p->k;
    for (size_t i = 0; i < p->k; i++)
        if (!(out->values[i] = map_strdup(ds->values[p->cols[i]])))
            return map_error_set(err, MAP_ENOMEM, "out of memory");
    return MAP_OK;
}

int map_app_sweep_shape(const map_dataset *ds, const map_sweep_request *rq, map_sweep_outcome *out,
                        map_error *err)
{
    memset(out, 0, sizeof *out);
    plan p;
    int rc = build_plan(ds, rq, &p, err);
    if (!rc)
        rc = fill_shape(ds, &p, out, err);
    plan_free(&p);
    return rc;
}

/* The row sink: table cells, and stored batches. */
typedef struct emitter {
    const map_table_sink *sink;
    int lambdas;
    size_t k;
    map_cell *cells;
    map_store *store;
    int64_t id;
    size_t nbatch;
    map_store_sweep_row batch[STORE_BATCH];
    double *store_buf; /* STORE_BATCH * 3k doubles: target, lambda, level per row */
    map_error *err;
    int failed;        /* the sink or the store failed: its code */
} emitter;

static int flush_batch(emitter *em)
{
    if (!em->store || em->nbatch == 0)
        return MAP_OK;
    const int rc = map_store_sweep_append(em->store, em->id, em->batch, em->nbatch, em->err);
    em->nbatch = 0;
    return rc;
}

/* One table row from a result row's fields (shared by live sweeps and by
 * export of a stored one). Returns the number of cells written to c. */
static size_t row_cells(map_cell *c, size_t k, int lambdas, size_t row, const char *status,
                        const double *target, const double *lambda, const double *level, double kl,
                        double ess, double margin, int iterations, int improves)
{
    size_t at = 0;
    const map_cell empty = {MAP_CELL_EMPTY, 0.0, 0, NULL};
    c[at++] = (map_cell){MAP_CELL_COUNT, 0.0, row, NULL};
    c[at++] = (map_cell){MAP_CELL_TEXT, 0.0, 0, status};
    for (size_t i = 0; i < k; i++)
        c[at++] = target ? (map_cell){MAP_CELL_NUMBER, target[i], 0, NULL} : empty;
    for (size_t i = 0; i < k; i++)
        c[at++] = (map_cell){MAP_CELL_NUMBER, lambda[i], 0, NULL};
    for (size_t i = 0; i < k; i++)
        c[at++] = (map_cell){MAP_CELL_NUMBER, level[i], 0, NULL};
    c[at++] = (map_cell){MAP_CELL_NUMBER, kl, 0, NULL};
    c[at++] = (map_cell){MAP_CELL_NUMBER, ess, 0, NULL};
    c[at++] = lambdas ? empty : (map_cell){MAP_CELL_NUMBER, margin, 0, NULL};
    c[at++] = (map_cell){MAP_CELL_COUNT, 0.0, (size_t)(iterations > 0 ? iterations : 0), NULL};
    if (lambdas)
        c[at++] = (map_cell){MAP_CELL_COUNT, 0.0, (size_t)(improves > 0), NULL};
    return at;
}

static int on_row(void *ctx, const map_sweep_row *r)
{
    emitter *em = ctx;
    const size_t k = em->k;
    row_cells(em->cells, k, em->lambdas, r->row, map_solve_status_name(r->status), r->target, r->lambda,
              r->level, r->kl, r->ess, r->margin, r->iterations, r->improves);
    int rc = em->sink->row(em->sink->ctx, em->cells, em->err);
    if (rc)
        return em->failed = rc;
    if (em->store) {
        double *buf = em->store_buf + em->nbatch * 3 * k;
        map_store_sweep_row *sr = &em->batch[em->nbatch++];
        if (r->target)
            memcpy(buf, r->target, k * sizeof *buf);
        memcpy(buf + k, r->lambda, k * sizeof *buf);
        memcpy(buf + 2 * k, r->level, k * sizeof *buf);
        sr->row = r->row;
        sr->status = map_solve_status_name(r->status);
        sr->improves = em->lambdas ? r->improves > 0 : -1;
        sr->target = r->target ? buf : NULL;
        sr->lambda = buf + k;
        sr->level = buf + 2 * k;
        sr->kl = r->kl;
        sr->ess = r->ess;
        sr->margin = r->margin;
        sr->iterations = r->iterations;
        if (em->nbatch == STORE_BATCH && (rc = flush_batch(em)))
            return em->failed = rc;
    }
    return MAP_OK;
}

/* Column names: row, status, target_<v>…, lambda_<v>…, level_<v>…, kl, ess,
 * margin, iterations[, improves]. */
static int write_header(const map_table_sink *sink, const map_sweep_outcome *shape, int lambdas,
                        map_error *err)
{
    const size_t k = shape->k;
    const char *const *values = (const char *const *)shape->values;
    static const char *const tail[] = {"kl", "ess", "margin", "iterations", "improves"};
    map_name_list h;
    map_name_list_init(&h, 6 + 3 * k + (size_t)lambdas);
    map_name_list_add(&h, "", "row");
    map_name_list_add(&h, "", "status");
    map_name_list_add_all(&h, "target_", values, k);
    map_name_list_add_all(&h, "lambda_", values, k);
    map_name_list_add_all(&h, "level_", values, k);
    map_name_list_add_all(&h, "", tail, 4 + (size_t)lambdas);
    const int rc = h.ok ? sink->header(sink->ctx, h.count, (const char *const *)h.names, err)
                        : map_error_set(err, MAP_ENOMEM, "out of memory");
    map_name_list_free(&h);
    return rc;
}

int map_app_sweep(const map_dataset *ds, const map_sweep_request *rq, const map_table_sink *sink,
                  map_sweep_outcome *out, map_error *err)
{
    memset(out, 0, sizeof *out);
    plan p;
    emitter *em = NULL;
    int rc = build_plan(ds, rq, &p, err);
    if (!rc)
        rc = fill_shape(ds, &p, out, err);
    const int lambdas = rq->source == MAP_SOURCE_LAMBDAS;
    if (!rc)
        rc = write_header(sink, out, lambdas, err);
    if (!rc) {
        em = map_calloc(1, sizeof *em);
        if (em) {
            em->cells = map_mallocarray(7 + 3 * p.k, sizeof *em->cells);
            em->store_buf = rq->store ? map_mallocarray(STORE_BATCH * 3 * p.k, sizeof *em->store_buf) : NULL;
        }
        if (!em || !em->cells || (rq->store && !em->store_buf))
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    if (!rc) {
        em->sink = sink;
        em->lambdas = lambdas;
        em->k = p.k;
        em->store = rq->store;
        em->id = rq->store_id;
        em->err = err;
        const map_problem pb = {map_dataset_matrix(ds), p.k, p.cols, NULL, p.scale, p.absmax,
                                app_groups_get(&p.groups)};
        map_feas_params fp;
        map_feas_params_default(&fp);
        fp.want_margin = rq->want_margin;
        map_sweep_config cfg;
        map_sweep_config_default(&cfg);
        cfg.problem = &pb;
        cfg.fp = &fp;
        cfg.mode = lambdas ? MAP_SWEEP_LAMBDAS : MAP_SWEEP_PALETTES;
        cfg.nrows = p.nrows;
        cfg.gen = p.gen;
        cfg.gen_ctx = p.gen_ctx;
        cfg.warm = rq->source == MAP_SOURCE_GRID ? MAP_SWEEP_WARM_PREVIOUS : MAP_SWEEP_WARM_NEAREST;
        cfg.threads = rq->threads;
        cfg.start_row = rq->start_row;
        cfg.cancel = rq->cancel;
        cfg.on_row = on_row;
        cfg.row_ctx = em;
        cfg.on_progress = rq->on_progress;
        cfg.progress_ctx = rq->progress_ctx;
        rc = map_sweep_run(&cfg, &out->summary, err);
        /* Whatever was delivered is stored, also after a failure. */
        const int frc = flush_batch(em);
        if (!rc)
            rc = frc;
    }
    if (em)
        MAP_FREE_ALL(em->cells, em->store_buf, em);
    plan_free(&p);
    return rc;
}

/* ---- export of a stored sweep ----------------------------------------- */

typedef struct export_ctx {
    const map_table_sink *sink;
    map_cell *cells;
    size_t k;
    int lambdas;
    map_error *err;
} export_ctx;

static int export_row(void *ctx, const map_store_sweep_row *r)
{
    export_ctx *ec = ctx;
    row_cells(ec->cells, ec->k, ec->lambdas, r->row, r->status, r->target, r->lambda, r->level, r->kl,
              r->ess, r->margin, r->iterations, r->improves);
    return ec->sink->row(ec->sink->ctx, ec->cells, ec->err);
}

int map_app_sweep_record(map_store *st, const map_dataset *ds, map_sweep_request *rq,
                         const char *command, int64_t *id, map_error *err)
{
    *id = 0;
    map_sweep_outcome oc = {0};
    char *request = NULL;
    int rc = map_app_sweep_shape(ds, rq, &oc, err);
    if (!rc)
        rc = map_sweep_request_encode(rq, ds->name ? ds->name : "", &request, err);
    if (!rc) {
        const map_store_sweep_meta meta = {ds->name, command ? command : "",
                                           map_sweep_source_name(rq->source), rq->seed,
                                           (int64_t)time(NULL), oc.k,
                                           (const char *const *)oc.values, oc.k,
                                           (const char *const *)oc.values, oc.nrows, request};
        rc = map_store_sweep_create(st, &meta, id, err);
    }
    map_free(request);
    map_sweep_outcome_free(&oc);
    if (!rc) {
        rq->store = st;
        rq->store_id = *id;
    }
    return rc;
}

int map_app_sweep_finish(const map_sweep_request *rq, const map_sweep_outcome *out,
                         map_error *err)
{
    if (!rq->store || out->summary.cancelled)
        return MAP_OK;
    return map_store_sweep_set_complete(rq->store, rq->store_id, 1, err);
}

int map_app_sweep_reopen(map_store *st, int64_t id, map_store_sweep_info **info,
                         map_sweep_saved *saved, int *have_request, map_error *err)
{
    memset(saved, 0, sizeof *saved);
    *have_request = 0;
    int rc = map_store_sweep_get(st, id, info, err);
    if (rc)
        return rc;
    if (!(*info)->request)
        return MAP_OK;
    if ((rc = map_sweep_request_decode((*info)->request, saved, err))) {
        char why[MAP_ERRMSG_MAX] = "";
        if (err)
            snprintf(why, sizeof why, "%s", err->msg);
        rc = map_error_set(err, MAP_ESTORE, "sweep %" PRId64 ": stored request: %s", id, why);
        map_store_sweep_info_free(*info, 1);
        *info = NULL;
        return rc;
    }
    *have_request = 1;
    saved->rq.start_row = (*info)->next_row;
    saved->rq.store = st;
    saved->rq.store_id = id;
    return MAP_OK;
}

int map_app_sweep_set_request(map_store *st, int64_t id, const map_sweep_request *rq,
                              const char *dataset, map_error *err)
{
    char *request = NULL;
    int rc = map_sweep_request_encode(rq, dataset, &request, err);
    if (!rc)
        rc = map_store_sweep_set_request(st, id, request, err);
    map_free(request);
    return rc;
}

int map_app_sweep_check_owner(map_store *st, int64_t id, const char *dataset, map_error *err)
{
    map_store_sweep_info *info = NULL;
    int rc = map_store_sweep_get(st, id, &info, err);
    if (!rc && strcmp(info->dataset, dataset) != 0)
        rc = map_error_set(err, MAP_EUSAGE, "sweep %" PRId64 " belongs to dataset '%s', not '%s'",
                           id, info->dataset, dataset);
    map_store_sweep_info_free(info, info ? 1 : 0);
    return rc;
}

int map_app_export_sweep(map_store *st, int64_t id, const map_table_sink *sink, map_error *err)
{
    map_store_sweep_info *info = NULL;
    int rc = map_store_sweep_get(st, id, &info, err);
    if (rc)
        return rc;
    map_sweep_outcome shape = {0};
    shape.k = info->k;
    shape.values = info->values;
    const int lambdas = strcmp(info->source, map_sweep_source_name(MAP_SOURCE_LAMBDAS)) == 0;
    export_ctx ec = {sink, map_mallocarray(7 + 3 * info->k, sizeof(map_cell)), info->k, lambdas, err};
    if (!ec.cells)
        rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    if (!rc)
        rc = write_header(sink, &shape, lambdas, err);
    if (!rc)
        rc = map_store_sweep_read(st, id, 0, export_row, &ec, err);
    map_free(ec.cells);
    map_store_sweep_info_free(info, 1);
    return rc;
}
