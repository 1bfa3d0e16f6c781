/* map_http_problem.c — RFC 9457 problem documents (map_http_problem.h). */
#include "map_http_problem.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_common.h"

static const struct {
    const char *slug, *title;
    unsigned status;
} types[MAP_PROBLEM_NTYPES] = {
    {"malformed-json", "Malformed JSON", 400},
    {"bad-field", "Invalid request field", 400},
    {"unauthorized", "Missing or wrong bearer token", 401},
    {"not-found", "Not found", 404},
    {"unknown-dataset", "Unknown dataset", 404},
    {"method-not-allowed", "Method not allowed", 405},
    {"timeout", "Request timeout", 408},
    {"too-large", "Request body too large", 413},
    {"unsupported-media-type", "Unsupported media type", 415},
    {"internal", "Internal server error", 500},
    {"busy", "Too many sweeps running", 503},
};

unsigned map_problem_status(map_problem_type t)
{
    return t < MAP_PROBLEM_NTYPES ? types[t].status : 500;
}

char *map_problem_json(map_problem_type t, const char *detail, const char *field)
{
    if (t >= MAP_PROBLEM_NTYPES)
        t = MAP_PROBLEM_INTERNAL;
    char type[96];
    snprintf(type, sizeof type, "urn:mapsolve:problem:%s", types[t].slug);
    json_t *o = json_object();
    if (!o)
        return NULL;
    /* Bad UTF-8 in a detail (an echoed name) must not lose the answer. */
    json_t *d = json_string(detail ? detail : "");
    if (!d)
        d = json_string("(the detail is not valid UTF-8)");
    json_t *fv = field && field[0] ? json_string(field) : json_null();
    if (!fv)
        fv = json_string("(not valid UTF-8)");
    int bad = json_object_set_new(o, "type", json_string(type));
    bad |= json_object_set_new(o, "title", json_string(types[t].title));
    bad |= json_object_set_new(o, "status", json_integer(types[t].status));
    bad |= json_object_set_new(o, "detail", d);
    bad |= json_object_set_new(o, "field", fv);
    char *text = bad ? NULL : json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(o);
    if (!text)
        return NULL;
    const size_t len = strlen(text);
    char *out = map_malloc(len + 2);
    if (out) {
        memcpy(out, text, len);
        out[len] = '\n';
        out[len + 1] = '\0';
    }
    free(text);
    return out;
}
