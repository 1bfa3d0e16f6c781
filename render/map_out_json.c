/* map_out_json.c — the JSON documents of the command results (the CLI's
 * --json ones, built with jansson: render/'s jansson glue, no other file of
 * render/ includes jansson.h), the JSON object of one table row, and the
 * HTTP service's histogram document, written with stdio (so that whole
 * numbers print without ".0") into a memory stream, whose text
 * map_memstream_take copies out. */
#include "map_output.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

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

/* Dumps root (stolen) with 17 significant digits, indented with a final
 * newline (indent) or compact without one, into a string allocated with
 * map_malloc. NULL when !ok (root is still released) or out of memory. */
static char *dump_as(json_t *root, int ok, int indent)
{
    if (!root || !ok) {
        json_decref(root);
        return NULL;
    }
    const size_t flags = indent ? JSON_INDENT(2) : JSON_COMPACT;
    char *text = json_dumps(root, flags | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        return NULL;
    size_t len = strlen(text);
    char *out = map_malloc(len + 2);
    if (out) {
        memcpy(out, text, len);
        if (indent)
            out[len++] = '\n';
        out[len] = '\0';
    }
    free(text); /* jansson's default allocator is malloc */
    return out;
}

/* A document: indented, with a final newline. */
static char *dump(json_t *root, int ok) { return dump_as(root, ok, 1); }

/* A new object {"dataset", "n"}, the head of every result document. */
static json_t *jhead(const char *dataset, size_t n, int *ok)
{
    json_t *root = json_object();
    jset(root, "dataset", jstr(dataset), ok);
    jset(root, "n", jsize(n), ok);
    return root;
}

/* normalize, prompts and singleton_prompts into obj. */
static void jset_prompts(json_t *obj, map_normalize normalize, size_t prompts,
                         size_t singletons, int *ok)
{
    jset(obj, "normalize", jstr(map_normalize_name(normalize)), ok);
    jset(obj, "prompts", jsize(prompts), ok);
    jset(obj, "singleton_prompts", jsize(singletons), ok);
}

/* The values array, an object per palette item: name, spec, requested and
 * adjusted (when requested is non-NULL: adjust), target, lambda and level
 * (when solved), constant. */
static json_t *jitems(const map_solve_item *items, size_t k, const double *requested,
                      const double *adjusted, int solved, int *ok)
{
    json_t *vals = json_array();
    if (!vals)
        *ok = 0;
    for (size_t i = 0; i < k; i++) {
        const map_solve_item *it = &items[i];
        json_t *o = json_object();
        jset(o, "name", jstr(it->name), ok);
        jset(o, "spec", jstr(it->spec), ok);
        if (requested) {
            jset(o, "requested", jreal(requested[i]), ok);
            jset(o, "adjusted", jreal(adjusted[i]), ok);
        }
        jset(o, "target", jreal(it->target), ok);
        if (solved) {
            jset(o, "lambda", jreal(it->lambda), ok);
            jset(o, "level", jreal(it->level), ok);
        }
        jset(o, "constant", json_boolean(it->constant), ok);
        jpush(vals, o, ok);
    }
    return vals;
}

/* name, n, m, values, source and hash of a dataset into obj. */
static void jset_dataset(json_t *obj, const char *name, size_t n, size_t m, char *const *values,
                         const char *source, const char *hash, int *ok)
{
    jset(obj, "name", jstr(name), ok);
    jset(obj, "n", jsize(n), ok);
    jset(obj, "m", jsize(m), ok);
    jset(obj, "values", jnames(values, m, ok), ok);
    jset(obj, "source", jstr(source), ok);
    jset(obj, "hash", jstr(hash), ok);
}

/* ---- result documents ----------------------------------------------------- */

char *map_json_ingest(const map_ingest_report *rep)
{
    int ok = 1;
    json_t *o = json_object();
    jset_dataset(o, rep->name, rep->n, rep->m, rep->values, rep->source, rep->hash, &ok);
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
        jset_dataset(o, d->name, d->n, d->m, d->values, d->source, d->hash, &ok);
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
    json_t *root = jhead(dataset, n, &ok);
    if (precision)
        jset(root, "precision", jstr(precision), &ok);
    json_t *a = json_array();
    for (size_t i = 0; i < m; i++) {
        const map_value_summary *s = &sum[i];
        json_t *o = json_object();
        jset(o, "name", jstr(s->name), &ok);
        jset(o, "n", jsize(s->n), &ok);
        double v[MAP_OUT_NSTATS];
        map_out_stats(s, v);
        for (size_t c = 0; c < MAP_OUT_NSTATS; c++)
            jset(o, map_out_stat_names[c], jreal(v[c]), &ok);
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
    jset_prompts(root, rep->normalize, rep->prompts, rep->singletons, &ok);
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
            const char *ni = map_out_value_name(rep, i);
            jset(sp, ni, jreal(rep->result.lambda[i]), ok);
            if (rep->result.lambda[i] > 0.0)
                jpush(fr, jstr(ni), ok);
            json_t *row = json_object();
            for (size_t l = 0; l < kp; l++)
                jset(row, map_out_value_name(rep, l), jreal(rep->dldc[i * kp + l]), ok);
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
            jset(lam, map_out_value_name(rep, i), jboot(&rep->boot_lambda[i], ok), ok);
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

/* The evidence for an unattained palette: certificate when infeasible,
 * boundary_values when boundary, nothing otherwise. */
static void add_evidence(json_t *root, const map_solve_item *items, size_t k, int infeasible,
                         int boundary, int has_direction, const double *direction, double gap,
                         int *ok)
{
    if (infeasible)
        add_certificate(root, items, k, has_direction, direction, gap, ok);
    if (boundary)
        add_boundary(root, items, k, has_direction, direction, ok);
}

/* warnings [{code, detail}], only when there are some (documents without a
 * warning stay as they were). */
static void add_warnings(json_t *root, const map_solve_report *rep, int *ok)
{
    if (rep->nwarnings == 0)
        return;
    json_t *a = json_array();
    for (size_t i = 0; i < rep->nwarnings; i++) {
        json_t *o = json_object();
        jset(o, "code", jstr(rep->warnings[i].code), ok);
        jset(o, "detail", jstr(rep->warnings[i].detail), ok);
        jpush(a, o, ok);
    }
    jset(root, "warnings", a, ok);
}

char *map_json_solve(const map_solve_report *rep)
{
    const map_result *r = &rep->result;
    int ok = 1;
    json_t *root = jhead(rep->dataset, rep->n, &ok);
    jset(root, "status", jstr(map_solve_status_name(r->status)), &ok);
    jset(root, "values", jitems(rep->items, rep->k, NULL, NULL, 1, &ok), &ok);
    jset(root, "levels", jlevels(rep, &ok), &ok);
    add_diagnostics(root, rep, &ok);
    add_evidence(root, rep->items, rep->k, r->status == MAP_SOLVE_INFEASIBLE,
                 r->status == MAP_SOLVE_BOUNDARY, r->has_direction, r->direction, r->cert_gap,
                 &ok);
    add_analyses(root, rep, &ok);
    add_warnings(root, rep, &ok);
    return dump(root, ok);
}

char *map_json_feasible(const map_feasible_report *rep)
{
    int ok = 1;
    json_t *root = jhead(rep->dataset, rep->n, &ok);
    jset(root, "verdict", jstr(map_verdict_name(rep->verdict)), &ok);
    jset(root, "margin", jreal(rep->margin), &ok);
    jset(root, "values", jitems(rep->items, rep->k, NULL, NULL, 0, &ok), &ok);
    jset_prompts(root, rep->normalize, rep->prompts, rep->singletons, &ok);
    add_evidence(root, rep->items, rep->k, rep->verdict == MAP_VERDICT_INFEASIBLE,
                 rep->verdict == MAP_VERDICT_BOUNDARY, rep->has_direction, rep->direction,
                 rep->cert_gap, &ok);
    return dump(root, ok);
}

char *map_json_adjust(const map_adjust_report *rep)
{
    const map_solve_report *s = rep->solve;
    int ok = 1;
    json_t *root = jhead(s->dataset, s->n, &ok);
    jset(root, "mode", jstr(map_adjust_mode_name(rep->mode)), &ok);
    if (rep->mode == MAP_ADJUST_RAY)
        jset(root, "rho", jreal(rep->rho), &ok);
    jset(root, "inset", jreal(rep->inset), &ok);
    jset(root, "unchanged", json_boolean(rep->unchanged), &ok);
    jset(root, "requested_margin", jreal(rep->requested_margin), &ok);
    jset(root, "status", jstr(map_solve_status_name(s->result.status)), &ok);
    jset(root, "values", jitems(s->items, s->k, rep->requested, rep->adjusted, 1, &ok), &ok);
    jset(root, "levels", jlevels(s, &ok), &ok);
    add_diagnostics(root, s, &ok);
    add_analyses(root, s, &ok);
    add_warnings(root, s, &ok);
    return dump(root, ok);
}

/* ---- table rows --------------------------------------------------------- */

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

char *map_json_row(const char *const *names, const map_cell *cells, size_t ncols)
{
    int ok = 1;
    json_t *o = json_object();
    for (size_t c = 0; c < ncols; c++)
        jset(o, names[c], jcell(&cells[c]), &ok);
    return dump_as(o, ok, 0);
}

/* ---- memory streams ----------------------------------------------------- */

char *map_memstream_take(char *buf, size_t len)
{
    char *out = map_malloc(len + 1);
    if (out) {
        memcpy(out, buf, len);
        out[len] = '\0';
    }
    free(buf);
    return out;
}

/* ---- histogram ---------------------------------------------------------- */

/* Writes x as a JSON number, or null when it is not finite (JSON has no
 * NaN or infinity). */
static void put_number(FILE *f, const char *sep, double x)
{
    if (isfinite(x))
        fprintf(f, "%s%.17g", sep, x);
    else
        fprintf(f, "%snull", sep);
}

/* The strings and λ as map_json_row writes them, the arrays by put_number. */
char *map_json_histogram(const map_histogram_report *h)
{
    const map_solve_report *sr = h->solve;
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    if (!f)
        return NULL;
    int bad = 0;
    const char *names[2] = {"dataset", "value"};
    const map_cell cells[2] = {{MAP_CELL_TEXT, 0.0, 0, sr->dataset},
                               {MAP_CELL_TEXT, 0.0, 0, h->value}};
    char *head = map_json_row(names, cells, 2);
    bad |= !head;
    if (head)
        fprintf(f, "%.*s,\"bins\":%zu,\"edges\":[", (int)(strlen(head) - 1), head, h->bins);
    map_free(head);
    for (size_t b = 0; b <= h->bins; b++)
        put_number(f, b ? "," : "", h->edges[b]);
    fputs("],\"reference\":[", f);
    for (size_t b = 0; b < h->bins; b++)
        put_number(f, b ? "," : "", h->reference[b]);
    if (h->tilted) {
        fputs("],\"tilted\":[", f);
        for (size_t b = 0; b < h->bins; b++)
            put_number(f, b ? "," : "", h->tilted[b]);
        fputc(']', f);
    } else {
        fputs("],\"tilted\":null", f);
    }
    fprintf(f, ",\"status\":\"%s\",\"lambda\":{", map_solve_status_name(sr->result.status));
    for (size_t i = 0; i < sr->k; i++) {
        const map_cell c = {MAP_CELL_NUMBER, sr->has_tilt ? sr->items[i].lambda : NAN, 0, NULL};
        const char *nm[1] = {sr->items[i].name};
        char *kv = map_json_row(nm, &c, 1); /* {"name":value} */
        bad |= !kv;
        if (kv)
            fprintf(f, "%s%.*s", i ? "," : "", (int)(strlen(kv) - 2), kv + 1);
        map_free(kv);
    }
    fputs("}}\n", f);
    bad |= ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (bad) {
        free(mem); /* open_memstream's buffer comes from malloc */
        return NULL;
    }
    return map_memstream_take(mem, memlen);
}
