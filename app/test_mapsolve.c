/* test_mapsolve.c — the public API (mapsolve.h) through the shared library:
 * argument and data errors with their codes and messages, NULL destroys,
 * an optimal solve against the application layer, an infeasible palette's
 * certificate, feasible verdicts, per-prompt normalisation, and the store:
 * store, list, load, solve the loaded dataset, read-only open. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_test.h"
#include "mapsolve.h"

static const double X[8 * 2] = {
    0.1, 0.6, 0.4, 0.6, 0.9, 0.5, 0.3, 0.8, 0.7, 0.6, 0.2, 0.7, 0.8, 0.4, 0.5, 0.9,
};
static const char *const NAMES[2] = {"helpful", "harmless"};

static void test_errors(void)
{
    mapsolve_error err;
    mapsolve_dataset *ds = (mapsolve_dataset *)&err; /* set to NULL on failure */
    MAP_CHECK(mapsolve_dataset_from_matrix(0, 2, X, NAMES, NULL, &ds, &err) == MAPSOLVE_EARG,
              "n = 0");
    MAP_CHECK(ds == NULL && err.code == MAPSOLVE_EARG && err.msg[0], "output NULL, message set");
    const char *const dup[2] = {"a", "a"};
    MAP_CHECK(mapsolve_dataset_from_matrix(8, 2, X, dup, NULL, &ds, &err) == MAPSOLVE_EARG &&
                  strstr(err.msg, "'a'"),
              "duplicate name: %s", err.msg);
    double bad[4] = {1, 2, NAN, 4};
    MAP_CHECK(mapsolve_dataset_from_matrix(2, 2, bad, NAMES, NULL, &ds, &err) == MAPSOLVE_EDATA,
              "NaN reward");
    MAP_CHECK(mapsolve_dataset_from_matrix(8, 2, X, NAMES, NULL, &ds, NULL) == MAPSOLVE_OK, "ok");
    mapsolve_result *r = NULL;
    MAP_CHECK(mapsolve_solve(ds, "nosuch=1", NULL, &r, &err) == MAPSOLVE_EDATA && r == NULL,
              "unknown value in the palette");
    MAP_CHECK(mapsolve_solve(ds, "helpful=q101", NULL, &r, &err) == MAPSOLVE_EDATA, "q101");
    mapsolve_options o;
    mapsolve_options_default(&o);
    o.method = 7;
    MAP_CHECK(mapsolve_solve(ds, "helpful=0.5", &o, &r, &err) == MAPSOLVE_EARG, "bad method");
    mapsolve_options_default(&o);
    o.normalize = MAPSOLVE_NORMALIZE_PROMPT;
    MAP_CHECK(mapsolve_solve(ds, "helpful=0.5", &o, &r, &err) == MAPSOLVE_EDATA,
              "per-prompt normalisation without prompts");
    MAP_CHECK(mapsolve_solve(NULL, "helpful=0.5", NULL, &r, &err) == MAPSOLVE_EARG, "NULL ds");
    MAP_CHECK(strcmp(mapsolve_errstr(MAPSOLVE_ENOMEM), "out of memory") == 0, "errstr");
    MAP_CHECK(strcmp(mapsolve_status_name(42), "unknown") == 0, "status name out of range");
    MAP_CHECK(strcmp(mapsolve_version(), MAPSOLVE_VERSION_STRING) == 0 &&
                  strcmp(MAPSOLVE_VERSION_STRING, MAP_PROJECT_VERSION) == 0,
              "version: the header's %s is meson's %s", MAPSOLVE_VERSION_STRING,
              MAP_PROJECT_VERSION);
    mapsolve_dataset_free(ds);
    mapsolve_dataset_free(NULL);
    mapsolve_result_free(NULL);
    mapsolve_close(NULL);
    mapsolve_names_free(NULL, 3);
}

static void test_solve(void)
{
    mapsolve_init();
    mapsolve_dataset *ds = NULL;
    mapsolve_error err;
    MAP_CHECK(mapsolve_dataset_from_matrix(8, 2, X, NAMES, NULL, &ds, &err) == MAPSOLVE_OK, "ds");
    MAP_CHECK(mapsolve_dataset_samples(ds) == 8 && mapsolve_dataset_values(ds) == 2 &&
                  strcmp(mapsolve_dataset_value_name(ds, 1), "harmless") == 0 &&
                  mapsolve_dataset_value_name(ds, 2) == NULL && !mapsolve_dataset_name(ds)[0],
              "dataset accessors");
    mapsolve_result *r = NULL;
    MAP_CHECK(mapsolve_solve(ds, "helpful=0.6,harmless=mean", NULL, &r, &err) == MAPSOLVE_OK,
              "solve: %s", err.msg);
    MAP_CHECK(mapsolve_result_status(r) == MAPSOLVE_OPTIMAL, "optimal");
    MAP_CHECK(mapsolve_result_k(r) == 2, "k");
    MAP_CHECK(strcmp(mapsolve_result_name(r, 0), "helpful") == 0, "name");
    MAP_CHECK_CLOSE(mapsolve_result_target(r, 1), 0.6375, 1e-15, "mean target");
    /* The same λ as `mapsolve solve --json` (tests/e2e/libmapsolve_test.sh). */
    MAP_CHECK_CLOSE(mapsolve_result_lambda(r, 0), 2.4642286893702132, 1e-9, "λ helpful");
    MAP_CHECK_CLOSE(mapsolve_result_lambda(r, 1), 2.2763765436827788, 1e-9, "λ harmless");
    MAP_CHECK_CLOSE(mapsolve_result_level(r, 0), 0.6, 1e-9, "level");
    MAP_CHECK(mapsolve_result_kl(r) > 0 && mapsolve_result_ess(r) > 1 &&
                  mapsolve_result_ess(r) <= 8,
              "KL and ESS");
    MAP_CHECK(!mapsolve_result_has_direction(r) && isnan(mapsolve_result_cert_gap(r)),
              "no certificate");
    MAP_CHECK(isnan(mapsolve_result_lambda(r, 2)) && mapsolve_result_name(r, 2) == NULL,
              "index out of range");
    mapsolve_result_free(r);

    /* helpful + harmless never exceeds 1.4 on these samples. */
    MAP_CHECK(mapsolve_solve(ds, "helpful=0.9,harmless=0.9", NULL, &r, &err) == MAPSOLVE_OK,
              "infeasible solve returns OK");
    MAP_CHECK(mapsolve_result_status(r) == MAPSOLVE_INFEASIBLE, "infeasible: %s",
              mapsolve_status_name(mapsolve_result_status(r)));
    MAP_CHECK(mapsolve_result_has_direction(r) && mapsolve_result_cert_gap(r) > 0,
              "certificate with a positive gap");
    const double d0 = mapsolve_result_direction(r, 0), d1 = mapsolve_result_direction(r, 1);
    MAP_CHECK(d0 >= 0 && d1 >= 0 && d0 + d1 > 0, "d ≥ 0, d ≠ 0");
    /* dᵀc − max_j dᵀr_j, recomputed. */
    double mx = -INFINITY;
    for (int j = 0; j < 8; j++)
        mx = fmax(mx, d0 * X[2 * j] + d1 * X[2 * j + 1]);
    MAP_CHECK_CLOSE(mapsolve_result_cert_gap(r), d0 * 0.9 + d1 * 0.9 - mx, 1e-12, "gap");
    MAP_CHECK(isnan(mapsolve_result_kl(r)) && isnan(mapsolve_result_level(r, 0)),
              "no tilt when infeasible");
    mapsolve_result_free(r);

    int v = -1;
    double margin = NAN;
    MAP_CHECK(mapsolve_feasible(ds, "helpful=0.9,harmless=0.9", NULL, &v, &margin, &err) == 0 &&
                  v == MAPSOLVE_VERDICT_INFEASIBLE && margin < 0,
              "feasible: infeasible");
    MAP_CHECK(mapsolve_feasible(ds, "helpful=0.6", NULL, &v, &margin, &err) == 0 &&
                  v == MAPSOLVE_ATTAINABLE && margin > 0 &&
                  strcmp(mapsolve_verdict_name(v), "attainable") == 0,
              "feasible: attainable");
    MAP_CHECK(mapsolve_feasible(ds, "helpful=0.9", NULL, &v, NULL, &err) == 0 &&
                  v == MAPSOLVE_VERDICT_BOUNDARY,
              "feasible: the maximum is the boundary");
    mapsolve_dataset_free(ds);

    /* Per-prompt normalisation with prompt keys. */
    const char *const prompts[8] = {"a", "a", "b", "b", "c", "c", "d", "d"};
    MAP_CHECK(mapsolve_dataset_from_matrix(8, 2, X, NAMES, prompts, &ds, &err) == 0, "prompts");
    mapsolve_options o;
    mapsolve_options_default(&o);
    o.normalize = MAPSOLVE_NORMALIZE_PROMPT;
    MAP_CHECK(mapsolve_solve(ds, "helpful=0.55", &o, &r, &err) == 0 &&
                  mapsolve_result_status(r) == MAPSOLVE_OPTIMAL,
              "per-prompt solve: %s", err.msg);
    MAP_CHECK_CLOSE(mapsolve_result_level(r, 0), 0.55, 1e-9, "per-prompt level");
    mapsolve_result_free(r);
    mapsolve_dataset_free(ds);
}

/* One dataset shared by threads (mapsolve.h: read-only after creation):
 * every thread's λ is bit-identical to a solve on the main thread. */
typedef struct shared_job {
    const mapsolve_dataset *ds;
    double lambda[2];
    int rc, status;
} shared_job;

static void *solve_shared(void *arg)
{
    shared_job *job = arg;
    mapsolve_result *r = NULL;
    for (int rep = 0; rep < 20; rep++) {
        mapsolve_result_free(r);
        r = NULL;
        job->rc = mapsolve_solve(job->ds, "helpful=0.6,harmless=mean", NULL, &r, NULL);
        if (job->rc)
            return NULL;
    }
    job->status = mapsolve_result_status(r);
    job->lambda[0] = mapsolve_result_lambda(r, 0);
    job->lambda[1] = mapsolve_result_lambda(r, 1);
    mapsolve_result_free(r);
    return NULL;
}

static void test_threads(void)
{
    mapsolve_dataset *ds = NULL;
    MAP_CHECK(mapsolve_dataset_from_matrix(8, 2, X, NAMES, NULL, &ds, NULL) == 0, "ds");
    shared_job ref = {.ds = ds};
    solve_shared(&ref);
    enum { T = 4 };
    shared_job jobs[T];
    pthread_t tid[T];
    for (int t = 0; t < T; t++) {
        jobs[t] = (shared_job){.ds = ds};
        MAP_CHECK(pthread_create(&tid[t], NULL, solve_shared, &jobs[t]) == 0, "pthread_create");
    }
    for (int t = 0; t < T; t++) {
        pthread_join(tid[t], NULL);
        MAP_CHECK(jobs[t].rc == 0 && jobs[t].status == MAPSOLVE_OPTIMAL &&
                      memcmp(jobs[t].lambda, ref.lambda, sizeof ref.lambda) == 0,
                  "thread %d: same λ", t);
    }
    mapsolve_dataset_free(ds);
}

static void test_store(void)
{
    char dir[] = "/tmp/test_mapsolve.XXXXXX";
    MAP_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[256];
    snprintf(path, sizeof path, "%s/t.db", dir);
    mapsolve_error err;
    mapsolve_store *st = NULL;
    MAP_CHECK(mapsolve_open(path, MAPSOLVE_OPEN_READONLY, &st, &err) == MAPSOLVE_ESTORE &&
                  st == NULL,
              "read-only open of a missing file");
    MAP_CHECK(mapsolve_open(path, 0x80, &st, &err) == MAPSOLVE_EARG, "unknown flag");
    MAP_CHECK(mapsolve_open(path, 0, &st, &err) == MAPSOLVE_OK, "open: %s", err.msg);
    mapsolve_dataset *ds = NULL;
    MAP_CHECK(mapsolve_dataset_from_matrix(8, 2, X, NAMES, NULL, &ds, &err) == 0, "ds");
    MAP_CHECK(mapsolve_store_dataset(st, "ex", ds, 0, &err) == MAPSOLVE_OK, "store: %s", err.msg);
    MAP_CHECK(mapsolve_store_dataset(st, "ex", ds, 0, &err) == MAPSOLVE_EDATA, "taken name");
    MAP_CHECK(mapsolve_store_dataset(st, "ex", ds, 1, &err) == MAPSOLVE_OK, "replace");
    MAP_CHECK(mapsolve_store_dataset(st, "", ds, 0, &err) != MAPSOLVE_OK, "empty name");
    mapsolve_dataset_free(ds);
    char **names = NULL;
    size_t count = 0;
    MAP_CHECK(mapsolve_list(st, &names, &count, &err) == 0 && count == 1 &&
                  strcmp(names[0], "ex") == 0,
              "list");
    mapsolve_names_free(names, count);
    mapsolve_close(st);

    MAP_CHECK(mapsolve_open(path, MAPSOLVE_OPEN_READONLY, &st, &err) == 0, "read-only open");
    MAP_CHECK(mapsolve_load(st, "nosuch", &ds, &err) == MAPSOLVE_EARG && ds == NULL,
              "unknown dataset: %s", err.msg);
    MAP_CHECK(mapsolve_load(st, "ex", &ds, &err) == MAPSOLVE_OK, "load: %s", err.msg);
    MAP_CHECK(mapsolve_store_dataset(st, "other", ds, 0, &err) == MAPSOLVE_EARG,
              "no writes through a read-only handle");
    mapsolve_close(st); /* the dataset outlives the store */
    MAP_CHECK(strcmp(mapsolve_dataset_name(ds), "ex") == 0, "loaded name");
    mapsolve_result *r = NULL;
    MAP_CHECK(mapsolve_solve(ds, "helpful=0.6,harmless=mean", NULL, &r, &err) == 0 &&
                  mapsolve_result_status(r) == MAPSOLVE_OPTIMAL,
              "solve the loaded dataset");
    MAP_CHECK_CLOSE(mapsolve_result_lambda(r, 0), 2.4642286893702132, 1e-9, "same λ");
    mapsolve_result_free(r);
    mapsolve_dataset_free(ds);
    unlink(path);
    char side[300];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    rmdir(dir);
}

/* adjust: the ray's palette is c0 + ρ(c − c0) on the boundary (just beyond
 * it is refuted), the palette solved is stepped inside and solved optimally;
 * an attainable palette is solved unchanged. */
static void test_adjust(void)
{
    mapsolve_dataset *ds = NULL;
    mapsolve_error err;
    MAP_CHECK(mapsolve_dataset_from_matrix(8, 2, X, NAMES, NULL, &ds, &err) == MAPSOLVE_OK, "ds");
    mapsolve_result *r = NULL;
    MAP_CHECK(mapsolve_adjust(ds, "helpful=0.9,harmless=0.9", 7, NULL, &r, &err) ==
                      MAPSOLVE_EARG &&
                  r == NULL && strcmp(err.field, "mode") == 0,
              "unknown mode names the field: '%s' %s", err.field, err.msg);
    MAP_CHECK(mapsolve_adjust(ds, "helpful=0.9,harmless=0.9", MAPSOLVE_ADJUST_RAY, NULL, &r,
                              &err) == MAPSOLVE_OK,
              "ray: %s", err.msg);
    const double c0[2] = {0.4875, 0.6375}, c[2] = {0.9, 0.9};
    const double rho = mapsolve_result_rho(r);
    MAP_CHECK(rho > 0 && rho < 1, "0 < rho %g < 1", rho);
    MAP_CHECK(mapsolve_result_status(r) == MAPSOLVE_OPTIMAL, "the adjusted palette is solved");
    char beyond[128], inside[128];
    double adj[2];
    for (size_t i = 0; i < 2; i++) {
        adj[i] = mapsolve_result_adjusted(r, i);
        MAP_CHECK_CLOSE(mapsolve_result_requested(r, i), c[i], 0, "requested ");
        MAP_CHECK_CLOSE(adj[i], c0[i] + rho * (c[i] - c0[i]), 1e-12, "on the ray ");
        MAP_CHECK_CLOSE(mapsolve_result_target(r, i), c0[i] + (1 - 1e-3) * (adj[i] - c0[i]),
                        1e-12, "stepped inside ");
        MAP_CHECK_CLOSE(mapsolve_result_level(r, i), mapsolve_result_target(r, i), 1e-9,
                        "level ");
    }
    snprintf(beyond, sizeof beyond, "helpful=%.17g,harmless=%.17g",
             c0[0] + 1.001 * (adj[0] - c0[0]), c0[1] + 1.001 * (adj[1] - c0[1]));
    snprintf(inside, sizeof inside, "helpful=%.17g,harmless=%.17g",
             c0[0] + 0.999 * (adj[0] - c0[0]), c0[1] + 0.999 * (adj[1] - c0[1]));
    int verdict = -1;
    MAP_CHECK(mapsolve_feasible(ds, beyond, NULL, &verdict, NULL, &err) == MAPSOLVE_OK &&
                  verdict == MAPSOLVE_VERDICT_INFEASIBLE,
              "just beyond the ray's point: infeasible (%d)", verdict);
    MAP_CHECK(mapsolve_feasible(ds, inside, NULL, &verdict, NULL, &err) == MAPSOLVE_OK &&
                  verdict == MAPSOLVE_ATTAINABLE,
              "just inside: attainable (%d)", verdict);
    mapsolve_result_free(r);

    MAP_CHECK(mapsolve_adjust(ds, "helpful=0.6", MAPSOLVE_ADJUST_GREEDY, NULL, &r, &err) ==
                  MAPSOLVE_OK,
              "greedy on an attainable palette: %s", err.msg);
    MAP_CHECK(isnan(mapsolve_result_rho(r)) && mapsolve_result_adjusted(r, 0) == 0.6 &&
                  mapsolve_result_target(r, 0) == 0.6 &&
                  mapsolve_result_status(r) == MAPSOLVE_OPTIMAL,
              "unchanged");
    mapsolve_result_free(r);
    mapsolve_dataset_free(ds);
}

/* frontier and region tables: each converged frontier point has the KL of
 * its budget, and solving its levels as a palette gives its λ back; each
 * region target is on the boundary (just inside attainable, just beyond
 * refuted); bad requests name their field. */
static void test_tables(void)
{
    mapsolve_dataset *ds = NULL;
    mapsolve_error err;
    MAP_CHECK(mapsolve_dataset_from_matrix(8, 2, X, NAMES, NULL, &ds, &err) == MAPSOLVE_OK, "ds");
    mapsolve_table *t = NULL;
    const double budgets[2] = {0.05, 0.2};
    MAP_CHECK(mapsolve_frontier(ds, NAMES, 2, budgets, 2, 5, NULL, &t, &err) == MAPSOLVE_OK,
              "frontier: %s", err.msg);
    const long jb = mapsolve_table_find(t, "budget"), jkl = mapsolve_table_find(t, "kl"),
               jst = mapsolve_table_find(t, "status"), jl0 = mapsolve_table_find(t, "lambda_helpful"),
               jl1 = mapsolve_table_find(t, "lambda_harmless"),
               jv0 = mapsolve_table_find(t, "level_helpful"),
               jv1 = mapsolve_table_find(t, "level_harmless");
    MAP_CHECK(jb == 1 && jkl > 0 && jst == (long)mapsolve_table_cols(t) - 1 && jl0 > 0 &&
                  jl1 > 0 && jv0 > 0 && jv1 > 0 &&
                  strcmp(mapsolve_table_column(t, 0), "point") == 0 &&
                  mapsolve_table_column(t, mapsolve_table_cols(t)) == NULL,
              "the CLI's columns");
    size_t converged = 0;
    for (size_t i = 0; i < mapsolve_table_rows(t); i++) {
        MAP_CHECK(mapsolve_table_value(t, i, 0) == (double)i, "point %zu", i);
        const char *status = mapsolve_table_text(t, i, (size_t)jst);
        MAP_CHECK(status && isnan(mapsolve_table_value(t, i, (size_t)jst)), "status is text");
        if (!status || strcmp(status, "converged") != 0)
            continue;
        converged++;
        MAP_CHECK_CLOSE(mapsolve_table_value(t, i, (size_t)jkl),
                        mapsolve_table_value(t, i, (size_t)jb), 1e-8, "KL at the budget, row ");
        char pal[128];
        snprintf(pal, sizeof pal, "helpful=%.17g,harmless=%.17g",
                 mapsolve_table_value(t, i, (size_t)jv0), mapsolve_table_value(t, i, (size_t)jv1));
        mapsolve_result *r = NULL;
        MAP_CHECK(mapsolve_solve(ds, pal, NULL, &r, &err) == MAPSOLVE_OK &&
                      mapsolve_result_status(r) == MAPSOLVE_OPTIMAL,
                  "row %zu's levels solve", i);
        for (size_t v = 0; r && v < 2; v++)
            MAP_CHECK_CLOSE(mapsolve_result_lambda(r, v),
                            mapsolve_table_value(t, i, (size_t)(v ? jl1 : jl0)), 1e-6,
                            "row : λ_ back from its levels");
        mapsolve_result_free(r);
    }
    MAP_CHECK(converged >= 6, "%zu converged rows", converged);
    MAP_CHECK(isnan(mapsolve_table_value(t, 99, 0)) && !mapsolve_table_text(t, 0, 99),
              "out of range");
    mapsolve_table_free(t);

    MAP_CHECK(mapsolve_region(ds, NAMES, 2, 12, NULL, NULL, &t, &err) == MAPSOLVE_OK,
              "region: %s", err.msg);
    MAP_CHECK(mapsolve_table_rows(t) == 12 && mapsolve_table_find(t, "step") == 3,
              "12 rows, the CLI's columns");
    for (size_t i = 0; i < mapsolve_table_rows(t); i++) {
        const double s = mapsolve_table_value(t, i, 3);
        if (isnan(s))
            continue;
        const double d0 = mapsolve_table_value(t, i, 1), d1 = mapsolve_table_value(t, i, 2);
        char pal[128];
        int verdict = -1;
        snprintf(pal, sizeof pal, "helpful=%.17g,harmless=%.17g", 0.4875 + 0.999 * s * d0,
                 0.6375 + 0.999 * s * d1);
        MAP_CHECK(mapsolve_feasible(ds, pal, NULL, &verdict, NULL, &err) == MAPSOLVE_OK &&
                      verdict == MAPSOLVE_ATTAINABLE,
                  "row %zu just inside: %d", i, verdict);
        snprintf(pal, sizeof pal, "helpful=%.17g,harmless=%.17g", 0.4875 + 1.001 * s * d0,
                 0.6375 + 1.001 * s * d1);
        MAP_CHECK(mapsolve_feasible(ds, pal, NULL, &verdict, NULL, &err) == MAPSOLVE_OK &&
                      verdict == MAPSOLVE_VERDICT_INFEASIBLE,
                  "row %zu just beyond: %d", i, verdict);
        MAP_CHECK_CLOSE(mapsolve_table_value(t, i, 4), 0.4875 + s * d0, 1e-12, "target");
    }
    mapsolve_table_free(t);

    const char *const bad[2] = {"helpful", "nosuch"};
    MAP_CHECK(mapsolve_frontier(ds, bad, 2, budgets, 2, 5, NULL, &t, &err) == MAPSOLVE_EDATA &&
                  t == NULL && strcmp(err.field, "values") == 0 && strstr(err.msg, "'nosuch'"),
              "unknown value: field '%s', %s", err.field, err.msg);
    MAP_CHECK(mapsolve_region(ds, NAMES, 2, 0, NULL, NULL, &t, &err) == MAPSOLVE_EDATA &&
                  strcmp(err.field, "points") == 0,
              "points 0: field '%s'", err.field);
    MAP_CHECK(mapsolve_region(ds, NAMES, 2, 8, "helpful=2", NULL, &t, &err) == MAPSOLVE_EDATA &&
                  strcmp(err.field, "from") == 0,
              "unattainable from: field '%s' %s", err.field, err.msg);
    MAP_CHECK(mapsolve_frontier(ds, NAMES, 2, NULL, 1, 5, NULL, &t, &err) == MAPSOLVE_EARG,
              "NULL budgets");
    /* The argument checks in their order: out, then budgets, then the dataset. */
    MAP_CHECK(mapsolve_frontier(NULL, NAMES, 2, NULL, 1, 5, NULL, NULL, &err) == MAPSOLVE_EARG &&
                  strcmp(err.msg, "out is NULL") == 0,
              "frontier, NULL out first: %s", err.msg);
    MAP_CHECK(mapsolve_frontier(NULL, NAMES, 2, NULL, 1, 5, NULL, &t, &err) == MAPSOLVE_EARG &&
                  t == NULL && strcmp(err.msg, "budgets is NULL") == 0,
              "frontier, NULL budgets before the dataset: %s", err.msg);
    MAP_CHECK(mapsolve_region(NULL, NAMES, 2, 8, NULL, NULL, NULL, &err) == MAPSOLVE_EARG &&
                  strcmp(err.msg, "out is NULL") == 0,
              "region, NULL out first: %s", err.msg);
    MAP_CHECK(mapsolve_region(NULL, NAMES, 2, 8, NULL, NULL, &t, &err) == MAPSOLVE_EARG &&
                  t == NULL && strcmp(err.msg, "dataset or values is NULL") == 0,
              "region, NULL dataset: %s", err.msg);
    mapsolve_table_free(NULL);
    MAP_CHECK(mapsolve_table_rows(NULL) == 0 && mapsolve_table_find(NULL, "x") == -1, "NULL");
    mapsolve_dataset_free(ds);
}

int main(void)
{
    MAP_RUN(test_errors);
    MAP_RUN(test_solve);
    MAP_RUN(test_adjust);
    MAP_RUN(test_tables);
    MAP_RUN(test_threads);
    MAP_RUN(test_store);
    return map_test_finish();
}
