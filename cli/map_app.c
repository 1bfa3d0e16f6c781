/* map_app.c — command logic (ingest, describe, solve) independent of the
 * command line: builds solver problems from stored datasets and palettes and
 * collects everything a renderer needs into report structs. */
#include "map_app.h"

#include <math.h>
#include <string.h>

#include "map_stats.h"

/* ---- ingest ------------------------------------------------------------- */

int map_app_check_name(const char *name, map_error *err)
{
    if (!name || !*name)
        return map_error_set(err, MAP_EUSAGE, "the dataset name is empty");
    const size_t len = strlen(name);
    if (len > 200)
        return map_error_set(err, MAP_EUSAGE, "the dataset name is %zu bytes long; at most 200",
                             len);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return map_error_set(err, MAP_EUSAGE,
                                 "the dataset name contains a control character (byte %zu)", i + 1);
    return MAP_OK;
}

void map_ingest_report_free(map_ingest_report *rep)
{
    if (!rep)
        return;
    map_free(rep->name);
    map_free(rep->source);
    map_free(rep->hash);
    if (rep->values)
        for (size_t i = 0; i < rep->m; i++)
            map_free(rep->values[i]);
    map_free(rep->values);
    map_free(rep->same_as);
    memset(rep, 0, sizeof *rep);
}

/* Whether st holds a dataset called name (for the "replaced" note). */
static int name_exists(map_store *st, const char *name, int *exists, map_error *err)
{
    map_dataset_info *info = NULL;
    size_t count = 0;
    *exists = 0;
    const int rc = map_store_list(st, &info, &count, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < count; i++)
        if (strcmp(info[i].name, name) == 0)
            *exists = 1;
    map_dataset_info_free(info, count);
    return MAP_OK;
}

static int fill_ingest_report(const map_dataset *ds, map_ingest_report *rep, map_error *err)
{
    rep->name = map_strdup(ds->name);
    rep->source = map_strdup(ds->source ? ds->source : "");
    rep->hash = map_strdup(ds->hash ? ds->hash : "");
    rep->n = ds->n;
    rep->values = map_calloc(ds->m ? ds->m : 1, sizeof *rep->values);
    int ok = rep->name && rep->source && rep->hash && rep->values;
    if (rep->values) {
        rep->m = ds->m;
        for (size_t i = 0; i < ds->m; i++)
            ok = ok && (rep->values[i] = map_strdup(ds->values[i])) != NULL;
    }
    return ok ? MAP_OK : map_error_set(err, MAP_ENOMEM, "out of memory");
}

int map_app_ingest_read(const map_ingest_opts *opts, const char *name, map_dataset **out,
                        map_error *err)
{
    *out = NULL;
    int rc = map_app_check_name(name, err);
    if (rc)
        return rc;
    map_dataset *ds = NULL;
    rc = map_ingest_read(opts, &ds, err);
    if (rc)
        return rc;
    map_free(ds->name);
    ds->name = map_strdup(name);
    if (!ds->name) {
        map_dataset_free(ds);
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    *out = ds;
    return MAP_OK;
}

int map_app_ingest_store(map_store *st, const map_dataset *ds, int replace, map_ingest_report *rep,
                         map_error *err)
{
    memset(rep, 0, sizeof *rep);
    char *same = NULL;
    int rc = ds->hash ? map_store_find_hash(st, ds->hash, &same, err) : MAP_OK;
    int existed = 0;
    if (!rc && replace)
        rc = name_exists(st, ds->name, &existed, err);
    if (!rc)
        rc = map_store_put_dataset(st, ds, replace, err);
    if (!rc)
        rc = fill_ingest_report(ds, rep, err);
    if (!rc) {
        rep->replaced = existed;
        if (same && strcmp(same, ds->name) != 0) {
            rep->same_as = same;
            same = NULL;
        }
    }
    map_free(same);
    if (rc)
        map_ingest_report_free(rep);
    return rc;
}

int map_app_ingest(const map_ingest_opts *opts, const char *name, int replace, map_store *st,
                   map_ingest_report *rep, map_error *err)
{
    memset(rep, 0, sizeof *rep);
    map_dataset *ds = NULL;
    int rc = map_app_ingest_read(opts, name, &ds, err);
    if (!rc)
        rc = map_app_ingest_store(st, ds, replace, rep, err);
    map_dataset_free(ds);
    return rc;
}

/* ---- describe ----------------------------------------------------------- */

int map_app_describe(const map_dataset *ds, map_value_summary **out, map_error *err)
{
    *out = NULL;
    if (ds->n == 0)
        return map_error_set(err, MAP_EDATA, "dataset '%s' has no samples",
                             ds->name ? ds->name : "?");
    const map_matrix X = map_dataset_matrix(ds);
    map_colstat *st = map_mallocarray(ds->m ? ds->m : 1, sizeof *st);
    map_value_summary *sum = map_calloc(ds->m ? ds->m : 1, sizeof *sum);
    if (!st || !sum) {
        map_free(st);
        map_free(sum);
        return map_error_set(err, MAP_ENOMEM, "out of memory describing '%s'", ds->name);
    }
    map_column_stats(&X, st);
    int rc = MAP_OK;
    for (size_t i = 0; i < ds->m && rc == MAP_OK; i++) {
        double *sorted = NULL;
        rc = map_column_sorted(&X, i, &sorted, err);
        if (rc)
            break;
        map_value_summary *s = &sum[i];
        s->name = ds->values[i];
        s->n = ds->n;
        s->mean = st[i].mean;
        s->sd = st[i].sd;
        s->min = st[i].min;
        s->max = st[i].max;
        s->q10 = map_quantile_sorted(sorted, ds->n, 0.10);
        s->q25 = map_quantile_sorted(sorted, ds->n, 0.25);
        s->q50 = map_quantile_sorted(sorted, ds->n, 0.50);
        s->q75 = map_quantile_sorted(sorted, ds->n, 0.75);
        s->q90 = map_quantile_sorted(sorted, ds->n, 0.90);
        map_free(sorted);
    }
    map_free(st);
    if (rc) {
        map_free(sum);
        return rc;
    }
    *out = sum;
    return MAP_OK;
}

/* ---- solve -------------------------------------------------------------- */

void map_solve_report_free(map_solve_report *rep)
{
    if (!rep)
        return;
    map_free(rep->dataset);
    map_palette_free(rep->palette);
    map_free(rep->items);
    if (rep->values)
        for (size_t i = 0; i < rep->m; i++)
            map_free(rep->values[i]);
    map_free(rep->values);
    map_free(rep->levels);
    map_free(rep);
}

int map_app_solve_code(const map_solve_report *rep)
{
    return rep->result.status == MAP_SOLVE_OPTIMAL ? MAP_OK : MAP_NOT_ATTAINED;
}

/* The result when every named value is constant and met: λ = 0, q = p0. */
static void trivial_result(map_result *res, size_t n)
{
    memset(res, 0, sizeof *res);
    res->status = MAP_SOLVE_OPTIMAL;
    res->margin = NAN;
    res->diag.status = MAP_SOLVE_OPTIMAL;
    res->diag.ess = (double)n;
    res->diag.max_weight = 1.0 / (double)n;
    res->diag.cond = 1.0;
}

/* Builds the problem on the non-constant values, solves it and fills the
 * report's result, items and levels. */
static int solve_report(const map_dataset *ds, const map_colstat *st, const map_solver_params *par,
                        const map_feas_params *fp, map_solve_report *rep, map_error *err)
{
    const size_t k = rep->k, m = ds->m;
    size_t cols[MAP_MAX_K];
    double target[MAP_MAX_K], scale[MAP_MAX_K], absmax[MAP_MAX_K];
    size_t kp = 0;
    for (size_t i = 0; i < k; i++) {
        map_solve_item *it = &rep->items[i];
        const map_palette_item *pi = &rep->palette->items[i];
        it->name = pi->name;
        it->spec = pi->spec;
        it->target = pi->target;
        it->pidx = -1;
        const map_colstat *cs = &st[pi->col];
        if (cs->min == cs->max) {
            if (!(pi->target <= cs->min))
                return map_error_set(err, MAP_EDATA,
                                     "value '%s' is constant (sd 0): its target is either "
                                     "trivially met or unattainable (target %.17g > its "
                                     "value %.17g)",
                                     pi->name, pi->target, cs->min);
            it->constant = 1;
            it->lambda = 0.0;
            it->level = cs->min;
            continue;
        }
        it->pidx = (long)kp;
        cols[kp] = pi->col;
        target[kp] = pi->target;
        scale[kp] = cs->sd;
        absmax[kp] = cs->absmax;
        kp++;
    }
    rep->kp = kp;
    size_t *all = map_mallocarray(m, sizeof *all);
    if (!all)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    for (size_t c = 0; c < m; c++)
        all[c] = c;
    int rc = MAP_OK;
    if (kp == 0) {
        trivial_result(&rep->result, ds->n);
        rep->has_tilt = 1;
        for (size_t c = 0; c < m; c++)
            rep->levels[c] = st[c].mean;
    } else {
        const map_problem pb = {map_dataset_matrix(ds), kp, cols, target, scale, absmax};
        map_solver_ws *ws = map_solver_ws_new(kp, m);
        if (!ws)
            rc = map_error_set(err, MAP_ENOMEM, "out of memory allocating the solver workspace");
        if (!rc)
            rc = map_solve_palette(&pb, par, fp, NULL, ws, &rep->result, err);
        if (!rc) {
            rep->has_tilt = 1;
            for (size_t i = 0; i < kp; i++)
                rep->has_tilt = rep->has_tilt && isfinite(rep->result.lambda[i]);
        }
        if (!rc && rep->has_tilt)
            rc = map_levels(&pb, rep->result.lambda, m, all, ws, rep->levels, err);
        /* A constant value's level is its value under any q, exactly. */
        for (size_t c = 0; !rc && c < m; c++) {
            if (st[c].min == st[c].max)
                rep->levels[c] = st[c].min;
            else if (!rep->has_tilt)
                rep->levels[c] = NAN;
        }
        map_solver_ws_free(ws);
        if (!rc)
            for (size_t i = 0; i < k; i++) {
                map_solve_item *it = &rep->items[i];
                if (it->pidx < 0)
                    continue;
                it->lambda = rep->result.lambda[it->pidx];
                it->level = rep->has_tilt ? rep->result.level[it->pidx] : NAN;
                /* One number per value: the levels table repeats the
                 * solver's own level of each constrained value. */
                rep->levels[rep->palette->items[i].col] = it->level;
            }
    }
    map_free(all);
    return rc;
}

int map_app_solve_dataset(const map_dataset *ds, const char *spec, const map_solver_params *par,
                          const map_feas_params *fp, map_solve_report **out, map_error *err)
{
    *out = NULL;
    if (ds->n == 0 || ds->m == 0)
        return map_error_set(err, MAP_EDATA, "dataset '%s' has no samples",
                             ds->name ? ds->name : "?");
    map_solve_report *rep = map_calloc(1, sizeof *rep);
    if (!rep)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    int rc = map_palette_parse_for(spec, ds, &rep->palette, err);
    map_colstat *st = NULL;
    if (!rc) {
        rep->k = rep->palette->k;
        rep->n = ds->n;
        rep->dataset = map_strdup(ds->name ? ds->name : "");
        rep->items = map_calloc(rep->k, sizeof *rep->items);
        rep->values = map_calloc(ds->m, sizeof *rep->values);
        rep->levels = map_calloc(ds->m, sizeof *rep->levels);
        st = map_mallocarray(ds->m, sizeof *st);
        int ok = rep->dataset && rep->items && rep->values && rep->levels && st;
        if (rep->values) {
            rep->m = ds->m;
            for (size_t c = 0; c < ds->m; c++)
                ok = ok && (rep->values[c] = map_strdup(ds->values[c])) != NULL;
        }
        if (!ok)
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    if (!rc) {
        const map_matrix X = map_dataset_matrix(ds);
        map_column_stats(&X, st);
        rc = solve_report(ds, st, par, fp, rep, err);
    }
    map_free(st);
    if (rc) {
        map_solve_report_free(rep);
        return rc;
    }
    *out = rep;
    return MAP_OK;
}

int map_app_solve(map_store *st, const char *name, const char *spec, const map_solver_params *par,
                  const map_feas_params *fp, map_solve_report **out, map_error *err)
{
    *out = NULL;
    map_dataset *ds = NULL;
    int rc = map_store_get_dataset(st, name, 0, &ds, err);
    if (rc)
        return rc;
    rc = map_app_solve_dataset(ds, spec, par, fp, out, err);
    map_dataset_free(ds);
    return rc;
}
