/* map_frontier.c — KL-budget frontiers and direction curves along tilts
 * λ = t·u (MATH.md §8): the t of a KL budget on one ray, KL_sup, and the
 * tables built from them; contracts in map_frontier.h. The hull of the ε → ∞
 * frontier is map_hull.c, the attainable region map_region.c.
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
#include <string.h>

#include "map_frontier.h"
#include "map_frontier_internal.h"
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

/* par, or the defaults filled into *defaults when par is NULL. */
static const map_frontier_params *params_or_default(const map_frontier_params *par,
                                                    map_frontier_params *defaults)
{
    if (par)
        return par;
    map_frontier_params_default(defaults);
    return defaults;
}

/* The face tolerance asked for, or the default 1e-12 for one ≤ 0 or NaN. */
static double tie_or_default(double tie_rtol)
{
    return tie_rtol > 0.0 ? tie_rtol : 1e-12;
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
    MAP_FREE_ALL(ws->score, ws->gtol, ws->gface, ws->levels, ws->allcols);
    map_solver_ws_free(ws->sws);
    map_free(ws);
}

/* ---- Validation ------------------------------------------------------------ */

int map_frontier_check_problem(const map_problem *pb, int need_scale, map_error *err)
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

/* eps: a KL budget, ≥ 0 (+inf allowed), not NaN. */
static int check_budget(double eps, map_error *err)
{
    if (!(eps >= 0.0))
        return map_error_set(err, MAP_EDATA, "the KL budget %g is not a number ≥ 0", eps);
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

/* The largest score uᵀr_j of group q (all samples when ungrouped) and, in
 * *tol, its face tolerance; with score non-NULL the scores go to score[pos]
 * as well (group order). One pass over the group's rows. */
static double group_max(const map_problem *pb, const double *u, const map_rows_view *g, size_t q,
                        double tie_rtol, double *score, double *tol)
{
    double smax = -INFINITY, smin = INFINITY;
    for (size_t pos = g->start[q]; pos < g->start[q + 1]; pos++) {
        const double sc = row_score(pb, u, map_rows_at(g, pos));
        if (score)
            score[pos] = sc;
        smax = fmax(smax, sc);
        smin = fmin(smin, sc);
    }
    *tol = face_tol(smax, smin, tie_rtol);
    return smax;
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
        double tol;
        const double smax = group_max(pb, u, g, q, tie_rtol, ws->score, &tol);
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
    int rc = map_frontier_check_problem(pb, 0, err);
    if (rc || (rc = check_direction(pb->k, u, err)))
        return rc;
    tie_rtol = tie_or_default(tie_rtol);
    map_rows_view g;
    map_rows_view_of(pb, &g);
    double klsum = 0.0;
    size_t ftot = 0;
    for (size_t q = 0; q < g.K; q++) {
        double tol;
        const double smax = group_max(pb, u, &g, q, tie_rtol, NULL, &tol);
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
    par = params_or_default(par, &defaults);
    int rc = map_frontier_check_problem(pb, 0, err);
    if (rc || (rc = check_direction(pb->k, u, err)) || (rc = check_workspace(pb, 0, ws, err)))
        return rc;
    if ((rc = check_budget(eps, err)))
        return rc;
    dir_cache dc;
    cache_scores(pb, u, tie_or_default(par->tie_rtol), ws, &dc);
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

/* Checks that ws holds the problem, then validates and resolves the level
 * columns (NULL: every column). */
static int level_columns(const map_problem *pb, size_t *p, const size_t **cols, const map_frontier_ws *ws,
                         map_error *err)
{
    const int rc = check_workspace(pb, 0, ws, err);
    if (rc)
        return rc;
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

/* Fills the row's levels (row_levels) and index, then hands it to emit:
 * row_levels' error or emit's return, else MAP_OK. */
static int emit_row(const map_problem *pb, map_frontier_row *row, size_t index, size_t p, const size_t *cols,
                    const dir_cache *dc, map_frontier_ws *ws, map_frontier_emit emit, void *ctx, map_error *err)
{
    int rc = row_levels(pb, row, p, cols, dc, ws, err);
    if (rc)
        return rc;
    row->index = index;
    return emit(ctx, row);
}

int map_frontier_budget(const map_problem *pb, double eps, size_t npoints, size_t p,
                        const size_t *level_cols, const map_frontier_params *par, map_frontier_ws *ws,
                        map_frontier_emit emit, void *ctx, map_error *err)
{
    map_frontier_params defaults;
    par = params_or_default(par, &defaults);
    int rc = map_frontier_check_problem(pb, par->standardise, err);
    if (rc)
        return rc;
    const size_t k = pb->k;
    if (k < 2)
        return map_error_set(err, MAP_EDATA, "a frontier needs at least two values (%zu chosen)", k);
    if ((rc = check_budget(eps, err)))
        return rc;
    if (npoints == 0)
        return map_error_set(err, MAP_EDATA, "a frontier needs at least one point");
    if ((rc = level_columns(pb, &p, &level_cols, ws, err)))
        return rc;
    size_t h;
    if (map_simplex_grid_size(k, npoints, &h) == 0)
        return map_error_set(err, MAP_EDATA, "too many frontier points for %zu values", k);
    const double tie = tie_or_default(par->tie_rtol);
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
        if ((rc = emit_row(pb, &row, index++, p, level_cols, &dc, ws, emit, ctx, err)))
            return rc;
    } while (next_composition(k, a));
    return MAP_OK;
}

int map_frontier_curve(const map_problem *pb, const double *u, double kl_max, size_t npoints, size_t p,
                       const size_t *level_cols, const map_frontier_params *par, map_frontier_ws *ws,
                       map_frontier_emit emit, void *ctx, map_error *err)
{
    map_frontier_params defaults;
    par = params_or_default(par, &defaults);
    int rc = map_frontier_check_problem(pb, 0, err);
    if (rc || (rc = check_direction(pb->k, u, err)))
        return rc;
    if (npoints < 2)
        return map_error_set(err, MAP_EDATA, "a curve needs at least two points");
    if ((rc = level_columns(pb, &p, &level_cols, ws, err)))
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
    cache_scores(pb, row.u, tie_or_default(par->tie_rtol), ws, &dc);
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
        if ((rc = emit_row(pb, &row, i, p, level_cols, &dc, ws, emit, ctx, err)))
            return rc;
    }
    return MAP_OK;
}
