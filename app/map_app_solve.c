/* map_app_solve.c — the solve and feasible commands: a palette on a dataset
 * to λ with its evidence, levels, warnings and optional analyses
 * (sensitivity, bootstrap, hold-out), or to the verdict alone. The solve
 * itself is shared with adjust (map_app_adjust.c), and handed over with its
 * prompt groups to histogram and decode (app_solve_groups). */
#include "map_app_internal.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "map_names.h"
#include "map_sensitivity.h"

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

/* ---- solve -------------------------------------------------------------- */

void map_solve_report_free(map_solve_report *rep)
{
    if (!rep)
        return;
    map_palette_free(rep->palette);
    map_free_strings(rep->values, rep->m);
    MAP_FREE_ALL(rep->dataset, rep->items, rep->levels, rep->dldc, rep->boot_lambda,
                 rep->boot_levels, rep->ho_train_levels, rep->ho_test_levels, rep);
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

int app_solve_report_new(const map_dataset *ds, app_palette *pp, map_solve_report **out,
                         map_error *err)
{
    *out = NULL;
    map_solve_report *rep = map_calloc(1, sizeof *rep);
    if (!rep)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    rep->k = pp->pal->k;
    rep->n = ds->n;
    rep->dataset = map_strdup(ds->name ? ds->name : "");
    if ((rep->values = map_strdup_all((const char *const *)ds->values, ds->m)) != NULL)
        rep->m = ds->m;
    rep->levels = map_calloc(ds->m, sizeof *rep->levels);
    if (!rep->dataset || !rep->values || !rep->levels) {
        map_solve_report_free(rep);
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    rep->palette = pp->pal;
    rep->items = pp->items;
    pp->pal = NULL;
    pp->items = NULL;
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

map_feas_params app_feas_with_margin(const map_feas_params *fp, int want_margin)
{
    map_feas_params out;
    if (fp)
        out = *fp;
    else
        map_feas_params_default(&out);
    out.want_margin = want_margin;
    return out;
}

/* The optional analyses of an optimal solve: sensitivity, bootstrap and
 * hold-out (the latter also for other verdicts). */
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
            const map_feas_params hfp = app_feas_with_margin(fp, 0);
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

int app_solve_problem(const map_dataset *ds, const app_palette *pp, const map_solve_opts *so,
                      const map_solver_params *par, const map_feas_params *fp,
                      map_solve_report *rep, map_error *err)
{
    const app_problem *ap = &pp->ap;
    const map_colstat *st = pp->st;
    const size_t kp = ap->kp, m = ds->m;
    rep->kp = kp;
    rep->normalize = ap->normalize;
    rep->prompts = ap->pb.groups ? ap->groups.g.ngroups : 0;
    rep->singletons = ap->pb.groups ? ap->groups.singletons : 0;
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

void map_solve_request_init(map_solve_request *rq, const char *palette)
{
    memset(rq, 0, sizeof *rq);
    rq->palette = palette;
    map_solve_opts_default(&rq->opts);
}

int app_solve_groups(const map_dataset *ds, const map_solve_request *rq, map_solve_report **out,
                     app_groups *groups, map_error *err)
{
    *out = NULL;
    if (groups)
        memset(groups, 0, sizeof *groups);
    app_palette pp;
    map_solve_report *rep = NULL;
    int rc = app_palette_build(ds, rq->palette, rq->opts.normalize, &pp, err);
    if (!rc)
        rc = app_solve_report_new(ds, &pp, &rep, err);
    if (!rc)
        rc = app_solve_problem(ds, &pp, &rq->opts, rq->params, rq->feas, rep, err);
    if (!rc && groups) {
        /* moved out: pp's problem, which pointed at them, is freed below */
        *groups = pp.ap.groups;
        memset(&pp.ap.groups, 0, sizeof pp.ap.groups);
        pp.ap.pb.groups = NULL;
    }
    app_palette_free(&pp);
    if (rc) {
        map_solve_report_free(rep);
        return rc;
    }
    *out = rep;
    return MAP_OK;
}

int map_app_solve(const map_dataset *ds, const map_solve_request *rq, map_solve_report **out,
                  map_error *err)
{
    return app_solve_groups(ds, rq, out, NULL, err);
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
    map_palette_free(rep->palette);
    MAP_FREE_ALL(rep->dataset, rep->items, rep);
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

int map_app_feasible(const map_dataset *ds, const map_solve_request *rq,
                     map_feasible_report **out, map_error *err)
{
    *out = NULL;
    app_palette pp;
    map_feasible_report *rep = NULL;
    int rc = app_palette_build(ds, rq->palette, rq->opts.normalize, &pp, err);
    if (!rc && !(rep = map_calloc(1, sizeof *rep)))
        rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    if (!rc) {
        rep->k = pp.pal->k;
        rep->kp = pp.ap.kp;
        rep->n = ds->n;
        rep->normalize = pp.ap.normalize;
        rep->prompts = pp.ap.pb.groups ? pp.ap.groups.g.ngroups : 0;
        rep->singletons = pp.ap.pb.groups ? pp.ap.groups.singletons : 0;
        rep->palette = pp.pal;
        rep->items = pp.items;
        pp.pal = NULL;
        pp.items = NULL;
        if (!(rep->dataset = map_strdup(ds->name ? ds->name : "")))
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    if (!rc)
        rc = verdict_of(&pp.ap, rq->feas, rep, err);
    app_palette_free(&pp);
    if (rc) {
        map_feasible_report_free(rep);
        return rc;
    }
    *out = rep;
    return MAP_OK;
}
