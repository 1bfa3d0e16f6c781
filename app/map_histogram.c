/* map_histogram.c — one value's reward histogram under the reference
 * distribution and under the tilt of a solved palette (map_histogram.h). */
#include "map_histogram.h"

#include <math.h>
#include <string.h>

#include "map_app_internal.h"

void map_histogram_report_free(map_histogram_report *rep)
{
    if (!rep)
        return;
    map_solve_report_free(rep->solve);
    MAP_FREE_ALL(rep->value, rep->edges, rep->reference, rep->tilted, rep);
}

/* The bin of x among [lo, hi] split into bins equal parts (the last closed).
 * When hi − lo overflows a double (values near ±DBL_MAX), the halves are
 * used: halving is exact, so t is the same number computed without the
 * overflow. */
static size_t bin_of(double x, double lo, double hi, size_t bins)
{
    if (!(x > lo))
        return 0;
    const double t = isfinite(hi - lo) ? (x - lo) / (hi - lo) * (double)bins
                                       : (x / 2 - lo / 2) / (hi / 2 - lo / 2) * (double)bins;
    if (!(t < (double)bins))
        return bins - 1;
    return (size_t)t;
}

/* Adds weight w_j (a row's share of its group's mass) of each row into
 * frac, groups (NULL: one group of all rows) weighted equally; s (may be
 * NULL: uniform) holds each row's log-weight. */
static void accumulate(const map_matrix *X, size_t col, double lo, double hi, size_t bins,
                       const double *s, const map_groups *groups, double *frac)
{
    const size_t n = X->n;
    const size_t *const order = groups ? groups->order : NULL;
    const size_t G = groups ? groups->ngroups : 1;
    for (size_t g = 0; g < G; g++) {
        const size_t a = groups ? groups->start[g] : 0, b = groups ? groups->start[g + 1] : n;
        double smax = -INFINITY;
        for (size_t t = a; t < b; t++) {
            const size_t j = order ? order[t] : t;
            if (s && s[j] > smax)
                smax = s[j];
        }
        double total = 0.0;
        for (size_t t = a; t < b; t++) {
            const size_t j = order ? order[t] : t;
            total += s ? exp(s[j] - smax) : 1.0;
        }
        for (size_t t = a; t < b; t++) {
            const size_t j = order ? order[t] : t;
            const double w = (s ? exp(s[j] - smax) : 1.0) / total / (double)G;
            frac[bin_of(map_matrix_at(X, j, col), lo, hi, bins)] += w;
        }
    }
}

int map_app_histogram(const map_dataset *ds, const map_solve_request *rq, const char *value,
                      size_t bins, map_histogram_report **out, map_error *err)
{
    *out = NULL;
    if (!value)
        return map_error_set_field(err, MAP_EDATA, "value", "value: missing the value to bin");
    const long col = map_dataset_value_index(ds, value);
    if (col < 0)
        return map_error_set_field(err, MAP_EDATA, "value",
                                   "value: '%s' is not a value of dataset '%s'", value,
                                   ds->name ? ds->name : "?");
    if (bins < 1 || bins > MAP_HISTOGRAM_BINS_MAX)
        return map_error_set_field(err, MAP_EDATA, "bins", "bins: %zu is outside [1, %d]", bins,
                                   MAP_HISTOGRAM_BINS_MAX);
    map_histogram_report *rep = map_calloc(1, sizeof *rep);
    if (!rep)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    /* The solve's prompt groups under per-prompt normalisation. */
    app_groups groups;
    int rc = app_solve_groups(ds, rq, &rep->solve, &groups, err);
    if (rc) {
        map_histogram_report_free(rep);
        return rc;
    }
    const map_groups *g = app_groups_get(&groups);
    const map_matrix X = map_dataset_matrix(ds);
    double *s = NULL;
    rep->bins = bins;
    rep->value = map_strdup(value);
    rep->edges = map_mallocarray(bins + 1, sizeof *rep->edges);
    rep->reference = map_calloc(bins, sizeof *rep->reference);
    if (!rep->value || !rep->edges || !rep->reference)
        rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    double lo = INFINITY, hi = -INFINITY;
    if (!rc) {
        for (size_t j = 0; j < X.n; j++) {
            const double x = map_matrix_at(&X, j, (size_t)col);
            lo = fmin(lo, x);
            hi = fmax(hi, x);
        }
        if (!(hi > lo)) {
            lo -= 0.5;
            hi += 0.5;
        }
        /* The edges as bin_of splits the range (halves when hi − lo
         * overflows; twice a half is exact). */
        const int wide = !isfinite(hi - lo);
        for (size_t b = 0; b <= bins; b++)
            rep->edges[b] = b == bins ? hi
                            : wide    ? 2 * (lo / 2 + (hi / 2 - lo / 2) * ((double)b / (double)bins))
                                      : lo + (hi - lo) * (double)b / (double)bins;
        accumulate(&X, (size_t)col, lo, hi, bins, NULL, g, rep->reference);
    }
    if (!rc && rep->solve->has_tilt) {
        rc = app_solve_scores(ds, rep->solve, &s, err);
        if (!rc && !(rep->tilted = map_calloc(bins, sizeof *rep->tilted)))
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
        if (!rc)
            accumulate(&X, (size_t)col, lo, hi, bins, s, g, rep->tilted);
    }
    map_free(s);
    app_groups_free(&groups);
    if (rc) {
        map_histogram_report_free(rep);
        return rc;
    }
    *out = rep;
    return MAP_OK;
}
