/* map_app_adjust.c — the adjust command: a palette that is not strictly
 * attainable moved onto the attainable set (the ray from the reference
 * levels, MATH.md §7, or greedily in a priority order), stepped inside by
 * the inset, and solved. */
#include "map_app_internal.h"

#include <math.h>
#include <string.h>

#include "map_names.h"

/* ---- adjust ------------------------------------------------------------- */

static const map_enum_entry adjust_names[] = {
    {"ray", MAP_ADJUST_RAY},
    {"greedy", MAP_ADJUST_GREEDY},
};

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
    map_solve_report_free(rep->solve);
    MAP_FREE_ALL(rep->requested, rep->adjusted, rep);
}

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

void map_adjust_request_init(map_adjust_request *rq, const char *palette)
{
    map_solve_request_init(&rq->solve, palette);
    map_adjust_opts_default(&rq->adjust);
}

int map_app_adjust(const map_dataset *ds, const map_adjust_request *rq, map_adjust_report **out,
                   map_error *err)
{
    *out = NULL;
    const map_adjust_opts *ao = &rq->adjust;
    const map_solve_request *sr = &rq->solve;
    if (!(ao->inset >= 0.0 && ao->inset < 1.0))
        return map_error_set_field(err, MAP_EUSAGE, "inset", "%g is outside [0, 1)", ao->inset);
    app_palette pp;
    size_t order[MAP_MAX_K];
    map_adjust_report *rep = NULL;
    int rc = app_palette_build(ds, sr->palette, sr->opts.normalize, &pp, err);
    if (!rc)
        rc = greedy_order(pp.pal, pp.items, ao, order, err);
    if (!rc && !(rep = map_calloc(1, sizeof *rep)))
        rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    const size_t k = pp.pal ? pp.pal->k : 0;
    if (!rc) {
        rep->mode = ao->mode;
        rep->rho = ao->mode == MAP_ADJUST_RAY ? 1.0 : NAN;
        rep->inset = 0.0;
        rep->unchanged = 1;
        rep->requested_margin = NAN;
        rc = app_solve_report_new(ds, &pp, &rep->solve, err);
    }
    if (!rc) {
        rep->requested = map_calloc(k, sizeof *rep->requested);
        rep->adjusted = map_calloc(k, sizeof *rep->adjusted);
        if (!rep->requested || !rep->adjusted)
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    double adj[MAP_MAX_K] = {0};
    if (!rc && pp.ap.kp > 0)
        rc = adjust_targets(&pp.ap, ao, order, sr->feas, rep, adj, err);
    if (!rc) {
        for (size_t i = 0; i < k; i++) {
            map_solve_item *it = &rep->solve->items[i];
            rep->requested[i] = it->target;
            rep->adjusted[i] = it->pidx >= 0 ? adj[it->pidx] : it->target;
            if (it->pidx >= 0)
                it->target = pp.ap.target[it->pidx];
        }
        /* adjust reports the margin of the palette solved (its whole point is
         * where the palette lies against the boundary). */
        const map_feas_params afp = app_feas_with_margin(sr->feas, 1);
        rc = app_solve_problem(ds, &pp, &sr->opts, sr->params, &afp, rep->solve, err);
    }
    app_palette_free(&pp);
    if (rc) {
        map_adjust_report_free(rep);
        return rc;
    }
    *out = rep;
    return MAP_OK;
}
