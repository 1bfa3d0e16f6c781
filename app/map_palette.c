/* map_palette.c — parsing "VALUE=TARGET,..." palettes and resolving their
 * targets (numbers, means, type-7 percentiles) against a dataset. */
#include "map_palette.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "map_names.h"
#include "map_solver.h"
#include "map_stats.h"

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Trims blanks in place on [*s, *e). */
static void trim(const char **s, const char **e)
{
    while (*s < *e && is_blank(**s))
        (*s)++;
    while (*e > *s && is_blank((*e)[-1]))
        (*e)--;
}

void map_palette_free(map_palette *pal)
{
    if (!pal)
        return;
    for (size_t i = 0; i < pal->k; i++) {
        map_free(pal->items[i].name);
        map_free(pal->items[i].spec);
    }
    map_free(pal->items);
    map_free(pal);
}

/* Parses one target text (already trimmed, non-empty) into item. */
static int parse_target(map_palette_item *it, map_error *err)
{
    const char *t = it->spec;
    if (strcmp(t, "mean") == 0) {
        it->kind = MAP_TARGET_MEAN;
        it->arg = 0.0;
        return MAP_OK;
    }
    if (t[0] == 'q') {
        double p = 0.0;
        if (map_parse_double(t + 1, &p) != 0)
            return map_error_set(err, MAP_EDATA,
                                 "palette: target '%s' for value '%s' is not a percentile qNN "
                                 "(NN a number in [0, 100])", t, it->name);
        if (!(p >= 0.0 && p <= 100.0))
            return map_error_set(err, MAP_EDATA,
                                 "palette: percentile '%s' for value '%s' is outside [0, 100]", t,
                                 it->name);
        it->kind = MAP_TARGET_QUANTILE;
        it->arg = p;
        return MAP_OK;
    }
    double v = 0.0;
    if (map_parse_double(t, &v) != 0)
        return map_error_set(err, MAP_EDATA,
                             "palette: target '%s' for value '%s' is not a finite number, 'mean' "
                             "or 'qNN'", t, it->name);
    it->kind = MAP_TARGET_NUMBER;
    it->arg = v;
    return MAP_OK;
}

int map_palette_parse(const char *spec, map_palette **out, map_error *err)
{
    *out = NULL;
    const char *s = spec ? spec : "", *e = s + strlen(s);
    trim(&s, &e);
    if (s == e)
        return map_error_set(err, MAP_EDATA, "palette: empty palette; expected VALUE=TARGET,...");
    size_t cap = 1;
    for (const char *p = s; p < e; p++)
        cap += *p == ',';
    if (cap > MAP_MAX_K)
        return map_error_set(err, MAP_EDATA, "palette: %zu items; at most %d values are supported",
                             cap, MAP_MAX_K);

    map_palette *pal = map_calloc(1, sizeof *pal);
    if (pal)
        pal->items = map_calloc(cap, sizeof *pal->items);
    if (!pal || !pal->items) {
        map_palette_free(pal);
        return map_error_set(err, MAP_ENOMEM, "out of memory parsing the palette");
    }
    int rc = MAP_OK;
    for (const char *item = s; rc == MAP_OK && item <= e;) {
        const char *end = memchr(item, ',', (size_t)(e - item));
        if (!end)
            end = e;
        const size_t idx = pal->k + 1;
        const char *is = item, *ie = end;
        trim(&is, &ie);
        const int ilen = (int)(ie - is);
        const char *eq = NULL;
        for (const char *p = is; p < ie; p++)
            if (*p == '=')
                eq = p;
        if (is == ie) {
            rc = map_error_set(err, MAP_EDATA, "palette: item %zu is empty (in '%s')", idx, spec);
            break;
        }
        if (!eq) {
            rc = map_error_set(err, MAP_EDATA,
                               "palette: item %zu '%.*s' has no '=': expected VALUE=TARGET", idx,
                               ilen, is);
            break;
        }
        const char *ns = is, *ne = eq, *ts = eq + 1, *te = ie;
        trim(&ns, &ne);
        trim(&ts, &te);
        if (ns == ne) {
            rc = map_error_set(err, MAP_EDATA, "palette: item %zu '%.*s' has an empty value name",
                               idx, ilen, is);
            break;
        }
        if (ts == te) {
            rc = map_error_set(err, MAP_EDATA, "palette: item %zu '%.*s' has an empty target", idx,
                               ilen, is);
            break;
        }
        map_palette_item *it = &pal->items[pal->k];
        it->name = map_strndup(ns, (size_t)(ne - ns));
        it->spec = map_strndup(ts, (size_t)(te - ts));
        if (!it->name || !it->spec) {
            map_free(it->name);
            map_free(it->spec);
            it->name = it->spec = NULL;
            rc = map_error_set(err, MAP_ENOMEM, "out of memory parsing the palette");
            break;
        }
        pal->k++;
        for (size_t l = 0; l + 1 < pal->k; l++)
            if (strcmp(pal->items[l].name, it->name) == 0) {
                rc = map_error_set(err, MAP_EDATA,
                                   "palette: value '%s' appears twice (items %zu and %zu)",
                                   it->name, l + 1, idx);
                break;
            }
        if (rc == MAP_OK)
            rc = parse_target(it, err);
        item = end + 1;
    }
    if (rc) {
        map_palette_free(pal);
        return rc;
    }
    *out = pal;
    return MAP_OK;
}

/* "a, b, c" of ds's values into buf (truncated with "..." if too long). */
static void list_values(const map_dataset *ds, char *buf, size_t size)
{
    map_join_names(buf, size, (const char *const *)ds->values, ds->m, ", ");
}

int map_palette_resolve(map_palette *pal, const map_dataset *ds, map_error *err)
{
    pal->resolved = 0;
    for (size_t i = 0; i < pal->k; i++) {
        const long c = map_dataset_value_index(ds, pal->items[i].name);
        if (c < 0) {
            char names[600];
            list_values(ds, names, sizeof names);
            return map_error_set(err, MAP_EDATA,
                                 "palette: no value '%s' in dataset '%s' (its values: %s)",
                                 pal->items[i].name, ds->name ? ds->name : "?", names);
        }
        pal->items[i].col = (size_t)c;
    }
    if (ds->n == 0)
        return map_error_set(err, MAP_EDATA, "palette: dataset '%s' has no samples",
                             ds->name ? ds->name : "?");
    map_colstat *st = map_mallocarray(ds->m, sizeof *st);
    if (!st)
        return map_error_set(err, MAP_ENOMEM, "out of memory resolving the palette");
    map_dataset_column_stats(ds, st);
    int rc = MAP_OK;
    for (size_t i = 0; i < pal->k && rc == MAP_OK; i++) {
        map_palette_item *it = &pal->items[i];
        switch (it->kind) {
        case MAP_TARGET_NUMBER:
            it->target = it->arg;
            break;
        case MAP_TARGET_MEAN:
            it->target = st[it->col].mean;
            break;
        case MAP_TARGET_QUANTILE:
            /* An integer NN from the stored percentiles, else by selection
             * on a copy of the column: the same double either way. */
            rc = map_dataset_quantile(ds, it->col, it->arg, &it->target, err);
            break;
        }
    }
    map_free(st);
    if (rc == MAP_OK)
        pal->resolved = 1;
    return rc;
}

int map_palette_parse_for(const char *spec, const map_dataset *ds, map_palette **out,
                          map_error *err)
{
    *out = NULL;
    map_palette *pal = NULL;
    int rc = map_palette_parse(spec, &pal, err);
    if (rc == MAP_OK)
        rc = map_palette_resolve(pal, ds, err);
    if (rc) {
        map_palette_free(pal);
        return rc;
    }
    *out = pal;
    return MAP_OK;
}
