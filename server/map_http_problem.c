/* map_http_problem.c — RFC 9457 problem documents and the rewording of the
 * application layer's flag names into request fields (map_http_problem.h). */
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

/* The CLI's flags that application messages name, and the request fields
 * they are (longest flags first where one is a prefix of another). */
static const char *const flags[][2] = {
    {"--kl-max", "kl_max"},     {"--kl", "kl"},           {"--values", "values"},
    {"--direction", "direction"}, {"--points", "points"}, {"--from", "from"},
    {"--polygon", "polygon"},   {"--priority", "priority"}, {"--inset", "inset"},
    {"--init", "init"},         {"--normalize", "normalize"}, {"--scale", "scale"},
    {"--max-iter", "max_iter"}, {"--holdout", "holdout"}, {"--bootstrap", "bootstrap"},
    {"--method", "method"},     {"--mode", "mode"},       {"--palette", "palette"},
    {"--grid", "grid"},         {"--kind", "kind"},       {"--seed", "seed"},
};

void map_problem_reword(char *msg, size_t cap, char *field, size_t fcap)
{
    if (fcap)
        field[0] = '\0';
    char out[MAP_ERRMSG_MAX];
    size_t o = 0;
    for (const char *p = msg; *p && o + 1 < sizeof out;) {
        size_t f = 0;
        const size_t nflags = sizeof flags / sizeof flags[0];
        for (; f < nflags; f++) {
            const size_t len = strlen(flags[f][0]);
            const char after = p[len];
            if (strncmp(p, flags[f][0], len) == 0 &&
                !(after == '-' || (after >= 'a' && after <= 'z')))
                break;
        }
        if (f == nflags) {
            out[o++] = *p++;
            continue;
        }
        if (fcap && !field[0])
            snprintf(field, fcap, "/%s", flags[f][1]);
        for (const char *r = flags[f][1]; *r && o + 1 < sizeof out; r++)
            out[o++] = *r;
        p += strlen(flags[f][0]);
    }
    out[o] = '\0';
    snprintf(msg, cap, "%s", out);
}
