/* map_grid.c — the sweep grid spec; endpoints go through the palette parser
 * so that targets mean exactly what they mean in `solve`. */
#include "map_grid.h"

#include <string.h>

#include "map_sweep.h"

void map_grid_free(map_grid *g)
{
    if (!g)
        return;
    map_palette_free(g->from);
    map_palette_free(g->to);
    MAP_FREE_ALL(g->steps, g);
}

/* Appends "name=target" (with a separating comma) to buf at *len. */
static int append(char *buf, size_t cap, size_t *len, const char *name, size_t nlen, const char *t,
                  size_t tlen)
{
    const size_t need = (*len ? 1 : 0) + nlen + 1 + tlen;
    if (*len + need + 1 > cap)
        return -1;
    if (*len)
        buf[(*len)++] = ',';
    memcpy(buf + *len, name, nlen);
    *len += nlen;
    buf[(*len)++] = '=';
    memcpy(buf + *len, t, tlen);
    *len += tlen;
    buf[*len] = '\0';
    return 0;
}

int map_grid_parse_for(const char *spec, const map_dataset *ds, map_grid **out, map_error *err)
{
    *out = NULL;
    const size_t slen = strlen(spec);
    /* The FROM and TO palettes are never longer than the spec itself. */
    char *from = map_malloc(slen + 2), *to = map_malloc(slen + 2);
    size_t *steps = map_mallocarray(slen / 2 + 1, sizeof *steps);
    map_grid *g = map_calloc(1, sizeof *g);
    int rc = MAP_OK;
    if (!from || !to || !steps || !g) {
        rc = map_error_set(err, MAP_ENOMEM, "out of memory parsing the grid");
        goto fail;
    }
    from[0] = to[0] = '\0';
    size_t flen = 0, tlen = 0, k = 0;
    const char *p = spec;
    while (1) {
        const char *end = strchr(p, ',');
        const size_t ilen = end ? (size_t)(end - p) : strlen(p);
        /* item = NAME=FROM:TO:STEPS, split at the last '=' like palettes */
        const char *eq = NULL;
        for (const char *q = p; q < p + ilen; q++)
            if (*q == '=')
                eq = q;
        const char *c1 = eq ? memchr(eq, ':', (size_t)(p + ilen - eq)) : NULL;
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(p + ilen - c1 - 1)) : NULL;
        if (!eq || !c1 || !c2 || memchr(c2 + 1, ':', (size_t)(p + ilen - c2 - 1))) {
            rc = map_error_set(err, MAP_EDATA, "grid item '%.*s' is not VALUE=FROM:TO:STEPS", (int)ilen, p);
            goto fail;
        }
        char num[32];
        const size_t nlen = (size_t)(p + ilen - c2 - 1);
        long st = 0;
        if (nlen == 0 || nlen >= sizeof num) {
            rc = map_error_set(err, MAP_EDATA, "grid item '%.*s': STEPS must be an integer in [1, 1000000]",
                               (int)ilen, p);
            goto fail;
        }
        memcpy(num, c2 + 1, nlen);
        num[nlen] = '\0';
        if (map_parse_long(num, 1, 1000000, &st)) {
            rc = map_error_set(err, MAP_EDATA, "grid item '%.*s': STEPS must be an integer in [1, 1000000]",
                               (int)ilen, p);
            goto fail;
        }
        steps[k++] = (size_t)st;
        if (append(from, slen + 2, &flen, p, (size_t)(eq - p), eq + 1, (size_t)(c1 - eq - 1)) ||
            append(to, slen + 2, &tlen, p, (size_t)(eq - p), c1 + 1, (size_t)(c2 - c1 - 1))) {
            rc = map_error_set(err, MAP_EDATA, "grid spec '%s' is malformed", spec);
            goto fail;
        }
        if (!end)
            break;
        p = end + 1;
    }
    if ((rc = map_palette_parse_for(from, ds, &g->from, err)) ||
        (rc = map_palette_parse_for(to, ds, &g->to, err)))
        goto fail;
    g->k = k;
    g->steps = steps;
    steps = NULL;
    g->total = 1;
    for (size_t i = 0; i < k; i++) {
        if (g->steps[i] > MAP_GRID_MAX_POINTS / g->total) {
            rc = map_error_set(err, MAP_EDATA, "the grid has more than %lu points", MAP_GRID_MAX_POINTS);
            goto fail;
        }
        g->total *= g->steps[i];
    }
    map_free(from);
    map_free(to);
    *out = g;
    return MAP_OK;
fail:
    map_free(from);
    map_free(to);
    map_free(steps);
    map_grid_free(g);
    return rc;
}

void map_grid_point(const map_grid *g, size_t row, double *c)
{
    double from[MAP_MAX_K], to[MAP_MAX_K];
    for (size_t i = 0; i < g->k; i++) {
        from[i] = g->from->items[i].target;
        to[i] = g->to->items[i].target;
    }
    const map_sweep_grid sg = {g->k, from, to, g->steps};
    map_error err;
    map_sweep_grid_gen(&sg, row % g->total, c, &err); /* cannot fail for a parsed grid */
}
