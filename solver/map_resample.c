/* map_resample.c — bootstrap and hold-out for solved palettes
 * (map_resample.h). GSL's RNG (mt19937), sorting and statistics. */
#include "map_resample.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "map_methods.h"

struct map_resample_ws {
    size_t n, m, K;     /* rows, columns, prompts (0 without groups) */
    size_t k, p, B;
    size_t rows;        /* capacity of buf in rows */
    double *buf;        /* rows × m: the resampled or split data */
    size_t *order;      /* rows: the identity (groups are contiguous in buf) */
    size_t *start;      /* K + 1 offsets (bootstrap, training part) */
    size_t *start2;     /* K + 1 offsets (held-out part) */
    size_t *perm;       /* units (rows or prompts) for the split */
    double *lam_rep;    /* B × k */
    double *lev_rep;    /* B × p */
    double *sortbuf;    /* B */
};

void map_resample_ws_free(map_resample_ws *rw)
{
    if (!rw)
        return;
    MAP_FREE_ALL(rw->buf, rw->order, rw->start, rw->start2, rw->perm, rw->lam_rep, rw->lev_rep,
                 rw->sortbuf, rw);
}

map_resample_ws *map_resample_ws_new(const map_problem *pb, size_t B, size_t p)
{
    if (B == 0 || pb->data.n == 0)
        return NULL;
    map_resample_ws *rw = map_calloc(1, sizeof *rw);
    if (!rw)
        return NULL;
    const map_groups *g = pb->groups;
    rw->n = pb->data.n;
    rw->m = pb->data.m;
    rw->K = g ? g->ngroups : 0;
    rw->k = pb->k;
    rw->p = p;
    rw->B = B;
    rw->rows = rw->n;
    if (g) {
        /* A bootstrap draw of K prompts holds at most K times the largest. */
        size_t big = 0;
        for (size_t q = 0; q < g->ngroups; q++)
            if (g->start[q + 1] - g->start[q] > big)
                big = g->start[q + 1] - g->start[q];
        if (big > rw->rows / g->ngroups + 1)
            rw->rows = g->ngroups * big;
    }
    const size_t units = g ? g->ngroups : rw->n;
    rw->buf = map_mallocarray(rw->rows * (rw->m ? rw->m : 1), sizeof *rw->buf);
    rw->order = map_mallocarray(rw->rows, sizeof *rw->order);
    rw->start = map_mallocarray(rw->K + 1, sizeof *rw->start);
    rw->start2 = map_mallocarray(rw->K + 1, sizeof *rw->start2);
    rw->perm = map_mallocarray(units, sizeof *rw->perm);
    rw->lam_rep = map_mallocarray(B * (rw->k ? rw->k : 1), sizeof *rw->lam_rep);
    rw->lev_rep = map_mallocarray(B * (p ? p : 1), sizeof *rw->lev_rep);
    rw->sortbuf = map_mallocarray(B, sizeof *rw->sortbuf);
    if (!rw->buf || !rw->order || !rw->start || !rw->start2 || !rw->perm || !rw->lam_rep ||
        !rw->lev_rep || !rw->sortbuf) {
        map_resample_ws_free(rw);
        return NULL;
    }
    for (size_t j = 0; j < rw->rows; j++)
        rw->order[j] = j;
    return rw;
}

/* Copies row j of X to row `at` of rw->buf (as doubles: a float matrix's
 * resamples are held in double). */
static void copy_row(map_resample_ws *rw, const map_matrix *X, size_t j, size_t at)
{
    if (X->xf)
        map_matrix_row(X, j, rw->buf + at * rw->m);
    else
        memcpy(rw->buf + at * rw->m, X->x + j * X->ld, rw->m * sizeof *rw->buf);
}

/* Copies every row of group q of g to rw->buf from row `at`; returns the
 * row after the last one written. */
static size_t copy_group(map_resample_ws *rw, const map_matrix *X, const map_groups *g, size_t q,
                         size_t at)
{
    for (size_t r = g->start[q]; r < g->start[q + 1]; r++)
        copy_row(rw, X, g->order[r], at++);
    return at;
}

/* The summary of column c of a used × stride replicate matrix. */
static void summarise(map_resample_ws *rw, const double *rep, size_t stride, size_t c, size_t used,
                      double estimate, map_boot_stat *s)
{
    s->estimate = estimate;
    s->mean = s->se = s->lo = s->hi = NAN;
    if (used == 0)
        return;
    for (size_t b = 0; b < used; b++)
        rw->sortbuf[b] = rep[b * stride + c];
    s->mean = gsl_stats_mean(rw->sortbuf, 1, used);
    if (used < 2)
        return;
    s->se = gsl_stats_sd_m(rw->sortbuf, 1, used, s->mean);
    gsl_sort(rw->sortbuf, 1, used);
    s->lo = gsl_stats_quantile_from_sorted_data(rw->sortbuf, 1, used, 0.025);
    s->hi = gsl_stats_quantile_from_sorted_data(rw->sortbuf, 1, used, 0.975);
}

int map_bootstrap(const map_problem *pb, const map_solver_params *par, const double *lambda0,
                  const double *level0, size_t p, const size_t *stat_cols, size_t B,
                  unsigned long seed, map_resample_ws *rw, map_solver_ws *ws, map_boot_stat *lam,
                  map_boot_stat *lev, map_boot_result *res, map_error *err)
{
    const size_t k = pb->k;
    if (B > rw->B || p > rw->p || k > rw->k || pb->data.n != rw->n)
        return map_error_set(err, MAP_ENOMEM, "resampling workspace too small");
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return map_error_set(err, MAP_ENOMEM, "out of memory allocating the RNG");
    gsl_rng_set(rng, seed);
    const map_matrix *X = &pb->data;
    const map_groups *g = pb->groups;
    map_groups bg = {rw->K, rw->start, rw->order};
    size_t used = 0;
    int rc = MAP_OK;
    for (size_t b = 0; b < B && rc == MAP_OK; b++) {
        size_t rows = 0;
        if (g) {
            rw->start[0] = 0;
            for (size_t q = 0; q < g->ngroups; q++) {
                rows = copy_group(rw, X, g, gsl_rng_uniform_int(rng, g->ngroups), rows);
                rw->start[q + 1] = rows;
            }
        } else {
            for (size_t j = 0; j < X->n; j++)
                copy_row(rw, X, gsl_rng_uniform_int(rng, X->n), rows++);
        }
        map_problem rp = *pb;
        const map_matrix R = {rows, rw->m, rw->m, rw->buf, NULL};
        rp.data = R;
        rp.groups = g ? &bg : NULL;
        double *lb = rw->lam_rep + used * k, mu[MAP_MAX_K];
        map_solution sol;
        rc = map_solve(&rp, par, lambda0, ws, lb, mu, &sol, err);
        if (rc || sol.status != MAP_SOLVE_OPTIMAL)
            continue;
        rc = map_levels(&rp, lb, p, stat_cols, ws, rw->lev_rep + used * p, err);
        if (!rc)
            used++;
    }
    gsl_rng_free(rng);
    if (rc)
        return rc;
    res->replicates = B;
    res->used = used;
    res->excluded = B - used;
    for (size_t i = 0; i < k; i++)
        summarise(rw, rw->lam_rep, k, i, used, lambda0[i], &lam[i]);
    for (size_t c = 0; c < p; c++)
        summarise(rw, rw->lev_rep, p, c, used, level0 ? level0[c] : NAN, &lev[c]);
    return MAP_OK;
}

static int cmp_size(const void *a, const void *b)
{
    const size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

int map_holdout(const map_problem *pb, const map_solver_params *par, const map_feas_params *fp,
                double fraction, unsigned long seed, size_t p, const size_t *stat_cols,
                map_resample_ws *rw, map_solver_ws *ws, double *train_levels, double *test_levels,
                map_holdout_result *res, map_error *err)
{
    memset(res, 0, sizeof *res);
    res->kl_test = res->ess_test = NAN;
    for (size_t c = 0; c < p; c++)
        train_levels[c] = test_levels[c] = NAN;
    if (p > rw->p || pb->k > rw->k || pb->data.n != rw->n)
        return map_error_set(err, MAP_ENOMEM, "resampling workspace too small");
    if (!(fraction > 0.0 && fraction < 1.0))
        return map_error_set(err, MAP_EDATA, "the hold-out fraction %g is not in (0, 1)", fraction);
    const map_matrix *X = &pb->data;
    const map_groups *g = pb->groups;
    const size_t units = g ? g->ngroups : X->n;
    size_t ntest = (size_t)floor(fraction * (double)units + 0.5);
    if (ntest == 0)
        ntest = 1;
    if (ntest >= units)
        return map_error_set(err, MAP_EDATA,
                             "cannot hold out %g of %zu %s and keep some to solve on", fraction,
                             units, g ? "prompts" : "samples");
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return map_error_set(err, MAP_ENOMEM, "out of memory allocating the RNG");
    gsl_rng_set(rng, seed);
    for (size_t u = 0; u < units; u++)
        rw->perm[u] = u;
    gsl_ran_shuffle(rng, rw->perm, units, sizeof *rw->perm);
    gsl_rng_free(rng);
    /* perm[0, ntest) is held out; each side in the data's order. */
    qsort(rw->perm, ntest, sizeof *rw->perm, cmp_size);
    qsort(rw->perm + ntest, units - ntest, sizeof *rw->perm, cmp_size);
    size_t rows = 0;
    const size_t ntrain = units - ntest;
    if (g) {
        rw->start[0] = 0;
        for (size_t u = 0; u < ntrain; u++) {
            rows = copy_group(rw, X, g, rw->perm[ntest + u], rows);
            rw->start[u + 1] = rows;
        }
    } else {
        for (size_t u = 0; u < ntrain; u++)
            copy_row(rw, X, rw->perm[ntest + u], rows++);
    }
    const size_t split = rows;
    if (g) {
        rw->start2[0] = 0;
        for (size_t u = 0; u < ntest; u++) {
            rows = copy_group(rw, X, g, rw->perm[u], rows);
            rw->start2[u + 1] = rows - split;
        }
    } else {
        for (size_t u = 0; u < ntest; u++)
            copy_row(rw, X, rw->perm[u], rows++);
    }
    const map_groups gtr = {ntrain, rw->start, rw->order};
    const map_groups gte = {ntest, rw->start2, rw->order};
    map_problem tr = *pb, te = *pb;
    const map_matrix Rtr = {split, rw->m, rw->m, rw->buf, NULL};
    const map_matrix Rte = {rows - split, rw->m, rw->m, rw->buf + split * rw->m, NULL};
    tr.data = Rtr;
    te.data = Rte;
    tr.groups = g ? &gtr : NULL;
    te.groups = g ? &gte : NULL;
    res->n_train = split;
    res->n_test = rows - split;
    res->k_train = g ? ntrain : 0;
    res->k_test = g ? ntest : 0;
    int rc = map_solve_palette(&tr, par, fp, NULL, ws, &res->train, err);
    if (rc || res->train.status != MAP_SOLVE_OPTIMAL)
        return rc;
    const double *lambda = res->train.lambda;
    rc = map_levels(&tr, lambda, p, stat_cols, ws, train_levels, err);
    if (!rc)
        rc = map_levels(&te, lambda, p, stat_cols, ws, test_levels, err);
    if (rc)
        return rc;
    double mu[MAP_MAX_K];
    map_solution sol;
    if (map_diagnose(&te, lambda, 1.0, ws, mu, &sol) != MAP_OK)
        return map_error_set(err, MAP_ENOMEM, "solver workspace too small");
    res->kl_test = sol.kl;
    res->ess_test = sol.ess;
    return MAP_OK;
}
