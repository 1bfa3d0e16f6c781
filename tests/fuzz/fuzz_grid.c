/* fuzz_grid.c — fuzz target for the sweep grid spec parser
 * (map_grid_parse_for, map_grid_point) on the fixed dataset of
 * fuzz_dataset.h.
 *
 * Invariants:
 *   - MAP_OK or MAP_EDATA with a message (no out-of-memory here);
 *   - a grid has k ≥ 1 values, one per comma-separated item of the spec,
 *     FROM and TO palettes with those values in the same order, resolved to
 *     finite targets, steps in [1, 1000000] and total = Π steps ≤
 *     MAP_GRID_MAX_POINTS;
 *   - point 0 is FROM, the last point is TO (FROM for a value with one
 *     step), and every point checked (first, last, and a few chosen from
 *     the input) is finite and between FROM and TO for each value;
 *   - with an allocation failure injected the parse fails with MAP_ENOMEM or
 *     gives the same verdict, and leaks nothing.
 */
#include <math.h>

#include "fuzz_common.h"
#include "fuzz_dataset.h"
#include "map_grid.h"
#include "map_solver.h"

/* Known bug, reported: map_grid_point computes a + (b - a) * at / (s - 1),
 * which is NaN or infinite when b - a or (b - a) * at overflows (endpoints
 * near ±DBL_MAX); such grids skip the point checks unless FUZZ_STRICT=1
 * (corpus/grid/known-overflow*). */
static int span_overflows(const map_grid *g)
{
    for (size_t i = 0; i < g->k; i++) {
        const double span = g->to->items[i].target - g->from->items[i].target;
        if (!isfinite(span * (double)(g->steps[i] - 1)))
            return !fuzz_strict();
    }
    return 0;
}

static void check_point(const map_grid *g, size_t row, double *c)
{
    map_grid_point(g, row, c);
    for (size_t i = 0; i < g->k; i++) {
        const double a = g->from->items[i].target, b = g->to->items[i].target;
        FUZZ_ASSERT(isfinite(c[i]) && c[i] >= fmin(a, b) && c[i] <= fmax(a, b),
                    "row %zu value %zu: %g outside [%g, %g]", row, i, c[i], a, b);
    }
}

static void check_grid(const map_grid *g, const char *spec)
{
    size_t items = 1;
    for (const char *p = spec; *p; p++)
        items += *p == ',';
    FUZZ_ASSERT(g->k >= 1 && g->k == items && g->k <= MAP_MAX_K && g->from && g->to &&
                    g->from->k == g->k && g->to->k == g->k && g->from->resolved &&
                    g->to->resolved,
                "k = %zu, %zu items", g->k, items);
    size_t total = 1;
    for (size_t i = 0; i < g->k; i++) {
        FUZZ_ASSERT(g->steps[i] >= 1 && g->steps[i] <= 1000000, "steps %zu", g->steps[i]);
        FUZZ_ASSERT(strcmp(g->from->items[i].name, g->to->items[i].name) == 0 &&
                        g->from->items[i].col == g->to->items[i].col,
                    "value %zu: '%s' vs '%s'", i, g->from->items[i].name, g->to->items[i].name);
        FUZZ_ASSERT(isfinite(g->from->items[i].target) && isfinite(g->to->items[i].target),
                    "value %zu: non-finite endpoint", i);
        FUZZ_ASSERT(total <= MAP_GRID_MAX_POINTS / g->steps[i], "grid too large");
        total *= g->steps[i];
    }
    FUZZ_ASSERT(g->total == total && total <= MAP_GRID_MAX_POINTS, "total %zu, product %zu",
                g->total, total);
    if (span_overflows(g))
        return;
    double c[MAP_MAX_K];
    map_grid_point(g, 0, c);
    for (size_t i = 0; i < g->k; i++)
        FUZZ_ASSERT(c[i] == g->from->items[i].target, "point 0, value %zu: %g", i, c[i]);
    map_grid_point(g, g->total - 1, c);
    for (size_t i = 0; i < g->k; i++)
        FUZZ_ASSERT(c[i] == (g->steps[i] == 1 ? g->from : g->to)->items[i].target,
                    "last point, value %zu: %g", i, c[i]);
    const uint32_t h = fuzz_hash((const uint8_t *)spec, strlen(spec));
    for (uint32_t r = 0; r < 4; r++)
        check_point(g, (size_t)((h * (r + 1)) % g->total), c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *spec = malloc(size + 1);
    FUZZ_ASSERT(spec != NULL, "out of memory");
    memcpy(spec, data, size);
    spec[size] = '\0';
    const map_dataset *ds = fuzz_dataset();

    map_error err;
    map_error_clear(&err);
    map_grid *g = (map_grid *)1;
    const int rc = map_grid_parse_for(spec, ds, &g, &err);
    FUZZ_ASSERT(rc == MAP_OK || rc == MAP_EDATA, "status %d '%s'", rc, err.msg);
    if (rc == MAP_OK)
        check_grid(g, spec);
    else
        FUZZ_ASSERT(g == NULL && err.code == rc && err.msg[0], "failure: grid %p, '%s'", (void *)g,
                    err.msg);

    map_error oerr;
    map_grid *og = (map_grid *)1;
    map_alloc_fail_after((long)(fuzz_hash(data, size) % 16u));
    const int orc = map_grid_parse_for(spec, ds, &og, &oerr);
    map_alloc_fail_after(-1);
    FUZZ_ASSERT(orc == rc || orc == MAP_ENOMEM, "injected: status %d, %d without ('%s')", orc, rc,
                oerr.msg);
    if (orc == MAP_EDATA)
        FUZZ_ASSERT(strcmp(oerr.msg, err.msg) == 0, "injected: '%s' instead of '%s'", oerr.msg,
                    err.msg);
    if (orc != MAP_OK)
        FUZZ_ASSERT(og == NULL, "a grid after a failure");
    map_grid_free(orc == MAP_OK ? og : NULL);
    map_grid_free(rc == MAP_OK ? g : NULL);
    free(spec);
    return 0;
}
