/* test_realdata.c — the solver and the feasibility verdicts on the MAP
 * paper's real reward samples (../shared/datasets), against independent
 * computations: NLopt L-BFGS on a long-double objective for the HHH palettes,
 * and a full primal LP (GLPK, exact polish) for random palettes of both MAP
 * kinds (MATH.md §10). */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_ingest.h"
#include "map_reference.h"
#include "map_solver.h"
#include "map_stats.h"
#include "map_test.h"
#include "map_test_data.h"

static const char *const VALUES[6] = MAP_TEST_HH_VALUES;

typedef struct real {
    map_dataset *ds;
    map_colstat cs[6];
    double *sorted[6];
} real;

static int load(const char *file, real *r)
{
    char path[4096];
    map_test_data_path(path, sizeof path, file);
    map_error err;
    if (map_test_data_read(path, VALUES, 6, NULL, &r->ds, &err) != MAP_OK) {
        fprintf(stderr, "cannot load %s: %s\n", path, err.msg);
        return -1;
    }
    map_matrix X = map_dataset_matrix(r->ds);
    map_column_stats(&X, r->cs);
    for (size_t i = 0; i < 6; i++)
        map_column_sorted(&X, i, &r->sorted[i], NULL);
    return 0;
}

static void unload(real *r)
{
    for (size_t i = 0; i < 6; i++)
        map_free(r->sorted[i]);
    map_dataset_free(r->ds);
}

static map_problem problem(const real *r, size_t k, const size_t *cols, const double *c, double *scale,
                           double *absmax)
{
    for (size_t i = 0; i < k; i++) {
        scale[i] = r->cs[cols[i]].sd;
        absmax[i] = r->cs[cols[i]].absmax;
    }
    map_problem pb = {map_dataset_matrix(r->ds), k, cols, c, scale, absmax, NULL};
    return pb;
}

/* HHH-x: humor, helpful, harmless at max(mean, q_x), the rest at their means. */
static void test_hhh(real *r, const char *name)
{
    map_solver_ws *ws = map_solver_ws_new(6, 6);
    const double xs[] = {0.5, 0.6, 0.7};
    for (size_t t = 0; t < 3; t++) {
        size_t cols[6] = {0, 1, 2, 3, 4, 5};
        double c[6], scale[6], absmax[6];
        for (size_t i = 0; i < 6; i++)
            c[i] = i < 3 ? fmax(r->cs[i].mean, map_quantile_sorted(r->sorted[i], r->ds->n, xs[t]))
                         : r->cs[i].mean;
        map_problem pb = problem(r, 6, cols, c, scale, absmax);
        map_result res;
        map_error err;
        MAP_CHECK(map_solve_palette(&pb, NULL, NULL, NULL, ws, &res, &err) == MAP_OK, "%s", err.msg);
        MAP_CHECK(res.status == MAP_SOLVE_OPTIMAL, "%s HHH-%.0f: %s", name, xs[t] * 100,
                  map_solve_status_name(res.status));
        double ref[6] = {0};
        MAP_CHECK(map_ref_solve(r->ds->x, r->ds->n, 6, 6, cols, c, ref) > 0, "nlopt");
        /* Agreement relative to the size of λ: per-component relative error
         * is ill-posed for components near zero on a flat dual. */
        double lmax = 0.0;
        for (size_t i = 0; i < 6; i++)
            lmax = fmax(lmax, fabs(ref[i]));
        for (size_t i = 0; i < 6; i++) {
            /* Inactive constraints (level above target at the optimum) give λ = 0 exactly. */
            if (res.level[i] > c[i] + 1e-8 * scale[i])
                MAP_CHECK(res.lambda[i] == 0.0, "%s HHH-%.0f %s: inactive but lambda %g", name,
                          xs[t] * 100, VALUES[i], res.lambda[i]);
            MAP_CHECK(fabs(res.lambda[i] - ref[i]) <= 1e-7 * lmax,
                      "%s HHH-%.0f %s: newton %.12g vs nlopt %.12g", name, xs[t] * 100, VALUES[i],
                      res.lambda[i], ref[i]);
        }
        double g[6];
        const double fnew = map_ref_objective(r->ds->x, r->ds->n, 6, 6, cols, c, res.lambda, g);
        const double fref = map_ref_objective(r->ds->x, r->ds->n, 6, 6, cols, c, ref, g);
        MAP_CHECK(fnew <= fref + 1e-14, "%s: newton dual %.17g worse than nlopt %.17g", name, -fnew, -fref);
        fprintf(stderr, "%s HHH-%.0f: lambda = (%.6g, %.6g, %.6g, %.6g, %.6g, %.6g), KL %.6g, %d iterations\n",
                name, xs[t] * 100, res.lambda[0], res.lambda[1], res.lambda[2], res.lambda[3],
                res.lambda[4], res.lambda[5], res.diag.kl, res.diag.iterations);
    }
    map_solver_ws_free(ws);
}

/* Random palettes of the MAP paper's kinds over 1..6 values. */
static void test_random_kinds(real *r, const char *name, int per_kind)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2025);
    map_solver_ws *ws = map_solver_ws_new(6, 6);
    for (int kind = 0; kind < 2; kind++) {
        int counts[5] = {0}, compared = 0, fallbacks = 0;
        long fast_infeasible_passes = 0;
        for (int rep = 0; rep < per_kind; rep++) {
            const size_t k = 1 + (size_t)rep % 6;
            size_t cols[6];
            double c[6], scale[6], absmax[6];
            for (size_t i = 0; i < k; i++) {
                cols[i] = i;
                const double *s = r->sorted[i];
                const double lo = kind == 0 ? map_quantile_sorted(s, r->ds->n, 0.8) : r->cs[i].mean;
                const double hi = kind == 0 ? r->cs[i].max : map_quantile_sorted(s, r->ds->n, 0.7);
                c[i] = lo + (hi - lo) * gsl_rng_uniform(rng);
            }
            map_problem pb = problem(r, k, cols, c, scale, absmax);
            map_result res;
            map_error err;
            map_feas_params fp; /* the margin asked for: the LP verdict first */
            map_feas_params_default(&fp);
            fp.want_margin = 1;
            MAP_CHECK(map_solve_palette(&pb, NULL, &fp, NULL, ws, &res, &err) == MAP_OK, "%s", err.msg);
            counts[res.status]++;
            /* The default order (Newton first, the LP only when undecided):
             * the same verdict, its own evidence. */
            map_result fast;
            MAP_CHECK(map_solve_palette(&pb, NULL, NULL, NULL, ws, &fast, &err) == MAP_OK, "%s", err.msg);
            MAP_CHECK(fast.status == res.status, "%s %s k=%zu: Newton first %s, LP first %s", name,
                      kind ? "conservative" : "aggressive", k, map_solve_status_name(fast.status),
                      map_solve_status_name(res.status));
            fallbacks += !isnan(fast.margin);
            if (fast.status == MAP_SOLVE_INFEASIBLE) {
                double gap;
                MAP_CHECK(map_certificate_check(&pb, fast.direction, &gap), "newton-first certificate");
                double dc = 0.0, best = -INFINITY;
                for (size_t i = 0; i < k; i++)
                    dc += fast.direction[i] * c[i];
                for (size_t j = 0; j < r->ds->n; j++) {
                    double sj = 0.0;
                    for (size_t i = 0; i < k; i++)
                        sj += fast.direction[i] * r->ds->x[j * 6 + cols[i]];
                    best = fmax(best, sj);
                }
                MAP_CHECK(dc > best, "newton-first certificate: d'c %.17g <= max d'r %.17g", dc, best);
                fast_infeasible_passes += fast.diag.evaluations;
            } else if (fast.status == MAP_SOLVE_OPTIMAL) {
                MAP_CHECK(fast.diag.kkt <= 1e-10 + 1e-9 && fast.diag.violation <= 1e-9, "kkt %g", fast.diag.kkt);
            }
            MAP_CHECK(res.status != MAP_SOLVE_NOT_CONVERGED && res.status != MAP_SOLVE_STALLED,
                      "%s %s k=%zu: %s (margin %g)", name, kind ? "conservative" : "aggressive", k,
                      map_solve_status_name(res.status), res.margin);
            double ref;
            MAP_CHECK(map_ref_margin(r->ds->x, r->ds->n, 6, k, cols, c, scale, &ref) == 0, "ref LP");
            MAP_CHECK(fabs(ref - res.margin) <= 1e-9 * fmax(1.0, fabs(ref)), "margin %.17g vs LP %.17g",
                      res.margin, ref);
            if (fabs(ref) > 1e-7) {
                compared++;
                const int attainable = res.status == MAP_SOLVE_OPTIMAL;
                MAP_CHECK(attainable == (ref > 0.0), "%s k=%zu: verdict %s but LP margin %g", name, k,
                          map_solve_status_name(res.status), ref);
            }
            if (res.status == MAP_SOLVE_OPTIMAL)
                MAP_CHECK(res.diag.kkt <= 1e-10 + 1e-9 && res.diag.violation <= 1e-9, "kkt %g", res.diag.kkt);
            if (res.status == MAP_SOLVE_INFEASIBLE) {
                double gap;
                MAP_CHECK(map_certificate_check(&pb, res.direction, &gap), "certificate does not verify");
            }
        }
        fprintf(stderr, "%s %s: %d optimal, %d infeasible, %d boundary; %d compared with the LP\n", name,
                kind ? "conservative" : "aggressive", counts[0], counts[3], counts[4], compared);
        fprintf(stderr, "%s %s, Newton first: %d needed the LP; %.1f passes per infeasible verdict\n",
                name, kind ? "conservative" : "aggressive", fallbacks,
                counts[3] ? (double)fast_infeasible_passes / counts[3] : 0.0);
    }
    map_solver_ws_free(ws);
    gsl_rng_free(rng);
}

int main(void)
{
    const char *files[2] = {"map-opt1.3b-hh.csv", "map-llama2chat-hh.csv"};
    for (int f = 0; f < 2; f++) {
        real r = {0};
        MAP_CHECK(load(files[f], &r) == 0, "load %s", files[f]);
        if (!r.ds)
            continue;
        test_hhh(&r, files[f]);
        test_random_kinds(&r, files[f], getenv("MAP_QUICK") ? 20 : 500);
        unload(&r);
    }
    return map_test_finish();
}
