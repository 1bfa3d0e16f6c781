/* test_margin_prompt.c — the per-prompt margin by cutting planes over d
 * (map_margin_prompt.c, reached through map_margin) against the independent
 * full per-prompt LP of tests/map_reference_grouped.c: margins, the value of
 * the returned direction, the certificate of every negative margin, on random
 * grouped data (singletons, duplicated rows, palettes on a face and infeasible
 * by a hair, k = 1..6) and the real grouped datasets; and the timing figure
 * (printed, not asserted) at 10,000 prompts × 16 samples × 3 values against
 * the global margin on the same rows. */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "map_ingest.h"
#include "map_reference_grouped.h"
#include "map_solver.h"
#include "map_solver_internal.h"
#include "map_stats.h"
#include "map_test.h"
#include "map_test_data.h"

typedef struct gdata {
    double *x;
    size_t n, m, K;
    size_t *start, *order;
    map_colstat cs[8];
} gdata;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Random grouped data: K prompts, m ≤ 8 columns with a prompt effect, a
 * fraction `single` of one-sample prompts, others of 2..maxsize samples (or
 * exactly maxsize when fixed), some rows duplicated within their prompt and
 * across prompts, the rows of a prompt scattered through the matrix. */
static void gdata_random(gdata *g, gsl_rng *rng, size_t K, size_t m, double single, size_t maxsize,
                         int fixed)
{
    size_t *sizes = malloc(K * sizeof *sizes), n = 0;
    for (size_t q = 0; q < K; q++) {
        sizes[q] = fixed ? maxsize
                   : gsl_rng_uniform(rng) < single ? 1
                                                    : 2 + gsl_rng_uniform_int(rng, maxsize - 1);
        n += sizes[q];
    }
    size_t *perm = malloc(n * sizeof *perm);
    for (size_t j = 0; j < n; j++)
        perm[j] = j;
    gsl_ran_shuffle(rng, perm, n, sizeof *perm);
    g->x = malloc(n * m * sizeof *g->x);
    g->order = malloc(n * sizeof *g->order);
    g->start = malloc((K + 1) * sizeof *g->start);
    g->n = n;
    g->m = m;
    g->K = K;
    g->start[0] = 0;
    size_t prev = SIZE_MAX;
    for (size_t q = 0, at = 0; q < K; q++) {
        double shift[8];
        for (size_t i = 0; i < m; i++)
            shift[i] = gsl_ran_gaussian(rng, 0.7);
        for (size_t r = 0; r < sizes[q]; r++, at++) {
            const size_t j = perm[at];
            g->order[at] = j;
            double *row = g->x + j * m;
            const double u = gsl_rng_uniform(rng);
            if (r > 0 && u < 0.1) /* a duplicate within the prompt */
                memcpy(row, g->x + g->order[at - 1] * m, m * sizeof *row);
            else if (u < 0.15 && prev != SIZE_MAX) /* a duplicate of another prompt's row */
                memcpy(row, g->x + prev * m, m * sizeof *row);
            else {
                const double z = gsl_ran_gaussian(rng, 1.0);
                for (size_t i = 0; i < m; i++)
                    row[i] = shift[i] + (i % 2 ? -0.5 : 0.6) * z + gsl_ran_gaussian(rng, 0.8)
                             + (i == 2 ? gsl_ran_exponential(rng, 1.0) : 0.0);
            }
        }
        prev = g->order[at - 1];
        g->start[q + 1] = g->start[q] + sizes[q];
    }
    map_matrix X = {n, m, m, g->x, NULL};
    map_column_stats(&X, g->cs);
    free(sizes);
    free(perm);
}

static void gdata_free(gdata *g)
{
    free(g->x);
    free(g->order);
    free(g->start);
}

typedef struct tally {
    int neg, pos, zero, rounds_max;
    long rounds;
    int count;
} tally;

/* map_margin on palette (cols, c) against the full per-prompt LP: the
 * margin, the value of the returned direction, and for a negative margin
 * its certificate. */
static void check_margin(const gdata *g, size_t k, const size_t *cols, const double *c, tally *t,
                         const char *what)
{
    double scale[8], absmax[8];
    for (size_t i = 0; i < k; i++) {
        scale[i] = g->cs[cols[i]].sd;
        absmax[i] = g->cs[cols[i]].absmax;
    }
    const map_groups grp = {g->K, g->start, g->order};
    const map_matrix X = {g->n, g->m, g->m, g->x, NULL};
    const map_problem pb = {X, k, cols, c, scale, absmax, &grp};
    double v = NAN, dir[8] = {0}, v2 = NAN;
    int rounds = 0;
    map_error err;
    MAP_CHECK(map_margin(&pb, NULL, &v, dir, &err) == MAP_OK, "%s: %s", what, err.msg);
    MAP_CHECK(map_margin_prompt(&pb, NULL, &v2, NULL, &rounds, &err) == MAP_OK, "%s: %s", what,
              err.msg);
    MAP_CHECK(v == v2, "%s: map_margin %.17g, map_margin_prompt %.17g", what, v, v2);
    double ref = NAN;
    MAP_CHECK(map_refg_margin(g->x, g->m, g->K, g->start, g->order, k, cols, c, scale, &ref) == 0,
              "%s: reference LP", what);
    MAP_CHECK(fabs(v - ref) <= 1e-9 * fmax(1.0, fabs(ref)), "%s: margin %.17g vs LP %.17g", what,
              v, ref);
    /* The direction is a minimiser: its scaled value f(d) is v*. */
    double dscale = 0.0, dmax = 0.0;
    for (size_t i = 0; i < k; i++) {
        MAP_CHECK(dir[i] >= 0.0 && isfinite(dir[i]), "%s: direction_%zu = %g", what, i, dir[i]);
        dscale += dir[i] * scale[i];
        dmax = fmax(dmax, dir[i] * scale[i]);
    }
    MAP_CHECK(fabs(dmax - 1.0) <= 1e-12, "%s: direction normalised to %.17g", what, dmax);
    const double gap = map_refg_cert_gap(g->x, g->m, g->K, g->start, g->order, k, cols, c, dir);
    MAP_CHECK(fabs(-gap / dscale - ref) <= 1e-9 * fmax(1.0, fabs(ref)),
              "%s: f(direction) %.17g vs LP %.17g", what, -gap / dscale, ref);
    /* Below the data's rounding (and the reference LP's 1e-11) a negative
     * margin is zero; any margin beyond it must come with a certificate. */
    if (v < -1e-12) {
        double cg = NAN;
        MAP_CHECK(map_certificate_check(&pb, dir, &cg) == 1, "%s: margin %g (LP %g), certificate gap %g",
                  what, v, ref, cg);
    }
    /* The verdict on it (quick exit, margin, certificate) agrees with the LP. */
    map_result res;
    int attainable = 0;
    MAP_CHECK(map_palette_verdict(&pb, NULL, &res, &attainable, &err) == MAP_OK, "%s: %s", what,
              err.msg);
    if (fabs(ref) > 1e-7)
        MAP_CHECK(attainable == (ref > 0.0) && (ref > 0.0 || res.status == MAP_SOLVE_INFEASIBLE),
                  "%s: verdict %s, LP margin %g", what, map_solve_status_name(res.status), ref);
    t->neg += v < -1e-12;
    t->pos += v > 1e-12;
    t->zero += fabs(v) <= 1e-12;
    t->rounds += rounds;
    t->rounds_max = rounds > t->rounds_max ? rounds : t->rounds_max;
    t->count++;
}

/* The attainable point (1/K) Σ_g a_{j*(g)} for direction e (scaled units):
 * a point on the boundary of the per-prompt attainable set with normal e. */
static void boundary_point(const gdata *g, size_t k, const size_t *cols, const double *e,
                           double *c)
{
    double acc[8] = {0};
    for (size_t q = 0; q < g->K; q++) {
        double best = -INFINITY;
        size_t arg = 0;
        for (size_t pos = g->start[q]; pos < g->start[q + 1]; pos++) {
            const size_t j = g->order[pos];
            double s = 0.0;
            for (size_t i = 0; i < k; i++)
                s += e[i] * g->x[j * g->m + cols[i]] / g->cs[cols[i]].sd;
            if (s > best) {
                best = s;
                arg = j;
            }
        }
        for (size_t i = 0; i < k; i++)
            acc[i] += g->x[arg * g->m + cols[i]];
    }
    for (size_t i = 0; i < k; i++)
        c[i] = acc[i] / (double)g->K;
}

static void palettes(const gdata *g, gsl_rng *rng, int count, tally *t, const char *name)
{
    for (int rep = 0; rep < count; rep++) {
        const size_t k = 1 + (size_t)rep % (g->m < 6 ? g->m : 6);
        size_t cols[8];
        double c[8], e[8];
        for (size_t i = 0; i < k; i++)
            cols[i] = (i + (size_t)rep) % g->m;
        char what[128];
        const int kind = rep / 6 % 4;
        if (kind == 0) { /* interior to far outside */
            for (size_t i = 0; i < k; i++)
                c[i] = g->cs[cols[i]].mean + (gsl_rng_uniform(rng) * 2.5 - 1.0) * g->cs[cols[i]].sd;
        } else { /* on a face, a hair inside or outside */
            for (size_t i = 0; i < k; i++)
                e[i] = kind == 3 && i % 2 ? 0.0 : gsl_rng_uniform(rng) + 0.05;
            boundary_point(g, k, cols, e, c);
            const double hair = kind == 1 ? 0.0 : kind == 2 ? 1e-10 : -1e-10;
            for (size_t i = 0; i < k; i++)
                c[i] += hair * g->cs[cols[i]].sd;
        }
        snprintf(what, sizeof what, "%s #%d k=%zu kind %d", name, rep, k, kind);
        check_margin(g, k, cols, c, t, what);
    }
}

static void report(const tally *t, const char *name)
{
    fprintf(stderr, "%s: %d palettes (%d negative, %d zero, %d positive), rounds mean %.1f max %d\n",
            name, t->count, t->neg, t->zero, t->pos, t->count ? (double)t->rounds / t->count : 0.0,
            t->rounds_max);
}

static void test_random(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 77);
    for (int rep = 0; rep < 4; rep++) {
        gdata g;
        gdata_random(&g, rng, 20 + 40 * (size_t)rep, 6, 0.25, 2 + 6 * (size_t)rep, 0);
        tally t = {0};
        char name[64];
        snprintf(name, sizeof name, "random K=%zu n=%zu", g.K, g.n);
        palettes(&g, rng, 48, &t, name);
        report(&t, name);
        MAP_CHECK(t.neg > 0 && t.pos > 0, "%s: a mix of signs", name);
        gdata_free(&g);
    }
    gsl_rng_free(rng);
}

/* Every prompt one sample: f is linear and the margin is min_i of the mean. */
/* 500 prompts × 16 samples × 3 values (rows scattered): a size at which
 * the full per-prompt LP is still quick. */
static void test_larger(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 99);
    gdata g;
    gdata_random(&g, rng, 500, 3, 0.0, 16, 1);
    tally t = {0};
    const double t0 = now_s();
    palettes(&g, rng, 24, &t, "500x16x3");
    report(&t, "500x16x3");
    fprintf(stderr, "  (%.1f s with the reference LP)\n", now_s() - t0);
    gdata_free(&g);
    gsl_rng_free(rng);
}

static void test_singletons(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 5);
    gdata g;
    gdata_random(&g, rng, 40, 4, 1.0, 2, 0);
    tally t = {0};
    palettes(&g, rng, 24, &t, "singletons");
    report(&t, "singletons");
    gdata_free(&g);
    gsl_rng_free(rng);
}

/* The grouped real datasets (prompt column `prompt`). */
static void test_dataset(const char *path, const char *const *values, size_t nvalues, int count)
{
    map_ingest_opts o = {0};
    o.path = path;
    o.values = values;
    o.nvalues = nvalues;
    o.prompt_column = "prompt";
    map_dataset *ds = NULL;
    map_error err;
    MAP_CHECK(map_ingest_read(&o, &ds, &err) == MAP_OK, "%s: %s", path, err.msg);
    if (!ds)
        return;
    size_t *order = NULL, *start = NULL, K = 0, singles = 0;
    MAP_CHECK(map_dataset_group_rows(ds, &order, &start, &K, &singles, &err) == MAP_OK, "%s",
              err.msg);
    gdata g = {.x = ds->x, .n = ds->n, .m = ds->m, .K = K, .start = start, .order = order};
    map_matrix X = {ds->n, ds->m, ds->m, ds->x, NULL};
    map_column_stats(&X, g.cs);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 13);
    tally t = {0};
    char name[160];
    snprintf(name, sizeof name, "%s (%zu prompts, %zu singletons)", strrchr(path, '/') + 1, K,
             singles);
    const double t0 = now_s();
    palettes(&g, rng, count, &t, name);
    report(&t, name);
    fprintf(stderr, "  (%.1f s with the reference LP)\n", now_s() - t0);
    gsl_rng_free(rng);
    map_free(order);
    map_free(start);
    map_dataset_free(ds);
}

static void test_datasets(void)
{
    static const char *const SYN[4] = {"helpful", "harmless", "humor", "concise"};
    static const char *const HH[6] = MAP_TEST_HH_VALUES;
    test_dataset(MAP_SOURCE_ROOT "/datasets/synthetic.csv", SYN, 4, 24);
    char path[4096];
    map_test_data_path(path, sizeof path, "map-llama2chat-hh.csv");
    test_dataset(path, HH, 6, 12);
}

/* 10,000 prompts × 16 samples × 3 values: the per-prompt margin against the
 * global margin on the same rows (timings printed, not asserted), and the
 * per-prompt margin's bounds against a solve at a second start order. */
static void test_timing(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2024);
    gdata g;
    gdata_random(&g, rng, 10000, 3, 0.0, 16, 1);
    const size_t cols[3] = {0, 1, 2};
    double scale[3], absmax[3];
    for (size_t i = 0; i < 3; i++) {
        scale[i] = g.cs[i].sd;
        absmax[i] = g.cs[i].absmax;
    }
    const map_groups grp = {g.K, g.start, g.order};
    const map_matrix X = {g.n, g.m, g.m, g.x, NULL};
    const double shifts[4] = {-0.5, 0.3, 0.6, 1.0};
    double tg = 0.0, tp = 0.0;
    for (int r = 0; r < 4; r++) {
        double c[3];
        for (size_t i = 0; i < 3; i++)
            c[i] = g.cs[i].mean + shifts[r] * g.cs[i].sd;
        const map_problem pg = {X, 3, cols, c, scale, absmax, NULL};
        const map_problem pp = {X, 3, cols, c, scale, absmax, &grp};
        double vg = NAN, vp = NAN, dir[3];
        int rounds = 0;
        map_error err;
        /* The best of seven runs each, interleaved: the machine may be shared. */
        double bg = INFINITY, bp = INFINITY;
        for (int rep = 0; rep < 7; rep++) {
            const double t0 = now_s();
            MAP_CHECK(map_margin(&pg, NULL, &vg, dir, &err) == MAP_OK, "global: %s", err.msg);
            const double t1 = now_s();
            MAP_CHECK(map_margin_prompt(&pp, NULL, &vp, dir, &rounds, &err) == MAP_OK,
                      "prompt: %s", err.msg);
            const double t2 = now_s();
            bg = fmin(bg, t1 - t0);
            bp = fmin(bp, t2 - t1);
        }
        tg += bg;
        tp += bp;
        /* The per-prompt set is inside the global hull: v*_prompt ≤ v*_global. */
        MAP_CHECK(vp <= vg + 1e-12, "per-prompt margin %.17g above the global %.17g", vp, vg);
        fprintf(stderr,
                "10000x16x3 shift %+.1f: global %.4f s (v* %.6f), per-prompt %.4f s (v* %.6f, %d "
                "rounds), ratio %.2f\n",
                shifts[r], bg, vg, bp, vp, rounds, bp / bg);
    }
    fprintf(stderr, "10000x16x3 total: global %.4f s, per-prompt %.4f s, ratio %.2f\n", tg, tp,
            tp / tg);
    /* The verdict and the solve (map_solve_palette) on the same rows. */
    map_solver_ws *ws = map_solver_ws_new(3, 3);
    for (int r = 0; r < 2; r++) {
        double c[3];
        for (size_t i = 0; i < 3; i++)
            c[i] = g.cs[i].mean + (r ? 0.3 : 0.05) * g.cs[i].sd;
        const map_problem pg = {X, 3, cols, c, scale, absmax, NULL};
        const map_problem pp = {X, 3, cols, c, scale, absmax, &grp};
        map_result rg, rp;
        map_error err;
        const double t0 = now_s();
        MAP_CHECK(map_solve_palette(&pg, NULL, NULL, NULL, ws, &rg, &err) == MAP_OK, "%s", err.msg);
        const double t1 = now_s();
        MAP_CHECK(map_solve_palette(&pp, NULL, NULL, NULL, ws, &rp, &err) == MAP_OK, "%s", err.msg);
        const double t2 = now_s();
        fprintf(stderr,
                "10000x16x3 solve_palette shift %+.2f: global %.4f s (%s), per-prompt %.4f s (%s), "
                "ratio %.2f\n",
                r ? 0.3 : 0.05, t1 - t0, map_solve_status_name(rg.status), t2 - t1,
                map_solve_status_name(rp.status), (t2 - t1) / (t1 - t0));
    }
    map_solver_ws_free(ws);
    gdata_free(&g);
    /* Six values: the rounds the cutting planes need in a 5-simplex. */
    gdata_random(&g, rng, 10000, 6, 0.0, 16, 1);
    const size_t cols6[6] = {0, 1, 2, 3, 4, 5};
    double c6[6], scale6[6], absmax6[6];
    for (size_t i = 0; i < 6; i++) {
        scale6[i] = g.cs[i].sd;
        absmax6[i] = g.cs[i].absmax;
        c6[i] = g.cs[i].mean + 0.2 * g.cs[i].sd;
    }
    const map_groups grp6 = {g.K, g.start, g.order};
    const map_matrix X6 = {g.n, g.m, g.m, g.x, NULL};
    const map_problem pg6 = {X6, 6, cols6, c6, scale6, absmax6, NULL};
    const map_problem pp6 = {X6, 6, cols6, c6, scale6, absmax6, &grp6};
    double vg6 = NAN, vp6 = NAN;
    int rounds6 = 0;
    map_error err6;
    const double t0 = now_s();
    MAP_CHECK(map_margin(&pg6, NULL, &vg6, NULL, &err6) == MAP_OK, "global k=6: %s", err6.msg);
    const double t1 = now_s();
    MAP_CHECK(map_margin_prompt(&pp6, NULL, &vp6, NULL, &rounds6, &err6) == MAP_OK, "k=6: %s",
              err6.msg);
    const double t2 = now_s();
    MAP_CHECK(vp6 <= vg6 + 1e-12, "per-prompt margin %.17g above the global %.17g", vp6, vg6);
    fprintf(stderr, "10000x16x6 k=6: global %.4f s (v* %.6f), per-prompt %.4f s (v* %.6f, %d rounds), ratio %.2f\n",
            t1 - t0, vg6, t2 - t1, vp6, rounds6, (t2 - t1) / (t1 - t0));
    gdata_free(&g);
    gsl_rng_free(rng);
}

int main(void)
{
    MAP_RUN(test_random);
    MAP_RUN(test_singletons);
    MAP_RUN(test_larger);
    MAP_RUN(test_datasets);
    MAP_RUN(test_timing);
    return map_test_finish();
}
