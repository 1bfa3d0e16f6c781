/* map_plot_decode.c — decode's report as a chart (map_plot.h): for every
 * palette value, the share of the way from its reference level to its
 * target that decoding with k candidates reaches, against log2 k, one line
 * per method (best solid, sir dashed), with the target (1) and the
 * threshold `decode` counts as reaching it (1 − MAP_DECODE_REACH_FRACTION). */
#include <math.h>
#include <stdio.h>

#include "map_decode_app.h"
#include "map_plot.h"

/* Whether palette item i moves (not constant, its target away from its
 * reference level); *col [out] its dataset column. */
static int item_moves(const map_decode_report *rep, size_t i, size_t *col)
{
    const map_solve_report *sr = rep->solve;
    *col = sr->palette->items[i].col;
    return !sr->items[i].constant && sr->items[i].target != rep->reference[*col];
}

map_chart *map_plot_decode_chart(const map_decode_report *rep, const char *dataset)
{
    map_chart *c = map_chart_new();
    if (!c)
        return NULL;
    const map_solve_report *sr = rep->solve;
    char sub[512];
    size_t o = (size_t)snprintf(sub, sizeof sub, "dataset %s, %zu samples · palette ",
                                dataset ? dataset : "?", sr->n);
    for (size_t i = 0; i < sr->k && o < sizeof sub; i++)
        o += (size_t)snprintf(sub + o, sizeof sub - o, "%s%s=%s", i ? "," : "", sr->items[i].name,
                              sr->items[i].spec);
    int ok = map_chart_set_text(c, "Decoding with k candidates: the way to the targets", sub,
                                "log2 k (candidates per prompt)",
                                "share of the way from the reference level to the target") == MAP_OK;
    double kmin = INFINITY, kmax = -INFINITY;
    for (size_t r = 0; r < rep->nrows; r++)
        if (rep->rows[r].k) {
            kmin = fmin(kmin, log2((double)rep->rows[r].k));
            kmax = fmax(kmax, log2((double)rep->rows[r].k));
        }
    size_t nv = 0; /* values that move: a target away from the reference */
    size_t col;
    for (size_t i = 0; i < sr->k; i++)
        nv += (size_t)item_moves(rep, i, &col);
    static const char *const mname[2] = {"best", "sir"};
    for (size_t i = 0, v = 0; ok && i < sr->k; i++) {
        if (!item_moves(rep, i, &col))
            continue;
        const double ref = rep->reference[col], span = sr->items[i].target - ref;
        for (int m = 0; ok && m < 2; m++) {
            if (!rep->ran[m])
                continue;
            char label[160];
            snprintf(label, sizeof label, "%s: %s", mname[m], sr->items[i].name);
            const int s = map_chart_add_series(c, label, MAP_SERIES_LINE,
                                               map_plot_series_color(v, nv), m == 1);
            ok = s >= 0;
            for (size_t r = 0; ok && r < rep->nrows; r++) {
                const map_decode_row *row = &rep->rows[r];
                if ((int)row->method == m && row->k)
                    ok = map_chart_push(c, s, log2((double)row->k), (row->level[col] - ref) / span,
                                        0) == MAP_OK;
            }
        }
        v++;
    }
    if (ok && isfinite(kmin)) {
        char label[80];
        snprintf(label, sizeof label, "target (1) and the threshold decode counts (%g)",
                 1.0 - MAP_DECODE_REACH_FRACTION);
        const int t = map_chart_add_series(c, label, MAP_SERIES_LINE, (map_rgb){0.55, 0.55, 0.55},
                                           1);
        ok = t >= 0 && map_chart_push(c, t, kmin, 1.0, 0) == MAP_OK &&
             map_chart_push(c, t, kmax, 1.0, 0) == MAP_OK &&
             map_chart_push(c, t, NAN, NAN, 0) == MAP_OK &&
             map_chart_push(c, t, kmin, 1.0 - MAP_DECODE_REACH_FRACTION, 0) == MAP_OK &&
             map_chart_push(c, t, kmax, 1.0 - MAP_DECODE_REACH_FRACTION, 0) == MAP_OK;
    }
    if (!ok) {
        map_chart_free(c);
        return NULL;
    }
    return c;
}

int map_plot_decode_save(const map_decode_report *rep, const char *dataset, const char *path,
                         map_error *err)
{
    map_chart *c = map_plot_decode_chart(rep, dataset);
    if (!c)
        return map_error_set(err, MAP_ENOMEM, "out of memory drawing the plot");
    const int rc = map_chart_save(c, path, err);
    map_chart_free(c);
    return rc;
}
