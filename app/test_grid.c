/* test_grid.c — the sweep grid spec: expansion order, endpoints through the
 * palette parser, and every error. */
#include <string.h>

#include "map_grid.h"
#include "map_test.h"

static map_dataset *small(void)
{
    map_dataset *ds = map_dataset_new();
    ds->n = 5;
    ds->m = 2;
    ds->values = map_calloc(2, sizeof *ds->values);
    ds->values[0] = map_strdup("a");
    ds->values[1] = map_strdup("b,odd");
    ds->x = map_mallocarray(10, sizeof *ds->x);
    for (size_t j = 0; j < 5; j++) {
        ds->x[2 * j] = (double)j;        /* a: 0..4, mean 2, q50 2 */
        ds->x[2 * j + 1] = 10.0 * (double)j;
    }
    return ds;
}

static void test_expand(void)
{
    map_dataset *ds = small();
    map_grid *g = NULL;
    map_error err;
    MAP_CHECK(map_grid_parse_for("a=0:4:3, b,odd = mean:q100:2", ds, &g, &err) == MAP_EDATA,
              "a comma inside a name splits the item");
    MAP_CHECK(map_grid_parse_for("a=0:mean:3", ds, &g, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(g && g->total == 3, "3 points");
    double c[2];
    map_grid_point(g, 0, c);
    MAP_CHECK(c[0] == 0.0, "from");
    map_grid_point(g, 1, c);
    MAP_CHECK(c[0] == 1.0, "middle %g", c[0]);
    map_grid_point(g, 2, c);
    MAP_CHECK(c[0] == 2.0, "to = mean exactly");
    map_grid_free(g);
    /* two values, last fastest; values addressed in the order given */
    ds->values[1][1] = '\0'; /* rename "b,odd" to "b" */
    MAP_CHECK(map_grid_parse_for("b=0:40:5,a=q0:q100:2", ds, &g, &err) == MAP_OK, "%s", err.msg);
    MAP_CHECK(g->total == 10 && g->from->items[0].col == 1, "10 points, b first");
    map_grid_point(g, 3, c); /* b index 1, a index 1 */
    MAP_CHECK(c[0] == 10.0 && c[1] == 4.0, "row 3 = (%g, %g)", c[0], c[1]);
    map_grid_point(g, 9, c);
    MAP_CHECK(c[0] == 40.0 && c[1] == 4.0, "last row");
    map_grid_free(g);
    MAP_CHECK(map_grid_parse_for("a=1:1:1", ds, &g, &err) == MAP_OK && g->total == 1, "one point");
    map_grid_free(g);
    map_dataset_free(ds);
}

static void test_errors(void)
{
    map_dataset *ds = small();
    const char *bad[] = {"", "a", "a=1", "a=1:2", "a=1:2:0", "a=1:2:x", "a=1:2:3:4", "a=1:2:1.5",
                         "zz=1:2:3", "a=1:2:3,a=1:2:3", "a=foo:2:3", "a=1:2:1000001", "a=1:2:-1",
                         "a=1:2:3,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        map_grid *g = NULL;
        map_error err;
        map_error_clear(&err);
        const int rc = map_grid_parse_for(bad[i], ds, &g, &err);
        MAP_CHECK(rc == MAP_EDATA && g == NULL && err.msg[0], "'%s' gave %d", bad[i], rc);
    }
    /* too many points */
    ds->values[1][1] = '\0';
    map_grid *g = NULL;
    map_error err;
    MAP_CHECK(map_grid_parse_for("a=0:1:100000,b=0:1:10000", ds, &g, &err) == MAP_EDATA &&
                  strstr(err.msg, "points"),
              "grid size limit: %s", err.msg);
    /* allocation failures are errors, never crashes */
    for (long budget = 0; budget < 40; budget++) {
        map_alloc_fail_after(budget);
        const int rc = map_grid_parse_for("a=0:mean:3,b=q10:q90:4", ds, &g, &err);
        map_alloc_fail_after(-1);
        MAP_CHECK(rc == MAP_OK || rc == MAP_ENOMEM, "budget %ld rc %d", budget, rc);
        if (rc == MAP_OK) {
            map_grid_free(g);
            break;
        }
    }
    map_dataset_free(ds);
}

int main(void)
{
    MAP_RUN(test_expand);
    MAP_RUN(test_errors);
    return map_test_finish();
}
