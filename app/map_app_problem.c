/* map_app_problem.c — the solver problem of a request on a dataset: a
 * palette's (solve, feasible, adjust: parsed, constant values set aside,
 * scales from the column statistics) or the chosen values' (frontier,
 * region), with the prompt groups under per-prompt normalisation; and
 * those groups themselves, which histogram, weights, decode and select
 * also use. */
#include "map_app_internal.h"

#include <math.h>
#include <string.h>

#include "map_names.h"

int app_groups_build(const map_dataset *ds, const char *what, const char *field, app_groups *gr,
                     map_error *err)
{
    memset(gr, 0, sizeof *gr);
    size_t ng = 0;
    const int rc = map_dataset_group_rows(ds, &gr->order, &gr->start, &ng, &gr->singletons, err);
    if (rc == MAP_EDATA)
        return map_error_set_field(err, MAP_EDATA, field,
                                   "dataset '%s' has no prompt column: %s needs one (ingest it "
                                   "with a prompt column)", ds->name ? ds->name : "?", what);
    if (rc)
        return rc;
    gr->g.ngroups = ng;
    gr->g.start = gr->start;
    gr->g.order = gr->order;
    return MAP_OK;
}

void app_groups_free(app_groups *gr)
{
    map_free(gr->order);
    map_free(gr->start);
    memset(gr, 0, sizeof *gr);
}

void app_problem_free(app_problem *ap) { app_groups_free(&ap->groups); }

/* Column statistics of ds (a new array, map_free). */
int app_column_stats(const map_dataset *ds, map_colstat **st, map_error *err)
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

/* Per-prompt normalisation (MATH.md §9) for ap: the groups of ds's rows by
 * prompt (owned by ap, pb.groups set) and ap->mean = the reference levels,
 * the average of the prompts' means (the levels at λ = 0). */
static int attach_groups(const map_dataset *ds, app_problem *ap, map_error *err)
{
    int rc = app_groups_build(ds, "per-prompt normalisation", "normalize", &ap->groups, err);
    if (rc)
        return rc;
    ap->normalize = MAP_NORMALIZE_PROMPT;
    ap->pb.groups = &ap->groups.g;
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
 * out of the problem; above it, it stays in with scale max(1, |value|), so
 * that the verdict is infeasible with d = e_i. */
static int build_problem(const map_dataset *ds, const map_colstat *st, const map_palette *pal,
                         map_normalize normalize, map_solve_item *items, app_problem *ap,
                         map_error *err)
{
    memset(ap, 0, sizeof *ap);
    ap->normalize = normalize;
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

int app_palette_build(const map_dataset *ds, const char *spec, map_normalize normalize,
                      app_palette *pp, map_error *err)
{
    memset(pp, 0, sizeof *pp);
    int rc = app_column_stats(ds, &pp->st, err);
    if (!rc)
        rc = map_palette_parse_for(spec, ds, &pp->pal, err);
    if (!rc && !(pp->items = map_calloc(pp->pal->k, sizeof *pp->items)))
        rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    if (!rc)
        rc = build_problem(ds, pp->st, pp->pal, normalize, pp->items, &pp->ap, err);
    if (rc) {
        app_palette_free(pp);
        memset(pp, 0, sizeof *pp);
    }
    return rc;
}

void app_palette_free(app_palette *pp)
{
    app_problem_free(&pp->ap);
    map_palette_free(pp->pal);
    map_free(pp->items);
    map_free(pp->st);
    pp->pal = NULL;
    pp->items = NULL;
    pp->st = NULL;
}

/* app_chosen_problem on the column statistics st. */
static int chosen_problem(const map_dataset *ds, const map_colstat *st, const char *const *names,
                          size_t k, map_normalize normalize, app_problem *ap, map_error *err)
{
    memset(ap, 0, sizeof *ap);
    if (k == 0 || k > MAP_MAX_K)
        return map_error_set_field(err, MAP_EDATA, "values",
                                   "%zu values chosen; 1 to %d are allowed", k, MAP_MAX_K);
    for (size_t i = 0; i < k; i++) {
        const long found = map_dataset_value_index(ds, names[i]);
        if (found < 0) {
            char list[512];
            map_join_names(list, sizeof list, (const char *const *)ds->values, ds->m, ", ");
            return map_error_set_field(err, MAP_EDATA, "values",
                                       "unknown value '%s' (dataset '%s' has: %s)", names[i],
                                       ds->name ? ds->name : "?", list);
        }
        const size_t c = (size_t)found;
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

int app_chosen_problem(const map_dataset *ds, const char *const *names, size_t k,
                       map_normalize normalize, app_problem *ap, map_error *err)
{
    memset(ap, 0, sizeof *ap);
    map_colstat *st = NULL;
    int rc = app_column_stats(ds, &st, err);
    if (!rc)
        rc = chosen_problem(ds, st, names, k, normalize, ap, err);
    map_free(st);
    if (rc)
        app_problem_free(ap);
    return rc;
}
