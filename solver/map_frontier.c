/* map_frontier.c — Pareto frontiers along tilts λ = t·u and the boundary of
 * the attainable set around a base palette (MATH.md §6, §8); contracts in
 * map_frontier.h.
 *
 * Along one direction every quantity depends on the samples only through the
 * scalar scores d_j = uᵀr_j − max_l uᵀr_l ≤ 0, so they are computed once per
 * direction into the workspace and each KL(t) is one pass over them, with
 * exp(t·d_j) ≤ 1 (no overflow, the face's weight exactly 1). The levels of
 * all reported columns then take one pass over the data (map_levels).
 *
 * Under per-prompt normalisation (pb->groups, MATH.md §9) the same holds
 * group by group: scores are kept in group order, each group's maximum is
 * its own, KL = (1/K) Σ_g KL_g, dKL/dt = t·(1/K) Σ_g Var_g, the face is the
 * union of the groups' faces and KL_sup = (1/K) Σ_g log(n_g / face_g).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "map_frontier.h"
#include "map_solver_internal.h"

struct map_frontier_ws {
    size_t nmax, kmax, pmax;
    double *score;        /* nmax scores d_j of the current direction, in group order */
    double *gtol;         /* nmax: each group's face tolerance */
    size_t *gface;        /* nmax: each group's face size */
    double *levels;       /* pmax levels of the current row */
    size_t *allcols;      /* 0..pmax−1: "every column" */
    map_solver_ws *sws;   /* for map_levels */
};

void map_frontier_params_default(map_frontier_params *p)
{
    p->kl_rtol = 1e-12;
    p->max_iter = 200;
    p->tie_rtol = 1e-12;
    p->standardise = 1;
}

void map_region_params_default(map_region_params *p)
{
    p->step_rtol = 1e-10;
    p->max_iter = 100;
    p->standardise = 1;
    map_feas_params_default(&p->feas);
}

const char *map_ray_status_name(map_ray_status s)
{
    switch (s) {
    case MAP_RAY_CONVERGED: return "converged";
    case MAP_RAY_ROUNDING: return "rounding";
    case MAP_RAY_MAX_ITER: return "max_iter";
    case MAP_RAY_SATURATED: return "saturated";
    }
    return "unknown";
}

map_frontier_ws *map_frontier_ws_new(size_t nmax, size_t kmax, size_t pmax)
{
    if (kmax == 0 || kmax > MAP_MAX_K || nmax == 0)
        return NULL;
    if (pmax < kmax)
        pmax = kmax;
    map_frontier_ws *ws = map_calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->nmax = nmax;
    ws->kmax = kmax;
    ws->pmax = pmax;
    ws->score = map_mallocarray(nmax, sizeof *ws->score);
    ws->gtol = map_mallocarray(nmax, sizeof *ws->gtol);
    ws->gface = map_mallocarray(nmax, sizeof *ws->gface);
    ws->levels = map_mallocarray(pmax, sizeof *ws->levels);
    ws->allcols = map_mallocarray(pmax, sizeof *ws->allcols);
    ws->sws = map_solver_ws_new(kmax, pmax);
    if (!ws->score || !ws->gtol || !ws->gface || !ws->levels || !ws->allcols || !ws->sws) {
        map_frontier_ws_free(ws);
        return NULL;
    }
    for (size_t i = 0; i < pmax; i++)
        ws->allcols[i] = i;
    return ws;
}

void map_frontier_ws_free(map_frontier_ws *ws)
{
    if (!ws)
        return;
    map_free(ws->score);
    map_free(ws->gtol);
    map_free(ws->gface);
    map_free(ws->levels);
    map_free(ws->allcols);
    map_solver_ws_free(ws->sws);
    map_free(ws);
}

/* ---- Validation ------------------------------------------------------------ */

/* The parts of a problem these functions read (target is ignored). */
static int check_problem(const map_problem *pb, int need_scale, map_error *err)
{
    if (pb->data.n == 0 || pb->data.m == 0 || !map_matrix_has_data(&pb->data))
        return map_error_set(err, MAP_EDATA, "the dataset has no samples");
    if (pb->k == 0)
        return map_error_set(err, MAP_EDATA, "no value is chosen");
    if (pb->k > MAP_MAX_K)
        return map_error_set(err, MAP_EDATA, "%zu values are chosen; at most %d are supported", pb->k,
                             MAP_MAX_K);
    for (size_t i = 0; i < pb->k; i++) {
        if (pb->cols[i] >= pb->data.m)
            return map_error_set(err, MAP_EDATA, "value column %zu is out of range", pb->cols[i]);
        for (size_t l = 0; l < i; l++)
            if (pb->cols[l] == pb->cols[i])
                return map_error_set(err, MAP_EDATA, "value column %zu is chosen twice", pb->cols[i]);
        if (need_scale && (!pb->scale || !(pb->scale[i] > 0.0) || !isfinite(pb->scale[i])))
            return map_error_set(err, MAP_EDATA, "the scale of value %zu is not positive", i + 1);
    }
    return MAP_OK;
}

/* u: k finite entries, ≥ 0, not all zero. */
static int check_direction(size_t k, const double *u, map_error *err)
{
    int nonzero = 0;
    for (size_t i = 0; i < k; i++) {
        if (!isfinite(u[i]) || u[i] < 0.0)
            return map_error_set(err, MAP_EDATA, "direction component %zu (%g) is not a finite number ≥ 0",
                                 i + 1, u[i]);
        nonzero |= u[i] > 0.0;
    }
    if (!nonzero)
        return map_error_set(err, MAP_EDATA, "the direction is zero");
    return MAP_OK;
}

static int check_workspace(const map_problem *pb, size_t p, const map_frontier_ws *ws, map_error *err)
{
    if (pb->data.n > ws->nmax || pb->k > ws->kmax || p > ws->pmax)
        return map_error_set(err, MAP_ENOMEM,
                             "frontier workspace holds %zu samples, %zu values, %zu columns; "
                             "the problem needs %zu, %zu, %zu",
                             ws->nmax, ws->kmax, ws->pmax, pb->data.n, pb->k, p);
    return MAP_OK;
}

/* ---- One direction ----------------------------------------------------------- */

static double row_score(const map_problem *pb, const double *u, size_t j)
{
    double row[MAP_MAX_K];
    map_row_cols(pb, j, row);
    double s = 0.0;
    for (size_t i = 0; i < pb->k; i++)
        s += u[i] * row[i];
    return s;
}

/* The face tolerance for scores with this maximum and minimum. */
static double face_tol(double smax, double smin, double tie_rtol)
{
    return tie_rtol * (fabs(smax) + (smax - smin));
}

/* What a direction's cached scores imply beyond the scores themselves. */
typedef struct dir_cache {
    map_rows_view g;
    size_t n;
    size_t face;        /* samples on the maximising faces (all groups) */
    double kl_sup;      /* (1/K) Σ_g log(n_g / face_g) */
    double sat_ess, sat_wmax;   /* ESS and largest weight of the limit t → ∞ */
    double zero_ess, zero_wmax; /* the same at t = 0 */
} dir_cache;

/* Caches d = uᵀr − (its group's maximum) in ws->score (group order), each
 * group's face tolerance and size, and fills *dc. */
static void cache_scores(const map_problem *pb, const double *u, double tie_rtol, map_frontier_ws *ws,
                         dir_cache *dc)
{
    map_rows_view_of(pb, &dc->g);
    const map_rows_view *g = &dc->g;
    const double K = (double)g->K;
    dc->n = pb->data.n;
    dc->face = 0;
    double klsum = 0.0, inv_face = 0.0, inv_n = 0.0, wmax = 0.0, wmax0 = 0.0;
    for (size_t q = 0; q < g->K; q++) {
        double smax = -INFINITY, smin = INFINITY;
        for (size_t pos = g->start[q]; pos < g->start[q + 1]; pos++) {
            const double sc = row_score(pb, u, map_rows_at(g, pos));
            ws->score[pos] = sc;
            smax = fmax(smax, sc);
            smin = fmin(smin, sc);
        }
        const double tol = face_tol(smax, smin, tie_rtol);
        size_t face = 0;
        for (size_t pos = g->start[q]; pos < g->start[q + 1]; pos++) {
            ws->score[pos] -= smax;
            face += ws->score[pos] >= -tol;
        }
        MAP_ASSERT(face >= 1);
        const double nq = (double)(g->start[q + 1] - g->start[q]);
        ws->gtol[q] = tol;
        ws->gface[q] = face;
        dc->face += face;
        /* KL_sup as −log(F/n): the same expression kl_at gives once the
         * tilt sits on the face, so a budget below it is always reached by
         * a finite t. */
        klsum += -log((double)face / nq);
        inv_face += 1.0 / (double)face;
        inv_n += 1.0 / nq;
        wmax = fmax(wmax, 1.0 / (double)face);
        wmax0 = fmax(wmax0, 1.0 / nq);
    }
    dc->kl_sup = klsum / K;
    dc->sat_ess = K * K / inv_face;
    dc->sat_wmax = wmax / K;
    dc->zero_ess = K * K / inv_n;
    dc->zero_wmax = wmax0 / K;
}

int map_kl_sup(const map_problem *pb, const double *u, double tie_rtol, double *kl_sup, size_t *face,
               map_error *err)
{
    int rc = check_problem(pb, 0, err);
    if (rc || (rc = check_direction(pb->k, u, err)))
        return rc;
    if (!(tie_rtol > 0.0))
        tie_rtol = 1e-12;
    map_rows_view g;
    map_rows_view_of(pb, &g);
    double klsum = 0.0;
    size_t ftot = 0;
    for (size_t q = 0; q < g.K; q++) {
        double smax = -INFINITY, smin = INFINITY;
        for (size_t pos = g.start[q]; pos < g.start[q + 1]; pos++) {
            const double sc = row_score(pb, u, map_rows_at(&g, pos));
            smax = fmax(smax, sc);
            smin = fmin(smin, sc);
        }
        const double tol = face_tol(smax, smin, tie_rtol);
        size_t f = 0;
        for (size_t pos = g.start[q]; pos < g.start[q + 1]; pos++)
            f += row_score(pb, u, map_rows_at(&g, pos)) - smax >= -tol;
        ftot += f;
        klsum += -log((double)f / (double)(g.start[q + 1] - g.start[q]));
    }
    *face = ftot;
    *kl_sup = klsum / (double)g.K;
    return MAP_OK;
}

typedef struct kl_eval {
    double kl;   /* KL(t) */
    double mean; /* E_q[d] (K = 1; the average of the groups' otherwise) */
    double var;  /* Var_q(d) (averaged over groups) */
    double ess;  /* Kish effective sample size of the mixture */
    double wmax; /* its largest weight */
} kl_eval;

/* One pass over the scores at t ≥ 0: weights e_j = exp(t·d_j) ≤ 1 and
 * KL = t·E_q[d] − log(Σe / n). E_q[d] is a sum of terms of one sign, so it
 * is accurate; the variance (only the Newton slope uses it) is taken about
 * `shift`, the previous evaluation's mean, so that it does not cancel. The
 * sums are independent, so the loop pipelines. With groups each group's
 * variance is taken about its own mean (a second pass over the group's
 * scores, which are in cache). */
static void kl_at(const dir_cache *dc, const double *d, double t, double shift, kl_eval *ev)
{
    const map_rows_view *g = &dc->g;
    if (g->K == 1) {
        const size_t n = dc->n;
        double w = 0.0, w2 = 0.0, wd = 0.0, wdd = 0.0;
        for (size_t j = 0; j < n; j++) {
            const double e = exp(t * d[j]);
            const double x = d[j] - shift;
            w += e;
            w2 += e * e;
            wd += e * d[j];
            wdd += e * x * x;
        }
        ev->mean = wd / w;
        const double dm = ev->mean - shift;
        ev->kl = t * ev->mean - log(w / (double)n);
        ev->var = fmax(0.0, wdd / w - dm * dm);
        ev->ess = w * w / w2;
        ev->wmax = 1.0 / w;
        return;
    }
    double kl = 0.0, var = 0.0, mean = 0.0, w2inv = 0.0, wmax = 0.0;
    for (size_t q = 0; q < g->K; q++) {
        const size_t a = g->start[q], b = g->start[q + 1];
        double w = 0.0, w2 = 0.0, wd = 0.0;
        for (size_t pos = a; pos < b; pos++) {
            const double e = exp(t * d[pos]);
            w += e;
            w2 += e * e;
            wd += e * d[pos];
        }
        const double m = wd / w;
        double v = 0.0;
        for (size_t pos = a; pos < b; pos++) {
            const double x = d[pos] - m;
            v += exp(t * d[pos]) * x * x;
        }
        kl += t * m - log(w / (double)(b - a));
        var += v / w;
        mean += m;
        w2inv += w2 / (w * w);
        wmax = fmax(wmax, 1.0 / w);
    }
    const double K = (double)g->K;
    ev->kl = kl / K;
    ev->var = var / K;
    ev->mean = mean / K;
    ev->ess = K * K / w2inv;
    ev->wmax = wmax / K;
}

/* Fills pt for 0 < eps < kl_sup by safeguarded Newton on KL(t) − eps.
 * lo: a t known to have KL(lo) ≤ eps (0 if none); guess: a first iterate
 * (used if > lo), else the small-budget estimate √(2ε)/sd. */
static void solve_t(const dir_cache *dc, const double *d, double eps, double lo, double guess,
                    const map_frontier_params *par, map_ray_point *pt)
{
    kl_eval ev;
    int passes = 0;
    double t, shift = 0.0;
    if (guess > lo && isfinite(guess)) {
        t = guess;
    } else if (lo > 0.0) {
        t = 2.0 * lo;
    } else {
        kl_at(dc, d, 0.0, 0.0, &ev);
        kl_at(dc, d, 0.0, ev.mean, &ev);
        passes += 2;
        shift = ev.mean;
        t = sqrt(2.0 * eps / ev.var); /* var > 0: kl_sup > eps > 0 */
    }
    double hi = INFINITY, prev = INFINITY, t_ev = t;
    map_ray_status status = MAP_RAY_MAX_ITER;
    for (int it = 0; it < par->max_iter; it++) {
        kl_at(dc, d, t, shift, &ev);
        passes++;
        shift = ev.mean;
        t_ev = t;
        const double phi = ev.kl - eps;
        if (fabs(phi) <= par->kl_rtol * eps) {
            status = MAP_RAY_CONVERGED;
            break;
        }
        if (phi < 0.0)
            lo = t;
        else
            hi = t;
        if (isfinite(hi) && hi - lo <= 4.0 * DBL_EPSILON * hi) {
            status = MAP_RAY_ROUNDING;
            break;
        }
        const double slope = t * ev.var; /* dKL/dt */
        double next = slope > 0.0 ? t - phi / slope : NAN;
        if (!(next > lo && next < hi) || fabs(phi) > 0.5 * prev)
            next = isinf(hi) ? 2.0 * fmax(t, lo) : 0.5 * (lo + hi);
        prev = fabs(phi);
        if (!isfinite(next))
            break; /* t overflowed: only with an iteration limit near 1000 */
        t = next;
    }
    pt->status = status;
    pt->t = t_ev;
    pt->kl = ev.kl;
    pt->ess = ev.ess;
    pt->max_weight = ev.wmax;
    pt->passes = passes;
}

/* The point of budget eps along u (scores cached, faces known). */
static void ray_point(const dir_cache *dc, const double *score, double eps, double lo, double guess,
                      const map_frontier_params *par, map_ray_point *pt)
{
    pt->budget = eps;
    pt->face = dc->face;
    pt->kl_sup = dc->kl_sup;
    pt->passes = 0;
    if (eps == 0.0) {
        pt->status = MAP_RAY_CONVERGED;
        pt->t = 0.0;
        pt->kl = 0.0;
        pt->ess = dc->zero_ess;
        pt->max_weight = dc->zero_wmax;
    } else if (eps >= pt->kl_sup) {
        pt->status = MAP_RAY_SATURATED;
        pt->t = INFINITY;
        pt->kl = pt->kl_sup;
        pt->ess = dc->sat_ess;
        pt->max_weight = dc->sat_wmax;
    } else {
        solve_t(dc, score, eps, lo, guess, par, pt);
    }
}

int map_kl_budget_t(const map_problem *pb, const double *u, double eps, const map_frontier_params *par,
                    map_frontier_ws *ws, map_ray_point *pt, map_error *err)
{
    map_frontier_params defaults;
    if (!par) {
        map_frontier_params_default(&defaults);
        par = &defaults;
    }
    int rc = check_problem(pb, 0, err);
    if (rc || (rc = check_direction(pb->k, u, err)) || (rc = check_workspace(pb, 0, ws, err)))
        return rc;
    if (!(eps >= 0.0))
        return map_error_set(err, MAP_EDATA, "the KL budget %g is not a number ≥ 0", eps);
    dir_cache dc;
    cache_scores(pb, u, par->tie_rtol > 0.0 ? par->tie_rtol : 1e-12, ws, &dc);
    ray_point(&dc, ws->score, eps, 0.0, 0.0, par, pt);
    if (pt->status == MAP_RAY_SATURATED)
        return map_error_set(err, MAP_NOT_ATTAINED,
                             "a KL budget of %.6g nats is not reached along this direction: the samples "
                             "allow at most %.6g nats (log(n/face) with %zu of %zu samples on the "
                             "maximising face%s)",
                             eps, pt->kl_sup, dc.face, pb->data.n,
                             dc.g.K > 1 ? "s, averaged over prompts" : "");
    return MAP_OK;
}

/* ---- Frontier tables --------------------------------------------------------- */

size_t map_simplex_grid_size(size_t k, size_t npoints, size_t *h)
{
    if (k < 2 || npoints == 0)
        return 0;
    /* C(h+k−1, k−1) grows with h; stop once it passes npoints. Counts are
     * capped far above any npoint count to stay clear of overflow. */
    const double cap = 1e18;
    size_t best_h = 1;
    double best = INFINITY, best_count = 0.0;
    for (size_t hh = 1;; hh++) {
        double c = 1.0;
        for (size_t i = 1; i < k && c < cap; i++)
            c = c * (double)(hh + i) / (double)i; /* C(hh+i, i) exactly for these sizes */
        c = nearbyint(c);
        const double dist = fabs(c - (double)npoints);
        if (dist < best) {
            best = dist;
            best_h = hh;
            best_count = c;
        }
        if (c >= (double)npoints || c >= cap)
            break;
    }
    if (h)
        *h = best_h;
    return best_count >= cap ? 0 : (size_t)best_count;
}

/* Next composition of h into k parts in lexicographically descending order;
 * 0 after the last. */
static int next_composition(size_t k, size_t *a)
{
    size_t i = k - 1;
    while (i-- > 0)
        if (a[i] > 0)
            break;
    if (i == (size_t)-1)
        return 0;
    a[i]--;
    const size_t tail = a[k - 1] + 1;
    a[k - 1] = 0;
    a[i + 1] = tail;
    return 1;
}

/* Validates and resolves the level columns (NULL: every column). */
static int level_columns(const map_problem *pb, size_t *p, const size_t **cols, const map_frontier_ws *ws,
                         map_error *err)
{
    if (!*cols) {
        *p = pb->data.m;
        if (*p > ws->pmax)
            return check_workspace(pb, *p, ws, err);
        *cols = ws->allcols;
        return MAP_OK;
    }
    for (size_t i = 0; i < *p; i++)
        if ((*cols)[i] >= pb->data.m)
            return map_error_set(err, MAP_EDATA, "level column %zu is out of range", (*cols)[i]);
    return check_workspace(pb, *p, ws, err);
}

/* Levels of row->u's point into ws->levels: the (prompt-averaged) face mean
 * when saturated, else the tilt's (map_levels). */
static int row_levels(const map_problem *pb, map_frontier_row *row, size_t p, const size_t *cols,
                      const dir_cache *dc, map_frontier_ws *ws, map_error *err)
{
    const size_t k = pb->k;
    row->p = p;
    row->levels = ws->levels;
    if (row->ray.status != MAP_RAY_SATURATED) {
        for (size_t i = 0; i < k; i++)
            row->lambda[i] = row->ray.t * row->u[i];
        return map_levels(pb, row->lambda, p, cols, ws->sws, ws->levels, err);
    }
    for (size_t i = 0; i < k; i++)
        row->lambda[i] = row->u[i] > 0.0 ? INFINITY : 0.0;
    memset(ws->levels, 0, p * sizeof *ws->levels);
    const map_rows_view *g = &dc->g;
    size_t cnt = 0;
    for (size_t q = 0; q < g->K; q++) {
        /* Each face sample carries 1 / (face_g · K): exact for one sample. */
        const double wgt = 1.0 / ((double)ws->gface[q] * (double)g->K);
        for (size_t pos = g->start[q]; pos < g->start[q + 1]; pos++) {
            if (!(ws->score[pos] >= -ws->gtol[q]))
                continue;
            const size_t j = map_rows_at(g, pos);
            cnt++;
            for (size_t i = 0; i < p; i++) {
                const double r = map_matrix_at(&pb->data, j, cols[i]);
                ws->levels[i] += wgt == 1.0 ? r : wgt * r;
            }
        }
    }
    MAP_ASSERT(cnt == row->ray.face);
    return MAP_OK;
}

int map_frontier_budget(const map_problem *pb, double eps, size_t npoints, size_t p,
                        const size_t *level_cols, const map_frontier_params *par, map_frontier_ws *ws,
                        map_frontier_emit emit, void *ctx, map_error *err)
{
    map_frontier_params defaults;
    if (!par) {
        map_frontier_params_default(&defaults);
        par = &defaults;
    }
    int rc = check_problem(pb, par->standardise, err);
    if (rc)
        return rc;
    const size_t k = pb->k;
    if (k < 2)
        return map_error_set(err, MAP_EDATA, "a frontier needs at least two values (%zu chosen)", k);
    if (!(eps >= 0.0))
        return map_error_set(err, MAP_EDATA, "the KL budget %g is not a number ≥ 0", eps);
    if (npoints == 0)
        return map_error_set(err, MAP_EDATA, "a frontier needs at least one point");
    if ((rc = check_workspace(pb, 0, ws, err)) || (rc = level_columns(pb, &p, &level_cols, ws, err)))
        return rc;
    size_t h;
    if (map_simplex_grid_size(k, npoints, &h) == 0)
        return map_error_set(err, MAP_EDATA, "too many frontier points for %zu values", k);
    const double tie = par->tie_rtol > 0.0 ? par->tie_rtol : 1e-12;
    size_t a[MAP_MAX_K] = {0};
    a[0] = h;
    map_frontier_row row;
    memset(&row, 0, sizeof row);
    row.k = k;
    double guess = 0.0;
    size_t index = 0;
    do {
        double usum = 0.0;
        for (size_t i = 0; i < k; i++) {
            row.weight[i] = (double)a[i] / (double)h;
            row.u[i] = par->standardise ? row.weight[i] / pb->scale[i] : row.weight[i];
            usum += row.u[i];
        }
        for (size_t i = 0; i < k; i++)
            row.u[i] /= usum;
        dir_cache dc;
        cache_scores(pb, row.u, tie, ws, &dc);
        ray_point(&dc, ws->score, eps, 0.0, guess, par, &row.ray);
        if (row.ray.status != MAP_RAY_SATURATED && row.ray.t > 0.0)
            guess = row.ray.t;
        if ((rc = row_levels(pb, &row, p, level_cols, &dc, ws, err)))
            return rc;
        row.index = index++;
        if ((rc = emit(ctx, &row)))
            return rc;
    } while (next_composition(k, a));
    return MAP_OK;
}

int map_frontier_curve(const map_problem *pb, const double *u, double kl_max, size_t npoints, size_t p,
                       const size_t *level_cols, const map_frontier_params *par, map_frontier_ws *ws,
                       map_frontier_emit emit, void *ctx, map_error *err)
{
    map_frontier_params defaults;
    if (!par) {
        map_frontier_params_default(&defaults);
        par = &defaults;
    }
    int rc = check_problem(pb, 0, err);
    if (rc || (rc = check_direction(pb->k, u, err)))
        return rc;
    if (npoints < 2)
        return map_error_set(err, MAP_EDATA, "a curve needs at least two points");
    if ((rc = check_workspace(pb, 0, ws, err)) || (rc = level_columns(pb, &p, &level_cols, ws, err)))
        return rc;
    const size_t k = pb->k;
    map_frontier_row row;
    memset(&row, 0, sizeof row);
    row.k = k;
    double usum = 0.0;
    for (size_t i = 0; i < k; i++)
        usum += u[i];
    for (size_t i = 0; i < k; i++)
        row.weight[i] = row.u[i] = u[i] / usum;
    dir_cache dc;
    cache_scores(pb, row.u, par->tie_rtol > 0.0 ? par->tie_rtol : 1e-12, ws, &dc);
    if (!(kl_max > 0.0))
        kl_max = 0.9 * dc.kl_sup;
    double lo = 0.0, lo_kl = 0.0;
    for (size_t i = 0; i < npoints; i++) {
        /* The last budget is kl_max exactly. */
        const double eps = i + 1 == npoints ? kl_max : kl_max * (double)i / (double)(npoints - 1);
        const double guess = lo > 0.0 && lo_kl > 0.0 ? lo * sqrt(eps / lo_kl) : 0.0;
        ray_point(&dc, ws->score, eps, lo, guess, par, &row.ray);
        if (row.ray.status != MAP_RAY_SATURATED && row.ray.kl <= eps) {
            lo = row.ray.t;
            lo_kl = row.ray.kl;
        }
        if ((rc = row_levels(pb, &row, p, level_cols, &dc, ws, err)))
            return rc;
        row.index = i;
        if ((rc = emit(ctx, &row)))
            return rc;
    }
    return MAP_OK;
}

/* ---- Upper-right hull (k = 2) ------------------------------------------------- */

typedef struct hull_pt {
    double a, b;
    size_t j;
} hull_pt;

/* a descending, then b descending, then sample index ascending. */
static int hull_cmp(const void *x, const void *y)
{
    const hull_pt *p = x, *q = y;
    if (p->a != q->a)
        return p->a > q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b > q->b ? -1 : 1;
    return (p->j > q->j) - (p->j < q->j);
}

/* > 0 when o → x → y turns left (counter-clockwise). */
static double cross(const hull_pt *o, const hull_pt *x, const hull_pt *y)
{
    return (x->a - o->a) * (y->b - o->b) - (x->b - o->b) * (y->a - o->a);
}

int map_upper_hull(const map_matrix *X, size_t col_a, size_t col_b, size_t *vertex, size_t cap,
                   size_t *count, map_error *err)
{
    if (X->n == 0 || !map_matrix_has_data(X))
        return map_error_set(err, MAP_EDATA, "the dataset has no samples");
    if (col_a >= X->m || col_b >= X->m)
        return map_error_set(err, MAP_EDATA, "hull column out of range");
    const size_t n = X->n;
    hull_pt *pt = map_mallocarray(n, sizeof *pt);
    if (!pt)
        return map_error_set(err, MAP_ENOMEM, "out of memory for the hull of %zu samples", n);
    for (size_t j = 0; j < n; j++) {
        pt[j].a = map_matrix_at(X, j, col_a);
        pt[j].b = map_matrix_at(X, j, col_b);
        pt[j].j = j;
        if (!isfinite(pt[j].a) || !isfinite(pt[j].b)) {
            map_free(pt);
            return map_error_set(err, MAP_EDATA, "sample %zu has a non-finite value", j + 1);
        }
    }
    qsort(pt, n, sizeof *pt, hull_cmp);
    /* Pareto staircase in place: a strictly decreasing, b strictly increasing. */
    size_t s = 0;
    double best_b = -INFINITY;
    for (size_t j = 0; j < n; j++)
        if (pt[j].b > best_b) {
            best_b = pt[j].b;
            pt[s++] = pt[j];
        }
    /* Monotone chain over the staircase, keeping strict left turns. */
    size_t h = 0;
    for (size_t j = 0; j < s; j++) {
        while (h >= 2 && cross(&pt[h - 2], &pt[h - 1], &pt[j]) <= 0.0)
            h--;
        pt[h++] = pt[j];
    }
    for (size_t j = 0; j < h && j < cap; j++)
        vertex[j] = pt[j].j;
    *count = h;
    map_free(pt);
    return MAP_OK;
}

/* ---- Feasibility region ---------------------------------------------------------- */

typedef struct region_ctx {
    const map_problem *pb;
    const map_region_params *par;
    double c0[MAP_MAX_K];
    double colmin[MAP_MAX_K], colmax[MAP_MAX_K];
} region_ctx;

/* Column minima, maxima and means of the k chosen values (one pass). */
static void column_ranges(const map_problem *pb, double *colmin, double *colmax, double *mean)
{
    const size_t k = pb->k;
    for (size_t i = 0; i < k; i++) {
        colmin[i] = INFINITY;
        colmax[i] = -INFINITY;
        mean[i] = 0.0;
    }
    for (size_t j = 0; j < pb->data.n; j++) {
        double r[MAP_MAX_K];
        map_row_cols(pb, j, r);
        for (size_t i = 0; i < k; i++) {
            const double x = r[i];
            colmin[i] = fmin(colmin[i], x);
            colmax[i] = fmax(colmax[i], x);
            mean[i] += (x - mean[i]) / (double)(j + 1);
        }
    }
    if (!pb->groups)
        return;
    /* Per prompt the reference levels are the average of the prompts' means. */
    map_rows_view g;
    map_rows_view_of(pb, &g);
    for (size_t i = 0; i < k; i++)
        mean[i] = 0.0;
    for (size_t q = 0; q < g.K; q++) {
        const double w = 1.0 / ((double)(g.start[q + 1] - g.start[q]) * (double)g.K);
        for (size_t pos = g.start[q]; pos < g.start[q + 1]; pos++) {
            double r[MAP_MAX_K];
            map_row_cols(pb, map_rows_at(&g, pos), r);
            for (size_t i = 0; i < k; i++)
                mean[i] += w * r[i];
        }
    }
}

/* v(s) = v*(c0 + s·dir) with targets below their value's minimum held there,
 * and a supergradient dv/ds from the LP's optimal d. */
static int margin_at(const region_ctx *rc, const double *dir, double s, double *v, double *slope,
                     map_error *err)
{
    const map_problem *pb = rc->pb;
    const size_t k = pb->k;
    double c[MAP_MAX_K], d[MAP_MAX_K];
    int held[MAP_MAX_K];
    for (size_t i = 0; i < k; i++) {
        c[i] = rc->c0[i] + s * dir[i];
        held[i] = c[i] < rc->colmin[i];
        if (held[i])
            c[i] = rc->colmin[i];
    }
    map_problem q = *pb;
    q.target = c;
    for (size_t i = 0; i < k; i++)
        if (!isfinite(c[i]))
            return map_error_set(err, MAP_EDATA, "the region's step overflowed at value %zu", i + 1);
    const int code = map_margin(&q, &rc->par->feas, v, d, err);
    if (code)
        return code;
    /* map_margin's direction is d_i/scale_i up to the factor 1/Σ d_i·scale_i. */
    double norm = 0.0, g = 0.0;
    for (size_t i = 0; i < k; i++) {
        norm += d[i] * pb->scale[i];
        if (!held[i])
            g -= d[i] * dir[i];
    }
    *slope = norm > 0.0 ? g / norm : NAN;
    return MAP_OK;
}

/* The boundary along dir from rc->c0 (attainable); see map_region_ray. */
static int region_ray(const region_ctx *rc, const double *dir, map_region_row *row, map_error *err)
{
    const map_problem *pb = rc->pb;
    const size_t k = pb->k;
    const double res = MAP_MARGIN_RESOLUTION;
    const double rtol = rc->par->step_rtol > 0.0 ? rc->par->step_rtol : 1e-10;
    memcpy(row->dir, dir, k * sizeof *dir);
    row->k = k;
    row->evaluations = 0;
    double bound = INFINITY;
    for (size_t i = 0; i < k; i++)
        if (dir[i] > 0.0)
            bound = fmin(bound, fmax(0.0, (rc->colmax[i] - rc->c0[i]) / dir[i]));
    if (isinf(bound)) {
        row->bounded = 0;
        row->step = INFINITY;
        row->margin = NAN;
        for (size_t i = 0; i < k; i++)
            row->point[i] = dir[i] < 0.0 ? -INFINITY : rc->c0[i];
        return MAP_OK;
    }
    row->bounded = 1;
    /* Steps below rtol times the step that moves a value by one scale unit
     * are not resolved (this ends the search when c0 is on the boundary). */
    double unit_step = INFINITY;
    for (size_t i = 0; i < k; i++)
        if (dir[i] != 0.0)
            unit_step = fmin(unit_step, pb->scale[i] / fabs(dir[i]));
    /* Invariant: v(lo) ≥ −res (attainable), v(hi) < −res. Newton aims at
     * v = −res/2, the middle of the boundary band. */
    const double aim = -0.5 * res;
    double lo = 0.0, hi = bound, v_lo = NAN;
    double x = bound, v, g;
    int code = margin_at(rc, dir, x, &v, &g, err);
    row->evaluations++;
    if (code)
        return code;
    int done = v >= -res; /* attainable at the bound: beyond it a target exceeds its maximum */
    if (done) {
        lo = x;
        v_lo = v;
    }
    double prev = INFINITY;
    while (!done) {
        if (row->evaluations >= rc->par->max_iter) {
            code = map_error_set(err, MAP_NOT_ATTAINED,
                                 "the region boundary was not located to %g in %d margin evaluations", rtol,
                                 row->evaluations);
            break;
        }
        /* Newton unless it leaves the bracket or the last step did not halve
         * the residual; then bisection. */
        double next = g < 0.0 ? x - (v - aim) / g : NAN;
        if (!(next > lo && next < hi) || fabs(v - aim) > 0.5 * prev)
            next = 0.5 * (lo + hi);
        prev = fabs(v - aim);
        x = next;
        if ((code = margin_at(rc, dir, x, &v, &g, err)))
            return code;
        row->evaluations++;
        if (v >= -res) {
            lo = x;
            v_lo = v;
            /* Concavity: the boundary lies in [x, x + v/|g|]. */
            if (v <= 0.0 || (g < 0.0 && v / -g <= rtol * x))
                done = 1;
        } else {
            hi = x;
        }
        if (hi - lo <= rtol * fmax(hi, unit_step))
            done = 1;
    }
    row->step = lo;
    for (size_t i = 0; i < k; i++)
        row->point[i] = rc->c0[i] + lo * dir[i];
    if (isnan(v_lo)) {
        /* lo = 0 was never re-evaluated: v(c0). */
        double g0;
        const int c2 = margin_at(rc, dir, 0.0, &v_lo, &g0, err);
        row->evaluations++;
        if (c2)
            return c2;
    }
    row->margin = v_lo;
    return code;
}

/* Validates c0 (or takes the reference levels: the means, per prompt their
 * average) and fills ctx; MAP_EDATA if c0 is not
 * attainable. */
static int region_setup(const map_problem *pb, const double *c0, const map_region_params *par,
                        region_ctx *rc, map_error *err)
{
    int code = check_problem(pb, 1, err);
    if (code)
        return code;
    rc->pb = pb;
    rc->par = par;
    double mean[MAP_MAX_K];
    column_ranges(pb, rc->colmin, rc->colmax, mean);
    for (size_t i = 0; i < pb->k; i++) {
        rc->c0[i] = c0 ? c0[i] : mean[i];
        if (!isfinite(rc->c0[i]))
            return map_error_set(err, MAP_EDATA, "base palette entry %zu is not finite", i + 1);
    }
    map_problem q = *pb;
    q.target = rc->c0;
    double v;
    if ((code = map_margin(&q, &par->feas, &v, NULL, err)))
        return code;
    if (v < -MAP_MARGIN_RESOLUTION)
        return map_error_set(err, MAP_EDATA, "the base palette is not attainable (scaled margin %.3g)", v);
    return MAP_OK;
}

int map_region_ray(const map_problem *pb, const double *c0, const double *dir, const map_region_params *par,
                   map_region_row *row, map_error *err)
{
    map_region_params defaults;
    if (!par) {
        map_region_params_default(&defaults);
        par = &defaults;
    }
    region_ctx rc;
    int code = check_problem(pb, 1, err);
    if (code)
        return code;
    double norm = 0.0;
    for (size_t i = 0; i < pb->k; i++) {
        if (!isfinite(dir[i]))
            return map_error_set(err, MAP_EDATA, "direction component %zu is not finite", i + 1);
        norm += dir[i] * dir[i];
    }
    if (!(norm > 0.0))
        return map_error_set(err, MAP_EDATA, "the direction is zero");
    if ((code = region_setup(pb, c0, par, &rc, err)))
        return code;
    memset(row, 0, sizeof *row);
    row->angle = NAN;
    norm = sqrt(norm);
    for (size_t i = 0; i < pb->k; i++)
        row->unit[i] = dir[i] / norm;
    return region_ray(&rc, dir, row, err);
}

/* Exact zeros for components at rounding level, so that axis directions
 * have no spurious positive part. */
static double snap(double x)
{
    return fabs(x) < 1e-12 ? 0.0 : x;
}

int map_region(const map_problem *pb, const double *c0, size_t ndir, const map_region_params *par,
               map_region_emit emit, void *ctx, map_error *err)
{
    map_region_params defaults;
    if (!par) {
        map_region_params_default(&defaults);
        par = &defaults;
    }
    int code = check_problem(pb, 1, err);
    if (code)
        return code;
    const size_t k = pb->k;
    if (k != 2 && k != 3)
        return map_error_set(err, MAP_EDATA,
                             "region directions are generated for 2 or 3 values (%zu chosen); "
                             "use map_region_ray with directions of your own",
                             k);
    if (ndir == 0)
        return map_error_set(err, MAP_EDATA, "a region needs at least one direction");
    region_ctx rc;
    if ((code = region_setup(pb, c0, par, &rc, err)))
        return code;
    const double two_pi = 2.0 * M_PI, golden = M_PI * (3.0 - sqrt(5.0));
    map_region_row row;
    for (size_t r = 0; r < ndir; r++) {
        memset(&row, 0, sizeof row);
        row.index = r;
        if (k == 2) {
            row.angle = two_pi * (double)r / (double)ndir;
            row.unit[0] = snap(cos(row.angle));
            row.unit[1] = snap(sin(row.angle));
        } else {
            const double z = 1.0 - (2.0 * (double)r + 1.0) / (double)ndir;
            const double rad = sqrt(fmax(0.0, 1.0 - z * z));
            const double phi = fmod(golden * (double)r, two_pi);
            row.angle = NAN;
            row.unit[0] = snap(rad * cos(phi));
            row.unit[1] = snap(rad * sin(phi));
            row.unit[2] = snap(z);
        }
        double dir[MAP_MAX_K];
        for (size_t i = 0; i < k; i++)
            dir[i] = par->standardise ? row.unit[i] * pb->scale[i] : row.unit[i];
        if ((code = region_ray(&rc, dir, &row, err)))
            return code;
        if ((code = emit(ctx, &row)))
            return code;
    }
    return MAP_OK;
}
