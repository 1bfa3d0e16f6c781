/* test_palette.c — the palette parser: numbers, mean, qNN (q0, q100,
 * fractional), blanks, and every error, against targets computed by hand
 * (type-7 percentiles of small columns). */
#include <string.h>

#include "map_palette.h"
#include "map_solver.h"
#include "map_test.h"

/* Three values over five samples:
 *   a = 1 2 3 4 5        mean 3, sorted 1 2 3 4 5
 *   b = 10 0 -10 5 20    mean 5, sorted -10 0 5 10 20
 *   c = 7 7 7 7 7        constant */
static map_dataset *make_dataset(void)
{
    static const double x[5][3] = {{1, 10, 7}, {2, 0, 7}, {3, -10, 7}, {4, 5, 7}, {5, 20, 7}};
    static const char *const names[3] = {"a", "b", "c"};
    map_dataset *ds = map_dataset_new();
    if (!ds)
        return NULL;
    ds->name = map_strdup("toy");
    ds->n = 5;
    ds->m = 3;
    ds->values = map_calloc(3, sizeof *ds->values);
    ds->x = map_mallocarray(15, sizeof *ds->x);
    if (!ds->name || !ds->values || !ds->x) {
        map_dataset_free(ds);
        return NULL;
    }
    for (size_t i = 0; i < 3; i++)
        ds->values[i] = map_strdup(names[i]);
    memcpy(ds->x, x, sizeof x);
    return ds;
}

static map_dataset *DS;

/* Parses and resolves spec, expecting success; returns the palette. */
static map_palette *ok(const char *spec)
{
    map_error err;
    map_error_clear(&err);
    map_palette *pal = NULL;
    const int rc = map_palette_parse_for(spec, DS, &pal, &err);
    MAP_CHECK(rc == MAP_OK, "'%s' failed: %s", spec, err.msg);
    return rc == MAP_OK ? pal : NULL;
}

/* Expects spec to fail with code and a message containing each of the
 * NULL-terminated fragments. */
static void bad(const char *spec, int code, const char *frag1, const char *frag2)
{
    map_error err;
    map_error_clear(&err);
    map_palette *pal = (map_palette *)&err; /* must be reset to NULL */
    const int rc = map_palette_parse_for(spec, DS, &pal, &err);
    MAP_CHECK(rc == code, "'%s': rc %d, expected %d (%s)", spec, rc, code, err.msg);
    MAP_CHECK(err.code == code, "'%s': err.code %d", spec, err.code);
    MAP_CHECK(pal == NULL, "'%s': output not reset", spec);
    if (frag1)
        MAP_CHECK(strstr(err.msg, frag1) != NULL, "'%s': message '%s' lacks '%s'", spec, err.msg,
                  frag1);
    if (frag2)
        MAP_CHECK(strstr(err.msg, frag2) != NULL, "'%s': message '%s' lacks '%s'", spec, err.msg,
                  frag2);
}

static void test_numbers(void)
{
    map_palette *p = ok("a=1.5,b=-2e1,c=7");
    if (!p)
        return;
    MAP_CHECK(p->k == 3 && p->resolved, "k %zu", p->k);
    MAP_CHECK(strcmp(p->items[0].name, "a") == 0 && p->items[0].col == 0, "item 0");
    MAP_CHECK(p->items[0].kind == MAP_TARGET_NUMBER && p->items[0].target == 1.5, "a target");
    MAP_CHECK(p->items[1].col == 1 && p->items[1].target == -20.0, "b target %g",
              p->items[1].target);
    MAP_CHECK(strcmp(p->items[1].spec, "-2e1") == 0, "spec kept as written");
    MAP_CHECK(p->items[2].target == 7.0, "c target");
    map_palette_free(p);

    /* Order is the palette's, not the dataset's. */
    p = ok("b=0,a=.5");
    if (p) {
        MAP_CHECK(p->items[0].col == 1 && p->items[1].col == 0, "order");
        MAP_CHECK(p->items[1].target == 0.5, ".5");
        map_palette_free(p);
    }
}

static void test_mean_and_quantiles(void)
{
    map_palette *p = ok("a=mean,b=mean");
    if (p) {
        MAP_CHECK(p->items[0].kind == MAP_TARGET_MEAN, "kind");
        MAP_CHECK_CLOSE(p->items[0].target, 3.0, 1e-15, "mean a");
        MAP_CHECK_CLOSE(p->items[1].target, 5.0, 1e-15, "mean b");
        map_palette_free(p);
    }
    /* Type 7: h = (n-1)p; q = x[floor h] + frac(h) (x[floor h + 1] - x[floor h]). */
    p = ok("a=q0,b=q100");
    if (p) {
        MAP_CHECK(p->items[0].kind == MAP_TARGET_QUANTILE && p->items[0].arg == 0.0, "q0 kind");
        MAP_CHECK(p->items[0].target == 1.0, "q0 = min: %g", p->items[0].target);
        MAP_CHECK(p->items[1].target == 20.0, "q100 = max: %g", p->items[1].target);
        map_palette_free(p);
    }
    p = ok("a=q97.5,b=q97.5");
    if (p) {
        MAP_CHECK(p->items[0].arg == 97.5, "arg");
        MAP_CHECK_CLOSE(p->items[0].target, 4.9, 1e-14, "a q97.5"); /* h = 3.9 */
        MAP_CHECK_CLOSE(p->items[1].target, 19.0, 1e-14, "b q97.5");
        map_palette_free(p);
    }
    p = ok("a=q50,b=q25,c=q10");
    if (p) {
        MAP_CHECK_CLOSE(p->items[0].target, 3.0, 1e-15, "a median");
        MAP_CHECK_CLOSE(p->items[1].target, 0.0, 1e-15, "b q25"); /* h = 1 */
        MAP_CHECK_CLOSE(p->items[2].target, 7.0, 1e-15, "c q10 (constant)");
        map_palette_free(p);
    }
    p = ok("a=q10");
    if (p) {
        MAP_CHECK_CLOSE(p->items[0].target, 1.4, 1e-14, "a q10"); /* h = 0.4 */
        map_palette_free(p);
    }
}

static void test_blanks(void)
{
    map_palette *p = ok("  a = q50 ,\tb=mean  ");
    if (p) {
        MAP_CHECK(p->k == 2, "k");
        MAP_CHECK(strcmp(p->items[0].name, "a") == 0 && strcmp(p->items[0].spec, "q50") == 0,
                  "trimmed '%s'='%s'", p->items[0].name, p->items[0].spec);
        MAP_CHECK(strcmp(p->items[1].name, "b") == 0, "trimmed b");
        map_palette_free(p);
    }
}

static void test_syntax_errors(void)
{
    bad("", MAP_EDATA, "empty palette", NULL);
    bad("   ", MAP_EDATA, "empty palette", NULL);
    bad("a=1,,b=2", MAP_EDATA, "item 2 is empty", NULL);
    bad("a=1,", MAP_EDATA, "item 2 is empty", NULL);
    bad(",a=1", MAP_EDATA, "item 1 is empty", NULL);
    bad("a", MAP_EDATA, "'a'", "no '='");
    bad("a=1,b", MAP_EDATA, "item 2", "no '='");
    bad("=1", MAP_EDATA, "'=1'", "empty value name");
    bad("a=", MAP_EDATA, "'a='", "empty target");
    bad("a=  ", MAP_EDATA, "empty target", NULL);
    bad("a=abc", MAP_EDATA, "'abc'", "'a'");
    bad("a=1.2.3", MAP_EDATA, "'1.2.3'", NULL);
    bad("a=1e999", MAP_EDATA, "'1e999'", NULL);
    bad("a=nan", MAP_EDATA, "'nan'", NULL);
    bad("a=inf", MAP_EDATA, "'inf'", NULL);
    bad("a=-inf", MAP_EDATA, "'-inf'", NULL);
    bad("a=0x10", MAP_EDATA, "'0x10'", NULL);
    bad("a=Mean", MAP_EDATA, "'Mean'", NULL);
    bad("a=q", MAP_EDATA, "'q'", "percentile");
    bad("a=qx", MAP_EDATA, "'qx'", "percentile");
    bad("a=q50%", MAP_EDATA, "'q50%'", NULL);
    bad("a=q101", MAP_EDATA, "'q101'", "[0, 100]");
    bad("a=q100.5", MAP_EDATA, "'q100.5'", "[0, 100]");
    bad("a=q-1", MAP_EDATA, "'q-1'", "[0, 100]");
    bad("a=1,b=2,a=3", MAP_EDATA, "'a' appears twice", "items 1 and 3");
    bad("a=1, a =2", MAP_EDATA, "'a' appears twice", NULL);

    char big[8 * (MAP_MAX_K + 2)];
    size_t off = 0;
    for (int i = 0; i <= MAP_MAX_K; i++)
        off += (size_t)snprintf(big + off, sizeof big - off, "%sv%d=1", i ? "," : "", i);
    bad(big, MAP_EDATA, "at most", NULL);
}

static void test_unknown_value(void)
{
    bad("zz=1", MAP_EDATA, "'zz'", "a, b, c");
    bad("a=1,nope=mean", MAP_EDATA, "'nope'", "'toy'");

    /* Syntax only, without a dataset. */
    map_error err;
    map_palette *p = NULL;
    MAP_CHECK(map_palette_parse("zz=q5", &p, &err) == MAP_OK, "syntax-only parse");
    if (p) {
        MAP_CHECK(!p->resolved && p->items[0].kind == MAP_TARGET_QUANTILE, "unresolved");
        map_palette_free(p);
    }
    map_palette_free(NULL);
}

static void test_out_of_memory(void)
{
    /* Every allocation failure is reported as MAP_ENOMEM, never a crash. */
    int succeeded = 0;
    for (long budget = 0; budget < 200 && !succeeded; budget++) {
        map_error err;
        map_error_clear(&err);
        map_palette *p = NULL;
        map_alloc_fail_after(budget);
        const int rc = map_palette_parse_for("a=q50,b=mean,c=1", DS, &p, &err);
        map_alloc_fail_after(-1);
        if (rc == MAP_OK) {
            succeeded = 1;
            map_palette_free(p);
        } else {
            MAP_CHECK(rc == MAP_ENOMEM && p == NULL, "budget %ld: rc %d (%s)", budget, rc, err.msg);
        }
    }
    MAP_CHECK(succeeded, "never succeeded");
}

int main(void)
{
    DS = make_dataset();
    if (!DS) {
        fprintf(stderr, "out of memory\n");
        return EXIT_FAILURE;
    }
    MAP_RUN(test_numbers);
    MAP_RUN(test_mean_and_quantiles);
    MAP_RUN(test_blanks);
    MAP_RUN(test_syntax_errors);
    MAP_RUN(test_unknown_value);
    MAP_RUN(test_out_of_memory);
    map_dataset_free(DS);
    return map_test_finish();
}
