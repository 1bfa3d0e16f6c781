/* test_app.c — the command logic without the command line: describe,
 * solve, feasible, adjust, frontier and region on small datasets with
 * closed-form answers, constant values, the JSON and table rendering, and
 * allocation failures at every step. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "map_app.h"
#include "map_test_app.h"
#include "map_palette.h"
#include "map_stats.h"
#include "map_output.h"
#include "map_test.h"

/* A dataset of n samples x m values from row-major x, values named names. */
static map_dataset *make(const char *name, size_t n, size_t m, const double *x,
                         const char *const *names)
{
    map_dataset *ds = map_dataset_new();
    if (!ds)
        return NULL;
    ds->name = map_strdup(name);
    ds->n = n;
    ds->m = m;
    ds->values = map_calloc(m, sizeof *ds->values);
    ds->x = map_mallocarray(n * m, sizeof *ds->x);
    if (!ds->name || !ds->values || !ds->x) {
        map_dataset_free(ds);
        return NULL;
    }
    for (size_t i = 0; i < m; i++)
        ds->values[i] = map_strdup(names[i]);
    memcpy(ds->x, x, n * m * sizeof *x);
    return ds;
}

/* Two samples, r = 0 and 1 (value "a"), plus "b" = 2r + 1 and a constant
 * "k" = 3. For a target c in (0, 1) on a alone the tilt is q = (1 − c, c):
 * λ = log(c / (1 − c)), KL = c log 2c + (1 − c) log 2(1 − c),
 * ESS = 1 / (c² + (1 − c)²), and b's level is 2c + 1. */
static map_dataset *two_point(void)
{
    static const double x[] = {0, 1, 3, 1, 3, 3};
    static const char *const names[] = {"a", "b", "k"};
    return make("two", 2, 3, x, names);
}

static void test_closed_form(void)
{
    map_dataset *ds = two_point();
    if (!ds)
        return;
    static const double cs[] = {0.5, 0.7, 0.9, 0.99};
    for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
        const double c = cs[t];
        char spec[64];
        snprintf(spec, sizeof spec, "a=%.17g", c);
        map_error err;
        map_error_clear(&err);
        map_solve_report *rep = NULL;
        const int rc = solve_palette(ds, spec, NULL, &rep, &err);
        MAP_CHECK(rc == MAP_OK, "c=%g: %s", c, err.msg);
        if (rc)
            continue;
        MAP_CHECK(rep->result.status == MAP_SOLVE_OPTIMAL, "status %d", rep->result.status);
        MAP_CHECK(map_app_solve_code(rep) == MAP_OK, "code");
        MAP_CHECK(rep->has_tilt && rep->k == 1 && rep->kp == 1 && rep->m == 3, "shape");
        MAP_CHECK_CLOSE(rep->items[0].lambda, log(c / (1 - c)), 1e-8, "lambda");
        MAP_CHECK_CLOSE(rep->items[0].level, c, 1e-9, "level");
        MAP_CHECK_CLOSE(rep->result.diag.kl, c * log(2 * c) + (1 - c) * log(2 * (1 - c)), 1e-9,
                        "KL");
        MAP_CHECK_CLOSE(rep->result.diag.ess, 1 / (c * c + (1 - c) * (1 - c)), 1e-8, "ESS");
        MAP_CHECK_CLOSE(rep->levels[1], 2 * c + 1, 1e-9, "level of b (not in the palette)");
        MAP_CHECK(rep->levels[2] == 3.0, "level of the constant k: %.17g", rep->levels[2]);
        MAP_CHECK(rep->levels[0] == rep->items[0].level, "levels repeat the item's level");
        map_solve_report_free(rep);
    }
    map_dataset_free(ds);
}

static void test_verdicts(void)
{
    map_dataset *ds = two_point();
    if (!ds)
        return;
    map_error err;
    map_solve_report *rep = NULL;

    /* Below the mean: λ = 0 exactly, q = p0. */
    MAP_CHECK(solve_palette(ds, "a=0.25,b=mean", NULL, &rep, &err) == MAP_OK, "%s",
              err.msg);
    if (rep) {
        MAP_CHECK(rep->result.status == MAP_SOLVE_OPTIMAL, "optimal");
        MAP_CHECK(rep->items[0].lambda == 0.0 && rep->items[1].lambda == 0.0, "lambda 0");
        MAP_CHECK(rep->result.diag.kl == 0.0, "KL 0");
        map_solve_report_free(rep);
    }
    /* Above the maximum: infeasible, certificate on a, no tilt. */
    MAP_CHECK(solve_palette(ds, "a=1.5", NULL, &rep, &err) == MAP_OK, "%s", err.msg);
    if (rep) {
        MAP_CHECK(rep->result.status == MAP_SOLVE_INFEASIBLE, "infeasible");
        MAP_CHECK(map_app_solve_code(rep) == MAP_NOT_ATTAINED, "code 1");
        MAP_CHECK(!rep->has_tilt && rep->result.has_direction && rep->result.direction[0] > 0,
                  "certificate");
        MAP_CHECK(isnan(rep->levels[0]) && rep->levels[2] == 3.0, "levels undefined but k's");
        char *json = map_json_solve(rep);
        MAP_CHECK(json != NULL, "json");
        json_error_t jerr;
        json_t *root = json ? json_loads(json, 0, &jerr) : NULL;
        MAP_CHECK(root != NULL, "parses: %s", json ? jerr.text : "");
        if (root) {
            MAP_CHECK(strcmp(json_string_value(json_object_get(root, "status")), "infeasible") == 0,
                      "status");
            MAP_CHECK(json_is_null(json_object_get(root, "kl")), "kl null");
            json_t *cert = json_object_get(root, "certificate");
            MAP_CHECK(json_real_value(json_object_get(json_object_get(cert, "direction"), "a")) > 0,
                      "direction");
            MAP_CHECK(json_real_value(json_object_get(cert, "gap")) > 0, "gap");
            json_decref(root);
        }
        map_free(json);
        map_solve_report_free(rep);
    }
    /* At the maximum: attainable only in the limit. */
    MAP_CHECK(solve_palette(ds, "a=q100", NULL, &rep, &err) == MAP_OK, "%s", err.msg);
    if (rep) {
        MAP_CHECK(rep->result.status == MAP_SOLVE_BOUNDARY, "boundary: %s",
                  map_solve_status_name(rep->result.status));
        map_solve_report_free(rep);
    }
    map_dataset_free(ds);
}

static void test_constant(void)
{
    map_dataset *ds = two_point();
    if (!ds)
        return;
    map_error err;
    map_solve_report *rep = NULL;
    MAP_CHECK(solve_palette(ds, "k=3,a=0.7", NULL, &rep, &err) == MAP_OK, "%s",
              err.msg);
    if (rep) {
        MAP_CHECK(rep->items[0].constant && rep->items[0].pidx == -1, "k left out");
        MAP_CHECK(rep->items[0].lambda == 0.0 && rep->items[0].level == 3.0, "k's λ and level");
        MAP_CHECK(rep->kp == 1 && rep->items[1].pidx == 0, "a solved");
        MAP_CHECK_CLOSE(rep->items[1].lambda, log(0.7 / 0.3), 1e-8, "a's λ");
        map_solve_report_free(rep);
    }
    /* Only constants: λ = 0 without a solve. */
    MAP_CHECK(solve_palette(ds, "k=2.5", NULL, &rep, &err) == MAP_OK, "%s", err.msg);
    if (rep) {
        MAP_CHECK(rep->kp == 0 && rep->result.status == MAP_SOLVE_OPTIMAL && rep->has_tilt,
                  "trivial");
        MAP_CHECK(rep->result.diag.ess == 2.0 && rep->result.diag.kl == 0.0, "q = p0");
        MAP_CHECK(rep->levels[0] == 0.5 && rep->levels[1] == 2.0, "levels are the means");
        char *json = map_json_solve(rep);
        MAP_CHECK(json && strstr(json, "\"margin\": null"), "margin null");
        map_free(json);
        map_solve_report_free(rep);
    }
    /* Above its value: infeasible with the certificate d = e_k (gap 0.5). */
    map_error_clear(&err);
    MAP_CHECK(solve_palette(ds, "k=3.5,a=0.7", NULL, &rep, &err) == MAP_OK, "%s",
              err.msg);
    if (rep) {
        const long pk = rep->items[0].pidx;
        MAP_CHECK(rep->result.status == MAP_SOLVE_INFEASIBLE && !rep->items[0].constant && pk >= 0,
                  "constant above its value: infeasible");
        MAP_CHECK(pk >= 0 && rep->result.direction[pk] > 0.0 &&
                      rep->result.direction[rep->items[1].pidx] == 0.0,
                  "certificate d = e_k");
        MAP_CHECK_CLOSE(rep->result.cert_gap, 0.5, 1e-12, "gap c_k - k");
        MAP_CHECK(map_app_solve_code(rep) == MAP_NOT_ATTAINED, "exit 1");
        map_solve_report_free(rep);
    }
    map_error_clear(&err);
    MAP_CHECK(solve_palette(ds, "a=1,zz=2", NULL, &rep, &err) == MAP_EDATA,
              "unknown value");
    MAP_CHECK(strstr(err.msg, "'zz'") && strstr(err.msg, "a, b, k"), "message: %s", err.msg);
    map_dataset_free(ds);
}

/* Three samples u, v = (1, 0), (0, 1), (0, 0): attainable iff u + v ≤ 1
 * (and each in [0, 1]); the reference means are (1/3, 1/3). */
static map_dataset *tradeoff(void)
{
    static const double x[] = {1, 0, 0, 1, 0, 0};
    static const char *const names[] = {"u", "v"};
    return make("trade", 3, 2, x, names);
}

static void test_feasible(void)
{
    map_dataset *ds = two_point();
    if (!ds)
        return;
    map_error err;
    map_feasible_report *rep = NULL;
    /* a = 0.5: all mass on a = 1 gives (1 − 0.5) / sd_a = 1. */
    MAP_CHECK(feasible_palette(ds, "a=0.5,k=3", NULL, &rep, &err) == MAP_OK, "%s",
              err.msg);
    if (rep) {
        MAP_CHECK(rep->verdict == MAP_VERDICT_ATTAINABLE && map_app_feasible_code(rep) == MAP_OK,
                  "attainable");
        MAP_CHECK_CLOSE(rep->margin, 1.0, 1e-9, "margin");
        MAP_CHECK(rep->kp == 1 && rep->items[1].constant && !rep->has_direction, "k left out");
        map_feasible_report_free(rep);
    }
    /* Above a's maximum: refuted by d = e_a with gap 0.5. */
    MAP_CHECK(feasible_palette(ds, "b=mean,a=1.5", NULL, &rep, &err) == MAP_OK, "%s",
              err.msg);
    if (rep) {
        MAP_CHECK(rep->verdict == MAP_VERDICT_INFEASIBLE &&
                      map_app_feasible_code(rep) == MAP_NOT_ATTAINED,
                  "infeasible");
        MAP_CHECK(rep->has_direction && rep->direction[0] == 0.0 && rep->direction[1] == 1.0,
                  "d = e_a");
        MAP_CHECK_CLOSE(rep->cert_gap, 0.5, 1e-12, "gap");
        char *json = map_json_feasible(rep);
        json_error_t jerr;
        json_t *root = json ? json_loads(json, 0, &jerr) : NULL;
        MAP_CHECK(root != NULL, "JSON parses");
        if (root) {
            MAP_CHECK(strcmp(json_string_value(json_object_get(root, "verdict")), "infeasible") ==
                          0,
                      "verdict");
            json_t *dir = json_object_get(json_object_get(root, "certificate"), "direction");
            MAP_CHECK(json_real_value(json_object_get(dir, "a")) == 1.0 &&
                          json_real_value(json_object_get(dir, "b")) == 0.0,
                      "direction");
            json_decref(root);
        }
        map_free(json);
        map_feasible_report_free(rep);
    }
    /* At the maximum: the boundary, driven by a. */
    MAP_CHECK(feasible_palette(ds, "a=q100", NULL, &rep, &err) == MAP_OK, "%s", err.msg);
    if (rep) {
        MAP_CHECK(rep->verdict == MAP_VERDICT_BOUNDARY && rep->has_direction &&
                      rep->direction[0] > 0.0 && fabs(rep->margin) <= 1e-9,
                  "boundary");
        char *json = map_json_feasible(rep);
        MAP_CHECK(json && strstr(json, "\"boundary_values\": [\n    \"a\"\n  ]"), "JSON: %s",
                  json ? json : "");
        map_free(json);
        map_feasible_report_free(rep);
    }
    /* Only constants: attainable, no margin. */
    MAP_CHECK(feasible_palette(ds, "k=3", NULL, &rep, &err) == MAP_OK, "%s", err.msg);
    if (rep) {
        MAP_CHECK(rep->verdict == MAP_VERDICT_ATTAINABLE && isnan(rep->margin), "trivial");
        map_feasible_report_free(rep);
    }
    MAP_CHECK(feasible_palette(ds, "k=4", NULL, &rep, &err) == MAP_OK, "%s", err.msg);
    if (rep) {
        MAP_CHECK(rep->verdict == MAP_VERDICT_INFEASIBLE && rep->has_direction &&
                      rep->direction[0] > 0.0,
                  "constant above its value: infeasible with d = e_k");
        MAP_CHECK_CLOSE(rep->cert_gap, 1.0, 1e-12, "gap");
        map_feasible_report_free(rep);
    }
    map_dataset_free(ds);
    /* Jointly infeasible although each target is attainable alone. */
    ds = tradeoff();
    if (!ds)
        return;
    MAP_CHECK(feasible_palette(ds, "u=0.6,v=0.6", NULL, &rep, &err) == MAP_OK, "%s",
              err.msg);
    if (rep) {
        MAP_CHECK(rep->verdict == MAP_VERDICT_INFEASIBLE && rep->direction[0] > 0 &&
                      rep->direction[1] > 0 && rep->cert_gap > 0,
                  "joint certificate");
        map_feasible_report_free(rep);
    }
    map_dataset_free(ds);
}

static void test_adjust(void)
{
    map_dataset *ds = tradeoff();
    if (!ds)
        return;
    map_error err;
    map_adjust_report *rep = NULL;
    map_adjust_opts ao;
    map_adjust_opts_default(&ao);
    /* Ray: (1/3, 1/3) + ρ (7/15, 7/15) meets u + v = 1 at ρ = 5/14. */
    MAP_CHECK(adjust_palette(ds, "u=0.8,v=0.8", &ao, &rep, &err) == MAP_OK,
              "%s", err.msg);
    if (rep) {
        MAP_CHECK(!rep->unchanged && rep->inset == MAP_ADJUST_INSET_DEFAULT, "adjusted");
        MAP_CHECK_CLOSE(rep->rho, 5.0 / 14.0, 1e-10, "rho");
        MAP_CHECK_CLOSE(rep->adjusted[0], 0.5, 1e-10, "adjusted u");
        MAP_CHECK_CLOSE(rep->solve->items[1].target, 1.0 / 3.0 + 0.999 * (0.5 - 1.0 / 3.0),
                        1e-10, "inset v");
        MAP_CHECK(rep->requested[0] == 0.8 && map_app_solve_code(rep->solve) == MAP_OK, "solved");
        MAP_CHECK(rep->solve->items[0].level >= rep->solve->items[0].target - 1e-9, "level");
        char *json = map_json_adjust(rep);
        json_error_t jerr;
        json_t *root = json ? json_loads(json, 0, &jerr) : NULL;
        MAP_CHECK(root != NULL, "JSON parses");
        if (root) {
            MAP_CHECK(json_real_value(json_object_get(root, "rho")) == rep->rho, "rho");
            json_t *v0 = json_array_get(json_object_get(root, "values"), 0);
            MAP_CHECK(json_real_value(json_object_get(v0, "requested")) == 0.8 &&
                          json_is_real(json_object_get(v0, "adjusted")) &&
                          json_is_real(json_object_get(v0, "lambda")),
                      "values");
            MAP_CHECK(json_is_real(json_object_get(root, "kkt")), "diagnostics");
            json_decref(root);
        }
        map_free(json);
        map_adjust_report_free(rep);
    }
    /* Greedy: the first priority keeps its target, the other takes the rest. */
    static const char *const pv[] = {"v"};
    ao.mode = MAP_ADJUST_GREEDY;
    ao.priority = pv;
    ao.npriority = 1;
    MAP_CHECK(adjust_palette(ds, "u=0.8,v=0.7", &ao, &rep, &err) == MAP_OK,
              "%s", err.msg);
    if (rep) {
        MAP_CHECK(rep->adjusted[1] == 0.7, "v kept");
        MAP_CHECK_CLOSE(rep->adjusted[0], 0.3, 1e-10, "u lowered");
        MAP_CHECK(isnan(rep->rho) && map_app_solve_code(rep->solve) == MAP_OK, "greedy solved");
        map_adjust_report_free(rep);
    }
    ao.npriority = 0;
    MAP_CHECK(adjust_palette(ds, "u=0.8,v=0.7", &ao, &rep, &err) == MAP_OK,
              "%s", err.msg);
    if (rep) {
        MAP_CHECK(rep->adjusted[0] == 0.8, "palette order: u kept");
        MAP_CHECK_CLOSE(rep->adjusted[1], 0.2, 1e-10, "v lowered");
        map_adjust_report_free(rep);
    }
    /* Attainable: unchanged, ρ = 1, no inset. */
    ao.mode = MAP_ADJUST_RAY;
    MAP_CHECK(adjust_palette(ds, "u=0.4,v=0.4", &ao, &rep, &err) == MAP_OK,
              "%s", err.msg);
    if (rep) {
        MAP_CHECK(rep->unchanged && rep->rho == 1.0 && rep->inset == 0.0, "unchanged");
        MAP_CHECK(rep->adjusted[0] == 0.4 && rep->solve->items[0].target == 0.4, "targets");
        map_adjust_report_free(rep);
    }
    /* Errors. */
    static const char *const bad[] = {"w"}, *const twice[] = {"u", "u"};
    ao.mode = MAP_ADJUST_GREEDY;
    ao.priority = bad;
    ao.npriority = 1;
    map_error_clear(&err);
    MAP_CHECK(adjust_palette(ds, "u=0.8,v=0.8", &ao, &rep, &err) == MAP_EDATA &&
                  !rep && strstr(err.msg, "'w'") && strcmp(err.field, "priority") == 0,
              "unknown priority: %s", err.msg);
    ao.priority = twice;
    ao.npriority = 2;
    MAP_CHECK(adjust_palette(ds, "u=0.8,v=0.8", &ao, &rep, &err) == MAP_EDATA &&
                  !rep && strstr(err.msg, "twice"),
              "repeated priority: %s", err.msg);
    map_adjust_opts_default(&ao);
    ao.inset = 1.0;
    MAP_CHECK(adjust_palette(ds, "u=0.8,v=0.8", &ao, &rep, &err) == MAP_EUSAGE &&
                  !rep,
              "inset 1");
    MAP_CHECK(map_adjust_mode_parse("bogus", &ao.mode) == -1, "mode bogus");
    map_dataset_free(ds);
}

/* A sink that keeps the header and every row's cells (numbers as such). */
typedef struct grab {
    size_t ncols, rows;
    char names[32][64];
    map_cell cells[64][32];
    int fail_at; /* row index at which to return MAP_ENOMEM; -1 never */
} grab;

static int grab_header(void *ctx, size_t ncols, const char *const *names, map_error *err)
{
    (void)err;
    grab *g = ctx;
    g->ncols = ncols;
    for (size_t c = 0; c < ncols && c < 32; c++)
        snprintf(g->names[c], sizeof g->names[c], "%s", names[c]);
    return MAP_OK;
}

static int grab_row(void *ctx, const map_cell *cells, map_error *err)
{
    grab *g = ctx;
    if (g->fail_at >= 0 && (size_t)g->fail_at == g->rows)
        return map_error_set(err, MAP_ENOMEM, "sink refused row %zu", g->rows);
    for (size_t c = 0; c < g->ncols && c < 32 && g->rows < 64; c++) {
        g->cells[g->rows][c] = cells[c];
        g->cells[g->rows][c].s = NULL; /* borrowed: not valid after the call */
    }
    g->rows++;
    return MAP_OK;
}

static void test_tables(void)
{
    map_dataset *ds = tradeoff();
    if (!ds)
        return;
    map_error err;
    static grab g;
    const map_table_sink sink = {grab_header, grab_row, &g};
    static const char *const uv[] = {"u", "v"};
    /* Region from the means: along +u the boundary u + v = 1 is met at
     * u = 2/3; along +v at v = 2/3; the other two axes are unbounded. */
    memset(&g, 0, sizeof g);
    g.fail_at = -1;
    map_region_opts ro = {uv, 2, 4, NULL, 0, MAP_NORMALIZE_GLOBAL};
    map_region_summary rs;
    MAP_CHECK(map_app_region(ds, &ro, &sink, &rs, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(g.ncols == 6 && strcmp(g.names[1], "dir_u") == 0 && strcmp(g.names[5], "target_v") == 0,
              "region columns");
    MAP_CHECK(g.rows == 4 && rs.rows == 4 && rs.unbounded == 2, "rows %zu, unbounded %zu", g.rows,
              rs.unbounded);
    if (g.rows == 4) {
        MAP_CHECK_CLOSE(g.cells[0][4].x, 2.0 / 3.0, 1e-9, "+u: target u");
        MAP_CHECK_CLOSE(g.cells[0][5].x, 1.0 / 3.0, 1e-12, "+u: target v");
        MAP_CHECK_CLOSE(g.cells[1][5].x, 2.0 / 3.0, 1e-9, "+v: target v");
        MAP_CHECK(g.cells[2][3].kind == MAP_CELL_EMPTY && g.cells[2][4].kind == MAP_CELL_EMPTY,
                  "-u: empty step and targets");
    }
    /* The polygon: the two bounded rows and the first again. */
    memset(&g, 0, sizeof g);
    g.fail_at = -1;
    ro.polygon = 1;
    MAP_CHECK(map_app_region(ds, &ro, &sink, &rs, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(g.rows == 3 && g.cells[2][0].n == g.cells[0][0].n, "polygon closed");
    ro.polygon = 0;
    ro.from = "u=0.5";
    memset(&g, 0, sizeof g);
    g.fail_at = -1;
    MAP_CHECK(map_app_region(ds, &ro, &sink, &rs, &err) == MAP_OK, "%s", err.msg);
    if (g.rows == 4)
        MAP_CHECK_CLOSE(g.cells[1][5].x, 0.5, 1e-9, "--from u=0.5: +v stops at v = 0.5");
    ro.from = "u=0.9,v=0.9";
    MAP_CHECK(map_app_region(ds, &ro, &sink, &rs, &err) == MAP_EDATA, "c0 unattainable");

    /* Frontier at a budget: KL within 1e-9, directions on the simplex. */
    memset(&g, 0, sizeof g);
    g.fail_at = -1;
    static const double eps[] = {0.3};
    map_frontier_opts fo = {uv, 2, eps, 1, NULL, 3, NAN, MAP_NORMALIZE_GLOBAL};
    map_frontier_summary fs;
    MAP_CHECK(map_app_frontier(ds, &fo, &sink, &fs, &err) == MAP_OK, "%s", err.msg);
    /* point, budget, u_u, u_v, t, lambda_u, lambda_v, level_u, level_v, kl, ess, status */
    MAP_CHECK(g.ncols == 12 && strcmp(g.names[7], "level_u") == 0 &&
                  strcmp(g.names[11], "status") == 0,
              "frontier columns");
    MAP_CHECK(g.rows == 3 && fs.rows == 3 && fs.saturated == 0, "frontier rows");
    for (size_t r = 0; r < g.rows && r < 3; r++) {
        MAP_CHECK_CLOSE(g.cells[r][9].x, 0.3, 1e-9, "KL = budget");
        MAP_CHECK_CLOSE(g.cells[r][2].x + g.cells[r][3].x, 1.0, 1e-12, "u on the simplex");
    }
    /* Above the supremum log 3: saturated rows. */
    static const double big[] = {2.0};
    fo.budgets = big;
    memset(&g, 0, sizeof g);
    g.fail_at = -1;
    MAP_CHECK(map_app_frontier(ds, &fo, &sink, &fs, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(fs.saturated == 3 && isinf(g.cells[0][4].x), "saturated: t = inf");
    /* The limit for two values: faces, then the hull's vertices (1,0), (0,1). */
    fo.budgets = NULL;
    fo.nbudgets = 0;
    memset(&g, 0, sizeof g);
    g.fail_at = -1;
    MAP_CHECK(map_app_frontier(ds, &fo, &sink, &fs, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(fs.vertices == 2 && g.rows == 5, "vertices %zu, rows %zu", fs.vertices, g.rows);
    if (g.rows == 5)
        MAP_CHECK(g.cells[3][7].x == 1.0 && g.cells[3][8].x == 0.0 && g.cells[4][8].x == 1.0 &&
                      g.cells[3][2].kind == MAP_CELL_EMPTY,
                  "vertex rows");
    /* One direction. */
    fo.direction = "v=1";
    fo.points = 3;
    fo.kl_max = 0.5;
    memset(&g, 0, sizeof g);
    g.fail_at = -1;
    MAP_CHECK(map_app_frontier(ds, &fo, &sink, &fs, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(g.rows == 3 && g.cells[0][3].x == 1.0 && g.cells[0][2].x == 0.0, "direction rows");
    if (g.rows == 3)
        MAP_CHECK_CLOSE(g.cells[2][9].x, 0.5, 1e-9, "last KL = --kl-max");
    /* A sink failure stops the table and comes back unchanged. */
    memset(&g, 0, sizeof g);
    g.fail_at = 1;
    map_error_clear(&err);
    MAP_CHECK(map_app_frontier(ds, &fo, &sink, &fs, &err) == MAP_ENOMEM && g.rows == 1 &&
                  fs.rows == 1 && strstr(err.msg, "sink refused"),
              "sink failure: %s", err.msg);
    /* Errors. */
    static const char *const bad[] = {"u", "w"};
    fo.direction = NULL;
    fo.values = bad;
    MAP_CHECK(map_app_frontier(ds, &fo, &sink, &fs, &err) == MAP_EDATA && strstr(err.msg, "'w'"),
              "unknown value");
    fo.values = uv;
    fo.direction = "u=-1";
    MAP_CHECK(map_app_frontier(ds, &fo, &sink, &fs, &err) == MAP_EDATA, "negative weight");
    map_dataset_free(ds);
}

/* The table writer: CSV quoting and JSON objects, through a memory stream. */
static void test_table_writer(void)
{
    static const char *const names[] = {"point", "x,y", "say \"hi\"", "status"};
    const map_cell row[] = {{MAP_CELL_COUNT, 0.0, 7, NULL},
                            {MAP_CELL_NUMBER, 0.1, 0, NULL},
                            {MAP_CELL_NUMBER, INFINITY, 0, NULL},
                            {MAP_CELL_TEXT, 0.0, 0, "ok"}};
    const map_cell empty[] = {{MAP_CELL_COUNT, 0.0, 8, NULL},
                              {MAP_CELL_EMPTY, 0.0, 0, NULL},
                              {MAP_CELL_NUMBER, NAN, 0, NULL},
                              {MAP_CELL_TEXT, 0.0, 0, "a,b"}};
    for (int json = 0; json < 2; json++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
            return;
        map_error err;
        map_table_writer *w = map_table_writer_new(f, json);
        MAP_CHECK(w != NULL, "writer");
        if (w) {
            map_table_sink s = map_table_writer_sink(w);
            MAP_CHECK(s.header(s.ctx, 4, names, &err) == MAP_OK, "header");
            MAP_CHECK(s.row(s.ctx, row, &err) == MAP_OK, "row");
            MAP_CHECK(s.row(s.ctx, empty, &err) == MAP_OK, "row");
            MAP_CHECK(map_table_writer_finish(w, &err) == MAP_OK, "finish");
            map_table_writer_free(w);
        }
        fclose(f);
        const char *want = json ? "[\n  {\"point\":7,\"x,y\":0.10000000000000001,\"say \\\"hi\\\"\":null,"
                                  "\"status\":\"ok\"},\n  {\"point\":8,\"x,y\":null,\"say \\\"hi\\\"\":"
                                  "null,\"status\":\"a,b\"}\n]\n"
                                : "point,\"x,y\",\"say \"\"hi\"\"\",status\n"
                                  "7,0.10000000000000001,inf,ok\n8,,,\"a,b\"\n";
        MAP_CHECK(buf && strcmp(buf, want) == 0, "%s table:\n%s", json ? "JSON" : "CSV",
                  buf ? buf : "");
        free(buf);
    }
}

static void test_describe(void)
{
    /* 1..5: mean 3, sd sqrt(2), q10 = 1.4, q25 = 2, q50 = 3, q75 = 4, q90 = 4.6. */
    static const double x[] = {5, 1, 4, 2, 3};
    static const char *const names[] = {"v"};
    map_dataset *ds = make("five", 5, 1, x, names);
    if (!ds)
        return;
    map_value_summary *s = NULL;
    map_error err;
    MAP_CHECK(map_app_describe(ds, &s, &err) == MAP_OK, "%s", err.msg);
    if (s) {
        MAP_CHECK(s->n == 5 && strcmp(s->name, "v") == 0, "n, name");
        MAP_CHECK_CLOSE(s->mean, 3.0, 1e-15, "mean");
        MAP_CHECK_CLOSE(s->sd, sqrt(2.0), 1e-15, "sd");
        MAP_CHECK(s->min == 1 && s->max == 5, "range");
        MAP_CHECK_CLOSE(s->q10, 1.4, 1e-15, "q10");
        MAP_CHECK_CLOSE(s->q25, 2.0, 1e-15, "q25");
        MAP_CHECK_CLOSE(s->q50, 3.0, 1e-15, "q50");
        MAP_CHECK_CLOSE(s->q75, 4.0, 1e-15, "q75");
        MAP_CHECK_CLOSE(s->q90, 4.6, 1e-15, "q90");
        char *json = map_json_describe(ds->name, ds->n, s, ds->m);
        json_error_t jerr;
        json_t *root = json ? json_loads(json, 0, &jerr) : NULL;
        MAP_CHECK(root != NULL, "describe JSON parses");
        if (root) {
            json_t *v = json_array_get(json_object_get(root, "values"), 0);
            MAP_CHECK(json_real_value(json_object_get(v, "q90")) == s->q90, "17 digits round-trip");
            json_decref(root);
        }
        map_free(json);
        map_free(s);
    }
    map_dataset_free(ds);
}

/* A dataset with the statistics the store keeps (ds->stats) gives the same
 * describe summaries and the same palette targets, bit for bit, as the
 * same dataset computing them from its matrix; describe needs no matrix
 * then, and a fractional percentile is still selected from the matrix. */
static void test_stored_stats(void)
{
    enum { n = 997, m = 3 };
    static double x[n * m];
    uint64_t s = 12345;
    for (size_t j = 0; j < n; j++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        x[j * m] = (double)(s >> 60);                   /* 16 levels: ties */
        x[j * m + 1] = (double)(s >> 11) * 0x1.0p-53 - 0.25;
        x[j * m + 2] = j % 2 ? 1e-3 * (double)j : -2.0;
    }
    static const char *const names[] = {"a", "b", "c"};
    map_dataset *plain = make("plain", n, m, x, names);
    map_dataset *kept = make("kept", n, m, x, names);
    map_error err;
    if (!plain || !kept) {
        map_dataset_free(plain);
        map_dataset_free(kept);
        return;
    }
    kept->stats = map_mallocarray(m, sizeof *kept->stats);
    const map_matrix X = map_dataset_matrix(kept);
    MAP_CHECK(kept->stats && map_value_stats(&X, kept->stats, &err) == MAP_OK, "stats");

    map_value_summary *s1 = NULL, *s2 = NULL;
    MAP_CHECK(map_app_describe(plain, &s1, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(map_app_describe(kept, &s2, &err) == MAP_OK, "%s", err.msg);
    for (size_t i = 0; s1 && s2 && i < m; i++) {
        MAP_CHECK(s1[i].n == s2[i].n && strcmp(s1[i].name, s2[i].name) == 0, "value %zu", i);
        MAP_CHECK(memcmp(&s1[i].mean, &s2[i].mean, sizeof(double) * 9) == 0,
                  "value %zu: stored and computed summaries differ", i);
    }
    /* The independent reference: sorting. */
    for (size_t i = 0; s1 && i < m; i++) {
        double *sorted = NULL;
        MAP_CHECK(map_column_sorted(&X, i, &sorted, &err) == MAP_OK, "sort");
        MAP_CHECK(sorted && s1[i].q25 == map_quantile_sorted(sorted, n, 0.25)
                      && s1[i].q90 == map_quantile_sorted(sorted, n, 0.90)
                      && s1[i].min == sorted[0] && s1[i].max == sorted[n - 1],
                  "value %zu against sorting", i);
        map_free(sorted);
    }
    map_free(s1);
    map_free(s2);

    const char *spec = "a=q70,b=mean,c=q33.3";
    map_palette *p1 = NULL, *p2 = NULL;
    MAP_CHECK(map_palette_parse_for(spec, plain, &p1, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(map_palette_parse_for(spec, kept, &p2, &err) == MAP_OK, "%s", err.msg);
    for (size_t i = 0; p1 && p2 && i < 3; i++)
        MAP_CHECK(memcmp(&p1->items[i].target, &p2->items[i].target, sizeof(double)) == 0,
                  "target %zu: %.17g vs %.17g", i, p1->items[i].target, p2->items[i].target);
    map_palette_free(p1);
    map_palette_free(p2);

    /* Without the matrix: describe works, a fractional percentile cannot. */
    map_free(kept->x);
    kept->x = NULL;
    MAP_CHECK(map_app_describe(kept, &s2, &err) == MAP_OK, "describe without x: %s", err.msg);
    map_free(s2);
    MAP_CHECK(map_palette_parse_for("a=q70", kept, &p2, &err) == MAP_OK, "q70 without x");
    map_palette_free(p2);
    MAP_CHECK(map_palette_parse_for("c=q33.3", kept, &p2, &err) != MAP_OK && !p2,
              "q33.3 needs x");
    map_dataset_free(plain);
    map_dataset_free(kept);
}

static void test_json_strings(void)
{
    /* Names with quotes, control characters and invalid UTF-8 still give
     * valid JSON. */
    static const double x[] = {0, 1};
    static const char *const names[] = {"we\"ird\n\x01 \xff name"};
    map_dataset *ds = make("d\\s", 2, 1, x, names);
    if (!ds)
        return;
    map_value_summary *s = NULL;
    map_error err;
    if (map_app_describe(ds, &s, &err) == MAP_OK) {
        char *json = map_json_describe(ds->name, ds->n, s, ds->m);
        json_error_t jerr;
        json_t *root = json ? json_loads(json, 0, &jerr) : NULL;
        MAP_CHECK(root != NULL, "parses: %s", json ? json : "(null)");
        if (root) {
            const char *nm = json_string_value(
                json_object_get(json_array_get(json_object_get(root, "values"), 0), "name"));
            MAP_CHECK(nm && strcmp(nm, "we\"ird\n\x01 \xef\xbf\xbd name") == 0, "name '%s'",
                      nm ? nm : "");
            MAP_CHECK(strcmp(json_string_value(json_object_get(root, "dataset")), "d\\s") == 0,
                      "dataset");
            json_decref(root);
        }
        map_free(json);
        map_free(s);
    }
    map_dataset_free(ds);
}

static void test_out_of_memory(void)
{
    map_dataset *ds = two_point();
    if (!ds)
        return;
    int done = 0;
    for (long budget = 0; budget < 500 && !done; budget++) {
        map_error err;
        map_error_clear(&err);
        map_solve_report *rep = NULL;
        map_alloc_fail_after(budget);
        const int rc = solve_palette(ds, "a=0.7,b=mean,k=1", NULL, &rep, &err);
        char *json = rc == MAP_OK ? map_json_solve(rep) : NULL;
        map_alloc_fail_after(-1);
        if (rc == MAP_OK) {
            done = 1;
            map_free(json);
            map_solve_report_free(rep);
        } else {
            MAP_CHECK(rc == MAP_ENOMEM && rep == NULL, "budget %ld: rc %d (%s)", budget, rc,
                      err.msg);
        }
    }
    MAP_CHECK(done, "solve never succeeded");
    for (int which = 0; which < 2; which++) {
        done = 0;
        map_adjust_opts ao;
        map_adjust_opts_default(&ao);
        for (long budget = 0; budget < 500 && !done; budget++) {
            map_error err;
            map_error_clear(&err);
            map_feasible_report *f = NULL;
            map_adjust_report *a = NULL;
            map_alloc_fail_after(budget);
            const int rc = which == 0
                               ? feasible_palette(ds, "a=1.5,b=mean,k=1", NULL, &f, &err)
                               : adjust_palette(ds, "a=1.5,b=mean,k=1", &ao, &a, &err);
            char *json = rc != MAP_OK ? NULL : which == 0 ? map_json_feasible(f) : map_json_adjust(a);
            map_alloc_fail_after(-1);
            if (rc == MAP_OK) {
                done = 1;
                map_free(json);
                map_feasible_report_free(f);
                map_adjust_report_free(a);
            } else {
                MAP_CHECK(rc == MAP_ENOMEM && f == NULL && a == NULL, "%s budget %ld: rc %d (%s)",
                          which ? "adjust" : "feasible", budget, rc, err.msg);
            }
        }
        MAP_CHECK(done, "%s never succeeded", which ? "adjust" : "feasible");
    }
    map_dataset *tr = tradeoff();
    static const char *const uv[] = {"u", "v"};
    static const double eps[] = {0.3};
    static grab g;
    const map_table_sink sink = {grab_header, grab_row, &g};
    for (int which = 0; tr && which < 2; which++) {
        done = 0;
        for (long budget = 0; budget < 500 && !done; budget++) {
            map_error err;
            memset(&g, 0, sizeof g);
            g.fail_at = -1;
            const map_frontier_opts fo = {uv, 2, eps, 1, NULL, 3, NAN, MAP_NORMALIZE_GLOBAL};
            const map_region_opts ro = {uv, 2, 4, NULL, 0, MAP_NORMALIZE_GLOBAL};
            map_frontier_summary fs;
            map_region_summary rs;
            map_alloc_fail_after(budget);
            const int rc = which == 0 ? map_app_frontier(tr, &fo, &sink, &fs, &err)
                                      : map_app_region(tr, &ro, &sink, &rs, &err);
            map_alloc_fail_after(-1);
            if (rc == MAP_OK)
                done = 1;
            else
                MAP_CHECK(rc == MAP_ENOMEM, "%s budget %ld: rc %d (%s)",
                          which ? "region" : "frontier", budget, rc, err.msg);
        }
        MAP_CHECK(done, "%s never succeeded", which ? "region" : "frontier");
    }
    map_dataset_free(tr);
    done = 0;
    for (long budget = 0; budget < 100 && !done; budget++) {
        map_error err;
        map_value_summary *s = NULL;
        map_alloc_fail_after(budget);
        const int rc = map_app_describe(ds, &s, &err);
        map_alloc_fail_after(-1);
        if (rc == MAP_OK) {
            done = 1;
            map_free(s);
        } else {
            MAP_CHECK(rc == MAP_ENOMEM && s == NULL, "describe budget %ld: rc %d", budget, rc);
        }
    }
    MAP_CHECK(done, "describe never succeeded");
    map_dataset_free(ds);
}

/* Options: per-prompt normalisation needs prompts; --init must match the
 * palette; a warm start at the optimum takes no more iterations. */
static void test_solve_opts(void)
{
    map_dataset *ds = map_dataset_new();
    static const double x[] = {0.1, 0.9, 0.5, 0.2, 0.7, 0.4, 0.3, 0.3, 0.9, 0.1, 0.2, 0.6};
    static const char *const names[] = {"a", "b"};
    ds->name = map_strdup("opts");
    ds->n = 6;
    ds->m = 2;
    ds->values = map_calloc(2, sizeof *ds->values);
    ds->x = map_mallocarray(12, sizeof *ds->x);
    for (size_t i = 0; i < 2; i++)
        ds->values[i] = map_strdup(names[i]);
    memcpy(ds->x, x, sizeof x);
    map_solve_opts so;
    map_solve_opts_default(&so);
    so.normalize = MAP_NORMALIZE_PROMPT;
    map_solve_report *rep = NULL;
    map_error err;
    map_error_clear(&err);
    MAP_CHECK(solve_palette(ds, "a=0.5", &so, &rep, &err) == MAP_EDATA &&
                  !rep && strstr(err.msg, "no prompt column"),
              "no prompts: %s", err.msg);
    /* With prompts: p1 p1 p2 p2 p3 p4 (two singletons). */
    static const char *const keys[] = {"p1", "p1", "p2", "p2", "p3", "p4"};
    ds->prompt_name = map_strdup("prompt");
    ds->prompts = map_calloc(6, sizeof *ds->prompts);
    for (size_t j = 0; j < 6; j++)
        ds->prompts[j] = map_strdup(keys[j]);
    MAP_CHECK(solve_palette(ds, "a=0.45", &so, &rep, &err) == MAP_OK, "%s",
              err.msg);
    if (rep) {
        MAP_CHECK(rep->prompts == 4 && rep->singletons == 2 && rep->normalize == MAP_NORMALIZE_PROMPT,
                  "prompts %zu, singletons %zu", rep->prompts, rep->singletons);
        MAP_CHECK(rep->result.status == MAP_SOLVE_OPTIMAL, "optimal");
        char *json = map_json_solve(rep);
        MAP_CHECK(json && strstr(json, "\"singleton_prompts\": 2") && strstr(json, "\"prompts\": 4"),
                  "JSON counts");
        map_free(json);
        map_solve_report_free(rep);
        rep = NULL;
    }
    map_feasible_report *fr = NULL;
    MAP_CHECK(feasible_palette(ds, "a=0.45", &so, &fr, &err) == MAP_OK && fr &&
                  fr->prompts == 4 && fr->verdict == MAP_VERDICT_ATTAINABLE,
              "feasible per prompt");
    map_feasible_report_free(fr);
    map_solve_opts_default(&so);
    const double init1[1] = {1.0};
    so.init = init1;
    so.ninit = 1;
    MAP_CHECK(solve_palette(ds, "a=0.5,b=0.4", &so, &rep, &err) ==
                  MAP_EUSAGE && !rep, "init of the wrong length");
    const double initneg[2] = {-1.0, 0.0};
    so.init = initneg;
    so.ninit = 2;
    MAP_CHECK(solve_palette(ds, "a=0.5,b=0.4", &so, &rep, &err) ==
                  MAP_EUSAGE && !rep, "negative init");
    map_dataset_free(ds);
}

/* The reference levels the table summaries return, against the means
 * worked by hand: global, and per prompt (p1 p1 p2 p2 p3 p4: the average
 * of the four prompts' means). */
static void test_table_reference(void)
{
    static const double x[] = {0.1, 0.9, 0.5, 0.2, 0.7, 0.4, 0.3, 0.3, 0.9, 0.1, 0.2, 0.6};
    static const char *const names[] = {"a", "b"}, *const keys[] = {"p1", "p1", "p2",
                                                                    "p2", "p3", "p4"};
    map_dataset *ds = make("ref", 6, 2, x, names);
    if (!ds)
        return;
    ds->prompt_name = map_strdup("prompt");
    ds->prompts = map_calloc(6, sizeof *ds->prompts);
    for (size_t j = 0; j < 6; j++)
        ds->prompts[j] = map_strdup(keys[j]);
    static const char *const ba[] = {"b", "a"};
    static const double want[2][2] = {{2.5 / 6.0, 2.7 / 6.0}, {1.6 / 4.0, 1.9 / 4.0}};
    static grab g;
    const map_table_sink sink = {grab_header, grab_row, &g};
    map_error err;
    for (int norm = 0; norm < 2; norm++) {
        const map_normalize nm = norm ? MAP_NORMALIZE_PROMPT : MAP_NORMALIZE_GLOBAL;
        memset(&g, 0, sizeof g);
        g.fail_at = -1;
        const map_frontier_opts fo = {ba, 2, NULL, 0, NULL, 3, NAN, nm};
        map_frontier_summary fs;
        MAP_CHECK(map_app_frontier(ds, &fo, &sink, &fs, &err) == MAP_OK, "%s", err.msg);
        memset(&g, 0, sizeof g);
        g.fail_at = -1;
        const map_region_opts ro = {ba, 2, 4, NULL, 0, nm};
        map_region_summary rs;
        MAP_CHECK(map_app_region(ds, &ro, &sink, &rs, &err) == MAP_OK, "%s", err.msg);
        for (size_t i = 0; i < 2; i++) {
            MAP_CHECK_CLOSE(fs.reference[i], want[norm][i], 1e-15, "frontier reference");
            MAP_CHECK_CLOSE(rs.reference[i], want[norm][i], 1e-15, "region reference");
        }
    }
    map_dataset_free(ds);
}

int main(void)
{
    MAP_RUN(test_solve_opts);
    MAP_RUN(test_closed_form);
    MAP_RUN(test_verdicts);
    MAP_RUN(test_constant);
    MAP_RUN(test_feasible);
    MAP_RUN(test_adjust);
    MAP_RUN(test_tables);
    MAP_RUN(test_table_reference);
    MAP_RUN(test_table_writer);
    MAP_RUN(test_describe);
    MAP_RUN(test_stored_stats);
    MAP_RUN(test_json_strings);
    MAP_RUN(test_out_of_memory);
    return map_test_finish();
}
