/* map_output.c — human tables and JSON documents for the command results;
 * the jansson glue of mapsolve. */
#include "map_output.h"

#include <errno.h>

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "map_csv_write.h"

/* ---- helpers ------------------------------------------------------------ */

void map_format_time(int64_t t, char buf[32])
{
    buf[0] = '\0';
    if (t == 0)
        return;
    const time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, 32, "%lld", (long long)t);
}

/* Length of the valid UTF-8 sequence at s, or 0 if the bytes there are not
 * one (overlong forms, surrogates and code points above U+10FFFF are not). */
static size_t utf8_seq(const unsigned char *s)
{
    const unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* NULL if s is valid UTF-8; else a copy (map_malloc) with each invalid
 * byte replaced by U+FFFD. *nomem is set when the copy cannot be made. */
static char *utf8_fixed(const char *s, int *nomem)
{
    *nomem = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const size_t l = utf8_seq(p);
        if (!l)
            break;
        p += l;
    }
    if (!*p)
        return NULL;
    const size_t len = strlen(s);
    char *fixed = len <= (((size_t)-1) - 1) / 3 ? map_malloc(3 * len + 1) : NULL;
    if (!fixed) {
        *nomem = 1;
        return NULL;
    }
    size_t o = 0;
    for (p = (const unsigned char *)s; *p;) {
        const size_t l = utf8_seq(p);
        if (l) {
            memcpy(fixed + o, p, l);
            o += l;
            p += l;
        } else {
            memcpy(fixed + o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        }
    }
    fixed[o] = '\0';
    return fixed;
}

/* A JSON string of s (jansson does all the escaping; it refuses invalid
 * UTF-8, so bad bytes become U+FFFD first). NULL when out of memory. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    int nomem = 0;
    char *fixed = utf8_fixed(s, &nomem);
    if (nomem)
        return NULL;
    json_t *j = json_string(fixed ? fixed : s);
    map_free(fixed);
    return j;
}

/* A real, or null when v is not finite (JSON has no inf/nan). */
static json_t *jreal(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *jsize(size_t v) { return json_integer((json_int_t)v); }

/* Sets obj[key] = v, stealing v (a key that is not valid UTF-8 is
 * repaired as in jstr); clears *ok when v is NULL or the set fails. jansson's
 * *_new setters release v themselves when they fail. */
static void jset(json_t *obj, const char *key, json_t *v, int *ok)
{
    int nomem = 0;
    char *fixed = utf8_fixed(key, &nomem);
    if (!obj || !v || nomem) {
        *ok = 0;
        json_decref(v);
    } else if (json_object_set_new(obj, fixed ? fixed : key, v) != 0) {
        *ok = 0;
    }
    map_free(fixed);
}

static void jpush(json_t *arr, json_t *v, int *ok)
{
    if (!arr || !v) {
        *ok = 0;
        json_decref(v);
    } else if (json_array_append_new(arr, v) != 0) {
        *ok = 0;
    }
}

static json_t *jnames(char *const *names, size_t count, int *ok)
{
    json_t *a = json_array();
    for (size_t i = 0; i < count; i++)
        jpush(a, jstr(names[i]), ok);
    if (!a)
        *ok = 0;
    return a;
}

/* Dumps root (stolen) as indented JSON with 17 significant digits plus a
 * final newline, into a string allocated with map_malloc. */
static char *dump(json_t *root, int ok)
{
    if (!root || !ok) {
        json_decref(root);
        return NULL;
    }
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        return NULL;
    const size_t len = strlen(text);
    char *out = map_malloc(len + 2);
    if (out) {
        memcpy(out, text, len);
        out[len] = '\n';
        out[len + 1] = '\0';
    }
    free(text); /* jansson's default allocator is malloc */
    return out;
}

/* ---- JSON documents ----------------------------------------------------- */

char *map_json_ingest(const map_ingest_report *rep)
{
    int ok = 1;
    json_t *o = json_object();
    jset(o, "name", jstr(rep->name), &ok);
    jset(o, "n", jsize(rep->n), &ok);
    jset(o, "m", jsize(rep->m), &ok);
    jset(o, "values", jnames(rep->values, rep->m, &ok), &ok);
    jset(o, "source", jstr(rep->source), &ok);
    jset(o, "hash", jstr(rep->hash), &ok);
    jset(o, "same_content_as", jstr(rep->same_as), &ok);
    jset(o, "replaced", json_boolean(rep->replaced), &ok);
    jset(o, "precision", jstr(map_precision_name(rep->precision)), &ok);
    return dump(o, ok);
}

char *map_json_datasets(const map_dataset_info *info, size_t count)
{
    int ok = 1;
    json_t *a = json_array();
    for (size_t i = 0; i < count; i++) {
        const map_dataset_info *d = &info[i];
        char when[32];
        map_format_time(d->created, when);
        json_t *o = json_object();
        jset(o, "name", jstr(d->name), &ok);
        jset(o, "n", jsize(d->n), &ok);
        jset(o, "m", jsize(d->m), &ok);
        jset(o, "values", jnames(d->values, d->m, &ok), &ok);
        jset(o, "source", jstr(d->source), &ok);
        jset(o, "hash", jstr(d->hash), &ok);
        jset(o, "created", d->created ? jstr(when) : json_null(), &ok);
        jset(o, "prompt_column", jstr(d->prompt_name), &ok);
        jset(o, "text_columns", jsize(d->ntext), &ok);
        jset(o, "precision", jstr(map_precision_name(d->precision)), &ok);
        jpush(a, o, &ok);
    }
    if (!a)
        ok = 0;
    return dump(a, ok);
}

/* The describe object; "precision" only when precision is non-NULL. */
static char *json_describe(const char *dataset, size_t n, const char *precision,
                           const map_value_summary *sum, size_t m)
{
    int ok = 1;
    json_t *root = json_object();
    jset(root, "dataset", jstr(dataset), &ok);
    jset(root, "n", jsize(n), &ok);
    if (precision)
        jset(root, "precision", jstr(precision), &ok);
    json_t *a = json_array();
    for (size_t i = 0; i < m; i++) {
        const map_value_summary *s = &sum[i];
        json_t *o = json_object();
        jset(o, "name", jstr(s->name), &ok);
        jset(o, "n", jsize(s->n), &ok);
        jset(o, "mean", jreal(s->mean), &ok);
        jset(o, "sd", jreal(s->sd), &ok);
        jset(o, "min", jreal(s->min), &ok);
        jset(o, "q10", jreal(s->q10), &ok);
        jset(o, "q25", jreal(s->q25), &ok);
        jset(o, "q50", jreal(s->q50), &ok);
        jset(o, "q75", jreal(s->q75), &ok);
        jset(o, "q90", jreal(s->q90), &ok);
        jset(o, "max", jreal(s->max), &ok);
        jpush(a, o, &ok);
    }
    jset(root, "values", a, &ok);
    return dump(root, ok);
}

char *map_json_describe(const char *dataset, size_t n, const map_value_summary *sum, size_t m)
{
    return json_describe(dataset, n, NULL, sum, m);
}

char *map_json_describe_prec(const char *dataset, size_t n, map_precision precision,
                             const map_value_summary *sum, size_t m)
{
    return json_describe(dataset, n, map_precision_name(precision), sum, m);
}

/* The solve diagnostics shared by solve and adjust: kl, ess, max_weight,
 * dual, kkt, gap, violation, condition (null without a finite λ),
 * iterations and margin. */
static void add_diagnostics(json_t *root, const map_solve_report *rep, int *okp)
{
    const map_result *r = &rep->result;
    const map_solution *d = &r->diag;
    int ok = *okp;
    /* Diagnostics of q_λ exist only for a finite λ. */
    const double none = NAN, t = rep->has_tilt;
    jset(root, "kl", jreal(t ? d->kl : none), &ok);
    jset(root, "ess", jreal(t ? d->ess : none), &ok);
    jset(root, "max_weight", jreal(t ? d->max_weight : none), &ok);
    jset(root, "dual", jreal(t ? d->dual : none), &ok);
    jset(root, "kkt", jreal(t ? d->kkt : none), &ok);
    jset(root, "gap", jreal(t ? d->gap : none), &ok);
    jset(root, "violation", jreal(t ? d->violation : none), &ok);
    jset(root, "condition", jreal(t ? d->cond : none), &ok);
    jset(root, "iterations", json_integer(d->iterations), &ok);
    jset(root, "margin", jreal(r->margin), &ok);
    jset(root, "normalize", jstr(map_normalize_name(rep->normalize)), &ok);
    jset(root, "prompts", jsize(rep->prompts), &ok);
    jset(root, "singleton_prompts", jsize(rep->singletons), &ok);
    jset(root, "method", jstr(map_method_name(rep->method)), &ok);
    jset(root, "ill_conditioned", json_boolean(rep->ill_conditioned != 0), &ok);
    json_t *col = json_array();
    for (size_t i = 0; i < rep->ncollinear; i++) {
        const map_collinear *c = &rep->collinear[i];
        json_t *o = json_object(), *names = json_array();
        jpush(names, jstr(c->a), &ok);
        jpush(names, jstr(c->b), &ok);
        jset(o, "values", names, &ok);
        jset(o, "slope", jreal(c->slope), &ok);
        jset(o, "intercept", jreal(c->intercept), &ok);
        jpush(col, o, &ok);
    }
    jset(root, "collinear", col, &ok);
    *okp = ok;
}

/* The name of the value at problem index pidx. */
static const char *pidx_name(const map_solve_report *rep, size_t pidx)
{
    for (size_t i = 0; i < rep->k; i++)
        if (rep->items[i].pidx == (long)pidx)
            return rep->items[i].name;
    return "?";
}

static json_t *jboot(const map_boot_stat *b, int *ok)
{
    json_t *o = json_object();
    jset(o, "estimate", jreal(b->estimate), ok);
    jset(o, "mean", jreal(b->mean), ok);
    jset(o, "se", jreal(b->se), ok);
    jset(o, "lo", jreal(b->lo), ok);
    jset(o, "hi", jreal(b->hi), ok);
    return o;
}

/* sensitivity, bootstrap and holdout, when asked for and available. */
static void add_analyses(json_t *root, const map_solve_report *rep, int *ok)
{
    const size_t kp = rep->kp;
    if (rep->has_sensitivity) {
        json_t *sens = json_object(), *sp = json_object(), *fr = json_array(),
               *mat = json_object();
        for (size_t i = 0; i < kp; i++) {
            const char *ni = pidx_name(rep, i);
            jset(sp, ni, jreal(rep->result.lambda[i]), ok);
            if (rep->result.lambda[i] > 0.0)
                jpush(fr, jstr(ni), ok);
            json_t *row = json_object();
            for (size_t l = 0; l < kp; l++)
                jset(row, pidx_name(rep, l), jreal(rep->dldc[i * kp + l]), ok);
            jset(mat, ni, row, ok);
        }
        jset(sens, "shadow_prices", sp, ok);
        jset(sens, "free", fr, ok);
        jset(sens, "dlambda_dc", mat, ok);
        jset(sens, "condition", jreal(rep->sens_cond), ok);
        jset(root, "sensitivity", sens, ok);
    }
    if (rep->has_bootstrap) {
        json_t *b = json_object(), *lam = json_object(), *lev = json_object();
        jset(b, "replicates", jsize(rep->boot.replicates), ok);
        jset(b, "used", jsize(rep->boot.used), ok);
        jset(b, "excluded", jsize(rep->boot.excluded), ok);
        jset(b, "seed", json_integer((json_int_t)rep->seed), ok);
        for (size_t i = 0; i < kp; i++)
            jset(lam, pidx_name(rep, i), jboot(&rep->boot_lambda[i], ok), ok);
        for (size_t c = 0; c < rep->m; c++)
            jset(lev, rep->values[c], jboot(&rep->boot_levels[c], ok), ok);
        jset(b, "lambda", lam, ok);
        jset(b, "levels", lev, ok);
        jset(root, "bootstrap", b, ok);
    }
    if (rep->has_holdout) {
        const map_holdout_result *h = &rep->ho;
        json_t *o = json_object(), *lev = json_object();
        jset(o, "fraction", jreal(rep->holdout), ok);
        jset(o, "seed", json_integer((json_int_t)rep->seed), ok);
        jset(o, "n_train", jsize(h->n_train), ok);
        jset(o, "n_test", jsize(h->n_test), ok);
        jset(o, "prompts_train", jsize(h->k_train), ok);
        jset(o, "prompts_test", jsize(h->k_test), ok);
        jset(o, "status", jstr(map_solve_status_name(h->train.status)), ok);
        const int opt = h->train.status == MAP_SOLVE_OPTIMAL;
        jset(o, "kl_train", jreal(opt ? h->train.diag.kl : NAN), ok);
        jset(o, "kl_test", jreal(h->kl_test), ok);
        jset(o, "ess_test", jreal(h->ess_test), ok);
        for (size_t c = 0; c < rep->m; c++) {
            json_t *v = json_object();
            jset(v, "train", jreal(rep->ho_train_levels[c]), ok);
            jset(v, "test", jreal(rep->ho_test_levels[c]), ok);
            jset(lev, rep->values[c], v, ok);
        }
        jset(o, "levels", lev, ok);
        jset(root, "holdout", o, ok);
    }
}

/* levels {VALUE: level, for every dataset value}. */
static json_t *jlevels(const map_solve_report *rep, int *ok)
{
    json_t *lv = json_object();
    for (size_t c = 0; c < rep->m; c++)
        jset(lv, rep->values[c], jreal(rep->levels[c]), ok);
    if (!lv)
        *ok = 0;
    return lv;
}

/* certificate {direction {VALUE: d_i}, gap} (null without a direction);
 * direction is indexed by the items' pidx. */
static void add_certificate(json_t *root, const map_solve_item *items, size_t k,
                            int has_direction, const double *direction, double gap, int *ok)
{
    if (!has_direction) {
        jset(root, "certificate", json_null(), ok);
        return;
    }
    json_t *cert = json_object(), *dir = json_object();
    for (size_t i = 0; i < k; i++)
        if (items[i].pidx >= 0)
            jset(dir, items[i].name, jreal(direction[items[i].pidx]), ok);
    jset(cert, "direction", dir, ok);
    jset(cert, "gap", jreal(gap), ok);
    jset(root, "certificate", cert, ok);
}

/* boundary_values [names of the values with d_i > 0]. */
static void add_boundary(json_t *root, const map_solve_item *items, size_t k, int has_direction,
                         const double *direction, int *ok)
{
    json_t *b = json_array();
    for (size_t i = 0; i < k; i++) {
        const long p = items[i].pidx;
        if (has_direction && p >= 0 && direction[p] > 0.0)
            jpush(b, jstr(items[i].name), ok);
    }
    jset(root, "boundary_values", b, ok);
}

char *map_json_solve(const map_solve_report *rep)
{
    const map_result *r = &rep->result;
    int ok = 1;
    json_t *root = json_object();
    jset(root, "dataset", jstr(rep->dataset), &ok);
    jset(root, "n", jsize(rep->n), &ok);
    jset(root, "status", jstr(map_solve_status_name(r->status)), &ok);
    json_t *vals = json_array();
    for (size_t i = 0; i < rep->k; i++) {
        const map_solve_item *it = &rep->items[i];
        json_t *o = json_object();
        jset(o, "name", jstr(it->name), &ok);
        jset(o, "spec", jstr(it->spec), &ok);
        jset(o, "target", jreal(it->target), &ok);
        jset(o, "lambda", jreal(it->lambda), &ok);
        jset(o, "level", jreal(it->level), &ok);
        jset(o, "constant", json_boolean(it->constant), &ok);
        jpush(vals, o, &ok);
    }
    jset(root, "values", vals, &ok);
    jset(root, "levels", jlevels(rep, &ok), &ok);
    add_diagnostics(root, rep, &ok);
    if (r->status == MAP_SOLVE_INFEASIBLE)
        add_certificate(root, rep->items, rep->k, r->has_direction, r->direction, r->cert_gap,
                        &ok);
    if (r->status == MAP_SOLVE_BOUNDARY)
        add_boundary(root, rep->items, rep->k, r->has_direction, r->direction, &ok);
    add_analyses(root, rep, &ok);
    return dump(root, ok);
}

/* The palette items without a solve: name, spec, target, constant. */
static json_t *jitems_plain(const map_solve_item *items, size_t k, int *ok)
{
    json_t *vals = json_array();
    if (!vals)
        *ok = 0;
    for (size_t i = 0; i < k; i++) {
        const map_solve_item *it = &items[i];
        json_t *o = json_object();
        jset(o, "name", jstr(it->name), ok);
        jset(o, "spec", jstr(it->spec), ok);
        jset(o, "target", jreal(it->target), ok);
        jset(o, "constant", json_boolean(it->constant), ok);
        jpush(vals, o, ok);
    }
    return vals;
}

char *map_json_feasible(const map_feasible_report *rep)
{
    int ok = 1;
    json_t *root = json_object();
    jset(root, "dataset", jstr(rep->dataset), &ok);
    jset(root, "n", jsize(rep->n), &ok);
    jset(root, "verdict", jstr(map_verdict_name(rep->verdict)), &ok);
    jset(root, "margin", jreal(rep->margin), &ok);
    jset(root, "values", jitems_plain(rep->items, rep->k, &ok), &ok);
    jset(root, "normalize", jstr(map_normalize_name(rep->normalize)), &ok);
    jset(root, "prompts", jsize(rep->prompts), &ok);
    jset(root, "singleton_prompts", jsize(rep->singletons), &ok);
    if (rep->verdict == MAP_VERDICT_INFEASIBLE)
        add_certificate(root, rep->items, rep->k, rep->has_direction, rep->direction,
                        rep->cert_gap, &ok);
    if (rep->verdict == MAP_VERDICT_BOUNDARY)
        add_boundary(root, rep->items, rep->k, rep->has_direction, rep->direction, &ok);
    return dump(root, ok);
}

char *map_json_adjust(const map_adjust_report *rep)
{
    const map_solve_report *s = rep->solve;
    int ok = 1;
    json_t *root = json_object();
    jset(root, "dataset", jstr(s->dataset), &ok);
    jset(root, "n", jsize(s->n), &ok);
    jset(root, "mode", jstr(map_adjust_mode_name(rep->mode)), &ok);
    if (rep->mode == MAP_ADJUST_RAY)
        jset(root, "rho", jreal(rep->rho), &ok);
    jset(root, "inset", jreal(rep->inset), &ok);
    jset(root, "unchanged", json_boolean(rep->unchanged), &ok);
    jset(root, "requested_margin", jreal(rep->requested_margin), &ok);
    jset(root, "status", jstr(map_solve_status_name(s->result.status)), &ok);
    json_t *vals = json_array();
    if (!vals)
        ok = 0;
    for (size_t i = 0; i < s->k; i++) {
        const map_solve_item *it = &s->items[i];
        json_t *o = json_object();
        jset(o, "name", jstr(it->name), &ok);
        jset(o, "spec", jstr(it->spec), &ok);
        jset(o, "requested", jreal(rep->requested[i]), &ok);
        jset(o, "adjusted", jreal(rep->adjusted[i]), &ok);
        jset(o, "target", jreal(it->target), &ok);
        jset(o, "lambda", jreal(it->lambda), &ok);
        jset(o, "level", jreal(it->level), &ok);
        jset(o, "constant", json_boolean(it->constant), &ok);
        jpush(vals, o, &ok);
    }
    jset(root, "values", vals, &ok);
    jset(root, "levels", jlevels(s, &ok), &ok);
    add_diagnostics(root, s, &ok);
    add_analyses(root, s, &ok);
    return dump(root, ok);
}

/* ---- human tables ------------------------------------------------------- */

/* A table of formatted cells, printed with aligned columns. */
typedef struct table {
    size_t ncols, ncells, cap;
    const char *align; /* per column 'l' or 'r' */
    char **cells;      /* row-major */
    int ok;
} table;

static void table_add(table *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void table_add(table *t, const char *fmt, ...)
{
    if (!t->ok)
        return;
    if (t->ncells == t->cap) {
        const size_t cap = t->cap ? 2 * t->cap : 64;
        char **c = map_reallocarray(t->cells, cap, sizeof *c);
        if (!c) {
            t->ok = 0;
            return;
        }
        t->cells = c;
        t->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    const int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = len >= 0 ? map_malloc((size_t)len + 1) : NULL;
    if (!s) {
        t->ok = 0;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    t->cells[t->ncells++] = s;
}

/* Display width: code points of UTF-8 text (continuation bytes don't count). */
static size_t width_of(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static int table_print(table *t, FILE *out)
{
    if (!t->ok)
        return MAP_ENOMEM;
    size_t width[16] = {0};
    assert(t->ncols <= 16);
    for (size_t i = 0; i < t->ncells; i++) {
        const size_t w = width_of(t->cells[i]);
        if (w > width[i % t->ncols])
            width[i % t->ncols] = w;
    }
    for (size_t i = 0; i < t->ncells; i++) {
        const size_t c = i % t->ncols;
        const size_t pad = width[c] - width_of(t->cells[i]);
        const int last = c + 1 == t->ncols;
        if (c > 0)
            fputs("  ", out);
        if (t->align[c] == 'r')
            fprintf(out, "%*s%s", (int)pad, "", t->cells[i]);
        else
            fprintf(out, "%s%*s", t->cells[i], last ? 0 : (int)pad, "");
        if (last)
            fputc('\n', out);
    }
    return MAP_OK;
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->ncells; i++)
        map_free(t->cells[i]);
    map_free(t->cells);
}

int map_print_datasets(FILE *out, const map_dataset_info *info, size_t count)
{
    table t = {6, 0, 0, "lrrlll", NULL, 1};
    table_add(&t, "NAME");
    table_add(&t, "N");
    table_add(&t, "M");
    table_add(&t, "VALUES");
    table_add(&t, "SOURCE");
    table_add(&t, "CREATED");
    for (size_t i = 0; i < count; i++) {
        const map_dataset_info *d = &info[i];
        size_t len = 1;
        for (size_t v = 0; v < d->m; v++)
            len += strlen(d->values[v]) + 1;
        char *joined = map_malloc(len);
        if (!joined) {
            t.ok = 0;
            break;
        }
        joined[0] = '\0';
        for (size_t v = 0; v < d->m; v++) {
            if (v)
                strcat(joined, ",");
            strcat(joined, d->values[v]);
        }
        char when[32];
        map_format_time(d->created, when);
        table_add(&t, "%s", d->name);
        table_add(&t, "%zu", d->n);
        table_add(&t, "%zu", d->m);
        table_add(&t, "%s", joined);
        table_add(&t, "%s", d->source ? d->source : "");
        table_add(&t, "%s", when);
        map_free(joined);
    }
    int rc = table_print(&t, out);
    table_free(&t);
    /* Precision is not a column (the table's columns are fixed): the
     * single-precision datasets, if any, are named on one line below it. */
    size_t nsingle = 0;
    for (size_t i = 0; !rc && i < count; i++)
        if (info[i].precision == MAP_PRECISION_SINGLE && nsingle++ == 0)
            fputs("single precision (float32):", out);
    for (size_t i = 0, at = 0; !rc && nsingle && i < count; i++)
        if (info[i].precision == MAP_PRECISION_SINGLE)
            fprintf(out, "%s%s", at++ ? ", " : " ", info[i].name);
    if (!rc && nsingle)
        fputc('\n', out);
    return rc;
}

int map_print_describe(FILE *out, const map_value_summary *sum, size_t m)
{
    static const char *const head[] = {"value", "n",   "mean", "sd",  "min", "q10",
                                       "q25",   "q50", "q75",  "q90", "max"};
    table t = {11, 0, 0, "lrrrrrrrrrr", NULL, 1};
    for (size_t c = 0; c < 11; c++)
        table_add(&t, "%s", head[c]);
    for (size_t i = 0; i < m; i++) {
        const map_value_summary *s = &sum[i];
        table_add(&t, "%s", s->name);
        table_add(&t, "%zu", s->n);
        const double v[9] = {s->mean, s->sd,  s->min, s->q10, s->q25,
                             s->q50,  s->q75, s->q90, s->max};
        for (size_t c = 0; c < 9; c++)
            table_add(&t, "%.6g", v[c]);
    }
    const int rc = table_print(&t, out);
    table_free(&t);
    return rc;
}

/* %.6g, "inf" for +inf (an unbounded λ), "-" for NaN (no value). */
static void num_or_dash(double v, char buf[32])
{
    if (isnan(v))
        snprintf(buf, 32, "-");
    else
        snprintf(buf, 32, "%.6g", v);
}

static void print_margin(FILE *out, double margin)
{
    if (isfinite(margin))
        fprintf(out, "%-15s %.6g (scaled by each value's sd)\n", "margin", margin);
    else
        fprintf(out, "%-15s %s\n", "margin", "not computed");
}

/* The certificate d (by the items' pidx) and its gap, when there is one. */
static void print_certificate(FILE *out, const map_solve_item *items, size_t k, int has_direction,
                              const double *direction, double gap)
{
    if (!has_direction)
        return;
    fprintf(out, "%-15s", "certificate");
    for (size_t i = 0, first = 1; i < k; i++) {
        const map_solve_item *it = &items[i];
        if (it->pidx < 0 || direction[it->pidx] == 0.0)
            continue;
        fprintf(out, "%s%.6g·%s", first ? " d = " : " + ", direction[it->pidx], it->name);
        first = 0;
    }
    fputc('\n', out);
    fprintf(out, "%-15s %.6g: d·c exceeds d·r of every sample, so no reweighting attains "
                 "the palette\n", "gap", gap);
}

/* The values driving a boundary verdict (d_i > 0). */
static void print_boundary(FILE *out, const map_solve_item *items, size_t k, int has_direction,
                           const double *direction)
{
    fprintf(out, "%-15s", "boundary");
    size_t shown = 0;
    for (size_t i = 0; i < k; i++) {
        const map_solve_item *it = &items[i];
        if (has_direction && it->pidx >= 0 && direction[it->pidx] > 0.0)
            fprintf(out, "%s%s", shown++ ? ", " : " ", it->name);
    }
    fputs(shown ? " (attainable only in the limit)\n" : " attainable only in the limit\n", out);
}

/* status, KL, ESS, largest weight, iterations (with a finite λ) and margin
 * lines of a solve, shared by solve and adjust. */
static void print_diagnostics(FILE *out, const map_solve_report *rep)
{
    const map_result *r = &rep->result;
    const map_solution *d = &r->diag;
    const double ess_pct = rep->n ? 100.0 * d->ess / (double)rep->n : 0.0;
    fprintf(out, "%-15s %s\n", "status", map_solve_status_name(r->status));
    if (rep->normalize == MAP_NORMALIZE_PROMPT)
        fprintf(out, "%-15s per prompt: %zu prompts, %zu with a single sample (not tilted)\n",
                "normalize", rep->prompts, rep->singletons);
    if (rep->method != MAP_METHOD_NEWTON)
        fprintf(out, "%-15s %s (NLopt)\n", "method", map_method_name(rep->method));
    if (rep->has_tilt) {
        fprintf(out, "%-15s %.6g nats\n", "KL", d->kl);
        fprintf(out, "%-15s %.6g samples (%.3g%% of %zu)\n", "ESS", d->ess, ess_pct, rep->n);
        fprintf(out, "%-15s %.6g\n", "largest weight", d->max_weight);
        fprintf(out, "%-15s %.3g (max |projected gradient| / sd)\n", "KKT residual", d->kkt);
        fprintf(out, "%-15s %.3g (lambda·(level − target))\n", "duality gap", d->gap);
        fprintf(out, "%-15s %.3g (max shortfall / sd)\n", "violation", d->violation);
        fprintf(out, "%-15s %.3g%s\n", "condition", d->cond,
                rep->ill_conditioned ? " (ill-conditioned: values nearly collinear)" : "");
        fprintf(out, "%-15s %d\n", "iterations", d->iterations);
    }
    print_margin(out, r->margin);
}

/* The name of the value at problem index pidx (human output). */
static const char *item_name(const map_solve_report *rep, size_t pidx)
{
    for (size_t i = 0; i < rep->k; i++)
        if (rep->items[i].pidx == (long)pidx)
            return rep->items[i].name;
    return "?";
}

/* Sensitivity, bootstrap and holdout sections, when present. */
static int print_analyses(FILE *out, const map_solve_report *rep)
{
    const size_t kp = rep->kp;
    if (rep->has_sensitivity) {
        fprintf(out, "\nsensitivity: shadow price dKL/dc_i = lambda_i (nats per unit); "
                     "dlambda_i/dc_j on the free set\n");
        table t = {kp + 2, 0, 0, NULL, NULL, 1};
        char align[MAP_MAX_K + 3];
        align[0] = 'l';
        for (size_t j = 1; j < kp + 2; j++)
            align[j] = 'r';
        align[kp + 2] = '\0';
        t.align = align;
        table_add(&t, "value");
        table_add(&t, "shadow price");
        for (size_t l = 0; l < kp; l++)
            table_add(&t, "d/dc %s", item_name(rep, l));
        for (size_t i = 0; i < kp; i++) {
            table_add(&t, "%s", item_name(rep, i));
            table_add(&t, "%.6g", rep->result.lambda[i]);
            for (size_t l = 0; l < kp; l++)
                table_add(&t, "%.6g", rep->dldc[i * kp + l]);
        }
        const int rc = table_print(&t, out);
        table_free(&t);
        if (rc)
            return rc;
    }
    if (rep->has_bootstrap) {
        fprintf(out, "\nbootstrap: %zu replicates (%zu used, %zu not optimal, excluded), seed %lu%s\n",
                rep->boot.replicates, rep->boot.used, rep->boot.excluded, rep->seed,
                rep->normalize == MAP_NORMALIZE_PROMPT ? ", prompts resampled" : "");
        table t = {5, 0, 0, "llrrr", NULL, 1};
        table_add(&t, "quantity");
        table_add(&t, "estimate");
        table_add(&t, "se");
        table_add(&t, "95%% lo");
        table_add(&t, "95%% hi");
        for (size_t i = 0; i < kp; i++) {
            const map_boot_stat *b = &rep->boot_lambda[i];
            table_add(&t, "lambda %s", item_name(rep, i));
            table_add(&t, "%.6g", b->estimate);
            table_add(&t, "%.3g", b->se);
            table_add(&t, "%.6g", b->lo);
            table_add(&t, "%.6g", b->hi);
        }
        for (size_t c = 0; c < rep->m; c++) {
            const map_boot_stat *b = &rep->boot_levels[c];
            table_add(&t, "level %s", rep->values[c]);
            table_add(&t, "%.6g", b->estimate);
            table_add(&t, "%.3g", b->se);
            table_add(&t, "%.6g", b->lo);
            table_add(&t, "%.6g", b->hi);
        }
        const int rc = table_print(&t, out);
        table_free(&t);
        if (rc)
            return rc;
    }
    if (rep->has_holdout) {
        const map_holdout_result *h = &rep->ho;
        fprintf(out, "\nholdout: %.3g held out (seed %lu): solved on %zu samples, checked on %zu",
                rep->holdout, rep->seed, h->n_train, h->n_test);
        if (rep->normalize == MAP_NORMALIZE_PROMPT)
            fprintf(out, " (%zu and %zu prompts)", h->k_train, h->k_test);
        fprintf(out, "; status %s\n", map_solve_status_name(h->train.status));
        if (h->train.status == MAP_SOLVE_OPTIMAL) {
            fprintf(out, "%-15s %.6g nats on the training part, %.6g held out (ESS %.6g)\n",
                    "KL", h->train.diag.kl, h->kl_test, h->ess_test);
            table t = {3, 0, 0, "lrr", NULL, 1};
            table_add(&t, "value");
            table_add(&t, "train level");
            table_add(&t, "held-out level");
            for (size_t c = 0; c < rep->m; c++) {
                table_add(&t, "%s", rep->values[c]);
                table_add(&t, "%.6g", rep->ho_train_levels[c]);
                table_add(&t, "%.6g", rep->ho_test_levels[c]);
            }
            const int rc = table_print(&t, out);
            table_free(&t);
            if (rc)
                return rc;
        }
    }
    return MAP_OK;
}

int map_print_solve(FILE *out, const map_solve_report *rep)
{
    const map_result *r = &rep->result;
    table t = {5, 0, 0, "llrrr", NULL, 1};
    table_add(&t, "value");
    table_add(&t, "spec");
    table_add(&t, "target");
    table_add(&t, "lambda");
    table_add(&t, "level");
    for (size_t i = 0; i < rep->k; i++) {
        const map_solve_item *it = &rep->items[i];
        char lam[32], lev[32];
        num_or_dash(it->lambda, lam);
        num_or_dash(it->level, lev);
        table_add(&t, "%s", it->name);
        table_add(&t, "%s%s", it->spec, it->constant ? " (constant)" : "");
        table_add(&t, "%.6g", it->target);
        table_add(&t, "%s", lam);
        table_add(&t, "%s", lev);
    }
    int rc = table_print(&t, out);
    table_free(&t);
    if (rc)
        return rc;

    fputc('\n', out);
    fprintf(out, "%-15s %s\n", "dataset", rep->dataset);
    print_diagnostics(out, rep);
    if (r->status == MAP_SOLVE_INFEASIBLE)
        print_certificate(out, rep->items, rep->k, r->has_direction, r->direction, r->cert_gap);
    if (r->status == MAP_SOLVE_BOUNDARY)
        print_boundary(out, rep->items, rep->k, r->has_direction, r->direction);
    return print_analyses(out, rep);
}

int map_print_feasible(FILE *out, const map_feasible_report *rep)
{
    table t = {3, 0, 0, "llr", NULL, 1};
    table_add(&t, "value");
    table_add(&t, "spec");
    table_add(&t, "target");
    for (size_t i = 0; i < rep->k; i++) {
        const map_solve_item *it = &rep->items[i];
        table_add(&t, "%s", it->name);
        table_add(&t, "%s%s", it->spec, it->constant ? " (constant)" : "");
        table_add(&t, "%.6g", it->target);
    }
    const int rc = table_print(&t, out);
    table_free(&t);
    if (rc)
        return rc;
    fputc('\n', out);
    fprintf(out, "%-15s %s\n", "dataset", rep->dataset);
    fprintf(out, "%-15s %s\n", "verdict", map_verdict_name(rep->verdict));
    if (rep->normalize == MAP_NORMALIZE_PROMPT)
        fprintf(out, "%-15s per prompt: %zu prompts, %zu with a single sample (not tilted)\n",
                "normalize", rep->prompts, rep->singletons);
    print_margin(out, rep->margin);
    if (rep->verdict == MAP_VERDICT_INFEASIBLE)
        print_certificate(out, rep->items, rep->k, rep->has_direction, rep->direction,
                          rep->cert_gap);
    if (rep->verdict == MAP_VERDICT_BOUNDARY)
        print_boundary(out, rep->items, rep->k, rep->has_direction, rep->direction);
    return MAP_OK;
}

int map_print_adjust(FILE *out, const map_adjust_report *rep)
{
    const map_solve_report *s = rep->solve;
    table t = {6, 0, 0, "lrrrrr", NULL, 1};
    table_add(&t, "value");
    table_add(&t, "requested");
    table_add(&t, "adjusted");
    table_add(&t, "target");
    table_add(&t, "lambda");
    table_add(&t, "level");
    for (size_t i = 0; i < s->k; i++) {
        const map_solve_item *it = &s->items[i];
        char lam[32], lev[32];
        num_or_dash(it->lambda, lam);
        num_or_dash(it->level, lev);
        table_add(&t, "%s%s", it->name, it->constant ? " (constant)" : "");
        table_add(&t, "%.6g", rep->requested[i]);
        table_add(&t, "%.6g", rep->adjusted[i]);
        table_add(&t, "%.6g", it->target);
        table_add(&t, "%s", lam);
        table_add(&t, "%s", lev);
    }
    const int rc = table_print(&t, out);
    table_free(&t);
    if (rc)
        return rc;
    fputc('\n', out);
    fprintf(out, "%-15s %s\n", "dataset", s->dataset);
    fprintf(out, "%-15s %s%s\n", "mode", map_adjust_mode_name(rep->mode),
            rep->unchanged ? " (the palette is attainable: unchanged)" : "");
    if (rep->mode == MAP_ADJUST_RAY)
        fprintf(out, "%-15s %.12g (adjusted = mean + rho·(requested − mean))\n", "rho", rep->rho);
    fprintf(out, "%-15s %.6g (target = mean + (1 − inset)·(adjusted − mean))\n", "inset",
            rep->inset);
    print_diagnostics(out, s);
    return print_analyses(out, s);
}

/* ---- tables ------------------------------------------------------------- */

struct map_table_writer {
    FILE *out;
    int json;
    map_csv_writer *csv; /* CSV only */
    size_t ncols;
    char **names;        /* JSON only: copies of the column names */
    size_t rows;
    int failed;          /* a JSON write failed (errno saved in err_no) */
    int err_no;
};

map_table_writer *map_table_writer_new(FILE *out, int json)
{
    map_table_writer *w = map_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->out = out;
    w->json = json;
    if (!json && !(w->csv = map_csv_writer_new(out))) {
        map_free(w);
        return NULL;
    }
    return w;
}

void map_table_writer_free(map_table_writer *w)
{
    if (!w)
        return;
    map_csv_writer_free(w->csv);
    if (w->names)
        for (size_t c = 0; c < w->ncols; c++)
            map_free(w->names[c]);
    map_free(w->names);
    map_free(w);
}

static int table_header(void *ctx, size_t ncols, const char *const *names, map_error *err)
{
    map_table_writer *w = ctx;
    w->ncols = ncols;
    if (!w->json)
        return map_csv_row(w->csv, names, ncols) == MAP_OK
                   ? MAP_OK
                   : map_csv_writer_finish(w->csv, err);
    w->names = map_calloc(ncols ? ncols : 1, sizeof *w->names);
    int ok = w->names != NULL;
    for (size_t c = 0; ok && c < ncols; c++)
        ok = (w->names[c] = map_strdup(names[c])) != NULL;
    return ok ? MAP_OK : map_error_set(err, MAP_ENOMEM, "out of memory");
}

static json_t *jcell(const map_cell *c)
{
    switch (c->kind) {
    case MAP_CELL_NUMBER:
        return jreal(c->x);
    case MAP_CELL_COUNT:
        return jsize(c->n);
    case MAP_CELL_TEXT:
        return jstr(c->s);
    case MAP_CELL_EMPTY:
        break;
    }
    return json_null();
}

static int table_row(void *ctx, const map_cell *cells, map_error *err)
{
    map_table_writer *w = ctx;
    if (!w->json) {
        int rc = MAP_OK;
        for (size_t c = 0; c < w->ncols && !rc; c++) {
            const map_cell *x = &cells[c];
            switch (x->kind) {
            case MAP_CELL_NUMBER:
                rc = map_csv_number(w->csv, x->x);
                break;
            case MAP_CELL_COUNT:
                rc = map_csv_count(w->csv, x->n);
                break;
            case MAP_CELL_TEXT:
                rc = map_csv_text(w->csv, x->s);
                break;
            case MAP_CELL_EMPTY:
                rc = map_csv_text(w->csv, NULL);
                break;
            }
        }
        if (!rc)
            rc = map_csv_end_row(w->csv);
        if (!rc)
            w->rows++;
        return rc ? map_csv_writer_finish(w->csv, err) : MAP_OK;
    }
    int ok = 1;
    json_t *o = json_object();
    for (size_t c = 0; c < w->ncols; c++)
        jset(o, w->names[c], jcell(&cells[c]), &ok);
    char *text = o && ok ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(o);
    if (!text)
        return map_error_set(err, MAP_ENOMEM, "out of memory writing JSON");
    errno = 0;
    const char *lead = w->json == 2 ? "" : w->rows ? ",\n  " : "[\n  ";
    if (fputs(lead, w->out) == EOF || fputs(text, w->out) == EOF ||
        (w->json == 2 && fputc('\n', w->out) == EOF)) {
        w->failed = 1;
        w->err_no = errno;
    }
    free(text); /* jansson's default allocator is malloc */
    if (w->failed)
        return map_table_writer_finish(w, err);
    w->rows++;
    return MAP_OK;
}

map_table_sink map_table_writer_sink(map_table_writer *w)
{
    map_table_sink s = {table_header, table_row, w};
    return s;
}

int map_table_writer_finish(map_table_writer *w, map_error *err)
{
    if (!w->json)
        return map_csv_writer_finish(w->csv, err);
    errno = 0;
    const char *tail = w->json == 2 ? "" : w->rows ? "\n]\n" : "[]\n";
    if (!w->failed && (fputs(tail, w->out) == EOF || fflush(w->out) != 0 ||
                       ferror(w->out))) {
        w->failed = 1;
        w->err_no = errno;
    }
    if (w->failed)
        return map_error_set(err, MAP_ENOMEM, "cannot write the JSON output: %s",
                             w->err_no ? strerror(w->err_no) : "write error");
    return MAP_OK;
}
