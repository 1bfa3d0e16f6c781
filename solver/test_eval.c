/* test_eval.c — the evaluation pass: the exp kernel's accuracy against a
 * long-double exp; the pass's Λ, μ, Σ, ESS against a long-double two-pass
 * computation on adversarial data; bit-identical results for any thread
 * count, global and per prompt; and the same bits from packed columns. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "map_solver_internal.h"
#include "map_test.h"
#include "map_test_rng.h"

/* |y − ref| in units of the spacing of doubles at ref (2^−1074 in the
 * subnormal range). */
static double ulp_error(double y, long double ref)
{
    const long double a = fabsl(ref);
    int e;
    frexpl(a, &e);
    long double ulp = ldexpl(1.0L, e - 53);
    if (ulp < 0x1p-1074L)
        ulp = 0x1p-1074L;
    return (double)(fabsl((long double)y - ref) / ulp);
}

/* The exp kernel within 2 ulp of exp over [−745, 0] and [−1, 0] (10^6
 * arguments each), exact at the edges, 0 below the subnormal range. */
static void test_exp_accuracy(void)
{
    const size_t n = 1000000;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    MAP_CHECK(x && y, "allocation");
    if (!x || !y)
        return;
    uint64_t st = 11;
    for (int range = 0; range < 2; range++) {
        const double lo = range == 0 ? -745.0 : -1.0;
        for (size_t j = 0; j < n; j++)
            x[j] = lo * map_test_uniform(&st);
        map_exp_neg_array(x, y, n);
        double worst = 0.0, worst_x = 0.0, worst_libm = 0.0;
        for (size_t j = 0; j < n; j++) {
            const double e = ulp_error(y[j], expl((long double)x[j]));
            if (e > worst) {
                worst = e;
                worst_x = x[j];
            }
            worst_libm = fmax(worst_libm, ulp_error(exp(x[j]), expl((long double)x[j])));
        }
        fprintf(stderr, "  exp on [%g, 0]: max error %.3f ulp (at %.17g); libm exp %.3f ulp\n", lo, worst,
                worst_x, worst_libm);
        MAP_CHECK(worst <= 2.0, "exp error %.3f ulp at %.17g", worst, worst_x);
    }
    /* Edges: 0, −0, tiny, the ends of the normal and subnormal ranges, −inf. */
    const double edge[] = {0.0, -0.0, -1e-300, -0x1p-1074, -1e-17, -0.5 * M_LN2, -708.0, -708.4,
                           -709.0, -744.0, -745.0, -745.1, -745.13, -745.2, -746.0, -1000.0, -1e300,
                           -INFINITY};
    const size_t ne = sizeof edge / sizeof *edge;
    double ye[sizeof edge / sizeof *edge];
    map_exp_neg_array(edge, ye, ne);
    for (size_t j = 0; j < ne; j++) {
        const long double ref = expl((long double)edge[j]);
        const double err = ulp_error(ye[j], ref);
        MAP_CHECK(err <= 2.0 && ye[j] >= 0.0, "exp(%.17g) = %.17g, reference %.17Lg (%.3f ulp)", edge[j],
                  ye[j], ref, err);
    }
    MAP_CHECK(ye[0] == 1.0 && ye[1] == 1.0 && ye[2] == 1.0, "exp(0) = exp(−0) = exp(tiny) = 1");
    MAP_CHECK(ye[ne - 1] == 0.0 && ye[ne - 2] == 0.0 && ye[ne - 3] == 0.0 && ye[ne - 4] == 0.0,
              "exp below −746 is 0");
    MAP_CHECK(ye[10] > 0.0 && ye[10] < 1e-320, "exp(−745) is subnormal: %g", ye[10]);
    free(x);
    free(y);
}

/* Adversarial data: values offset by 1e6, scores spanning about 1e3 (most
 * weights underflow), one row 30 above all others. The pass against a
 * long-double two-pass computation of the same quantities. */
static void test_against_long_double(void)
{
    /* The reference needs long double wider than double; valgrind, for
     * one, computes it in double precision, where the check would fail
     * for the reference's sake, not the pass's. */
    volatile long double one = 1.0L, tiny = 0x1.0p-60L;
    if (one + tiny == one) {
        fprintf(stderr, "test_against_long_double: skipped (long double computes as double here)\n");
        return;
    }
    const size_t n = 3 * MAP_CHUNK + 777, m = 3, dom = 123457;
    double *x = malloc(n * m * sizeof *x);
    MAP_CHECK(x != NULL, "allocation");
    if (!x)
        return;
    uint64_t st = 5;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < m; i++)
            x[j * m + i] = 1e6 * (double)(i + 1) + (map_test_uniform(&st) - 0.5) * (i == 0 ? 1.0 : 0.1);
    /* λ₀ = 1000 spreads the scores over ~1000; the dominant row sits 0.03
     * above the largest first value, so its score is 30 above every other. */
    double rmax = -INFINITY;
    for (size_t j = 0; j < n; j++)
        rmax = fmax(rmax, x[j * m]);
    x[dom * m] = rmax + 0.03;
    const size_t cols[3] = {0, 1, 2};
    const double target[3] = {1e6, 2e6, 3e6};
    const double scale[3] = {1, 1, 1};
    const double lambda[3] = {1000.0, 3.0, 0.0};
    map_problem pb = {{n, m, m, x, NULL}, m, cols, target, scale, NULL, NULL};
    map_solver_ws *ws = map_solver_ws_new(m, m);
    MAP_CHECK(ws != NULL, "workspace");
    if (!ws) {
        free(x);
        return;
    }
    double logz, mu[3], sigma[9], ess, wmax;
    MAP_CHECK(map_evaluate(&pb, lambda, ws, &logz, mu, sigma, &ess, &wmax) == MAP_OK, "evaluate");

    /* Long double, two passes over all rows. */
    long double smax = -INFINITY;
    long double *s = malloc(n * sizeof *s);
    MAP_CHECK(s != NULL, "allocation");
    if (!s) {
        free(x);
        map_solver_ws_free(ws);
        return;
    }
    for (size_t j = 0; j < n; j++) {
        long double v = 0.0L;
        for (size_t i = 0; i < m; i++)
            v += (long double)lambda[i] * ((long double)x[j * m + i] - (long double)target[i]);
        s[j] = v;
        if (v > smax)
            smax = v;
    }
    long double w = 0.0L, w2 = 0.0L, mean[3] = {0};
    for (size_t j = 0; j < n; j++) {
        const long double e = expl(s[j] - smax);
        w += e;
        w2 += e * e;
        for (size_t i = 0; i < m; i++)
            mean[i] += e * (long double)x[j * m + i];
    }
    for (size_t i = 0; i < m; i++)
        mean[i] /= w;
    long double cov[9] = {0};
    for (size_t j = 0; j < n; j++) {
        const long double e = expl(s[j] - smax);
        for (size_t i = 0; i < m; i++)
            for (size_t l = 0; l < m; l++)
                cov[i * m + l] += e * ((long double)x[j * m + i] - mean[i]) * ((long double)x[j * m + l] - mean[l]);
    }
    const long double logz_ref = smax + logl(w / (long double)n);
    /* Λ here is centred plus λᵀc: compare the centred parts. */
    double lc = 0.0;
    for (size_t i = 0; i < m; i++)
        lc += lambda[i] * target[i];
    MAP_CHECK_CLOSE(logz - lc, (double)logz_ref, 1e-9, "centred log Z (about 1e10 of λᵀc cancelled)");
    map_moments mo = {0, mu, sigma, 0, 0};
    map_eval_moments(&pb, lambda, m, cols, 1, ws, &mo);
    MAP_CHECK_CLOSE(mo.logz_c, (double)logz_ref, 1e-13, "centred log Z");
    MAP_CHECK(mo.max_weight > 0.9, "the dominant row carries the weight: %g", mo.max_weight);
    MAP_CHECK_CLOSE(mo.ess, (double)(w * w / w2), 1e-12, "ESS");
    for (size_t i = 0; i < m; i++) {
        MAP_CHECK_CLOSE(mu[i], (double)mean[i], 4 * DBL_EPSILON, "mean");
        for (size_t l = 0; l < m; l++) {
            /* Centred cross-products: relative to the variances' scale,
             * plus what a mean rounded to a few ulp of |μ| ~ 1e6 (δ) does to
             * Σ w d d / w, namely δ_i δ_l (the spread here is ~1e-7, only
             * ~1000 ulp of the values). */
            const double ref = (double)(cov[i * m + l] / w);
            const double sc = sqrt((double)(cov[i * m + i] / w) * (double)(cov[l * m + l] / w));
            const double di = 4 * DBL_EPSILON * fabs(mu[i]), dl = 4 * DBL_EPSILON * fabs(mu[l]);
            MAP_CHECK(fabs(sigma[i * m + l] - ref) <= 1e-10 * sc + di * dl,
                      "cov[%zu,%zu] %.17g vs %.17g (scale %.3g)", i, l, sigma[i * m + l], ref, sc);
        }
    }
    free(s);
    free(x);
    map_solver_ws_free(ws);
}

/* All fields of two partials the same, bit for bit. */
static int partial_same(const map_partial *a, const map_partial *b)
{
    const size_t p = a->p;
    return a->count == b->count && memcmp(&a->smax, &b->smax, sizeof a->smax) == 0 &&
           memcmp(&a->wsum, &b->wsum, sizeof a->wsum) == 0 &&
           memcmp(&a->w2sum, &b->w2sum, sizeof a->w2sum) == 0 &&
           memcmp(a->mean, b->mean, p * sizeof *a->mean) == 0 &&
           (!a->want_cov || memcmp(a->m2, b->m2, p * p * sizeof *a->m2) == 0);
}

typedef struct eval_out {
    double logz, mu[5], sigma[25], ess, wmax;
} eval_out;

/* Partials (k = p = 4 with covariance, and k = 2 scored with 5 stat columns)
 * and moments, global and per prompt, bit-identical for threads 1, 2, 3, 4
 * and 7 on n not a multiple of the chunk size; threads changed back and
 * forth on one workspace. */
static void test_threads_identical(void)
{
    const size_t n = 4 * MAP_CHUNK + 4321, m = 5;
    double *x = malloc(n * m * sizeof *x);
    size_t *order = malloc(n * sizeof *order), *start = malloc((n + 1) * sizeof *start);
    MAP_CHECK(x && order && start, "allocation");
    if (!x || !order || !start)
        return;
    uint64_t st = 3;
    for (size_t j = 0; j < n * m; j++)
        x[j] = 4.0 * map_test_uniform(&st) - 1.0;
    /* Groups of 1 … 40 rows over a shuffled order. */
    for (size_t j = 0; j < n; j++)
        order[j] = j;
    for (size_t j = n - 1; j > 0; j--) {
        const size_t t = (size_t)(map_test_uniform(&st) * (double)(j + 1));
        const size_t tmp = order[j];
        order[j] = order[t];
        order[t] = tmp;
    }
    size_t K = 0;
    for (size_t pos = 0; pos < n; K++) {
        start[K] = pos;
        pos += 1 + (size_t)(map_test_uniform(&st) * 40.0);
        if (pos > n)
            pos = n;
    }
    start[K] = n;
    const map_groups grp = {K, start, order};
    const size_t cols[5] = {0, 1, 2, 3, 4}, cols2[2] = {3, 1};
    const double target[5] = {0.5, 1.0, 0.2, 0.9, 0.0};
    const double scale[5] = {1, 1, 1, 1, 1};
    const double lambda[5] = {2.5, 0.7, 3.0, 1.5, 0.0};
    map_problem pb = {{n, m, m, x, NULL}, 4, cols, target, scale, NULL, NULL};
    map_problem pg = pb;
    pg.groups = &grp;
    map_problem p2 = pb;
    p2.k = 2;
    p2.cols = cols2;
    p2.groups = &grp;

    const unsigned threads[] = {1, 2, 3, 4, 7, 2, 1};
    const size_t nt = sizeof threads / sizeof *threads;
    map_solver_ws *ws = map_solver_ws_new(4, m);
    MAP_CHECK(ws != NULL, "workspace");
    if (!ws)
        return;
    double mean[7][3][5], m2[7][3][25];
    map_partial part[7][3];
    eval_out glob[7], perp[7];
    memset(glob, 0, sizeof glob); /* the padding entries compare too */
    memset(perp, 0, sizeof perp);
    double lev[7][5];
    for (size_t t = 0; t < nt; t++) {
        MAP_CHECK(map_solver_ws_set_threads(ws, threads[t]) == MAP_OK, "set threads %u", threads[t]);
        /* k = p = 4, covariance; k = 2, p = 5, covariance; k = 4, p = 5, none. */
        const size_t kk[3] = {4, 2, 4}, pp[3] = {4, 5, 5};
        const int cov[3] = {1, 1, 0};
        for (int v = 0; v < 3; v++) {
            part[t][v] = (map_partial){pp[v], cov[v], 0, -INFINITY, 0, 0, mean[t][v], cov[v] ? m2[t][v] : NULL};
            map_eval_pass(&pb.data, kk[v], v == 1 ? cols2 : cols, target, lambda, pp[v], cols, ws, &part[t][v]);
        }
        eval_out *g = &glob[t], *q = &perp[t];
        MAP_CHECK(map_evaluate(&pb, lambda, ws, &g->logz, g->mu, g->sigma, &g->ess, &g->wmax) == MAP_OK,
                  "evaluate");
        MAP_CHECK(map_evaluate(&pg, lambda, ws, &q->logz, q->mu, q->sigma, &q->ess, &q->wmax) == MAP_OK,
                  "evaluate per prompt");
        MAP_CHECK(map_levels(&p2, lambda, m, cols, ws, lev[t], NULL) == MAP_OK, "levels per prompt");
        MAP_CHECK(threads[t] == 1 || ws->pool != NULL, "workers started at %u threads", threads[t]);
    }
    for (size_t t = 1; t < nt; t++) {
        for (int v = 0; v < 3; v++)
            MAP_CHECK(partial_same(&part[t][v], &part[0][v]), "partial %d at %u threads", v, threads[t]);
        MAP_CHECK(memcmp(&glob[t], &glob[0], sizeof glob[0]) == 0, "moments at %u threads", threads[t]);
        MAP_CHECK(memcmp(&perp[t], &perp[0], sizeof perp[0]) == 0, "per-prompt moments at %u threads",
                  threads[t]);
        MAP_CHECK(memcmp(lev[t], lev[0], sizeof lev[0]) == 0, "per-prompt levels at %u threads", threads[t]);
    }
    /* And the threaded pass is the pass: μ against the partial. */
    for (size_t i = 0; i < 4; i++)
        MAP_CHECK_CLOSE(glob[0].mu[i], part[0][0].mean[i], 1e-14, "μ from evaluate and from the partial");
    MAP_CHECK(map_solver_ws_set_threads(ws, 0) == MAP_OK, "threads = CPUs");
    map_solver_ws_free(ws);
    free(x);
    free(order);
    free(start);
}

/* Many stat columns (20, beyond what the chunk slots hold covariances
 * for): the covariance pass runs alone, the mean-only pass threaded, both
 * with the same bits as on one thread. */
static void test_wide_stats(void)
{
    const size_t n = 2 * MAP_CHUNK + 99, m = 20;
    double *x = malloc(n * m * sizeof *x);
    MAP_CHECK(x != NULL, "allocation");
    if (!x)
        return;
    uint64_t st = 9;
    for (size_t j = 0; j < n * m; j++)
        x[j] = map_test_uniform(&st);
    size_t scols[20];
    for (size_t i = 0; i < m; i++)
        scols[i] = m - 1 - i;
    const size_t cols[2] = {4, 7};
    const double lambda[2] = {3.0, -1.0};
    const map_matrix X = {n, m, m, x, NULL};
    map_solver_ws *ws = map_solver_ws_new(2, m);
    MAP_CHECK(ws != NULL, "workspace");
    if (!ws) {
        free(x);
        return;
    }
    static double mean[2][2][20], m2[2][2][400];
    map_partial part[2][2];
    for (int t = 0; t < 2; t++) {
        MAP_CHECK(map_solver_ws_set_threads(ws, t ? 3 : 1) == MAP_OK, "threads");
        for (int cov = 0; cov < 2; cov++) {
            part[t][cov] = (map_partial){m, cov, 0, -INFINITY, 0, 0, mean[t][cov], cov ? m2[t][cov] : NULL};
            map_eval_pass(&X, 2, cols, NULL, lambda, m, scols, ws, &part[t][cov]);
        }
    }
    for (int cov = 0; cov < 2; cov++)
        MAP_CHECK(partial_same(&part[1][cov], &part[0][cov]), "20 stat columns (covariance %d), 1 and 3 threads",
                  cov);
    map_solver_ws_free(ws);
    free(x);
}

/* Small passes (one chunk) give the same bits threaded or not, and a
 * threaded workspace with nothing started frees cleanly. */
static void test_small_inline(void)
{
    double x[12] = {0.1, 2.0, 0.3, 1.5, -0.2, 0.7, 0.9, 0.4, 0.0, 1.1, 0.6, -0.5};
    const size_t cols[2] = {0, 1};
    const double target[2] = {0.2, 1.0}, scale[2] = {1, 1}, lambda[2] = {1.5, 0.25};
    map_problem pb = {{6, 2, 2, x, NULL}, 2, cols, target, scale, NULL, NULL};
    map_solver_ws *a = map_solver_ws_new(2, 2), *b = map_solver_ws_new(2, 2);
    MAP_CHECK(a && b && map_solver_ws_set_threads(b, 3) == MAP_OK, "workspaces");
    eval_out ea, eb;
    memset(&ea, 0, sizeof ea);
    memset(&eb, 0, sizeof eb);
    map_evaluate(&pb, lambda, a, &ea.logz, ea.mu, ea.sigma, &ea.ess, &ea.wmax);
    map_evaluate(&pb, lambda, b, &eb.logz, eb.mu, eb.sigma, &eb.ess, &eb.wmax);
    MAP_CHECK(memcmp(&ea, &eb, sizeof ea) == 0, "one chunk, 1 and 3 threads");
    map_solver_ws_free(a);
    map_solver_ws_free(b);
}

/* A float matrix (map_matrix.xf) gives the very bits of the double matrix
 * of the same values: the gather widens each float as it reads it, and
 * every sum after it is the double arithmetic. Checked for the evaluation
 * (global and per prompt, one and three threads), the levels, and the
 * palette solve with its verdicts and margins (attainable, infeasible;
 * Newton first and LP first), which read the matrix in the feasibility
 * scans, the certificate check and the LP packing too. */
static void test_float_matrix(void)
{
    const size_t n = 2 * MAP_CHUNK + 777, m = 4;
    float *xf = malloc(n * m * sizeof *xf);
    double *xd = malloc(n * m * sizeof *xd);
    size_t *order = malloc(n * sizeof *order), *start = malloc((n + 1) * sizeof *start);
    MAP_CHECK(xf && xd && order && start, "allocation");
    if (!xf || !xd || !order || !start) {
        free(xf);
        free(xd);
        free(order);
        free(start);
        return;
    }
    uint64_t st = 11;
    for (size_t j = 0; j < n * m; j++) {
        xf[j] = (float)(3.0 * map_test_uniform(&st) - 1.0 + (double)(j % m));
        xd[j] = (double)xf[j];
    }
    size_t K = 0;
    for (size_t pos = 0; pos < n; K++) {
        start[K] = pos;
        pos += 1 + (size_t)(map_test_uniform(&st) * 20.0);
        if (pos > n)
            pos = n;
    }
    start[K] = n;
    for (size_t j = 0; j < n; j++)
        order[j] = (j * 7919) % n; /* n is not a multiple of 7919: a permutation */
    const map_groups grp = {K, start, order};
    const size_t cols[3] = {0, 2, 3}, all[4] = {0, 1, 2, 3};
    const double scale[3] = {1, 1, 1};
    const double lambda[3] = {1.5, 0.25, 2.0};
    /* Targets: attainable (near the means) and infeasible (past the maxima). */
    const double targets[2][3] = {{0.7, 2.6, 3.9}, {1.9, 4.0, 5.0}};
    map_solver_ws *ws = map_solver_ws_new(3, m);
    MAP_CHECK(ws != NULL, "workspace");
    for (unsigned threads = 1; ws && threads <= 3; threads += 2) {
        MAP_CHECK(map_solver_ws_set_threads(ws, threads) == MAP_OK, "threads %u", threads);
        for (int grouped = 0; grouped < 2; grouped++) {
            map_problem pd = {{n, m, m, xd, NULL}, 3, cols, targets[0], scale, NULL,
                              grouped ? &grp : NULL};
            map_problem pf = pd;
            pf.data.x = NULL;
            pf.data.xf = xf;
            eval_out a, b;
            memset(&a, 0, sizeof a);
            memset(&b, 0, sizeof b);
            MAP_CHECK(map_evaluate(&pd, lambda, ws, &a.logz, a.mu, a.sigma, &a.ess, &a.wmax) == MAP_OK
                          && map_evaluate(&pf, lambda, ws, &b.logz, b.mu, b.sigma, &b.ess, &b.wmax)
                                 == MAP_OK,
                      "evaluate");
            MAP_CHECK(memcmp(&a, &b, sizeof a) == 0, "float = double evaluation (%u threads, %s)",
                      threads, grouped ? "per prompt" : "global");
            double la[4], lb[4];
            MAP_CHECK(map_levels(&pd, lambda, 4, all, ws, la, NULL) == MAP_OK
                          && map_levels(&pf, lambda, 4, all, ws, lb, NULL) == MAP_OK
                          && memcmp(la, lb, sizeof la) == 0,
                      "float = double levels");
            for (int t = 0; t < 2; t++)
                for (int lp_first = 0; lp_first < 2; lp_first++) {
                    pd.target = pf.target = targets[t];
                    map_solver_params par;
                    map_solver_params_default(&par);
                    map_feas_params fp;
                    map_feas_params_default(&fp);
                    fp.want_margin = lp_first;
                    map_result ra, rb;
                    memset(&ra, 0, sizeof ra);
                    memset(&rb, 0, sizeof rb);
                    map_error err;
                    MAP_CHECK(map_solve_palette(&pd, &par, &fp, NULL, ws, &ra, &err) == MAP_OK
                                  && map_solve_palette(&pf, &par, &fp, NULL, ws, &rb, &err) == MAP_OK,
                              "solve palette");
                    MAP_CHECK(ra.status == rb.status && (t == 0) == (ra.status == MAP_SOLVE_OPTIMAL)
                                  && memcmp(ra.lambda, rb.lambda, sizeof ra.lambda) == 0
                                  && memcmp(ra.level, rb.level, sizeof ra.level) == 0
                                  && memcmp(&ra.margin, &rb.margin, sizeof ra.margin) == 0
                                  && memcmp(ra.direction, rb.direction, sizeof ra.direction) == 0
                                  && memcmp(&ra.cert_gap, &rb.cert_gap, sizeof ra.cert_gap) == 0,
                              "float = double palette %d (%s, %s first): status %d / %d", t,
                              grouped ? "per prompt" : "global", lp_first ? "LP" : "Newton",
                              (int)ra.status, (int)rb.status);
                }
        }
    }
    map_solver_ws_free(ws);
    free(xf);
    free(xd);
    free(order);
    free(start);
}

/* One map_eval_moments at λ into *o (k ≤ 9 values; covariance when want_cov). */
typedef struct moments_out {
    double logz, mean[9], cov[81], ess, wmax;
} moments_out;

static void moments_into(const map_problem *pb, const double *lambda, int want_cov,
                         map_solver_ws *ws, moments_out *o)
{
    memset(o, 0, sizeof *o);
    map_moments mo = {0.0, o->mean, o->cov, 0.0, 0.0};
    map_eval_moments(pb, lambda, pb->k, pb->cols, want_cov, ws, &mo);
    o->logz = mo.logz_c;
    o->ess = mo.ess;
    o->wmax = mo.max_weight;
}

/* The packed columns a sweep's passes read (map_colpack) give the bits of
 * the pass over the matrix itself: k = 1 … 9 values in a permuted order
 * (9: more than the packed kernel takes, the matrix is read), n from 1 row
 * to several chunks (tails of 1 to 7 rows past the last whole four and
 * eight), double and float elements, with and without the covariance, one
 * and three threads, λ with zeros, and λ spreading the scores beyond the
 * exp kernel's floor or into the range of subnormal weights. A pack holding
 * other numbers changes the result (so the pass did read it); a pack of
 * other columns, or a pass with other stat columns, is not used. */
static void test_packed_identical(void)
{
    const size_t m = 11, nmax = 2 * MAP_CHUNK + 1000 + 5;
    double *x = malloc(nmax * m * sizeof *x);
    float *xf = malloc(nmax * m * sizeof *xf);
    MAP_CHECK(x && xf, "allocation");
    if (!x || !xf) {
        free(x);
        free(xf);
        return;
    }
    uint64_t st = 99;
    for (size_t j = 0; j < nmax * m; j++) {
        xf[j] = (float)(4.0 * map_test_uniform(&st) - 1.0);
        x[j] = (double)xf[j] + 1e-9 * map_test_uniform(&st);
    }
    const size_t cols_all[9] = {7, 2, 9, 0, 5, 10, 3, 8, 1};
    const double target[9] = {0.5, 1.0, -0.25, 0.75, 0.1, 1.5, 0.0, 0.3, 0.9};
    const double scale[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    const size_t ns[] = {1, 3, 5, 8, 13, 255, 257, 2312, 2 * MAP_CHUNK + 1000 + 5};
    size_t checked = 0;
    for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
        const size_t n = ns[ni];
        for (size_t k = 1; k <= 9; k++) {
            for (int fl = 0; fl < 2; fl++) {
                const map_matrix X = {n, m, m, fl ? NULL : x, fl ? xf : NULL};
                map_problem pb = {X, k, cols_all, target, scale, NULL, NULL};
                map_colpack *pk = map_colpack_new(&X, k, cols_all);
                MAP_CHECK(pk != NULL, "pack n=%zu k=%zu", n, k);
                if (!pk)
                    continue;
                for (int lam_kind = 0; lam_kind < 4; lam_kind++) {
                    /* scores over ~3600 (below the floor) and ~720 (some
                     * weights subnormal) */
                    const double big = lam_kind == 2 ? 900.0 : 180.0;
                    double lambda[9];
                    for (size_t i = 0; i < k; i++)
                        lambda[i] = lam_kind == 0 ? 0.0
                                    : lam_kind == 1 ? (i % 3 == 1 ? 0.0 : 0.5 + (double)i)
                                                    : (i == 0 ? big : 0.0);
                    for (unsigned threads = 1; threads <= 3; threads += 2) {
                        map_solver_ws *plain = map_solver_ws_new(9, 9), *packed = map_solver_ws_new(9, 9);
                        MAP_CHECK(plain && packed && map_solver_ws_set_threads(plain, threads) == MAP_OK
                                      && map_solver_ws_set_threads(packed, threads) == MAP_OK,
                                  "workspaces");
                        if (plain && packed) {
                            map_solver_ws_set_colpack(packed, pk);
                            for (int want_cov = 0; want_cov < 2; want_cov++) {
                                moments_out a, b;
                                moments_into(&pb, lambda, want_cov, plain, &a);
                                moments_into(&pb, lambda, want_cov, packed, &b);
                                MAP_CHECK(memcmp(&a, &b, sizeof a) == 0 && isfinite(a.logz),
                                          "packed pass: n=%zu k=%zu %s λ%d threads %u cov %d: logz "
                                          "%.17g vs %.17g",
                                          n, k, fl ? "float" : "double", lam_kind, threads, want_cov,
                                          a.logz, b.logz);
                                checked++;
                            }
                        }
                        map_solver_ws_free(plain);
                        map_solver_ws_free(packed);
                    }
                }
                map_colpack_free(pk);
            }
        }
    }
    fprintf(stderr, "  %zu packed passes bit-identical to the matrix's\n", checked);

    /* The pass reads the pack (k ≤ 8): other numbers in it change Λ; a pack
     * of other columns, or other stat columns, leave it unread. */
    const size_t n = 1000, k = 3;
    const map_matrix X = {n, m, m, x, NULL};
    map_problem pb = {X, k, cols_all, target, scale, NULL, NULL};
    const double lambda[3] = {1.0, 0.5, 2.0};
    map_colpack *pk = map_colpack_new(&X, k, cols_all);
    map_colpack *other = map_colpack_new(&X, k, cols_all + 1);
    map_solver_ws *ws = map_solver_ws_new(k, m);
    MAP_CHECK(pk && other && ws, "pack and workspace");
    if (pk && other && ws) {
        moments_out a, b, c;
        moments_into(&pb, lambda, 1, ws, &a);
        pk->x[5] += 1.0; /* row 5 of the first column */
        map_solver_ws_set_colpack(ws, pk);
        moments_into(&pb, lambda, 1, ws, &b);
        MAP_CHECK(a.logz != b.logz, "a changed pack changes the pass (it is read)");
        map_solver_ws_set_colpack(ws, other);
        other->x[5] += 1.0;
        moments_into(&pb, lambda, 1, ws, &c);
        MAP_CHECK(memcmp(&a, &c, sizeof a) == 0, "a pack of other columns is not read");
        /* Levels of other stat columns: the matrix is read. */
        const size_t lev_cols[2] = {7, 4};
        double lev_a[2], lev_b[2];
        map_error err;
        map_solver_ws_set_colpack(ws, NULL);
        MAP_CHECK(map_levels(&pb, lambda, 2, lev_cols, ws, lev_a, &err) == MAP_OK, "levels");
        map_solver_ws_set_colpack(ws, pk);
        MAP_CHECK(map_levels(&pb, lambda, 2, lev_cols, ws, lev_b, &err) == MAP_OK, "levels");
        MAP_CHECK(memcmp(lev_a, lev_b, sizeof lev_a) == 0, "other stat columns: the pack is not read");
    }
    /* Nothing to pack: an empty matrix. */
    const map_matrix empty = {0, m, m, x, NULL};
    MAP_CHECK(map_colpack_new(&empty, k, cols_all) == NULL, "no pack of no rows");
    map_colpack_free(NULL);
    map_colpack_free(pk);
    map_colpack_free(other);
    map_solver_ws_free(ws);
    free(x);
    free(xf);
}

int main(void)
{
    MAP_RUN(test_exp_accuracy);
    MAP_RUN(test_against_long_double);
    MAP_RUN(test_threads_identical);
    MAP_RUN(test_wide_stats);
    MAP_RUN(test_small_inline);
    MAP_RUN(test_float_matrix);
    MAP_RUN(test_packed_identical);
    return map_test_finish();
}
