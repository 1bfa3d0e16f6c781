/* map_http_request.c — request bodies (JSON) into the application layer's
 * request structs, strictly, naming the offending field (see
 * map_http_request.h). The only file of server/ that parses JSON. */
#include "map_http_request.h"

#include <assert.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
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
    return map_vec_append(b, s, strlen(s)) == MAP_OK ? 0 : -1;
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

/* The fields with logic of their own (field_rule.take): each reads v, the
 * value at JSON Pointer ptr, into rq. */

static int take_dataset(map_http_request *rq, const json_t *v, const char *ptr,
                        map_http_fail *f)
{
    if (want_string(v, ptr, &rq->dataset, f))
        return -1;
    if (!rq->dataset[0])
        return fail_at(f, ptr, "dataset is empty");
    return 0;
}

/* margin: the solve's verdict and a sweep's rows both compute v*. */
static int take_margin(map_http_request *rq, const json_t *v, const char *ptr,
                       map_http_fail *f)
{
    int b = 0;
    if (want_bool(v, ptr, &b, f))
        return -1;
    rq->fp.want_margin = b;
    rq->sweep.want_margin = b;
    return 0;
}

static int take_init(map_http_request *rq, const json_t *v, const char *ptr, map_http_fail *f)
{
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

/* seed: the solve's (bootstrap, holdout) and a sweep's. */
static int take_seed(map_http_request *rq, const json_t *v, const char *ptr, map_http_fail *f)
{
    long long ll = 0;
    if (want_integer(v, ptr, 0, LLONG_MAX, &ll, f))
        return -1;
    rq->so.seed = (unsigned long)ll;
    rq->sweep.seed = (uint64_t)ll;
    return 0;
}

/* priority and values: the application's requests borrow the lists once
 * the whole body is read (map_http_request_parse). */
static int take_priority(map_http_request *rq, const json_t *v, const char *ptr,
                         map_http_fail *f)
{
    return want_names(v, ptr, &rq->priority, &rq->npriority, f);
}

static int take_values(map_http_request *rq, const json_t *v, const char *ptr,
                       map_http_fail *f)
{
    return want_names(v, ptr, &rq->values, &rq->nvalues, f);
}

static int take_kl(map_http_request *rq, const json_t *v, const char *ptr, map_http_fail *f)
{
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

static int take_grid(map_http_request *rq, const json_t *v, const char *ptr, map_http_fail *f)
{
    if (want_string(v, ptr, &rq->grid, f))
        return -1;
    rq->sweep.source = MAP_SOURCE_GRID;
    rq->sweep.grid = rq->grid;
    return 0;
}

/* random and lambdas: the sweep's source and its count of rows. */
static int take_count(map_http_request *rq, const json_t *v, const char *ptr, map_http_fail *f,
                      map_sweep_source source)
{
    if (want_size(v, ptr, 1, 1000000000LL, &rq->sweep.count, f))
        return -1;
    rq->sweep.source = source;
    return 0;
}

static int take_random(map_http_request *rq, const json_t *v, const char *ptr, map_http_fail *f)
{
    return take_count(rq, v, ptr, f, MAP_SOURCE_RANDOM);
}

static int take_lambdas(map_http_request *rq, const json_t *v, const char *ptr,
                        map_http_fail *f)
{
    return take_count(rq, v, ptr, f, MAP_SOURCE_LAMBDAS);
}

static int take_palettes(map_http_request *rq, const json_t *v, const char *ptr,
                         map_http_fail *f)
{
    (void)rq;
    (void)v;
    return fail_at(f, ptr, "palettes (a file of the server's) is not read over HTTP: use "
                           "grid, random or lambdas");
}

/* The fields that name a choice (field_rule.choose): each parses text into
 * rq, 0 on success, −1 for a name it does not know. */

static int choose_normalize(map_http_request *rq, const char *text)
{
    if (map_normalize_parse(text, &rq->so.normalize))
        return -1;
    rq->sweep.per_prompt = rq->so.normalize == MAP_NORMALIZE_PROMPT;
    return 0;
}

static int choose_method(map_http_request *rq, const char *text)
{
    return map_method_parse(text, &rq->so.method);
}

static int choose_mode(map_http_request *rq, const char *text)
{
    return map_adjust_mode_parse(text, &rq->ao.mode);
}

static int choose_sweep_kind(map_http_request *rq, const char *text)
{
    return map_sweep_kind_parse(text, &rq->sweep.kind);
}

/* How a field's value is read (field_rule.type), into the member of
 * map_http_request at field_rule.at unless said otherwise (the rows name
 * both with the *_AT macros below, which check the member's type). */
typedef enum field_type {
    FIELD_STRING,   /* a string (char *) */
    FIELD_SPEC,     /* a palette-like spec (char *; numeric entries only when .numeric) */
    FIELD_BOOL,     /* true or false (int) */
    FIELD_NUMBER,   /* a number in [lo, hi], lo excluded when .open (double) */
    FIELD_FRACTION, /* a number in [0, 1), or in (0, 1) when .open (double) */
    FIELD_SIZE,     /* an integer in [min, max] (size_t) */
    FIELD_INT,      /* an integer in [min, max] (int) */
    FIELD_UNSIGNED, /* an integer in [min, max] (unsigned) */
    FIELD_CHOICE,   /* a string .choose accepts, else .refusal; no member */
    FIELD_OTHER     /* .take reads it; no member */
} field_type;

typedef int take_fn(map_http_request *rq, const json_t *v, const char *ptr, map_http_fail *f);
typedef int choose_fn(map_http_request *rq, const char *text);

/* A field of the bodies: its name, the kinds that take it, how it is read. */
typedef struct field_rule {
    const char *name;
    unsigned kinds;
    field_type type;
    size_t at;          /* the member's offset in map_http_request */
    double lo, hi;      /* FIELD_NUMBER */
    long long min, max; /* FIELD_SIZE, FIELD_INT, FIELD_UNSIGNED */
    int open;           /* FIELD_NUMBER, FIELD_FRACTION */
    int numeric;        /* FIELD_SPEC */
    choose_fn *choose;  /* FIELD_CHOICE, and the message when it refuses */
    const char *refusal;
    take_fn *take;      /* FIELD_OTHER */
} field_rule;

/* The offset of member m of map_http_request, whose type must be T: the
 * pointer comparison inside sizeof (not evaluated) compares distinct pointer
 * types, an error under -Werror, when m is of another type. */
#define AT(m, T)                                                                                   \
    (offsetof(map_http_request, m) + 0 * sizeof((T *)0 == &((map_http_request *)0)->m))

/* A row's type and its member, which must be of the type take_field
 * writes for that type (the type after each field_type above). */
#define STRING_AT(m) FIELD_STRING, .at = AT(m, char *)
#define SPEC_AT(m) FIELD_SPEC, .at = AT(m, char *)
#define BOOL_AT(m) FIELD_BOOL, .at = AT(m, int)
#define NUMBER_AT(m) FIELD_NUMBER, .at = AT(m, double)
#define FRACTION_AT(m) FIELD_FRACTION, .at = AT(m, double)
#define SIZE_AT(m) FIELD_SIZE, .at = AT(m, size_t)
#define INT_AT(m) FIELD_INT, .at = AT(m, int)
#define UNSIGNED_AT(m) FIELD_UNSIGNED, .at = AT(m, unsigned)

/* Every field a body may hold: map_http_request_parse refuses any other,
 * and any not taken by the request's kind. */
static const field_rule rules[] = {
    {"dataset", KS_ALL, FIELD_OTHER, .take = take_dataset},
    {"palette", KS_PALETTE, SPEC_AT(palette)},
    {"normalize", KS_ALL, FIELD_CHOICE, .choose = choose_normalize,
     .refusal = "normalize must be \"global\" or \"prompt\""},
    {"margin", K(MAP_HTTP_SOLVE) | K(MAP_HTTP_HISTOGRAM) | K(MAP_HTTP_SWEEP), FIELD_OTHER,
     .take = take_margin},
    {"tol", K(MAP_HTTP_SOLVE) | K(MAP_HTTP_HISTOGRAM), NUMBER_AT(par.tol),
     .lo = 0.0, .hi = 1.0, .open = 1},
    {"max_iter", K(MAP_HTTP_SOLVE) | K(MAP_HTTP_HISTOGRAM), INT_AT(par.max_iter),
     .min = 1, .max = 1000000},
    {"method", KS_SOLVE, FIELD_CHOICE, .choose = choose_method,
     .refusal = "method must be \"newton\", \"lbfgs\" or \"mma\""},
    {"init", KS_SOLVE, FIELD_OTHER, .take = take_init},
    {"sensitivity", KS_SOLVE, BOOL_AT(so.sensitivity)},
    {"bootstrap", KS_SOLVE, SIZE_AT(so.bootstrap), .min = 1, .max = MAP_HTTP_BOOTSTRAP_MAX},
    {"holdout", KS_SOLVE, FRACTION_AT(so.holdout), .open = 1},
    {"seed", KS_SOLVE | K(MAP_HTTP_SWEEP), FIELD_OTHER, .take = take_seed},
    {"mode", K(MAP_HTTP_ADJUST), FIELD_CHOICE, .choose = choose_mode,
     .refusal = "mode must be \"ray\" or \"greedy\""},
    {"priority", K(MAP_HTTP_ADJUST), FIELD_OTHER, .take = take_priority},
    {"inset", K(MAP_HTTP_ADJUST), FRACTION_AT(ao.inset)},
    {"values", K(MAP_HTTP_FRONTIER) | K(MAP_HTTP_REGION) | K(MAP_HTTP_SWEEP), FIELD_OTHER,
     .take = take_values},
    {"kl", K(MAP_HTTP_FRONTIER), FIELD_OTHER, .take = take_kl},
    {"direction", K(MAP_HTTP_FRONTIER), SPEC_AT(direction), .numeric = 1},
    {"points", K(MAP_HTTP_FRONTIER) | K(MAP_HTTP_REGION), SIZE_AT(points),
     .min = 1, .max = MAP_HTTP_ROWS_MAX},
    {"kl_max", K(MAP_HTTP_FRONTIER), NUMBER_AT(kl_max), .lo = 0.0, .hi = 1e300, .open = 1},
    {"from", K(MAP_HTTP_REGION), SPEC_AT(from)},
    {"polygon", K(MAP_HTTP_REGION), BOOL_AT(polygon)},
    {"grid", K(MAP_HTTP_SWEEP), FIELD_OTHER, .take = take_grid},
    {"random", K(MAP_HTTP_SWEEP), FIELD_OTHER, .take = take_random},
    {"kind", K(MAP_HTTP_SWEEP), FIELD_CHOICE, .choose = choose_sweep_kind,
     .refusal = "kind must be \"aggressive\" or \"conservative\""},
    {"lambdas", K(MAP_HTTP_SWEEP), FIELD_OTHER, .take = take_lambdas},
    {"scale", K(MAP_HTTP_SWEEP), NUMBER_AT(sweep.scale), .lo = 0.0, .hi = 1e300, .open = 1},
    {"palettes", K(MAP_HTTP_SWEEP), FIELD_OTHER, .take = take_palettes},
    {"threads", K(MAP_HTTP_SWEEP), UNSIGNED_AT(sweep.threads), .min = 0, .max = 1024},
    {"store", K(MAP_HTTP_SWEEP), BOOL_AT(store)},
    {"value", K(MAP_HTTP_HISTOGRAM), STRING_AT(value)},
    {"bins", K(MAP_HTTP_HISTOGRAM), SIZE_AT(bins), .min = 1, .max = MAP_HISTOGRAM_BINS_MAX},
};

/* Reads v, the value of the field r (at JSON Pointer ptr), into rq. */
static int take_field(map_http_request *rq, const field_rule *r, const json_t *v,
                      const char *ptr, map_http_fail *f)
{
    void *at = (char *)rq + r->at;
    long long ll = 0;
    switch (r->type) {
    case FIELD_STRING:
        return want_string(v, ptr, at, f);
    case FIELD_SPEC:
        return want_spec(v, ptr, r->numeric, at, f);
    case FIELD_BOOL:
        return want_bool(v, ptr, at, f);
    case FIELD_NUMBER:
        return want_number(v, ptr, r->lo, r->hi, r->open, at, f);
    case FIELD_FRACTION:
        return want_fraction(v, ptr, r->open, at, f);
    case FIELD_SIZE:
        return want_size(v, ptr, r->min, r->max, at, f);
    case FIELD_INT:
        if (want_integer(v, ptr, r->min, r->max, &ll, f))
            return -1;
        *(int *)at = (int)ll;
        return 0;
    case FIELD_UNSIGNED:
        if (want_integer(v, ptr, r->min, r->max, &ll, f))
            return -1;
        *(unsigned *)at = (unsigned)ll;
        return 0;
    case FIELD_CHOICE:
        if (!json_is_string(v) || r->choose(rq, json_string_value(v)))
            return fail_at(f, ptr, "%s", r->refusal);
        return 0;
    case FIELD_OTHER:
        break;
    }
    assert(r->type == FIELD_OTHER);
    return r->take(rq, v, ptr, f);
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
            if ((rc = take_field(rq, &rules[r], v, ptr, fail)) != 0)
                break;
        }
    if (!rc) {
        rq->ao.priority = (const char *const *)rq->priority;
        rq->ao.npriority = rq->npriority;
        rq->sweep.values = (const char *const *)rq->values;
        rq->sweep.k = rq->nvalues;
        rc = check_complete(rq, root, fail);
    }
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
