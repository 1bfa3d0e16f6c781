/* test_app.c — the command logic without the command line: describe and
 * solve on small datasets with closed-form answers, constant values, the
 * JSON rendering (parsed back), and allocation failures at every step. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "map_app.h"
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
        const int rc = map_app_solve_dataset(ds, spec, NULL, NULL, &rep, &err);
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
    MAP_CHECK(map_app_solve_dataset(ds, "a=0.25,b=mean", NULL, NULL, &rep, &err) == MAP_OK, "%s",
              err.msg);
    if (rep) {
        MAP_CHECK(rep->result.status == MAP_SOLVE_OPTIMAL, "optimal");
        MAP_CHECK(rep->items[0].lambda == 0.0 && rep->items[1].lambda == 0.0, "lambda 0");
        MAP_CHECK(rep->result.diag.kl == 0.0, "KL 0");
        map_solve_report_free(rep);
    }
    /* Above the maximum: infeasible, certificate on a, no tilt. */
    MAP_CHECK(map_app_solve_dataset(ds, "a=1.5", NULL, NULL, &rep, &err) == MAP_OK, "%s", err.msg);
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
    MAP_CHECK(map_app_solve_dataset(ds, "a=q100", NULL, NULL, &rep, &err) == MAP_OK, "%s", err.msg);
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
    MAP_CHECK(map_app_solve_dataset(ds, "k=3,a=0.7", NULL, NULL, &rep, &err) == MAP_OK, "%s",
              err.msg);
    if (rep) {
        MAP_CHECK(rep->items[0].constant && rep->items[0].pidx == -1, "k left out");
        MAP_CHECK(rep->items[0].lambda == 0.0 && rep->items[0].level == 3.0, "k's λ and level");
        MAP_CHECK(rep->kp == 1 && rep->items[1].pidx == 0, "a solved");
        MAP_CHECK_CLOSE(rep->items[1].lambda, log(0.7 / 0.3), 1e-8, "a's λ");
        map_solve_report_free(rep);
    }
    /* Only constants: λ = 0 without a solve. */
    MAP_CHECK(map_app_solve_dataset(ds, "k=2.5", NULL, NULL, &rep, &err) == MAP_OK, "%s", err.msg);
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
    map_error_clear(&err);
    MAP_CHECK(map_app_solve_dataset(ds, "k=3.5", NULL, NULL, &rep, &err) == MAP_EDATA && !rep,
              "constant above its value");
    MAP_CHECK(strstr(err.msg, "'k' is constant (sd 0)") != NULL, "message: %s", err.msg);
    map_error_clear(&err);
    MAP_CHECK(map_app_solve_dataset(ds, "a=1,zz=2", NULL, NULL, &rep, &err) == MAP_EDATA,
              "unknown value");
    MAP_CHECK(strstr(err.msg, "'zz'") && strstr(err.msg, "a, b, k"), "message: %s", err.msg);
    map_dataset_free(ds);
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
        const int rc = map_app_solve_dataset(ds, "a=0.7,b=mean,k=1", NULL, NULL, &rep, &err);
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

int main(void)
{
    MAP_RUN(test_closed_form);
    MAP_RUN(test_verdicts);
    MAP_RUN(test_constant);
    MAP_RUN(test_describe);
    MAP_RUN(test_json_strings);
    MAP_RUN(test_out_of_memory);
    return map_test_finish();
}
