/* map_sweep_request.c — a sweep's request as JSON (map_sweep_app.h): what
 * a stored sweep records so that --resume can run it again, and reading it
 * back, each field checked, into a request that continues it. */
#include "map_sweep_app.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <jansson.h>

/* Adds key = v to obj, taking v; a NULL v (a failed allocation) fails. */
static int put(json_t *obj, const char *key, json_t *v)
{
    return v ? json_object_set_new(obj, key, v) : -1;
}

int map_sweep_request_encode(const map_sweep_request *rq, const char *dataset, char **json,
                             map_error *err)
{
    if (!json)
        return map_error_set(err, MAP_EUSAGE, "map_sweep_request_encode: no output");
    *json = NULL;
    if (!rq || !dataset)
        return map_error_set(err, MAP_EUSAGE, "map_sweep_request_encode: no request or dataset");
    const map_sweep_source src = rq->source;
    if ((src == MAP_SOURCE_GRID && !rq->grid) || (src == MAP_SOURCE_PALETTES && !rq->palettes)
        || ((src == MAP_SOURCE_RANDOM || src == MAP_SOURCE_LAMBDAS) && (!rq->values || rq->k == 0))
        || src > MAP_SOURCE_LAMBDAS)
        return map_error_set(err, MAP_EUSAGE, "the request lacks its %s source's fields",
                             map_sweep_source_name(src));
    json_t *o = json_object();
    int bad = !o;
    bad = bad || put(o, "dataset", json_string(dataset));
    bad = bad || put(o, "source", json_string(map_sweep_source_name(src)));
    if (src == MAP_SOURCE_GRID)
        bad = bad || put(o, "grid", json_string(rq->grid));
    if (src == MAP_SOURCE_PALETTES)
        bad = bad || put(o, "palettes", json_string(rq->palettes));
    if (src == MAP_SOURCE_RANDOM || src == MAP_SOURCE_LAMBDAS) {
        bad = bad || put(o, "count", json_integer((json_int_t)rq->count));
        if (src == MAP_SOURCE_RANDOM)
            bad = bad || put(o, "kind", json_string(map_sweep_kind_name(rq->kind)));
        json_t *vals = bad ? NULL : json_array();
        bad = bad || put(o, "values", vals);
        for (size_t i = 0; i < rq->k && !bad; i++)
            bad = json_array_append_new(vals, json_string(rq->values[i])) != 0;
        if (src == MAP_SOURCE_LAMBDAS)
            bad = bad || put(o, "scale", json_real(rq->scale));
    }
    bad = bad || put(o, "seed", json_integer((json_int_t)rq->seed));
    bad = bad || put(o, "normalize", json_string(rq->per_prompt ? "prompt" : "global"));
    bad = bad || put(o, "margin", json_boolean(rq->want_margin));
    const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
    const size_t len = bad ? 0 : json_dumpb(o, NULL, 0, flags);
    char *text = len ? map_malloc(len + 1) : NULL;
    if (text && json_dumpb(o, text, len, flags) == len) {
        text[len] = '\0';
        *json = text;
    } else {
        map_free(text);
        bad = 1;
    }
    json_decref(o);
    return bad ? map_error_set(err, MAP_ENOMEM, "out of memory") : MAP_OK;
}

void map_sweep_saved_free(map_sweep_saved *s)
{
    if (!s)
        return;
    map_free_strings(s->values, s->values ? s->rq.k : 0);
    MAP_FREE_ALL(s->dataset, s->grid, s->palettes);
    memset(s, 0, sizeof *s);
}

/* The string field key of o, or NULL when absent; present but not a
 * non-empty string is an error. */
static int get_string(const json_t *o, const char *key, int required, const char **out,
                      map_error *err)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v)
        return required ? map_error_set(err, MAP_EDATA, "field '%s' is missing", key) : MAP_OK;
    if (!json_is_string(v) || json_string_length(v) == 0
        || strlen(json_string_value(v)) != json_string_length(v))
        return map_error_set(err, MAP_EDATA, "field '%s' must be a non-empty string", key);
    *out = json_string_value(v);
    return MAP_OK;
}

/* The integer field key of o, required, in [lo, hi]. */
static int get_int(const json_t *o, const char *key, json_int_t lo, json_int_t hi, json_int_t *out,
                   map_error *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return map_error_set(err, MAP_EDATA, "field '%s' is missing", key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return map_error_set(err, MAP_EDATA, "field '%s' must be an integer from %" PRId64
                             " to %" PRId64, key, (int64_t)lo, (int64_t)hi);
    *out = json_integer_value(v);
    return MAP_OK;
}

static char *dup_or_null(const char *s)
{
    return s ? map_strdup(s) : NULL;
}

int map_sweep_request_decode(const char *json, map_sweep_saved *out, map_error *err)
{
    if (!out)
        return map_error_set(err, MAP_EUSAGE, "map_sweep_request_decode: no output");
    memset(out, 0, sizeof *out);
    if (!json)
        return map_error_set(err, MAP_EUSAGE, "map_sweep_request_decode: no JSON");
    json_error_t je;
    json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return map_error_set(err, MAP_EDATA, "not JSON: %s", je.text);
    int rc = json_is_object(o) ? MAP_OK : map_error_set(err, MAP_EDATA, "not a JSON object");
    static const char *const known[] = {"dataset", "source", "grid", "palettes", "count", "kind",
                                        "values", "scale", "seed", "normalize", "margin"};
    const char *key;
    json_t *val;
    if (!rc)
        json_object_foreach(o, key, val) {
            size_t i = 0;
            while (i < sizeof known / sizeof known[0] && strcmp(key, known[i]) != 0)
                i++;
            if (i == sizeof known / sizeof known[0]) {
                rc = map_error_set(err, MAP_EDATA, "field '%s' is unknown", key);
                break;
            }
        }
    map_sweep_request *rq = &out->rq;
    const char *dataset = NULL, *source = NULL, *grid = NULL, *palettes = NULL, *kind = NULL,
               *norm = NULL;
    if (!rc)
        rc = get_string(o, "dataset", 1, &dataset, err);
    if (!rc)
        rc = get_string(o, "source", 1, &source, err);
    if (!rc) {
        map_sweep_source s = MAP_SOURCE_GRID;
        while (s <= MAP_SOURCE_LAMBDAS && strcmp(source, map_sweep_source_name(s)) != 0)
            s++;
        if (s > MAP_SOURCE_LAMBDAS)
            rc = map_error_set(err, MAP_EDATA,
                               "field 'source' must be grid, random, palettes or lambdas, not '%s'",
                               source);
        rq->source = s;
    }
    const int counted = rq->source == MAP_SOURCE_RANDOM || rq->source == MAP_SOURCE_LAMBDAS;
    if (!rc)
        rc = get_string(o, "grid", rq->source == MAP_SOURCE_GRID, &grid, err);
    if (!rc)
        rc = get_string(o, "palettes", rq->source == MAP_SOURCE_PALETTES, &palettes, err);
    json_int_t n = 0;
    if (!rc && counted && !(rc = get_int(o, "count", 1, 1000000000, &n, err)))
        rq->count = (size_t)n;
    if (!rc && rq->source == MAP_SOURCE_RANDOM) {
        rc = get_string(o, "kind", 1, &kind, err);
        if (!rc && map_sweep_kind_parse(kind, &rq->kind))
            rc = map_error_set(err, MAP_EDATA,
                               "field 'kind' must be aggressive or conservative, not '%s'", kind);
    }
    const json_t *vals = json_object_get(o, "values");
    if (!rc && counted) {
        if (!json_is_array(vals) || json_array_size(vals) == 0)
            rc = map_error_set(err, MAP_EDATA, "field 'values' must be a non-empty array of names");
        for (size_t i = 0; !rc && i < json_array_size(vals); i++) {
            const json_t *v = json_array_get(vals, i);
            if (!json_is_string(v) || json_string_length(v) == 0
                || strlen(json_string_value(v)) != json_string_length(v))
                rc = map_error_set(err, MAP_EDATA, "field 'values' item %zu must be a name", i + 1);
        }
    }
    if (!rc && rq->source == MAP_SOURCE_LAMBDAS) {
        const json_t *v = json_object_get(o, "scale");
        if (!json_is_number(v) || !(json_number_value(v) > 0.0) || !isfinite(json_number_value(v)))
            rc = map_error_set(err, MAP_EDATA, "field 'scale' must be a positive number");
        else
            rq->scale = json_number_value(v);
    }
    if (!rc && !(rc = get_int(o, "seed", 0, INT64_MAX, &n, err)))
        rq->seed = (uint64_t)n;
    if (!rc)
        rc = get_string(o, "normalize", 0, &norm, err);
    if (!rc && norm && strcmp(norm, "prompt") != 0 && strcmp(norm, "global") != 0)
        rc = map_error_set(err, MAP_EDATA, "field 'normalize' must be global or prompt, not '%s'",
                           norm);
    rq->per_prompt = !rc && norm && strcmp(norm, "prompt") == 0;
    const json_t *margin = json_object_get(o, "margin");
    if (!rc && margin && !json_is_boolean(margin))
        rc = map_error_set(err, MAP_EDATA, "field 'margin' must be true or false");
    rq->want_margin = !rc && json_is_true(margin);
    if (!rc) {
        out->dataset = dup_or_null(dataset);
        out->grid = dup_or_null(grid);
        out->palettes = dup_or_null(palettes);
        int bad = !out->dataset || (grid && !out->grid) || (palettes && !out->palettes);
        if (!bad && counted) {
            out->values = map_calloc(json_array_size(vals), sizeof *out->values);
            bad = !out->values;
            for (size_t i = 0; !bad && i < json_array_size(vals); i++) {
                bad = !(out->values[i] = map_strdup(json_string_value(json_array_get(vals, i))));
                rq->k = i + 1; /* what map_sweep_saved_free frees */
            }
        }
        if (bad)
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    json_decref(o);
    if (rc) {
        map_sweep_saved_free(out);
        return rc;
    }
    rq->grid = rq->source == MAP_SOURCE_GRID ? out->grid : NULL;
    rq->palettes = rq->source == MAP_SOURCE_PALETTES ? out->palettes : NULL;
    rq->values = (const char *const *)out->values;
    return MAP_OK;
}
