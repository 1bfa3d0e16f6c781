/* map_app_frontier.c — the frontier and region commands: the Pareto
 * frontier of chosen values at KL budgets (or their hull), and the
 * attainable region along directions from a base palette, streamed as table
 * rows to the caller's sink. */
#include "map_app_internal.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "map_frontier.h"
#include "map_names.h"

/* ---- frontier and region ------------------------------------------------ */

typedef struct frontier_ctx {
    const map_table_sink *sink;
    map_error *err;
    size_t k, m;
    map_cell *cells;
    map_frontier_summary *sum;
} frontier_ctx;

static int frontier_emit(void *vctx, const map_frontier_row *row)
{
    frontier_ctx *ctx = vctx;
    map_cell *c = ctx->cells;
    assert(row->k == ctx->k && row->p == ctx->m);
    *c++ = map_cell_count(ctx->sum->rows);
    *c++ = map_cell_number(row->ray.budget);
    for (size_t i = 0; i < ctx->k; i++)
        *c++ = map_cell_number(row->u[i]);
    *c++ = map_cell_number(row->ray.t);
    for (size_t i = 0; i < ctx->k; i++)
        *c++ = map_cell_number(row->lambda[i]);
    for (size_t j = 0; j < ctx->m; j++)
        *c++ = map_cell_number(row->levels[j]);
    *c++ = map_cell_number(row->ray.kl);
    *c++ = map_cell_number(row->ray.ess);
    *c++ = map_cell_text(map_ray_status_name(row->ray.status));
    const int rc = ctx->sink->row(ctx->sink->ctx, ctx->cells, ctx->err);
    if (!rc) {
        ctx->sum->rows++;
        ctx->sum->saturated += row->ray.status == MAP_RAY_SATURATED;
    }
    return rc;
}

/* The direction of --direction (VALUE=WEIGHT,... over the chosen values, the
 * palette syntax with numbers only) as k weights. */
static int parse_direction(const char *spec, const map_dataset *ds, const app_problem *ap,
                           double *u, map_error *err)
{
    map_palette *pal = NULL;
    int rc = map_palette_parse(spec, &pal, err);
    if (rc)
        return map_error_field(err, rc, "direction");
    for (size_t i = 0; i < ap->kp; i++)
        u[i] = 0.0;
    double total = 0.0;
    for (size_t p = 0; p < pal->k && !rc; p++) {
        const map_palette_item *it = &pal->items[p];
        size_t i = 0;
        while (i < ap->kp && strcmp(ds->values[ap->cols[i]], it->name) != 0)
            i++;
        if (i == ap->kp)
            rc = map_error_set_field(err, MAP_EDATA, "direction",
                                     "'%s' is not one of the chosen values", it->name);
        else if (it->kind != MAP_TARGET_NUMBER || !(it->arg >= 0.0))
            rc = map_error_set_field(err, MAP_EDATA, "direction",
                                     "the weight of '%s' must be a number >= 0, not '%s'",
                                     it->name, it->spec);
        else {
            u[i] = it->arg;
            total += it->arg;
        }
    }
    map_palette_free(pal);
    if (!rc && !(total > 0.0))
        rc = map_error_set_field(err, MAP_EDATA, "direction", "every weight is 0");
    return rc;
}

/* The upper hull's vertices as frontier rows (two values). */
static int hull_rows(const map_dataset *ds, const app_problem *ap, frontier_ctx *ctx,
                     map_error *err)
{
    const map_matrix X = map_dataset_matrix(ds);
    size_t fixed[256], count = 0, *vertex = fixed;
    int rc = map_upper_hull(&X, ap->cols[0], ap->cols[1], fixed, 256, &count, err);
    if (!rc && count > 256) {
        vertex = map_mallocarray(count, sizeof *vertex);
        if (!vertex)
            return map_error_set(err, MAP_ENOMEM, "out of memory");
        rc = map_upper_hull(&X, ap->cols[0], ap->cols[1], vertex, count, &count, err);
    }
    for (size_t v = 0; v < count && !rc; v++) {
        map_cell *c = ctx->cells;
        *c++ = map_cell_count(ctx->sum->rows);
        *c++ = map_cell_number(INFINITY);
        for (size_t i = 0; i < 2 * ctx->k + 1; i++)
            *c++ = map_cell_empty();
        for (size_t j = 0; j < ctx->m; j++)
            *c++ = map_cell_number(map_matrix_at(&X, vertex[v], j));
        *c++ = map_cell_number(log((double)ds->n));
        *c++ = map_cell_number(1.0);
        *c++ = map_cell_text("vertex");
        rc = ctx->sink->row(ctx->sink->ctx, ctx->cells, err);
        if (!rc) {
            ctx->sum->rows++;
            ctx->sum->vertices++;
        }
    }
    if (vertex != fixed)
        map_free(vertex);
    return rc;
}

int map_app_frontier(const map_dataset *ds, const map_frontier_opts *fo, const map_table_sink *sink,
                     map_frontier_summary *sum, map_error *err)
{
    memset(sum, 0, sizeof *sum);
    const size_t k = fo->k, m = ds->m;
    if (fo->nbudgets > 0 && fo->direction)
        return map_error_set_field(err, MAP_EUSAGE, "direction",
                                   "cannot be combined with KL budgets (kl)");
    if (!fo->direction && k < 2)
        return map_error_set_field(err, MAP_EDATA, "values",
                                   "one value chosen: a frontier needs two or more (or a "
                                   "direction)");
    if (fo->points < (fo->direction ? 2u : 1u))
        return map_error_set_field(err, MAP_EDATA, "points", "%zu is too few", fo->points);
    for (size_t b = 0; b < fo->nbudgets; b++)
        if (!(fo->budgets[b] >= 0.0) || !isfinite(fo->budgets[b]))
            return map_error_set_field(err, MAP_EDATA, "kl",
                                       "budget %g is not a finite number >= 0", fo->budgets[b]);
    app_problem ap;
    double u[MAP_MAX_K];
    int rc = app_chosen_problem(ds, fo->values, k, fo->normalize, &ap, err);
    if (!rc)
        memcpy(sum->reference, ap.mean, k * sizeof *ap.mean);
    if (!rc && fo->direction)
        rc = parse_direction(fo->direction, ds, &ap, u, err);
    if (rc) {
        app_problem_free(&ap);
        return rc;
    }

    const size_t ncols = 2 + k + 1 + k + m + 3;
    map_name_list cn;
    map_cell *cells = map_mallocarray(ncols, sizeof *cells);
    map_frontier_ws *ws = map_frontier_ws_new(ds->n, k, m);
    if (map_name_list_init(&cn, ncols)) {
        map_name_list_add(&cn, "", "point");
        map_name_list_add(&cn, "", "budget");
        map_name_list_add_all(&cn, "u_", fo->values, k);
        map_name_list_add(&cn, "", "t");
        map_name_list_add_all(&cn, "lambda_", fo->values, k);
        map_name_list_add_all(&cn, "level_", (const char *const *)ds->values, m);
        map_name_list_add(&cn, "", "kl");
        map_name_list_add(&cn, "", "ess");
        map_name_list_add(&cn, "", "status");
    }
    if (!cn.ok || !cells || !ws)
        rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    if (!rc)
        rc = sink->header(sink->ctx, ncols, (const char *const *)cn.names, err);
    if (!rc) {
        frontier_ctx ctx = {sink, err, k, m, cells, sum};
        map_frontier_params par;
        map_frontier_params_default(&par);
        if (fo->direction)
            rc = map_frontier_curve(&ap.pb, u, isnan(fo->kl_max) ? 0.0 : fo->kl_max, fo->points,
                                    m, NULL, &par, ws, frontier_emit, &ctx, err);
        else if (fo->nbudgets > 0)
            for (size_t b = 0; b < fo->nbudgets && !rc; b++)
                rc = map_frontier_budget(&ap.pb, fo->budgets[b], fo->points, m, NULL, &par, ws,
                                         frontier_emit, &ctx, err);
        else {
            rc = map_frontier_budget(&ap.pb, INFINITY, fo->points, m, NULL, &par, ws,
                                     frontier_emit, &ctx, err);
            if (!rc && k == 2)
                rc = hull_rows(ds, &ap, &ctx, err);
        }
    }
    map_frontier_ws_free(ws);
    map_free(cells);
    map_name_list_free(&cn);
    app_problem_free(&ap);
    return rc;
}

typedef struct region_ctx {
    const map_table_sink *sink;
    map_error *err;
    size_t k;
    int polygon;
    map_cell *cells;
    map_region_summary *sum;
    int have_first;
    map_region_row first; /* polygon: the first bounded row, repeated at the end */
} region_ctx;

static int region_write(region_ctx *ctx, const map_region_row *row)
{
    map_cell *c = ctx->cells;
    *c++ = map_cell_count(row->index);
    for (size_t i = 0; i < ctx->k; i++)
        *c++ = map_cell_number(row->dir[i]);
    *c++ = row->bounded ? map_cell_number(row->step) : map_cell_empty();
    for (size_t i = 0; i < ctx->k; i++)
        *c++ = row->bounded ? map_cell_number(row->point[i]) : map_cell_empty();
    const int rc = ctx->sink->row(ctx->sink->ctx, ctx->cells, ctx->err);
    if (!rc)
        ctx->sum->rows++;
    return rc;
}

static int region_emit(void *vctx, const map_region_row *row)
{
    region_ctx *ctx = vctx;
    assert(row->k == ctx->k);
    ctx->sum->unbounded += !row->bounded;
    if (ctx->polygon && !row->bounded)
        return MAP_OK;
    if (ctx->polygon && !ctx->have_first) {
        ctx->first = *row;
        ctx->have_first = 1;
    }
    return region_write(ctx, row);
}

/* c0 of --from: the palette's targets for the values it names (all among
 * the chosen ones), the reference means for the others. */
static int region_base(const map_dataset *ds, const app_problem *ap, const char *from, double *c0,
                       map_error *err)
{
    memcpy(c0, ap->mean, ap->kp * sizeof *c0);
    if (!from)
        return MAP_OK;
    map_palette *pal = NULL;
    int rc = map_palette_parse_for(from, ds, &pal, err);
    if (rc)
        return map_error_field(err, rc, "from");
    for (size_t p = 0; p < pal->k && !rc; p++) {
        size_t i = 0;
        while (i < ap->kp && ap->cols[i] != pal->items[p].col)
            i++;
        if (i == ap->kp)
            rc = map_error_set_field(err, MAP_EDATA, "from", "'%s' is not one of the chosen values",
                                     pal->items[p].name);
        else
            c0[i] = pal->items[p].target;
    }
    map_palette_free(pal);
    return rc;
}

int map_app_region(const map_dataset *ds, const map_region_opts *ro, const map_table_sink *sink,
                   map_region_summary *sum, map_error *err)
{
    memset(sum, 0, sizeof *sum);
    const size_t k = ro->k;
    if (k != 2 && k != 3)
        return map_error_set_field(err, MAP_EDATA, "values",
                                   "%zu values chosen; region takes 2 or 3", k);
    if (ro->polygon && k != 2)
        return map_error_set_field(err, MAP_EDATA, "polygon", "needs exactly two values");
    if (ro->points == 0)
        return map_error_set_field(err, MAP_EDATA, "points", "0 is too few");
    app_problem ap;
    double c0[MAP_MAX_K];
    int rc = app_chosen_problem(ds, ro->values, k, ro->normalize, &ap, err);
    if (!rc) {
        memcpy(sum->reference, ap.mean, k * sizeof *ap.mean);
        rc = region_base(ds, &ap, ro->from, c0, err);
    }
    if (rc) {
        app_problem_free(&ap);
        return rc;
    }
    const size_t ncols = 1 + k + 1 + k;
    map_name_list cn;
    map_cell *cells = map_mallocarray(ncols, sizeof *cells);
    if (map_name_list_init(&cn, ncols)) {
        map_name_list_add(&cn, "", "point");
        map_name_list_add_all(&cn, "dir_", ro->values, k);
        map_name_list_add(&cn, "", "step");
        map_name_list_add_all(&cn, "target_", ro->values, k);
    }
    if (!cn.ok || !cells)
        rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    if (!rc)
        rc = sink->header(sink->ctx, ncols, (const char *const *)cn.names, err);
    if (!rc) {
        region_ctx ctx;
        memset(&ctx, 0, sizeof ctx);
        ctx.sink = sink;
        ctx.err = err;
        ctx.k = k;
        ctx.polygon = ro->polygon;
        ctx.cells = cells;
        ctx.sum = sum;
        rc = map_region(&ap.pb, c0, ro->points, NULL, region_emit, &ctx, err);
        /* Before the first row, the solver's data errors are about c0. */
        if (rc == MAP_EDATA && ro->from && sum->rows == 0 && err && !err->field[0])
            map_error_field(err, rc, "from");
        if (!rc && ctx.have_first)
            rc = region_write(&ctx, &ctx.first);
    }
    map_free(cells);
    map_name_list_free(&cn);
    app_problem_free(&ap);
    return rc;
}
