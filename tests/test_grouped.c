/* test_grouped.c — per-prompt normalisation (MATH.md §9) against an
 * independent implementation (map_reference_grouped.h: long-double
 * per-prompt objective + NLopt L-BFGS, full per-prompt LP in GLPK) on the
 * grouped dataset datasets/synthetic.csv (prompt column `prompt`) and on
 * random grouped data with unequal group sizes, singleton groups and rows
 * of a group scattered through the matrix. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_ingest.h"
#include "map_reference_grouped.h"
#include "map_solver.h"
#include "map_stats.h"
#include "map_test.h"

typedef struct grouped {
    const double *x;
    size_t n, m, K;
    const size_t *start, *order;
    map_colstat cs[8];
    double c0[8]; /* per-prompt reference levels */
} grouped;

static void grouped_init(grouped *g, const double *x, size_t n, size_t m, size_t K,
                         const size_t *start, const size_t *order)
{
    g->x = x;
    g->n = n;
    g->m = m;
    g->K = K;
    g->start = start;
    g->order = order;
    map_matrix X = {n, m, m, x, NULL};
    map_column_stats(&X, g->cs);
    size_t cols[8];
    double zero[8] = {0};
    for (size_t i = 0; i < m; i++)
        cols[i] = i;
    map_refg_levels(x, m, K, start, order, m, cols, zero, m, cols, g->c0);
}

typedef struct counts {
    int optimal, infeasible, boundary, compared;
} counts;

/* The default solve (Newton first, no LP unless needed) agrees with the
 * LP-first solve lp on the verdict; its certificate holds on the per-prompt
 * hull (reference arithmetic) and its λ matches. */
static void newton_first_agrees(const grouped *g, const map_problem *pb, map_solver_ws *ws,
                                const map_result *lp, const char *what)
{
    map_result res;
    map_error err;
    MAP_CHECK(map_solve_palette(pb, NULL, NULL, NULL, ws, &res, &err) == MAP_OK, "%s: %s", what,
              err.msg);
    int exact = res.status == MAP_SOLVE_OPTIMAL; /* met by the reference tilt itself */
    for (size_t i = 0; i < pb->k; i++)
        exact = exact && res.lambda[i] == 0.0 && res.level[i] >= pb->target[i];
    MAP_CHECK(res.status == lp->status || (exact && lp->status == MAP_SOLVE_BOUNDARY),
              "%s: Newton first says %s, LP first %s", what, map_solve_status_name(res.status),
              map_solve_status_name(lp->status));
    if (res.status == MAP_SOLVE_INFEASIBLE) {
        const double gap = map_refg_cert_gap(g->x, g->m, g->K, g->start, g->order, pb->k, pb->cols,
                                             pb->target, res.direction);
        MAP_CHECK(gap > 0.0, "%s: newton-first certificate gap %g on the per-prompt hull", what, gap);
    }
    if (res.status == MAP_SOLVE_OPTIMAL && lp->status == MAP_SOLVE_OPTIMAL)
        for (size_t i = 0; i < pb->k; i++)
            MAP_CHECK(fabs(res.lambda[i] - lp->lambda[i]) <= 1e-6 * (1.0 + fabs(lp->lambda[i]) * pb->scale[i]) / pb->scale[i],
                      "%s: lambda %zu %.17g vs %.17g", what, i, res.lambda[i], lp->lambda[i]);
}

/* Solves one palette (k values on columns cols, targets c) per prompt and
 * checks it against the reference. */
static void check_palette(const grouped *g, size_t k, const size_t *cols, const double *c,
                          map_solver_ws *ws, counts *cnt, const char *what)
{
    double scale[8], absmax[8];
    for (size_t i = 0; i < k; i++) {
        scale[i] = g->cs[cols[i]].sd;
        absmax[i] = g->cs[cols[i]].absmax;
    }
    const map_groups grp = {g->K, g->start, g->order};
    const map_matrix X = {g->n, g->m, g->m, g->x, NULL};
    const map_problem pb = {X, k, cols, c, scale, absmax, &grp};
    map_result res;
    map_error err;
    map_feas_params fp; /* the margin asked for: the LP verdict first, as feasible */
    map_feas_params_default(&fp);
    fp.want_margin = 1;
    MAP_CHECK(map_solve_palette(&pb, NULL, &fp, NULL, ws, &res, &err) == MAP_OK, "%s: %s", what,
              err.msg);
    newton_first_agrees(g, &pb, ws, &res, what);
    double ref = NAN;
    MAP_CHECK(map_refg_margin(g->x, g->m, g->K, g->start, g->order, k, cols, c, scale, &ref) == 0,
              "%s: reference LP", what);
    MAP_CHECK(fabs(res.margin - ref) <= 1e-9 * fmax(1.0, fabs(ref)), "%s: margin %.17g vs LP %.17g",
              what, res.margin, ref);
    if (fabs(ref) > 1e-7)
        MAP_CHECK((res.status == MAP_SOLVE_OPTIMAL) == (ref > 0.0), "%s: verdict %s, LP margin %g",
                  what, map_solve_status_name(res.status), ref);
    MAP_CHECK(res.status != MAP_SOLVE_NOT_CONVERGED && res.status != MAP_SOLVE_STALLED, "%s: %s",
              what, map_solve_status_name(res.status));
    if (res.status == MAP_SOLVE_INFEASIBLE) {
        cnt->infeasible++;
        const double gap = map_refg_cert_gap(g->x, g->m, g->K, g->start, g->order, k, cols, c,
                                             res.direction);
        MAP_CHECK(gap > 0.0, "%s: certificate gap %g on the per-prompt hull", what, gap);
        MAP_CHECK(fabs(gap - res.cert_gap) <= 1e-9 * fmax(1.0, fabs(gap)),
                  "%s: certificate gap %.17g vs reference %.17g", what, res.cert_gap, gap);
    }
    if (res.status == MAP_SOLVE_BOUNDARY)
        cnt->boundary++;
    if (res.status != MAP_SOLVE_OPTIMAL)
        return;
    cnt->optimal++;
    MAP_CHECK(res.diag.kkt <= 1e-9 && res.diag.violation <= 1e-9, "%s: kkt %g", what,
              res.diag.kkt);
    double lam[8] = {0};
    MAP_CHECK(map_refg_solve(g->x, g->m, g->K, g->start, g->order, k, cols, c, lam) > 0,
              "%s: reference L-BFGS", what);
    double lmax = 1.0;
    for (size_t i = 0; i < k; i++)
        lmax = fmax(lmax, fabs(lam[i]));
    for (size_t i = 0; i < k; i++)
        MAP_CHECK(fabs(res.lambda[i] - lam[i]) <= 1e-6 * lmax, "%s: lambda_%zu %.12g vs ref %.12g",
                  what, i, res.lambda[i], lam[i]);
    /* The dual at Newton's λ is at least as good as the reference's. */
    const double fn = map_refg_objective(g->x, g->m, g->K, g->start, g->order, k, cols, c,
                                         res.lambda, NULL);
    const double fr = map_refg_objective(g->x, g->m, g->K, g->start, g->order, k, cols, c, lam,
                                         NULL);
    MAP_CHECK(fn <= fr + 1e-12 * fmax(1.0, fabs(fr)), "%s: dual %.17g worse than ref %.17g", what,
              -fn, -fr);
    MAP_CHECK(fabs(res.diag.dual + fn) <= 1e-10 * fmax(1.0, fabs(fn)), "%s: dual %.17g vs %.17g",
              what, res.diag.dual, -fn);
    /* Levels of every column under Newton's λ, independently. */
    size_t all[8];
    double lv[8], lr[8];
    for (size_t i = 0; i < g->m; i++)
        all[i] = i;
    MAP_CHECK(map_levels(&pb, res.lambda, g->m, all, ws, lv, &err) == MAP_OK, "levels");
    map_refg_levels(g->x, g->m, g->K, g->start, g->order, k, cols, res.lambda, g->m, all, lr);
    for (size_t i = 0; i < g->m; i++)
        MAP_CHECK(fabs(lv[i] - lr[i]) <= 1e-10 * fmax(1.0, g->cs[i].sd), "%s: level %zu %.17g vs %.17g",
                  what, i, lv[i], lr[i]);
    cnt->compared++;
}

/* Random palettes between the per-prompt reference level and beyond the
 * 90th percentile, over 1..m values. */
static void random_palettes(const grouped *g, gsl_rng *rng, int count, const char *name)
{
    map_solver_ws *ws = map_solver_ws_new(g->m, g->m);
    counts cnt = {0, 0, 0, 0};
    for (int rep = 0; rep < count; rep++) {
        const size_t k = 1 + (size_t)rep % g->m;
        size_t cols[8];
        double c[8];
        for (size_t i = 0; i < k; i++) {
            cols[i] = (i + (size_t)rep) % g->m;
            const double hi = g->cs[cols[i]].mean + 1.0 * g->cs[cols[i]].sd;
            c[i] = g->c0[cols[i]] + gsl_rng_uniform(rng) * (hi - g->c0[cols[i]]);
        }
        char what[96];
        snprintf(what, sizeof what, "%s #%d k=%zu", name, rep, k);
        check_palette(g, k, cols, c, ws, &cnt, what);
    }
    fprintf(stderr, "%s: %d optimal (%d compared with L-BFGS), %d infeasible, %d boundary\n", name,
            cnt.optimal, cnt.compared, cnt.infeasible, cnt.boundary);
    MAP_CHECK(cnt.optimal >= count / 5 && cnt.infeasible >= 1, "%s: a mix of verdicts", name);
    map_solver_ws_free(ws);
}

static void test_synthetic_csv(void)
{
    static const char *const VALUES[4] = {"helpful", "harmless", "humor", "concise"};
    map_ingest_opts o = {0};
    o.path = MAP_SOURCE_ROOT "/datasets/synthetic.csv";
    o.values = VALUES;
    o.nvalues = 4;
    o.prompt_column = "prompt";
    map_dataset *ds = NULL;
    map_error err;
    MAP_CHECK(map_ingest_read(&o, &ds, &err) == MAP_OK, "%s", err.msg);
    if (!ds)
        return;
    size_t *order = NULL, *start = NULL, K = 0, singles = 0;
    MAP_CHECK(map_dataset_group_rows(ds, &order, &start, &K, &singles, &err) == MAP_OK, "%s",
              err.msg);
    MAP_CHECK(K > 1 && K < ds->n && singles > 0, "%zu prompts, %zu singletons", K, singles);
    grouped g;
    grouped_init(&g, ds->x, ds->n, ds->m, K, start, order);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 9);
    random_palettes(&g, rng, 24, "synthetic.csv");
    gsl_rng_free(rng);
    map_free(order);
    map_free(start);
    map_dataset_free(ds);
}

static void test_random_groups(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 31);
    for (int t = 0; t < 3; t++) {
        const size_t K = 30 + 20 * (size_t)t, m = 3;
        size_t *sizes = malloc(K * sizeof *sizes), n = 0;
        for (size_t q = 0; q < K; q++) {
            sizes[q] = gsl_rng_uniform(rng) < 0.2 ? 1 : 2 + gsl_rng_uniform_int(rng, 20);
            n += sizes[q];
        }
        /* Rows of a group scattered: a random permutation assigns them. */
        size_t *perm = malloc(n * sizeof *perm), *order = malloc(n * sizeof *order);
        size_t *start = malloc((K + 1) * sizeof *start);
        for (size_t j = 0; j < n; j++)
            perm[j] = j;
        gsl_ran_shuffle(rng, perm, n, sizeof *perm);
        double *x = malloc(n * m * sizeof *x);
        start[0] = 0;
        for (size_t q = 0, at = 0; q < K; q++) {
            const double shift = gsl_ran_gaussian(rng, 0.7); /* prompt effect */
            for (size_t r = 0; r < sizes[q]; r++, at++) {
                const size_t j = perm[at];
                order[at] = j;
                const double z = gsl_ran_gaussian(rng, 1.0);
                x[j * m + 0] = shift + z;
                x[j * m + 1] = -0.5 * shift + 0.6 * z + gsl_ran_gaussian(rng, 0.8);
                x[j * m + 2] = gsl_ran_exponential(rng, 1.0) - shift;
            }
            start[q + 1] = start[q] + sizes[q];
        }
        grouped g;
        grouped_init(&g, x, n, m, K, start, order);
        char name[64];
        snprintf(name, sizeof name, "random K=%zu n=%zu", K, n);
        random_palettes(&g, rng, 30, name);
        free(sizes);
        free(perm);
        free(order);
        free(start);
        free(x);
    }
    gsl_rng_free(rng);
}

/* All prompts singletons: nothing can be tilted, the attainable set is the
 * reference level c0 itself: a target above it is infeasible, targets below
 * it are met at λ = 0. */
static void test_all_singletons(void)
{
    const size_t n = 50, m = 2;
    double x[100];
    size_t order[50], start[51];
    for (size_t j = 0; j < n; j++) {
        x[j * m] = sin((double)j);
        x[j * m + 1] = cos(3.0 * (double)j);
        order[j] = j;
        start[j] = j;
    }
    start[n] = n;
    grouped g;
    grouped_init(&g, x, n, m, n, start, order);
    map_solver_ws *ws = map_solver_ws_new(2, 2);
    counts cnt = {0, 0, 0, 0};
    const size_t cols[2] = {0, 1};
    double c[2] = {g.c0[0] + 1e-3, g.c0[1]};
    check_palette(&g, 2, cols, c, ws, &cnt, "singletons, above");
    c[0] = g.c0[0] - 0.1;
    c[1] = g.c0[1] - 0.1;
    check_palette(&g, 2, cols, c, ws, &cnt, "singletons, below");
    MAP_CHECK(cnt.infeasible == 1 && cnt.optimal == 1, "verdicts: %d optimal, %d infeasible, %d boundary", cnt.optimal, cnt.infeasible, cnt.boundary);
    map_solver_ws_free(ws);
}

int main(void)
{
    MAP_RUN(test_synthetic_csv);
    MAP_RUN(test_random_groups);
    MAP_RUN(test_all_singletons);
    return map_test_finish();
}
