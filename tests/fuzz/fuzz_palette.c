/* fuzz_palette.c — fuzz target for the palette parser (map_palette_parse,
 * map_palette_resolve) and the solve it feeds (map_app_solve), on a
 * small fixed dataset (values a, b, k (constant) and "d e").
 *
 * Invariants:
 *   - parse: MAP_OK or MAP_EDATA with a "palette: " message; a palette has
 *     1 ≤ k ≤ MAP_MAX_K items (one per comma-separated item of the spec),
 *     distinct non-empty trimmed names without ',', targets as written
 *     without ',' or '=', and a kind that matches the text: `mean`, qNN with
 *     NN in [0, 100], or a finite number equal to strtod of the text;
 *   - resolve: each name is a dataset value (else MAP_EDATA naming it), and
 *     each target is finite: the number itself, the column mean (computed
 *     here), or a percentile within [min, max] (q0 = min, q100 = max);
 *   - solve: the same verdict as parse + resolve on a bad palette; otherwise
 *     MAP_OK or MAP_EDATA (a constant value's unattainable target) — or,
 *     unless FUZZ_STRICT=1, MAP_ENOMEM with a message (a known solver bug,
 *     reported) — and on MAP_OK a status
 *     the exit code agrees with, finite λ ≥ 0 and levels for an optimal
 *     result and a positive verified gap for an infeasible one;
 *   - out of memory: with an allocation failure injected the solve fails
 *     with MAP_ENOMEM or gives the same verdict, never crashes or leaks.
 */
#include <math.h>

#include "fuzz_common.h"
#include "fuzz_dataset.h"
#include "map_app.h"
#include "map_palette.h"

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static void check_parsed(const map_palette *pal, const char *spec)
{
    size_t items = 1;
    for (const char *p = spec; *p; p++)
        items += *p == ',';
    FUZZ_ASSERT(pal->k >= 1 && pal->k <= MAP_MAX_K && pal->k == items, "k = %zu, %zu items",
                pal->k, items);
    for (size_t i = 0; i < pal->k; i++) {
        const map_palette_item *it = &pal->items[i];
        const size_t nl = strlen(it->name), sl = strlen(it->spec);
        FUZZ_ASSERT(nl > 0 && !is_blank(it->name[0]) && !is_blank(it->name[nl - 1]) &&
                        !strchr(it->name, ','),
                    "item %zu name '%s'", i, it->name);
        FUZZ_ASSERT(sl > 0 && !is_blank(it->spec[0]) && !is_blank(it->spec[sl - 1]) &&
                        !strchr(it->spec, ',') && !strchr(it->spec, '='),
                    "item %zu target '%s'", i, it->spec);
        for (size_t j = 0; j < i; j++)
            FUZZ_ASSERT(strcmp(it->name, pal->items[j].name) != 0, "'%s' twice", it->name);
        switch (it->kind) {
        case MAP_TARGET_MEAN:
            FUZZ_ASSERT(strcmp(it->spec, "mean") == 0, "mean from '%s'", it->spec);
            break;
        case MAP_TARGET_QUANTILE:
            FUZZ_ASSERT(it->spec[0] == 'q' && it->arg >= 0.0 && it->arg <= 100.0 &&
                            strtod(it->spec + 1, NULL) == it->arg,
                        "percentile %g from '%s'", it->arg, it->spec);
            break;
        case MAP_TARGET_NUMBER:
            FUZZ_ASSERT(isfinite(it->arg) && strtod(it->spec, NULL) == it->arg,
                        "number %g from '%s'", it->arg, it->spec);
            break;
        default:
            FUZZ_ASSERT(0, "kind %d", (int)it->kind);
        }
    }
}

static void check_resolved(const map_palette *pal, const map_dataset *ds)
{
    FUZZ_ASSERT(pal->resolved, "not marked resolved");
    for (size_t i = 0; i < pal->k; i++) {
        const map_palette_item *it = &pal->items[i];
        FUZZ_ASSERT(it->col < ds->m && strcmp(ds->values[it->col], it->name) == 0,
                    "'%s' resolved to column %zu", it->name, it->col);
        double lo = INFINITY, hi = -INFINITY, sum = 0.0;
        for (size_t j = 0; j < ds->n; j++) {
            const double v = ds->x[j * ds->m + it->col];
            lo = fmin(lo, v);
            hi = fmax(hi, v);
            sum += v;
        }
        const double t = it->target;
        FUZZ_ASSERT(isfinite(t), "target of '%s' is %g", it->name, t);
        if (it->kind == MAP_TARGET_NUMBER)
            FUZZ_ASSERT(t == it->arg, "'%s': target %g, number %g", it->name, t, it->arg);
        else if (it->kind == MAP_TARGET_MEAN)
            FUZZ_ASSERT(fabs(t - sum / (double)ds->n) <= 1e-12 * (1.0 + fabs(t)),
                        "'%s': mean %.17g, here %.17g", it->name, t, sum / (double)ds->n);
        else
            FUZZ_ASSERT(t >= lo && t <= hi && (it->arg != 0.0 || t == lo) &&
                            (it->arg != 100.0 || t == hi),
                        "'%s': q%g = %g outside [%g, %g]", it->name, it->arg, t, lo, hi);
    }
}

static void check_solved(const map_solve_report *rep, const map_palette *pal)
{
    FUZZ_ASSERT(rep->k == pal->k && rep->items && rep->kp <= rep->k, "k %zu, kp %zu", rep->k,
                rep->kp);
    const map_result *r = &rep->result;
    const int st = (int)r->status;
    FUZZ_ASSERT(st >= MAP_SOLVE_OPTIMAL && st <= MAP_SOLVE_BOUNDARY, "status %d", st);
    FUZZ_ASSERT(map_app_solve_code(rep) == (st == MAP_SOLVE_OPTIMAL ? MAP_OK : MAP_NOT_ATTAINED),
                "exit code");
    for (size_t i = 0; i < rep->k; i++)
        FUZZ_ASSERT(rep->items[i].target == pal->items[i].target, "item %zu target", i);
    if (st == MAP_SOLVE_OPTIMAL) {
        for (size_t i = 0; i < rep->k; i++)
            FUZZ_ASSERT(isfinite(rep->items[i].lambda) && rep->items[i].lambda >= 0.0 &&
                            isfinite(rep->items[i].level),
                        "optimal: item %zu lambda %g level %g", i, rep->items[i].lambda,
                        rep->items[i].level);
        FUZZ_ASSERT(isfinite(r->diag.kl) && r->diag.kl >= -1e-9, "optimal: KL %g", r->diag.kl);
    } else if (st == MAP_SOLVE_INFEASIBLE) {
        FUZZ_ASSERT(r->has_direction && r->cert_gap > 0.0, "infeasible: gap %g", r->cert_gap);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *spec = malloc(size + 1);
    FUZZ_ASSERT(spec != NULL, "out of memory");
    memcpy(spec, data, size);
    spec[size] = '\0'; /* a NUL inside cuts the spec, as argv would */
    const map_dataset *ds = fuzz_dataset();

    map_error err;
    map_error_clear(&err);
    map_palette *pal = (map_palette *)1;
    int rc = map_palette_parse(spec, &pal, &err);
    FUZZ_ASSERT(rc == MAP_OK || rc == MAP_EDATA, "parse: status %d", rc);
    if (rc == MAP_OK) {
        check_parsed(pal, spec);
        rc = map_palette_resolve(pal, ds, &err);
        FUZZ_ASSERT(rc == MAP_OK || rc == MAP_EDATA, "resolve: status %d", rc);
        if (rc == MAP_OK)
            check_resolved(pal, ds);
    } else {
        FUZZ_ASSERT(pal == NULL, "a palette after a failure");
    }
    if (rc)
        FUZZ_ASSERT(err.code == rc && strncmp(err.msg, "palette: ", 9) == 0,
                    "message '%s'", err.msg);
    const char *parse_msg = err.msg;

    map_error serr;
    map_solve_report *rep = (map_solve_report *)1;
    map_solve_request rq;
    map_solve_request_init(&rq, spec);
    const int src = map_app_solve(ds, &rq, &rep, &serr);
    if (rc) {
        FUZZ_ASSERT(src == rc && strcmp(serr.msg, parse_msg) == 0,
                    "solve: status %d '%s', parse: %d '%s'", src, serr.msg, rc, parse_msg);
    } else {
        /* An internal failure (exit 5) is documented but is never the right
         * answer to a valid palette; known cases are reported, not yet fixed
         * (the margin LP failing on a target far above a value's maximum:
         * corpus/palette/known-margin-lp-failure). FUZZ_STRICT=1 flags them. */
        FUZZ_ASSERT(src == MAP_OK || (src == MAP_EDATA && strstr(serr.msg, "constant")) ||
                        (!fuzz_strict() && src == MAP_ENOMEM && serr.msg[0]),
                    "solve: status %d '%s'", src, serr.msg);
    }
    if (src == MAP_OK)
        check_solved(rep, pal);
    else
        FUZZ_ASSERT(rep == NULL, "a report after a failure");

    map_error oerr;
    map_solve_report *orep = (map_solve_report *)1;
    map_alloc_fail_after((long)(fuzz_hash(data, size) % 48u));
    const int orc = map_app_solve(ds, &rq, &orep, &oerr);
    map_alloc_fail_after(-1);
    FUZZ_ASSERT(orc == src || orc == MAP_ENOMEM, "injected: status %d, %d without ('%s')", orc,
                src, oerr.msg);
    if (orc == MAP_OK)
        FUZZ_ASSERT(orep->result.status == rep->result.status, "injected: status %d, %d without",
                    (int)orep->result.status, (int)rep->result.status);
    else
        FUZZ_ASSERT(orep == NULL, "a report after a failure");
    map_solve_report_free(orep);
    map_solve_report_free(src == MAP_OK ? rep : NULL);
    map_palette_free(pal); /* NULL after a failed parse */
    free(spec);
    return 0;
}
