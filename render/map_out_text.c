/* map_out_text.c — the human renderings of the command results: aligned
 * columns of formatted cells, then labelled lines with units. */
#include "map_output.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "map_names.h"

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
    map_free_strings(t->cells, t->ncells);
}

/* An empty table with a column per letter of align (borrowed). */
static table table_of(const char *align)
{
    table t = {strlen(align), 0, 0, align, NULL, 1};
    return t;
}

/* n cells taken as they are (a header row). */
static void table_cells(table *t, const char *const *cells, size_t n)
{
    for (size_t c = 0; c < n; c++)
        table_add(t, "%s", cells[c]);
}

/* Prints t and frees it; returns as table_print. */
static int table_flush(table *t, FILE *out)
{
    const int rc = table_print(t, out);
    table_free(t);
    return rc;
}

int map_print_datasets(FILE *out, const map_dataset_info *info, size_t count)
{
    static const char *const head[] = {"NAME", "N", "M", "VALUES", "SOURCE", "CREATED"};
    table t = table_of("lrrlll");
    table_cells(&t, head, 6);
    for (size_t i = 0; i < count; i++) {
        const map_dataset_info *d = &info[i];
        char *joined = map_join_alloc((const char *const *)d->values, d->m, ",");
        if (!joined) {
            t.ok = 0;
            break;
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
    const int rc = table_flush(&t, out);
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
    table t = table_of("lrrrrrrrrrr");
    assert(t.ncols == 2 + MAP_OUT_NSTATS);
    table_add(&t, "value");
    table_add(&t, "n");
    table_cells(&t, map_out_stat_names, MAP_OUT_NSTATS);
    for (size_t i = 0; i < m; i++) {
        const map_value_summary *s = &sum[i];
        table_add(&t, "%s", s->name);
        table_add(&t, "%zu", s->n);
        double v[MAP_OUT_NSTATS];
        map_out_stats(s, v);
        for (size_t c = 0; c < MAP_OUT_NSTATS; c++)
            table_add(&t, "%.6g", v[c]);
    }
    return table_flush(&t, out);
}

/* %.6g, "inf" for +inf (an unbounded λ), "-" for NaN (no value). */
static void num_or_dash(double v, char buf[32])
{
    if (isnan(v))
        snprintf(buf, 32, "-");
    else
        snprintf(buf, 32, "%.6g", v);
}

/* The value, spec (marked when constant) and target cells of an item. */
static void add_spec(table *t, const map_solve_item *it)
{
    table_add(t, "%s", it->name);
    table_add(t, "%s%s", it->spec, it->constant ? " (constant)" : "");
    table_add(t, "%.6g", it->target);
}

/* The lambda and level cells of a solved item. */
static void add_lambda_level(table *t, const map_solve_item *it)
{
    char lam[32], lev[32];
    num_or_dash(it->lambda, lam);
    num_or_dash(it->level, lev);
    table_add(t, "%s", lam);
    table_add(t, "%s", lev);
}

static void print_margin(FILE *out, double margin)
{
    if (isfinite(margin))
        fprintf(out, "%-15s %.6g (scaled by each value's sd)\n", "margin", margin);
    else
        fprintf(out, "%-15s %s\n", "margin", "not computed");
}

/* The normalize line, for per-prompt normalization only. */
static void print_normalize(FILE *out, map_normalize normalize, size_t prompts, size_t singletons)
{
    if (normalize == MAP_NORMALIZE_PROMPT)
        fprintf(out, "%-15s per prompt: %zu prompts, %zu with a single sample (not tilted)\n",
                "normalize", prompts, singletons);
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

/* The evidence for an unattained palette: the certificate when infeasible,
 * the boundary values when boundary, nothing otherwise. */
static void print_evidence(FILE *out, const map_solve_item *items, size_t k, int infeasible,
                           int boundary, int has_direction, const double *direction, double gap)
{
    if (infeasible)
        print_certificate(out, items, k, has_direction, direction, gap);
    if (boundary)
        print_boundary(out, items, k, has_direction, direction);
}

/* status, KL, ESS, largest weight, iterations (with a finite λ) and margin
 * lines of a solve, shared by solve and adjust. */
static void print_diagnostics(FILE *out, const map_solve_report *rep)
{
    const map_result *r = &rep->result;
    const map_solution *d = &r->diag;
    const double ess_pct = rep->n ? 100.0 * d->ess / (double)rep->n : 0.0;
    fprintf(out, "%-15s %s\n", "status", map_solve_status_name(r->status));
    print_normalize(out, rep->normalize, rep->prompts, rep->singletons);
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

/* One bootstrap row: "KIND NAME", estimate, se, 95% lo, 95% hi. */
static void boot_row(table *t, const char *kind, const char *name, const map_boot_stat *b)
{
    table_add(t, "%s %s", kind, name);
    table_add(t, "%.6g", b->estimate);
    table_add(t, "%.3g", b->se);
    table_add(t, "%.6g", b->lo);
    table_add(t, "%.6g", b->hi);
}

/* Sensitivity, bootstrap and holdout sections, when present. */
static int print_analyses(FILE *out, const map_solve_report *rep)
{
    const size_t kp = rep->kp;
    if (rep->has_sensitivity) {
        fprintf(out, "\nsensitivity: shadow price dKL/dc_i = lambda_i (nats per unit); "
                     "dlambda_i/dc_j on the free set\n");
        char align[MAP_MAX_K + 3];
        align[0] = 'l';
        for (size_t j = 1; j < kp + 2; j++)
            align[j] = 'r';
        align[kp + 2] = '\0';
        table t = table_of(align);
        table_add(&t, "value");
        table_add(&t, "shadow price");
        for (size_t l = 0; l < kp; l++)
            table_add(&t, "d/dc %s", map_out_value_name(rep, l));
        for (size_t i = 0; i < kp; i++) {
            table_add(&t, "%s", map_out_value_name(rep, i));
            table_add(&t, "%.6g", rep->result.lambda[i]);
            for (size_t l = 0; l < kp; l++)
                table_add(&t, "%.6g", rep->dldc[i * kp + l]);
        }
        const int rc = table_flush(&t, out);
        if (rc)
            return rc;
    }
    if (rep->has_bootstrap) {
        fprintf(out, "\nbootstrap: %zu replicates (%zu used, %zu not optimal, excluded), seed %lu%s\n",
                rep->boot.replicates, rep->boot.used, rep->boot.excluded, rep->seed,
                rep->normalize == MAP_NORMALIZE_PROMPT ? ", prompts resampled" : "");
        static const char *const head[] = {"quantity", "estimate", "se", "95% lo", "95% hi"};
        table t = table_of("llrrr");
        table_cells(&t, head, 5);
        for (size_t i = 0; i < kp; i++)
            boot_row(&t, "lambda", map_out_value_name(rep, i), &rep->boot_lambda[i]);
        for (size_t c = 0; c < rep->m; c++)
            boot_row(&t, "level", rep->values[c], &rep->boot_levels[c]);
        const int rc = table_flush(&t, out);
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
            static const char *const head[] = {"value", "train level", "held-out level"};
            table t = table_of("lrr");
            table_cells(&t, head, 3);
            for (size_t c = 0; c < rep->m; c++) {
                table_add(&t, "%s", rep->values[c]);
                table_add(&t, "%.6g", rep->ho_train_levels[c]);
                table_add(&t, "%.6g", rep->ho_test_levels[c]);
            }
            const int rc = table_flush(&t, out);
            if (rc)
                return rc;
        }
    }
    return MAP_OK;
}

/* Prints t (and frees it), a blank line and the dataset line: how solve,
 * feasible and adjust begin. Returns as table_print. */
static int flush_with_dataset(table *t, FILE *out, const char *dataset)
{
    const int rc = table_flush(t, out);
    if (rc)
        return rc;
    fputc('\n', out);
    fprintf(out, "%-15s %s\n", "dataset", dataset);
    return MAP_OK;
}

int map_print_solve(FILE *out, const map_solve_report *rep)
{
    const map_result *r = &rep->result;
    static const char *const head[] = {"value", "spec", "target", "lambda", "level"};
    table t = table_of("llrrr");
    table_cells(&t, head, 5);
    for (size_t i = 0; i < rep->k; i++) {
        const map_solve_item *it = &rep->items[i];
        add_spec(&t, it);
        add_lambda_level(&t, it);
    }
    const int rc = flush_with_dataset(&t, out, rep->dataset);
    if (rc)
        return rc;
    print_diagnostics(out, rep);
    print_evidence(out, rep->items, rep->k, r->status == MAP_SOLVE_INFEASIBLE,
                   r->status == MAP_SOLVE_BOUNDARY, r->has_direction, r->direction, r->cert_gap);
    return print_analyses(out, rep);
}

int map_print_feasible(FILE *out, const map_feasible_report *rep)
{
    static const char *const head[] = {"value", "spec", "target"};
    table t = table_of("llr");
    table_cells(&t, head, 3);
    for (size_t i = 0; i < rep->k; i++) {
        const map_solve_item *it = &rep->items[i];
        add_spec(&t, it);
    }
    const int rc = flush_with_dataset(&t, out, rep->dataset);
    if (rc)
        return rc;
    fprintf(out, "%-15s %s\n", "verdict", map_verdict_name(rep->verdict));
    print_normalize(out, rep->normalize, rep->prompts, rep->singletons);
    print_margin(out, rep->margin);
    print_evidence(out, rep->items, rep->k, rep->verdict == MAP_VERDICT_INFEASIBLE,
                   rep->verdict == MAP_VERDICT_BOUNDARY, rep->has_direction, rep->direction,
                   rep->cert_gap);
    return MAP_OK;
}

int map_print_adjust(FILE *out, const map_adjust_report *rep)
{
    const map_solve_report *s = rep->solve;
    static const char *const head[] = {"value",  "requested", "adjusted",
                                       "target", "lambda",    "level"};
    table t = table_of("lrrrrr");
    table_cells(&t, head, 6);
    for (size_t i = 0; i < s->k; i++) {
        const map_solve_item *it = &s->items[i];
        table_add(&t, "%s%s", it->name, it->constant ? " (constant)" : "");
        table_add(&t, "%.6g", rep->requested[i]);
        table_add(&t, "%.6g", rep->adjusted[i]);
        table_add(&t, "%.6g", it->target);
        add_lambda_level(&t, it);
    }
    const int rc = flush_with_dataset(&t, out, s->dataset);
    if (rc)
        return rc;
    fprintf(out, "%-15s %s%s\n", "mode", map_adjust_mode_name(rep->mode),
            rep->unchanged ? " (the palette is attainable: unchanged)" : "");
    if (rep->mode == MAP_ADJUST_RAY)
        fprintf(out, "%-15s %.12g (adjusted = mean + rho·(requested − mean))\n", "rho", rep->rho);
    fprintf(out, "%-15s %.6g (target = mean + (1 − inset)·(adjusted − mean))\n", "inset",
            rep->inset);
    print_diagnostics(out, s);
    return print_analyses(out, s);
}

void map_print_warnings(FILE *out, const map_solve_report *rep, const char *hint)
{
    for (size_t i = 0; i < rep->nwarnings; i++)
        fprintf(out, "mapsolve: warning: %s\n", rep->warnings[i].detail);
    if (rep->nwarnings && hint)
        fprintf(out, "mapsolve: note: %s\n", hint);
}
