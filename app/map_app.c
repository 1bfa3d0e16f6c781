/* map_app.c — command logic (ingest, describe, solve, feasible, adjust,
 * frontier, region) independent of the command line: builds solver problems
 * from stored datasets and palettes and collects everything a renderer needs
 * into report structs, or streams table rows to a caller's sink. */
#include "map_app.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "map_frontier.h"
#include "map_names.h"
#include "map_sensitivity.h"
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
    map_free_strings(rep->values, rep->m);
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
    rep->precision = ds->precision;
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
    /* The stored statistics when the store supplied them (the matrix need
     * not be loaded), else computed from ds->x by selection. */
    map_valstat *own = NULL;
    const map_valstat *vs = ds->stats;
    map_value_summary *sum = map_calloc(ds->m ? ds->m : 1, sizeof *sum);
    if (!sum)
        return map_error_set(err, MAP_ENOMEM, "out of memory describing '%s'", ds->name);
    if (!vs) {
        if (!ds->x && !ds->xf) {
            map_free(sum);
            return map_error_set(err, MAP_EUSAGE, "dataset '%s': neither its statistics nor "
                                 "its matrix are loaded", ds->name ? ds->name : "?");
        }
        own = map_mallocarray(ds->m ? ds->m : 1, sizeof *own);
        const map_matrix X = map_dataset_matrix(ds);
        const int rc = own ? map_value_stats(&X, own, err)
                           : map_error_set(err, MAP_ENOMEM, "out of memory describing '%s'",
                                           ds->name);
        if (rc) {
            map_free(own);
            map_free(sum);
            return rc;
        }
        vs = own;
    }
    /* The percentiles at p = NN / 100.0 are the ones at 0.10, 0.25, … (the
     * same doubles). */
    for (size_t i = 0; i < ds->m; i++) {
        map_value_summary *s = &sum[i];
        s->name = ds->values[i];
        s->n = ds->n;
        s->mean = vs[i].c.mean;
        s->sd = vs[i].c.sd;
        s->min = vs[i].c.min;
        s->max = vs[i].c.max;
        s->q10 = vs[i].pct[10];
        s->q25 = vs[i].pct[25];
        s->q50 = vs[i].pct[50];
        s->q75 = vs[i].pct[75];
        s->q90 = vs[i].pct[90];
    }
    map_free(own);
    *out = sum;
    return MAP_OK;
}

/* ---- palette problems (shared by solve, feasible and adjust) ------------ */

/* The solver problem of a palette on a dataset: its non-constant values in
 * palette order, scale = sd and absmax from the column statistics, and the
 * reference means c0. pb points into the struct itself: use it in place,
 * never copy it. pb is valid only when kp >= 1. */
typedef struct app_problem {
    size_t kp;
    size_t cols[MAP_MAX_K];
    double target[MAP_MAX_K], scale[MAP_MAX_K], absmax[MAP_MAX_K], mean[MAP_MAX_K];
    map_problem pb;
    /* per-prompt normalisation: pb.groups = &grp when set (order, start owned) */
    map_normalize normalize;
    map_groups grp;
    size_t *order, *start;
    size_t singletons;
} app_problem;

/* Frees what build_problem allocated in ap (the groups). */
static void app_problem_free(app_problem *ap)
{
    map_free(ap->order);
    map_free(ap->start);
    ap->order = ap->start = NULL;
}

static const map_enum_entry normalize_names[] = {{"global", MAP_NORMALIZE_GLOBAL},
                                                  {"prompt", MAP_NORMALIZE_PROMPT}};

MAP_ENUM_FUNCS(map_normalize, map_normalize, normalize_names, "global")

void map_solve_opts_default(map_solve_opts *so)
{
    memset(so, 0, sizeof *so);
    so->normalize = MAP_NORMALIZE_GLOBAL;
    so->method = MAP_METHOD_NEWTON;
    so->seed = 1;
}

int map_app_load(map_store *st, const char *name, const map_solve_opts *so, map_dataset **ds,
                 map_error *err)
{
    *ds = NULL;
    const unsigned flags = so && so->normalize == MAP_NORMALIZE_PROMPT ? MAP_LOAD_PROMPTS : 0u;
    return map_store_get_dataset(st, name, flags, ds, err);
}

/* Parses spec for ds and takes ds's column statistics (stored or computed:
 * map_dataset_column_stats). On success *pal
 * (map_palette_free), *items (pal->k zeroed entries, map_free) and *st
 * (ds->m entries, map_free) are new; on failure all three are NULL. */
static int palette_setup(const map_dataset *ds, const char *spec, map_palette **pal,
                         map_solve_item **items, map_colstat **st, map_error *err)
{
    *pal = NULL;
    *items = NULL;
    *st = NULL;
    if (ds->n == 0 || ds->m == 0)
        return map_error_set(err, MAP_EDATA, "dataset '%s' has no samples",
                             ds->name ? ds->name : "?");
    int rc = map_palette_parse_for(spec, ds, pal, err);
    if (rc)
        return rc;
    *items = map_calloc((*pal)->k, sizeof **items);
    *st = map_mallocarray(ds->m, sizeof **st);
    if (!*items || !*st) {
        map_palette_free(*pal);
        map_free(*items);
        map_free(*st);
        *pal = NULL;
        *items = NULL;
        *st = NULL;
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    map_dataset_column_stats(ds, *st);
    return MAP_OK;
}

/* Per-prompt normalisation (MATH.md §9) for ap: the groups of ds's rows by
 * prompt (owned by ap, pb.groups set) and ap->mean = the reference levels,
 * the average of the prompts' means (the levels at λ = 0). */
static int attach_groups(const map_dataset *ds, app_problem *ap, map_error *err)
{
    size_t ng = 0;
    int rc = map_dataset_group_rows(ds, &ap->order, &ap->start, &ng, &ap->singletons, err);
    if (rc == MAP_EDATA)
        return map_error_set_field(err, MAP_EDATA, "normalize",
                                   "dataset '%s' has no prompt column: per-prompt normalisation "
                                   "needs one (ingest it with a prompt column)",
                                   ds->name ? ds->name : "?");
    if (rc)
        return rc;
    ap->normalize = MAP_NORMALIZE_PROMPT;
    ap->grp.ngroups = ng;
    ap->grp.start = ap->start;
    ap->grp.order = ap->order;
    ap->pb.groups = &ap->grp;
    if (ap->kp == 0)
        return MAP_OK;
    map_solver_ws *ws = map_solver_ws_new(ap->kp, ap->kp);
    if (!ws)
        return map_error_set(err, MAP_ENOMEM, "out of memory allocating the solver workspace");
    /* One solve: its passes may use every CPU (failing that, it runs on one). */
    (void)map_solver_ws_set_threads(ws, 0);
    const double zero[MAP_MAX_K] = {0};
    rc = map_levels(&ap->pb, zero, ap->kp, ap->cols, ws, ap->mean, err);
    map_solver_ws_free(ws);
    return rc;
}

/* Fills items (pal->k entries: name, spec, target, constant, pidx; λ and
 * level NaN until solved, a constant's λ 0 and level its value) and *ap.
 * A constant value (min == max) whose target is at most its value is left
 * out of the problem; a higher target is MAP_EDATA. */
static int build_problem(const map_dataset *ds, const map_colstat *st, const map_palette *pal,
                         const map_solve_opts *so, map_solve_item *items, app_problem *ap,
                         map_error *err)
{
    memset(ap, 0, sizeof *ap);
    ap->normalize = so ? so->normalize : MAP_NORMALIZE_GLOBAL;
    size_t kp = 0;
    for (size_t i = 0; i < pal->k; i++) {
        map_solve_item *it = &items[i];
        const map_palette_item *pi = &pal->items[i];
        it->name = pi->name;
        it->spec = pi->spec;
        it->target = pi->target;
        it->pidx = -1;
        it->lambda = NAN;
        it->level = NAN;
        const map_colstat *cs = &st[pi->col];
        /* A constant value (λ not identifiable) is left out when its target
         * is met; above its value it stays in the problem with a unit-like
         * scale, so that the verdict is infeasible with d = e_i, checked on
         * the data like any certificate. */
        const int constant = cs->min == cs->max;
        if (constant && pi->target <= cs->min) {
            it->constant = 1;
            it->lambda = 0.0;
            it->level = cs->min;
            continue;
        }
        it->pidx = (long)kp;
        ap->cols[kp] = pi->col;
        ap->target[kp] = pi->target;
        ap->scale[kp] = constant ? fmax(1.0, fabs(cs->min)) : cs->sd;
        ap->absmax[kp] = cs->absmax;
        ap->mean[kp] = cs->mean;
        kp++;
    }
    ap->kp = kp;
    const map_problem pb = {map_dataset_matrix(ds), kp, ap->cols, ap->target, ap->scale,
                            ap->absmax, NULL};
    ap->pb = pb;
    return ap->normalize == MAP_NORMALIZE_PROMPT ? attach_groups(ds, ap, err) : MAP_OK;
}

/* ---- solve -------------------------------------------------------------- */

void map_solve_report_free(map_solve_report *rep)
{
    if (!rep)
        return;
    map_free(rep->dataset);
    map_palette_free(rep->palette);
    map_free(rep->items);
    map_free_strings(rep->values, rep->m);
    MAP_FREE_ALL(rep->levels, rep->dldc, rep->boot_lambda, rep->boot_levels, rep->ho_train_levels,
                 rep->ho_test_levels, rep);
}

int map_app_solve_code(const map_solve_report *rep)
{
    return rep->result.status == MAP_SOLVE_OPTIMAL ? MAP_OK : MAP_NOT_ATTAINED;
}

/* The result when every named value is constant and met: λ = 0, q = p0
 * (per prompt: q_j = 1/(K n_k), ESS = K² / Σ_k 1/n_k). */
static void trivial_result(map_result *res, size_t n, const map_groups *g)
{
    memset(res, 0, sizeof *res);
    res->status = MAP_SOLVE_OPTIMAL;
    res->margin = NAN;
    res->diag.status = MAP_SOLVE_OPTIMAL;
    res->diag.ess = (double)n;
    res->diag.max_weight = 1.0 / (double)n;
    res->diag.cond = 1.0;
    if (g) {
        const double K = (double)g->ngroups;
        double w2 = 0.0, wmax = 0.0;
        for (size_t q = 0; q < g->ngroups; q++) {
            const double nq = (double)(g->start[q + 1] - g->start[q]);
            w2 += 1.0 / nq;
            wmax = fmax(wmax, 1.0 / (K * nq));
        }
        res->diag.ess = K * K / w2;
        res->diag.max_weight = wmax;
    }
}

/* A new solve report for ds owning pal and items (freed here on failure). */
static int solve_report_new(const map_dataset *ds, map_palette *pal, map_solve_item *items,
                            map_solve_report **out, map_error *err)
{
    *out = NULL;
    map_solve_report *rep = map_calloc(1, sizeof *rep);
    if (!rep) {
        map_palette_free(pal);
        map_free(items);
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    rep->palette = pal;
    rep->items = items;
    rep->k = pal->k;
    rep->n = ds->n;
    rep->dataset = map_strdup(ds->name ? ds->name : "");
    rep->values = map_calloc(ds->m, sizeof *rep->values);
    rep->levels = map_calloc(ds->m, sizeof *rep->levels);
    int ok = rep->dataset && rep->values && rep->levels;
    if (rep->values) {
        rep->m = ds->m;
        for (size_t c = 0; c < ds->m; c++)
            ok = ok && (rep->values[c] = map_strdup(ds->values[c])) != NULL;
    }
    if (!ok) {
        map_solve_report_free(rep);
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    *out = rep;
    return MAP_OK;
}

/* The warm start of ap's problem from so->init (palette order, k entries)
 * into init (by pidx); MAP_EUSAGE for a wrong length or a bad entry. */
static int warm_start(const map_solve_report *rep, const map_solve_opts *so, double *init,
                      map_error *err)
{
    if (so->ninit != rep->k)
        return map_error_set_field(err, MAP_EUSAGE, "init",
                                   "%zu values given; the palette has %zu (one per value, in "
                                   "palette order)", so->ninit, rep->k);
    for (size_t i = 0; i < rep->k; i++) {
        if (!(so->init[i] >= 0.0) || !isfinite(so->init[i]))
            return map_error_set_field(err, MAP_EUSAGE, "init", "entry %zu (%g) is not a finite "
                                       "lambda >= 0", i + 1, so->init[i]);
        if (rep->items[i].pidx >= 0)
            init[rep->items[i].pidx] = so->init[i];
    }
    return MAP_OK;
}

/* Finds the exactly collinear pairs among ap's values (one pass for the
 * centred cross-products). */
static int find_collinear(const map_dataset *ds, const map_colstat *st, const app_problem *ap,
                          map_solve_report *rep, map_error *err)
{
    const size_t kp = ap->kp, n = ds->n, m = ds->m;
    rep->ncollinear = 0;
    if (kp < 2)
        return MAP_OK;
    double *cp = map_calloc(kp * kp, sizeof *cp);
    if (!cp)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    double d[MAP_MAX_K];
    const map_matrix X = map_dataset_matrix(ds);
    assert(X.ld == m);
    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < kp; i++)
            d[i] = map_matrix_at(&X, j, ap->cols[i]) - st[ap->cols[i]].mean;
        for (size_t i = 0; i < kp; i++)
            for (size_t l = i; l < kp; l++)
                cp[i * kp + l] += d[i] * d[l];
    }
    for (size_t i = 0; i < kp; i++)
        for (size_t l = i + 1; l < kp && rep->ncollinear < MAP_MAX_K; l++) {
            const double vi = cp[i * kp + i], vl = cp[l * kp + l], c = cp[i * kp + l];
            if (!(vi > 0.0 && vl > 0.0) || !(c * c >= (1.0 - 1e-12) * vi * vl))
                continue;
            map_collinear *cl = &rep->collinear[rep->ncollinear++];
            for (size_t t = 0; t < rep->k; t++) {
                if (rep->items[t].pidx == (long)i)
                    cl->a = rep->items[t].name;
                if (rep->items[t].pidx == (long)l)
                    cl->b = rep->items[t].name;
            }
            cl->slope = c / vi;
            cl->intercept = st[ap->cols[l]].mean - cl->slope * st[ap->cols[i]].mean;
        }
    map_free(cp);
    return MAP_OK;
}

/* The optional analyses of an optimal solve: sensitivity, bootstrap and
 * hold-out (the latter also for other verdicts). */
/* fp (NULL: the defaults) with want_margin set as given. */
static map_feas_params feas_with_margin(const map_feas_params *fp, int want_margin)
{
    map_feas_params out;
    if (fp)
        out = *fp;
    else
        map_feas_params_default(&out);
    out.want_margin = want_margin;
    return out;
}

static int analyses(const map_dataset *ds, const app_problem *ap, const map_solve_opts *so,
                    const map_solver_params *par, const map_feas_params *fp, const size_t *all,
                    map_solver_ws *ws, map_solve_report *rep, map_error *err)
{
    const map_problem *pb = &ap->pb;
    const size_t kp = ap->kp, m = ds->m;
    const int optimal = rep->result.status == MAP_SOLVE_OPTIMAL;
    int rc = MAP_OK;
    if (so->sensitivity && optimal) {
        rep->dldc = map_calloc(kp * kp, sizeof *rep->dldc);
        if (!rep->dldc)
            return map_error_set(err, MAP_ENOMEM, "out of memory");
        map_error e2;
        map_error_clear(&e2);
        const int src = map_sensitivity(pb, rep->result.lambda, ws, rep->dldc, &rep->sens_nfree,
                                        &rep->sens_cond, &e2);
        if (src == MAP_OK)
            rep->has_sensitivity = 1;
        else if (src == MAP_EDATA)
            snprintf(rep->sens_note, sizeof rep->sens_note, "%.250s", e2.msg);
        else
            return map_error_set(err, src, "%s", e2.msg);
    } else if (so->sensitivity) {
        snprintf(rep->sens_note, sizeof rep->sens_note,
                 "no sensitivity: the palette is not attained with a finite lambda");
    }
    if ((so->bootstrap > 0 && optimal) || so->holdout > 0.0) {
        const size_t B = so->bootstrap > 0 ? so->bootstrap : 1;
        map_resample_ws *rw = map_resample_ws_new(pb, B, m);
        if (!rw)
            return map_error_set(err, MAP_ENOMEM, "out of memory allocating the resampling "
                                 "workspace");
        if (so->bootstrap > 0 && optimal) {
            rep->boot_lambda = map_calloc(kp, sizeof *rep->boot_lambda);
            rep->boot_levels = map_calloc(m, sizeof *rep->boot_levels);
            if (!rep->boot_lambda || !rep->boot_levels)
                rc = map_error_set(err, MAP_ENOMEM, "out of memory");
            if (!rc)
                rc = map_bootstrap(pb, par, rep->result.lambda, rep->levels, m, all, so->bootstrap,
                                   so->seed, rw, ws, rep->boot_lambda, rep->boot_levels,
                                   &rep->boot, err);
            rep->has_bootstrap = rc == MAP_OK;
        }
        if (!rc && so->holdout > 0.0) {
            rep->holdout = so->holdout;
            rep->ho_train_levels = map_calloc(m, sizeof *rep->ho_train_levels);
            rep->ho_test_levels = map_calloc(m, sizeof *rep->ho_test_levels);
            if (!rep->ho_train_levels || !rep->ho_test_levels)
                rc = map_error_set(err, MAP_ENOMEM, "out of memory");
            /* The hold-out split's margin is never reported: not asked for. */
            const map_feas_params hfp = feas_with_margin(fp, 0);
            if (!rc)
                rc = map_holdout(pb, par, &hfp, so->holdout, so->seed, m, all, rw, ws,
                                 rep->ho_train_levels, rep->ho_test_levels, &rep->ho, err);
            rep->has_holdout = rc == MAP_OK;
        }
        map_resample_ws_free(rw);
    }
    return rc;
}

/* The warnings of a finite, non-trivial tilt (map_warning). */
static void solve_warnings(map_solve_report *rep)
{
    rep->nwarnings = 0;
    int tilted = 0;
    for (size_t i = 0; i < rep->kp; i++)
        tilted = tilted || rep->result.lambda[i] > 0.0;
    if (!rep->has_tilt || !tilted)
        return;
    const double ess = rep->result.diag.ess, wmax = rep->result.diag.max_weight;
    const double n = (double)rep->n;
    if (ess < MAP_WARN_ESS_MIN || ess < MAP_WARN_ESS_FRACTION * n) {
        map_warning *w = &rep->warnings[rep->nwarnings++];
        w->code = "low_ess";
        snprintf(w->detail, sizeof w->detail,
                 "the effective sample size is %.3g of %zu samples (%.3g%%): the levels rest on "
                 "a handful of samples and will not carry to new generations", ess, rep->n,
                 100.0 * ess / n);
    }
    if (wmax > MAP_WARN_MAX_WEIGHT) {
        map_warning *w = &rep->warnings[rep->nwarnings++];
        w->code = "heavy_weight";
        snprintf(w->detail, sizeof w->detail,
                 "one sample carries %.3g%% of the weight: the levels are mostly that sample's",
                 100.0 * wmax);
    }
}

/* Solves ap's problem (at its current targets) and fills the report's
 * result, the items' λ and levels, the levels of every value and the
 * analyses so asks for. */
static int solve_problem(const map_dataset *ds, const map_colstat *st, const app_problem *ap,
                         const map_solve_opts *so, const map_solver_params *par,
                         const map_feas_params *fp, map_solve_report *rep, map_error *err)
{
    const size_t kp = ap->kp, m = ds->m;
    rep->kp = kp;
    rep->normalize = ap->normalize;
    rep->prompts = ap->pb.groups ? ap->grp.ngroups : 0;
    rep->singletons = ap->pb.groups ? ap->singletons : 0;
    rep->method = so->method;
    rep->seed = so->seed;
    size_t *all = map_mallocarray(m, sizeof *all);
    if (!all)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    for (size_t c = 0; c < m; c++)
        all[c] = c;
    int rc = MAP_OK;
    double init[MAP_MAX_K] = {0};
    if (so->init)
        rc = warm_start(rep, so, init, err);
    if (!rc && kp == 0) {
        trivial_result(&rep->result, ds->n, ap->pb.groups);
        rep->has_tilt = 1;
        for (size_t c = 0; c < m; c++)
            rep->levels[c] = st[c].mean;
        if (ap->pb.groups) {
            /* The per-prompt reference levels: λ = 0 on an empty palette. */
            map_solver_ws *ws = map_solver_ws_new(1, m);
            if (ws)
                (void)map_solver_ws_set_threads(ws, 0); /* failing that, one thread */
            map_problem p0 = ap->pb;
            const double zero = 0.0;
            p0.k = 0;
            rc = ws ? map_levels(&p0, &zero, m, all, ws, rep->levels, err)
                    : map_error_set(err, MAP_ENOMEM, "out of memory");
            map_solver_ws_free(ws);
        }
    } else if (!rc) {
        const map_problem *pb = &ap->pb;
        map_solver_ws *ws = map_solver_ws_new(kp, m);
        if (!ws)
            rc = map_error_set(err, MAP_ENOMEM, "out of memory allocating the solver workspace");
        else
            (void)map_solver_ws_set_threads(ws, 0); /* failing that, one thread */
        if (!rc)
            rc = map_solve_palette_method(pb, so->method, par, fp, so->init ? init : NULL, ws,
                                          &rep->result, err);
        if (!rc) {
            rep->has_tilt = 1;
            for (size_t i = 0; i < kp; i++)
                rep->has_tilt = rep->has_tilt && isfinite(rep->result.lambda[i]);
            rep->ill_conditioned = rep->has_tilt && !(rep->result.diag.cond <= 1e10);
        }
        if (!rc)
            rc = find_collinear(ds, st, ap, rep, err);
        if (!rc && rep->has_tilt)
            rc = map_levels(pb, rep->result.lambda, m, all, ws, rep->levels, err);
        /* A constant value's level is its value under any q, exactly. */
        for (size_t c = 0; !rc && c < m; c++) {
            if (st[c].min == st[c].max)
                rep->levels[c] = st[c].min;
            else if (!rep->has_tilt)
                rep->levels[c] = NAN;
        }
        if (!rc)
            for (size_t i = 0; i < rep->k; i++) {
                map_solve_item *it = &rep->items[i];
                if (it->pidx < 0)
                    continue;
                it->lambda = rep->result.lambda[it->pidx];
                it->level = rep->has_tilt ? rep->result.level[it->pidx] : NAN;
                /* One number per value: the levels table repeats the
                 * solver's own level of each constrained value. */
                rep->levels[rep->palette->items[i].col] = it->level;
            }
        if (!rc)
            solve_warnings(rep);
        if (!rc)
            rc = analyses(ds, ap, so, par, fp, all, ws, rep, err);
        map_solver_ws_free(ws);
    }
    map_free(all);
    return rc;
}

int map_app_solve_dataset_opts(const map_dataset *ds, const char *spec, const map_solve_opts *so,
                               const map_solver_params *par, const map_feas_params *fp,
                               map_solve_report **out, map_error *err)
{
    *out = NULL;
    map_solve_opts sdef;
    if (!so) {
        map_solve_opts_default(&sdef);
        so = &sdef;
    }
    map_palette *pal = NULL;
    map_solve_item *items = NULL;
    map_colstat *st = NULL;
    int rc = palette_setup(ds, spec, &pal, &items, &st, err);
    if (rc)
        return rc;
    app_problem ap;
    rc = build_problem(ds, st, pal, so, items, &ap, err);
    if (rc) {
        app_problem_free(&ap);
        map_palette_free(pal);
        map_free(items);
        map_free(st);
        return rc;
    }
    map_solve_report *rep = NULL;
    rc = solve_report_new(ds, pal, items, &rep, err);
    if (!rc)
        rc = solve_problem(ds, st, &ap, so, par, fp, rep, err);
    map_free(st);
    app_problem_free(&ap);
    if (rc) {
        map_solve_report_free(rep);
        return rc;
    }
    *out = rep;
    return MAP_OK;
}

int map_app_solve_dataset(const map_dataset *ds, const char *spec, const map_solver_params *par,
                          const map_feas_params *fp, map_solve_report **out, map_error *err)
{
    return map_app_solve_dataset_opts(ds, spec, NULL, par, fp, out, err);
}

/* Loads dataset `name` (values only); unknown: MAP_EUSAGE from the store. */
static int load(map_store *st, const char *name, map_dataset **ds, map_error *err)
{
    *ds = NULL;
    return map_store_get_dataset(st, name, 0, ds, err);
}

int map_app_solve(map_store *st, const char *name, const char *spec, const map_solver_params *par,
                  const map_feas_params *fp, map_solve_report **out, map_error *err)
{
    *out = NULL;
    map_dataset *ds = NULL;
    int rc = load(st, name, &ds, err);
    if (rc)
        return rc;
    rc = map_app_solve_dataset(ds, spec, par, fp, out, err);
    map_dataset_free(ds);
    return rc;
}

/* ---- feasible ----------------------------------------------------------- */

const char *map_verdict_name(map_verdict v)
{
    switch (v) {
    case MAP_VERDICT_ATTAINABLE:
        return "attainable";
    case MAP_VERDICT_BOUNDARY:
        return "boundary";
    case MAP_VERDICT_INFEASIBLE:
        return "infeasible";
    }
    return "unknown";
}

void map_feasible_report_free(map_feasible_report *rep)
{
    if (!rep)
        return;
    map_free(rep->dataset);
    map_palette_free(rep->palette);
    map_free(rep->items);
    map_free(rep);
}

int map_app_feasible_code(const map_feasible_report *rep)
{
    return rep->verdict == MAP_VERDICT_ATTAINABLE ? MAP_OK : MAP_NOT_ATTAINED;
}

/* The verdict on ap's palette with its evidence (map_palette_verdict: the
 * rules of map_solve_palette without the Newton solve). */
static int verdict_of(const app_problem *ap, const map_feas_params *fp, map_feasible_report *rep,
                      map_error *err)
{
    rep->margin = NAN;
    rep->cert_gap = NAN;
    rep->has_direction = 0;
    memset(rep->direction, 0, sizeof rep->direction);
    if (ap->kp == 0) {
        rep->verdict = MAP_VERDICT_ATTAINABLE; /* every value constant and met */
        return MAP_OK;
    }
    map_result res;
    int attainable = 0;
    const int rc = map_palette_verdict(&ap->pb, fp, &res, &attainable, err);
    if (rc)
        return rc;
    rep->margin = res.margin;
    rep->cert_gap = res.cert_gap;
    rep->has_direction = res.has_direction;
    memcpy(rep->direction, res.direction, sizeof rep->direction);
    rep->verdict = attainable ? MAP_VERDICT_ATTAINABLE
                   : res.status == MAP_SOLVE_INFEASIBLE ? MAP_VERDICT_INFEASIBLE
                                                        : MAP_VERDICT_BOUNDARY;
    return MAP_OK;
}

int map_app_feasible_dataset(const map_dataset *ds, const char *spec, const map_feas_params *fp,
                             map_feasible_report **out, map_error *err)
{
    return map_app_feasible_dataset_opts(ds, spec, NULL, fp, out, err);
}

int map_app_feasible_dataset_opts(const map_dataset *ds, const char *spec, const map_solve_opts *so,
                                  const map_feas_params *fp, map_feasible_report **out,
                                  map_error *err)
{
    *out = NULL;
    map_palette *pal = NULL;
    map_solve_item *items = NULL;
    map_colstat *st = NULL;
    int rc = palette_setup(ds, spec, &pal, &items, &st, err);
    if (rc)
        return rc;
    app_problem ap;
    map_feasible_report *rep = NULL;
    rc = build_problem(ds, st, pal, so, items, &ap, err);
    map_free(st);
    if (!rc) {
        rep = map_calloc(1, sizeof *rep);
        if (rep) {
            rep->palette = pal;
            rep->items = items;
            pal = NULL;
            items = NULL;
            rep->k = rep->palette->k;
            rep->kp = ap.kp;
            rep->n = ds->n;
            rep->dataset = map_strdup(ds->name ? ds->name : "");
            rep->normalize = ap.normalize;
            rep->prompts = ap.pb.groups ? ap.grp.ngroups : 0;
            rep->singletons = ap.pb.groups ? ap.singletons : 0;
        }
        if (!rep || !rep->dataset)
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    if (!rc)
        rc = verdict_of(&ap, fp, rep, err);
    app_problem_free(&ap);
    map_palette_free(pal);
    map_free(items);
    if (rc) {
        map_feasible_report_free(rep);
        return rc;
    }
    *out = rep;
    return MAP_OK;
}

int map_app_feasible(map_store *st, const char *name, const char *spec, const map_feas_params *fp,
                     map_feasible_report **out, map_error *err)
{
    *out = NULL;
    map_dataset *ds = NULL;
    int rc = load(st, name, &ds, err);
    if (rc)
        return rc;
    rc = map_app_feasible_dataset(ds, spec, fp, out, err);
    map_dataset_free(ds);
    return rc;
}

/* ---- adjust ------------------------------------------------------------- */

static const map_enum_entry adjust_names[] = {{"ray", MAP_ADJUST_RAY}, {"greedy", MAP_ADJUST_GREEDY}};

MAP_ENUM_FUNCS(map_adjust_mode, map_adjust_mode, adjust_names, "ray")

void map_adjust_opts_default(map_adjust_opts *ao)
{
    memset(ao, 0, sizeof *ao);
    ao->mode = MAP_ADJUST_RAY;
    ao->inset = MAP_ADJUST_INSET_DEFAULT;
}

void map_adjust_report_free(map_adjust_report *rep)
{
    if (!rep)
        return;
    map_free(rep->requested);
    map_free(rep->adjusted);
    map_solve_report_free(rep->solve);
    map_free(rep);
}

int map_app_adjust_code(const map_adjust_report *rep) { return map_app_solve_code(rep->solve); }

/* The greedy order (ap->kp distinct indices into the problem): the values
 * named in ao->priority first, in that order, then the rest in palette
 * order. Constant values take no part. A name that is not a value of the
 * palette, or appears twice, is MAP_EDATA. */
/* The name of palette item i (a map_name_at for map_join). */
static const char *palette_item_name(const void *pal, size_t i)
{
    return ((const map_palette *)pal)->items[i].name;
}

static int greedy_order(const map_palette *pal, const map_solve_item *items,
                        const map_adjust_opts *ao, size_t *order, map_error *err)
{
    unsigned char taken[MAP_MAX_K] = {0};
    size_t n = 0;
    for (size_t p = 0; p < ao->npriority; p++) {
        const char *name = ao->priority[p];
        size_t i = 0;
        while (i < pal->k && strcmp(pal->items[i].name, name) != 0)
            i++;
        if (i == pal->k) {
            char list[512];
            map_join(list, sizeof list, pal->k, palette_item_name, pal, ", ");
            return map_error_set_field(err, MAP_EDATA, "priority",
                                       "'%s' is not a value of the palette (%s)", name, list);
        }
        if (taken[i])
            return map_error_set_field(err, MAP_EDATA, "priority", "'%s' appears twice", name);
        taken[i] = 1;
        if (items[i].pidx >= 0)
            order[n++] = (size_t)items[i].pidx;
    }
    for (size_t i = 0; i < pal->k; i++)
        if (!taken[i] && items[i].pidx >= 0)
            order[n++] = (size_t)items[i].pidx;
    return MAP_OK;
}

/* Adjusts ap's targets in place (the targets to solve) and fills the
 * report's rho, inset, unchanged, requested_margin and adjusted (by pidx
 * in adj). */
static int adjust_targets(app_problem *ap, const map_adjust_opts *ao, const size_t *order,
                          const map_feas_params *fp, map_adjust_report *rep, double *adj,
                          map_error *err)
{
    map_feas_params fdef;
    if (!fp) {
        map_feas_params_default(&fdef);
        fp = &fdef;
    }
    const size_t k = ap->kp;
    memcpy(adj, ap->target, k * sizeof *adj);
    int rc = map_margin(&ap->pb, fp, &rep->requested_margin, NULL, err);
    if (rc)
        return rc;
    if (rep->requested_margin > fp->boundary_tol)
        return MAP_OK; /* strictly attainable: solved as is */
    rep->unchanged = 0;
    rep->inset = ao->inset;
    if (ao->mode == MAP_ADJUST_RAY) {
        rc = map_adjust_ray(&ap->pb, ap->mean, fp, 0.0, &rep->rho, err);
        if (!rc && rep->rho < 1.0)
            map_palette_inset(k, ap->target, ap->mean, 1.0 - rep->rho, adj);
    } else {
        rc = map_adjust_greedy(&ap->pb, order, fp, 0.0, adj, err);
    }
    if (rc)
        return rc;
    /* Step inside the boundary so that λ is finite. */
    map_palette_inset(k, adj, ap->mean, ao->inset, ap->target);
    return MAP_OK;
}

int map_app_adjust_dataset(const map_dataset *ds, const char *spec, const map_adjust_opts *ao,
                           const map_solver_params *par, const map_feas_params *fp,
                           map_adjust_report **out, map_error *err)
{
    return map_app_adjust_dataset_opts(ds, spec, ao, NULL, par, fp, out, err);
}

int map_app_adjust_dataset_opts(const map_dataset *ds, const char *spec, const map_adjust_opts *ao,
                                const map_solve_opts *so, const map_solver_params *par,
                                const map_feas_params *fp, map_adjust_report **out,
                                map_error *err)
{
    *out = NULL;
    map_solve_opts sdef;
    if (!so) {
        map_solve_opts_default(&sdef);
        so = &sdef;
    }
    if (!(ao->inset >= 0.0 && ao->inset < 1.0))
        return map_error_set_field(err, MAP_EUSAGE, "inset", "%g is outside [0, 1)", ao->inset);
    map_palette *pal = NULL;
    map_solve_item *items = NULL;
    map_colstat *st = NULL;
    int rc = palette_setup(ds, spec, &pal, &items, &st, err);
    if (rc)
        return rc;
    app_problem ap;
    size_t order[MAP_MAX_K];
    rc = build_problem(ds, st, pal, so, items, &ap, err);
    if (!rc)
        rc = greedy_order(pal, items, ao, order, err);
    if (rc) {
        app_problem_free(&ap);
        map_palette_free(pal);
        map_free(items);
        map_free(st);
        return rc;
    }
    map_adjust_report *rep = map_calloc(1, sizeof *rep);
    if (!rep) {
        app_problem_free(&ap);
        map_palette_free(pal);
        map_free(items);
        map_free(st);
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    rep->mode = ao->mode;
    rep->rho = ao->mode == MAP_ADJUST_RAY ? 1.0 : NAN;
    rep->inset = 0.0;
    rep->unchanged = 1;
    rep->requested_margin = NAN;
    const size_t k = pal->k;
    rc = solve_report_new(ds, pal, items, &rep->solve, err);
    if (!rc) {
        rep->requested = map_calloc(k, sizeof *rep->requested);
        rep->adjusted = map_calloc(k, sizeof *rep->adjusted);
        if (!rep->requested || !rep->adjusted)
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    double adj[MAP_MAX_K] = {0};
    if (!rc && ap.kp > 0)
        rc = adjust_targets(&ap, ao, order, fp, rep, adj, err);
    if (!rc) {
        for (size_t i = 0; i < k; i++) {
            map_solve_item *it = &rep->solve->items[i];
            rep->requested[i] = it->target;
            rep->adjusted[i] = it->pidx >= 0 ? adj[it->pidx] : it->target;
            if (it->pidx >= 0)
                it->target = ap.target[it->pidx];
        }
        /* adjust reports the margin of the palette solved (its whole point is
         * where the palette lies against the boundary). */
        const map_feas_params afp = feas_with_margin(fp, 1);
        rc = solve_problem(ds, st, &ap, so, par, &afp, rep->solve, err);
    }
    map_free(st);
    app_problem_free(&ap);
    if (rc) {
        map_adjust_report_free(rep);
        return rc;
    }
    *out = rep;
    return MAP_OK;
}

int map_app_adjust(map_store *st, const char *name, const char *spec, const map_adjust_opts *ao,
                   const map_solver_params *par, const map_feas_params *fp,
                   map_adjust_report **out, map_error *err)
{
    *out = NULL;
    map_dataset *ds = NULL;
    int rc = load(st, name, &ds, err);
    if (rc)
        return rc;
    rc = map_app_adjust_dataset(ds, spec, ao, par, fp, out, err);
    map_dataset_free(ds);
    return rc;
}

/* ---- frontier and region ------------------------------------------------ */

/* The problem on the chosen values of ds (names, k of them): scale = sd,
 * absmax, target = mean (the tables ignore it). Unknown, repeated and
 * constant values are MAP_EDATA naming them. */
static int chosen_problem(const map_dataset *ds, const map_colstat *st, const char *const *names,
                          size_t k, map_normalize normalize, app_problem *ap, map_error *err)
{
    memset(ap, 0, sizeof *ap);
    if (k == 0 || k > MAP_MAX_K)
        return map_error_set_field(err, MAP_EDATA, "values",
                                   "%zu values chosen; 1 to %d are allowed", k, MAP_MAX_K);
    for (size_t i = 0; i < k; i++) {
        size_t c = 0;
        while (c < ds->m && strcmp(ds->values[c], names[i]) != 0)
            c++;
        if (c == ds->m) {
            char list[512];
            map_join_names(list, sizeof list, (const char *const *)ds->values, ds->m, ", ");
            return map_error_set_field(err, MAP_EDATA, "values",
                                       "unknown value '%s' (dataset '%s' has: %s)", names[i],
                                       ds->name ? ds->name : "?", list);
        }
        for (size_t j = 0; j < i; j++)
            if (ap->cols[j] == c)
                return map_error_set_field(err, MAP_EDATA, "values", "'%s' appears twice",
                                           names[i]);
        if (st[c].min == st[c].max)
            return map_error_set_field(err, MAP_EDATA, "values",
                                       "value '%s' is constant (sd 0): no reweighting moves it",
                                       names[i]);
        ap->cols[i] = c;
        ap->target[i] = st[c].mean;
        ap->mean[i] = st[c].mean;
        ap->scale[i] = st[c].sd;
        ap->absmax[i] = st[c].absmax;
    }
    ap->kp = k;
    const map_problem pb = {map_dataset_matrix(ds), k, ap->cols, ap->target, ap->scale,
                            ap->absmax, NULL};
    ap->pb = pb;
    return normalize == MAP_NORMALIZE_PROMPT ? attach_groups(ds, ap, err) : MAP_OK;
}

/* Column statistics of ds (a new array, map_free). */
static int column_stats(const map_dataset *ds, map_colstat **st, map_error *err)
{
    *st = NULL;
    if (ds->n == 0 || ds->m == 0)
        return map_error_set(err, MAP_EDATA, "dataset '%s' has no samples",
                             ds->name ? ds->name : "?");
    *st = map_mallocarray(ds->m, sizeof **st);
    if (!*st)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    map_dataset_column_stats(ds, *st);
    return MAP_OK;
}

/* A table's column names, built one by one (each "prefix" + "name"). */
typedef struct colnames {
    char **names;
    size_t count, cap;
    int ok;
} colnames;

static void colname_add(colnames *cn, const char *prefix, const char *name)
{
    if (!cn->ok)
        return;
    assert(cn->count < cn->cap);
    const size_t lp = strlen(prefix), ln = strlen(name);
    char *s = map_malloc(lp + ln + 1);
    if (!s) {
        cn->ok = 0;
        return;
    }
    memcpy(s, prefix, lp);
    memcpy(s + lp, name, ln + 1);
    cn->names[cn->count++] = s;
}

static int colnames_init(colnames *cn, size_t cap)
{
    cn->names = map_calloc(cap, sizeof *cn->names);
    cn->count = 0;
    cn->cap = cap;
    cn->ok = cn->names != NULL;
    return cn->ok;
}

static void colnames_free(colnames *cn)
{
    map_free_strings(cn->names, cn->count);
}

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
    map_colstat *st = NULL;
    int rc = column_stats(ds, &st, err);
    if (rc)
        return rc;
    app_problem ap;
    double u[MAP_MAX_K];
    rc = chosen_problem(ds, st, fo->values, k, fo->normalize, &ap, err);
    map_free(st);
    if (!rc && fo->direction)
        rc = parse_direction(fo->direction, ds, &ap, u, err);
    if (rc) {
        app_problem_free(&ap);
        return rc;
    }

    const size_t ncols = 2 + k + 1 + k + m + 3;
    colnames cn;
    map_cell *cells = map_mallocarray(ncols, sizeof *cells);
    size_t *all = map_mallocarray(m, sizeof *all);
    map_frontier_ws *ws = map_frontier_ws_new(ds->n, k, m);
    if (colnames_init(&cn, ncols)) {
        colname_add(&cn, "", "point");
        colname_add(&cn, "", "budget");
        for (size_t i = 0; i < k; i++)
            colname_add(&cn, "u_", fo->values[i]);
        colname_add(&cn, "", "t");
        for (size_t i = 0; i < k; i++)
            colname_add(&cn, "lambda_", fo->values[i]);
        for (size_t j = 0; j < m; j++)
            colname_add(&cn, "level_", ds->values[j]);
        colname_add(&cn, "", "kl");
        colname_add(&cn, "", "ess");
        colname_add(&cn, "", "status");
    }
    if (!cn.ok || !cells || !all || !ws)
        rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    if (!rc)
        rc = sink->header(sink->ctx, ncols, (const char *const *)cn.names, err);
    if (!rc) {
        for (size_t j = 0; j < m; j++)
            all[j] = j;
        frontier_ctx ctx = {sink, err, k, m, cells, sum};
        map_frontier_params par;
        map_frontier_params_default(&par);
        if (fo->direction)
            rc = map_frontier_curve(&ap.pb, u, isnan(fo->kl_max) ? 0.0 : fo->kl_max, fo->points,
                                    m, all, &par, ws, frontier_emit, &ctx, err);
        else if (fo->nbudgets > 0)
            for (size_t b = 0; b < fo->nbudgets && !rc; b++)
                rc = map_frontier_budget(&ap.pb, fo->budgets[b], fo->points, m, all, &par, ws,
                                         frontier_emit, &ctx, err);
        else {
            rc = map_frontier_budget(&ap.pb, INFINITY, fo->points, m, all, &par, ws,
                                     frontier_emit, &ctx, err);
            if (!rc && k == 2)
                rc = hull_rows(ds, &ap, &ctx, err);
        }
    }
    map_frontier_ws_free(ws);
    map_free(all);
    map_free(cells);
    colnames_free(&cn);
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
    map_colstat *st = NULL;
    int rc = column_stats(ds, &st, err);
    if (rc)
        return rc;
    app_problem ap;
    double c0[MAP_MAX_K];
    rc = chosen_problem(ds, st, ro->values, k, ro->normalize, &ap, err);
    map_free(st);
    if (!rc)
        rc = region_base(ds, &ap, ro->from, c0, err);
    if (rc) {
        app_problem_free(&ap);
        return rc;
    }
    const size_t ncols = 1 + k + 1 + k;
    colnames cn;
    map_cell *cells = map_mallocarray(ncols, sizeof *cells);
    if (colnames_init(&cn, ncols)) {
        colname_add(&cn, "", "point");
        for (size_t i = 0; i < k; i++)
            colname_add(&cn, "dir_", ro->values[i]);
        colname_add(&cn, "", "step");
        for (size_t i = 0; i < k; i++)
            colname_add(&cn, "target_", ro->values[i]);
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
    colnames_free(&cn);
    app_problem_free(&ap);
    return rc;
}
