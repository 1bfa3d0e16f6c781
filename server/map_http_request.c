/* map_http_request.c — request bodies (JSON) into the application layer's
 * request structs, strictly, naming the offending field (see
 * map_http_request.h). The only file of server/ that parses JSON. */
#include "map_http_request.h"

#include <assert.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "map_histogram.h"
#include "map_vec.h"

static const char *const kind_names[MAP_HTTP_NKINDS] = {
    "solve", "feasible", "adjust", "frontier", "region", "sweep", "histogram"};

const char *map_http_kind_name(map_http_kind kind)
{
    return kind < MAP_HTTP_NKINDS ? kind_names[kind] : "?";
}

/* Records the failure at field (a JSON Pointer) and returns −1. */
static int fail_at(map_http_fail *f, const char *field, const char *fmt, ...)
{
    snprintf(f->field, sizeof f->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* The kinds that take each field (bit k: map_http_kind k). */
#define K(x) (1u << (x))
#define KS_SOLVE (K(MAP_HTTP_SOLVE) | K(MAP_HTTP_ADJUST) | K(MAP_HTTP_HISTOGRAM))
#define KS_PALETTE (KS_SOLVE | K(MAP_HTTP_FEASIBLE))
#define KS_ALL 0x7fu

typedef struct field_rule {
    const char *name;
    unsigned kinds;
} field_rule;

static const field_rule rules[] = {
    {"dataset", KS_ALL},
    {"palette", KS_PALETTE},
    {"normalize", KS_ALL},
    {"margin", K(MAP_HTTP_SOLVE) | K(MAP_HTTP_HISTOGRAM) | K(MAP_HTTP_SWEEP)},
    {"tol", K(MAP_HTTP_SOLVE) | K(MAP_HTTP_HISTOGRAM)},
    {"max_iter", K(MAP_HTTP_SOLVE) | K(MAP_HTTP_HISTOGRAM)},
    {"method", KS_SOLVE},
    {"init", KS_SOLVE},
    {"sensitivity", KS_SOLVE},
    {"bootstrap", KS_SOLVE},
    {"holdout", KS_SOLVE},
    {"seed", KS_SOLVE | K(MAP_HTTP_SWEEP)},
    {"mode", K(MAP_HTTP_ADJUST)},
    {"priority", K(MAP_HTTP_ADJUST)},
    {"inset", K(MAP_HTTP_ADJUST)},
    {"values", K(MAP_HTTP_FRONTIER) | K(MAP_HTTP_REGION) | K(MAP_HTTP_SWEEP)},
    {"kl", K(MAP_HTTP_FRONTIER)},
    {"direction", K(MAP_HTTP_FRONTIER)},
    {"points", K(MAP_HTTP_FRONTIER) | K(MAP_HTTP_REGION)},
    {"kl_max", K(MAP_HTTP_FRONTIER)},
    {"from", K(MAP_HTTP_REGION)},
    {"polygon", K(MAP_HTTP_REGION)},
    {"grid", K(MAP_HTTP_SWEEP)},
    {"random", K(MAP_HTTP_SWEEP)},
    {"kind", K(MAP_HTTP_SWEEP)},
    {"lambdas", K(MAP_HTTP_SWEEP)},
    {"scale", K(MAP_HTTP_SWEEP)},
    {"palettes", K(MAP_HTTP_SWEEP)},
    {"threads", K(MAP_HTTP_SWEEP)},
    {"store", K(MAP_HTTP_SWEEP)},
    {"value", K(MAP_HTTP_HISTOGRAM)},
    {"bins", K(MAP_HTTP_HISTOGRAM)},
};

/* A JSON Pointer "/name" (names with '~' or '/' escaped as RFC 6901 says),
 * with "/sub" appended when sub is not NULL, or "/index" when idx >= 0. */
static void pointer(char *out, size_t cap, const char *name, const char *sub, long idx)
{
    size_t len = 0;
    const char *parts[2] = {name, sub};
    for (int p = 0; p < 2; p++) {
        if (!parts[p])
            continue;
        if (len + 1 < cap)
            out[len++] = '/';
        for (const char *c = parts[p]; *c && len + 2 < cap; c++) {
            if (*c == '~' || *c == '/') {
                out[len++] = '~';
                out[len++] = *c == '~' ? '0' : '1';
            } else {
                out[len++] = *c;
            }
        }
    }
    out[len] = '\0';
    if (idx >= 0 && len + 24 < cap)
        snprintf(out + len, cap - len, "/%ld", idx);
}

static int want_string(const json_t *v, const char *name, char **out, map_http_fail *f)
{
    if (!json_is_string(v))
        return fail_at(f, name, "%s must be a string", name + 1);
    if (!(*out = map_strdup(json_string_value(v))))
        return fail_at(f, "", "out of memory");
    return 0;
}

static int want_bool(const json_t *v, const char *name, int *out, map_http_fail *f)
{
    if (!json_is_boolean(v))
        return fail_at(f, name, "%s must be true or false", name + 1);
    *out = json_is_true(v);
    return 0;
}

/* A finite number in [lo, hi] (lo excluded when open). */
static int want_number(const json_t *v, const char *name, double lo, double hi, int open,
                       double *out, map_http_fail *f)
{
    if (!json_is_number(v))
        return fail_at(f, name, "%s must be a number", name + 1);
    const double x = json_number_value(v);
    if (!isfinite(x) || x < lo || x > hi || (open && x == lo))
        return fail_at(f, name, "%s must be a number in %c%g, %g], not %g", name + 1,
                       open ? '(' : '[', lo, hi, x);
    *out = x;
    return 0;
}

static int want_integer(const json_t *v, const char *name, long long lo, long long hi,
                        long long *out, map_http_fail *f)
{
    if (!json_is_integer(v))
        return fail_at(f, name, "%s must be an integer", name + 1);
    const long long x = json_integer_value(v);
    if (x < lo || x > hi)
        return fail_at(f, name, "%s must be an integer in [%lld, %lld], not %lld", name + 1, lo,
                       hi, x);
    *out = x;
    return 0;
}

/* An integer in [lo, hi] (lo >= 0) into a count. */
static int want_size(const json_t *v, const char *name, long long lo, long long hi, size_t *out,
                     map_http_fail *f)
{
    long long x = 0;
    if (want_integer(v, name, lo, hi, &x, f))
        return -1;
    *out = (size_t)x;
    return 0;
}

/* A fraction in [0, 1), or in (0, 1) when open. */
static int want_fraction(const json_t *v, const char *name, int open, double *out,
                         map_http_fail *f)
{
    double x = 0.0;
    if (want_number(v, name, 0.0, 1.0, open, &x, f))
        return -1;
    if (x >= 1.0)
        return fail_at(f, name, "%s must be in %c0, 1)", name + 1, open ? '(' : '[');
    *out = x;
    return 0;
}

/* The n entries of the array v, each a finite number >= 0, into out[]. */
static int want_numbers(const json_t *v, const char *name, size_t n, double *out,
                        map_http_fail *f)
{
    for (size_t i = 0; i < n; i++) {
        char ptr[300];
        pointer(ptr, sizeof ptr, name + 1, NULL, (long)i);
        if (want_number(json_array_get(v, i), ptr, 0.0, 1e300, 0, &out[i], f))
            return -1;
    }
    return 0;
}

/* An array of non-empty strings without ',' (they become comma lists for
 * nothing, but the CLI cannot take such names either) into a new
 * NULL-terminated array. */
static int want_names(const json_t *v, const char *name, char ***out, size_t *count,
                      map_http_fail *f)
{
    if (!json_is_array(v))
        return fail_at(f, name, "%s must be an array of names", name + 1);
    const size_t n = json_array_size(v);
    if (n == 0)
        return fail_at(f, name, "%s is empty", name + 1);
    if (n > 4096)
        return fail_at(f, name, "%s has more than 4096 entries", name + 1);
    char **list = map_calloc(n + 1, sizeof *list);
    if (!list)
        return fail_at(f, "", "out of memory");
    *out = list;
    *count = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        char ptr[300];
        pointer(ptr, sizeof ptr, name + 1, NULL, (long)i);
        if (!json_is_string(e) || !json_string_value(e)[0])
            return fail_at(f, ptr, "%s must be a non-empty string", ptr + 1);
        if (!(list[i] = map_strdup(json_string_value(e))))
            return fail_at(f, "", "out of memory");
    }
    return 0;
}

/* Appends s to the growing spec b (bytes, b->len of them before a NUL). */
static int spec_append(map_vec *b, const char *s)
{
    const size_t n = strlen(s);
    if (map_vec_reserve(b, b->len + n + 1) != MAP_OK)
        return -1;
    memcpy((char *)b->data + b->len, s, n + 1);
    b->len += n;
    return 0;
}

/* A palette-like field: a spec string as on the command line, or an object
 * {"VALUE": number | "mean" | "qNN" | "..."} (numbers written with 17
 * significant digits, read back exactly), into a new spec string. numeric
 * restricts the object's entries to numbers (frontier's direction). */
static int want_spec(const json_t *v, const char *name, int numeric, char **out,
                     map_http_fail *f)
{
    if (json_is_string(v)) {
        if (!json_string_value(v)[0])
            return fail_at(f, name, "%s is empty", name + 1);
        return want_string(v, name, out, f);
    }
    if (!json_is_object(v))
        return fail_at(f, name, "%s must be a string VALUE=TARGET,... or an object {VALUE: %s}",
                       name + 1, numeric ? "number" : "TARGET");
    if (json_object_size(v) == 0)
        return fail_at(f, name, "%s is empty", name + 1);
    map_vec buf;
    map_vec_init(&buf, 1, 64);
    const char *key;
    json_t *t;
    json_object_foreach((json_t *)v, key, t)
    {
        char ptr[300];
        pointer(ptr, sizeof ptr, name + 1, key, -1);
        if (!key[0] || strchr(key, ',')) {
            map_vec_free(&buf);
            return fail_at(f, ptr, "%s: a value name must be non-empty and without ','",
                           ptr + 1);
        }
        char target[64];
        if (json_is_number(t)) {
            const double x = json_number_value(t);
            if (!isfinite(x)) {
                map_vec_free(&buf);
                return fail_at(f, ptr, "%s must be a finite number", ptr + 1);
            }
            snprintf(target, sizeof target, "%.17g", x);
        } else if (!numeric && json_is_string(t) && json_string_length(t) > 0 &&
                   json_string_length(t) < sizeof target &&
                   !strpbrk(json_string_value(t), ",=")) {
            snprintf(target, sizeof target, "%s", json_string_value(t));
        } else {
            map_vec_free(&buf);
            return fail_at(f, ptr, "%s must be %s", ptr + 1,
                           numeric ? "a number" : "a number, \"mean\" or \"qNN\"");
        }
        if ((buf.len && spec_append(&buf, ",")) || spec_append(&buf, key) ||
            spec_append(&buf, "=") || spec_append(&buf, target)) {
            map_vec_free(&buf);
            return fail_at(f, "", "out of memory");
        }
    }
    *out = map_vec_release(&buf);
    return 0;
}

/* One field of the body: name (without '/') with value v. */
static int take_field(map_http_request *rq, const char *name, const json_t *v, map_http_fail *f)
{
    char ptr[300];
    pointer(ptr, sizeof ptr, name, NULL, -1);
    long long ll = 0;
    int b = 0;
    if (strcmp(name, "dataset") == 0) {
        if (want_string(v, ptr, &rq->dataset, f))
            return -1;
        if (!rq->dataset[0])
            return fail_at(f, ptr, "dataset is empty");
        return 0;
    }
    if (strcmp(name, "palette") == 0)
        return want_spec(v, ptr, 0, &rq->palette, f);
    if (strcmp(name, "normalize") == 0) {
        if (!json_is_string(v) || map_normalize_parse(json_string_value(v), &rq->so.normalize))
            return fail_at(f, ptr, "normalize must be \"global\" or \"prompt\"");
        rq->sweep.per_prompt = rq->so.normalize == MAP_NORMALIZE_PROMPT;
        return 0;
    }
    if (strcmp(name, "margin") == 0) {
        if (want_bool(v, ptr, &b, f))
            return -1;
        rq->fp.want_margin = b;
        rq->sweep.want_margin = b;
        return 0;
    }
    if (strcmp(name, "tol") == 0)
        return want_number(v, ptr, 0.0, 1.0, 1, &rq->par.tol, f);
    if (strcmp(name, "max_iter") == 0) {
        if (want_integer(v, ptr, 1, 1000000, &ll, f))
            return -1;
        rq->par.max_iter = (int)ll;
        return 0;
    }
    if (strcmp(name, "method") == 0) {
        if (!json_is_string(v) || map_method_parse(json_string_value(v), &rq->so.method))
            return fail_at(f, ptr, "method must be \"newton\", \"lbfgs\" or \"mma\"");
        return 0;
    }
    if (strcmp(name, "init") == 0) {
        if (!json_is_array(v))
            return fail_at(f, ptr, "init must be an array of numbers >= 0");
        const size_t n = json_array_size(v);
        if (n > MAP_MAX_K)
            return fail_at(f, ptr, "init gives %zu values; at most %d", n, MAP_MAX_K);
        if (want_numbers(v, ptr, n, rq->init, f))
            return -1;
        rq->so.init = rq->init;
        rq->so.ninit = n;
        return 0;
    }
    if (strcmp(name, "sensitivity") == 0)
        return want_bool(v, ptr, &rq->so.sensitivity, f);
    if (strcmp(name, "bootstrap") == 0)
        return want_size(v, ptr, 1, MAP_HTTP_BOOTSTRAP_MAX, &rq->so.bootstrap, f);
    if (strcmp(name, "holdout") == 0)
        return want_fraction(v, ptr, 1, &rq->so.holdout, f);
    if (strcmp(name, "seed") == 0) {
        if (want_integer(v, ptr, 0, LLONG_MAX, &ll, f))
            return -1;
        rq->so.seed = (unsigned long)ll;
        rq->sweep.seed = (uint64_t)ll;
        return 0;
    }
    if (strcmp(name, "mode") == 0) {
        if (!json_is_string(v) || map_adjust_mode_parse(json_string_value(v), &rq->ao.mode))
            return fail_at(f, ptr, "mode must be \"ray\" or \"greedy\"");
        return 0;
    }
    if (strcmp(name, "priority") == 0) {
        if (want_names(v, ptr, &rq->priority, &rq->npriority, f))
            return -1;
        rq->ao.priority = (const char *const *)rq->priority;
        rq->ao.npriority = rq->npriority;
        return 0;
    }
    if (strcmp(name, "inset") == 0)
        return want_fraction(v, ptr, 0, &rq->ao.inset, f);
    if (strcmp(name, "values") == 0) {
        if (want_names(v, ptr, &rq->values, &rq->nvalues, f))
            return -1;
        rq->sweep.values = (const char *const *)rq->values;
        rq->sweep.k = rq->nvalues;
        return 0;
    }
    if (strcmp(name, "kl") == 0) {
        if (!json_is_array(v) || json_array_size(v) == 0)
            return fail_at(f, ptr, "kl must be a non-empty array of numbers >= 0");
        const size_t n = json_array_size(v);
        if (n > MAP_HTTP_ROWS_MAX)
            return fail_at(f, ptr, "kl has more than %d budgets", MAP_HTTP_ROWS_MAX);
        if (!(rq->kl = map_mallocarray(n, sizeof *rq->kl)))
            return fail_at(f, "", "out of memory");
        rq->nkl = n;
        return want_numbers(v, ptr, n, rq->kl, f);
    }
    if (strcmp(name, "direction") == 0)
        return want_spec(v, ptr, 1, &rq->direction, f);
    if (strcmp(name, "points") == 0)
        return want_size(v, ptr, 1, MAP_HTTP_ROWS_MAX, &rq->points, f);
    if (strcmp(name, "kl_max") == 0)
        return want_number(v, ptr, 0.0, 1e300, 1, &rq->kl_max, f);
    if (strcmp(name, "from") == 0)
        return want_spec(v, ptr, 0, &rq->from, f);
    if (strcmp(name, "polygon") == 0)
        return want_bool(v, ptr, &rq->polygon, f);
    if (strcmp(name, "grid") == 0) {
        if (want_string(v, ptr, &rq->grid, f))
            return -1;
        rq->sweep.source = MAP_SOURCE_GRID;
        rq->sweep.grid = rq->grid;
        return 0;
    }
    if (strcmp(name, "random") == 0 || strcmp(name, "lambdas") == 0) {
        if (want_size(v, ptr, 1, 1000000000LL, &rq->sweep.count, f))
            return -1;
        rq->sweep.source = name[0] == 'r' ? MAP_SOURCE_RANDOM : MAP_SOURCE_LAMBDAS;
        return 0;
    }
    if (strcmp(name, "kind") == 0) {
        if (!json_is_string(v) || map_sweep_kind_parse(json_string_value(v), &rq->sweep.kind))
            return fail_at(f, ptr, "kind must be \"aggressive\" or \"conservative\"");
        return 0;
    }
    if (strcmp(name, "scale") == 0)
        return want_number(v, ptr, 0.0, 1e300, 1, &rq->sweep.scale, f);
    if (strcmp(name, "palettes") == 0)
        return fail_at(f, ptr, "palettes (a file of the server's) is not read over HTTP: use "
                               "grid, random or lambdas");
    if (strcmp(name, "threads") == 0) {
        if (want_integer(v, ptr, 0, 1024, &ll, f))
            return -1;
        rq->sweep.threads = (unsigned)ll;
        return 0;
    }
    if (strcmp(name, "store") == 0)
        return want_bool(v, ptr, &rq->store, f);
    if (strcmp(name, "value") == 0)
        return want_string(v, ptr, &rq->value, f);
    /* The last field of rules[]: map_http_request_parse refuses a field
     * not in rules[] (or not of this kind) before calling take_field, and
     * every other field is taken above. */
    assert(strcmp(name, "bins") == 0);
    return want_size(v, ptr, 1, MAP_HISTOGRAM_BINS_MAX, &rq->bins, f);
}

/* The fields every request of kind needs, and the checks across fields. */
static int check_complete(map_http_request *rq, const json_t *root, map_http_fail *f)
{
    if (!rq->dataset)
        return fail_at(f, "/dataset", "missing field 'dataset'");
    const unsigned bit = K(rq->kind);
    if ((bit & KS_PALETTE) && !rq->palette)
        return fail_at(f, "/palette", "missing field 'palette'");
    if ((bit & (K(MAP_HTTP_FRONTIER) | K(MAP_HTTP_REGION))) && !rq->values)
        return fail_at(f, "/values", "missing field 'values'");
    if (rq->kind == MAP_HTTP_HISTOGRAM && !rq->value)
        return fail_at(f, "/value", "missing field 'value'");
    if (rq->kind == MAP_HTTP_FRONTIER) {
        if (rq->kl && rq->direction)
            return fail_at(f, "/direction", "kl and direction exclude each other");
        if (!isnan(rq->kl_max) && !rq->direction)
            return fail_at(f, "/kl_max", "kl_max applies to direction only");
        if (rq->nkl > 0 && rq->points > MAP_HTTP_ROWS_MAX / rq->nkl)
            return fail_at(f, "/points",
                           "points × budgets (%zu × %zu) is over the limit of %d rows",
                           rq->points, rq->nkl, MAP_HTTP_ROWS_MAX);
    }
    if (rq->kind == MAP_HTTP_ADJUST && rq->priority && rq->ao.mode != MAP_ADJUST_GREEDY)
        return fail_at(f, "/priority", "priority applies to mode \"greedy\" only");
    if (rq->kind == MAP_HTTP_SWEEP) {
        const int nsources = !!json_object_get(root, "grid") + !!json_object_get(root, "random") +
                             !!json_object_get(root, "lambdas");
        if (nsources != 1)
            return fail_at(f, nsources ? "/grid" : "", "give exactly one of grid, random, lambdas");
        const int counted =
            rq->sweep.source == MAP_SOURCE_RANDOM || rq->sweep.source == MAP_SOURCE_LAMBDAS;
        if (counted && !rq->values)
            return fail_at(f, "/values", "%s needs values",
                           rq->sweep.source == MAP_SOURCE_RANDOM ? "random" : "lambdas");
        if (!counted && rq->values)
            return fail_at(f, "/values", "values applies to random and lambdas only");
    }
    return 0;
}

int map_http_request_parse(map_http_kind kind, const char *body, size_t len, map_http_request *rq,
                           map_http_fail *fail)
{
    memset(rq, 0, sizeof *rq);
    memset(fail, 0, sizeof *fail);
    rq->kind = kind;
    map_solve_opts_default(&rq->so);
    map_solver_params_default(&rq->par);
    map_feas_params_default(&rq->fp);
    map_adjust_opts_default(&rq->ao);
    rq->points = kind == MAP_HTTP_REGION ? 36 : 21;
    rq->kl_max = NAN;
    rq->bins = MAP_HISTOGRAM_BINS_DEFAULT;
    rq->sweep.scale = 1.0;
    rq->sweep.seed = 1;
    rq->sweep.kind = MAP_SWEEP_CONSERVATIVE;
    if (kind >= MAP_HTTP_NKINDS)
        return fail_at(fail, "", "unknown request kind");
    json_error_t jerr;
    json_t *root = json_loadb(body ? body : "", body ? len : 0, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        fail->malformed = 1;
        return fail_at(fail, "", "malformed JSON at line %d, column %d: %s", jerr.line,
                       jerr.column, jerr.text);
    }
    int rc = 0;
    if (!json_is_object(root))
        rc = fail_at(fail, "", "the body must be a JSON object");
    const char *key;
    json_t *v;
    if (!rc)
        json_object_foreach(root, key, v)
        {
            size_t r = 0;
            while (r < sizeof rules / sizeof rules[0] && strcmp(rules[r].name, key) != 0)
                r++;
            char ptr[300];
            pointer(ptr, sizeof ptr, key, NULL, -1);
            if (r == sizeof rules / sizeof rules[0] || !(rules[r].kinds & K(kind))) {
                rc = fail_at(fail, ptr, "unknown field '%s' for %s", key, kind_names[kind]);
                break;
            }
            if ((rc = take_field(rq, key, v, fail)) != 0)
                break;
        }
    if (!rc)
        rc = check_complete(rq, root, fail);
    json_decref(root);
    return rc;
}

void map_http_request_free(map_http_request *rq)
{
    if (!rq)
        return;
    map_free(rq->dataset);
    map_free(rq->palette);
    map_free_strings(rq->priority, rq->npriority);
    map_free_strings(rq->values, rq->nvalues);
    map_free(rq->kl);
    map_free(rq->direction);
    map_free(rq->from);
    map_free(rq->grid);
    map_free(rq->value);
    memset(rq, 0, sizeof *rq);
}
