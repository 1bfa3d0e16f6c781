/* map_plot_table.c — the table sink of map_plot.h: passes a frontier or
 * region table on unchanged, keeps the columns a chart needs, and turns the
 * rows into a chart (which series, labels, title and view). No cairo here. */
#include "map_plot.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROW_PLAIN = 0, ROW_SATURATED, ROW_VERTEX };

typedef struct plot_row {
    double budget, kl, x, y; /* frontier: budget, kl, the two levels */
    double dx, dy, step;     /* region: direction, step (x, y the targets) */
    int status;
} plot_row;

/* Column indices (-1: absent). */
enum { COL_BUDGET, COL_KL, COL_STATUS, COL_X, COL_Y, COL_DX, COL_DY, COL_STEP, NCOL };

struct map_plot_table {
    map_plot_table_opts o;  /* values and dataset point to the copies below */
    char **values;
    double *reference;
    map_table_sink next;
    int has_next;
    long col[NCOL];
    plot_row *rows;
    size_t n, cap;
};

map_plot_table *map_plot_table_new(const map_plot_table_opts *o, const map_table_sink *next)
{
    map_plot_table *p = map_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->o = *o;
    p->o.dataset = NULL;
    int ok = (p->values = map_strdup_all(o->values, o->k)) != NULL;
    if (ok && o->dataset)
        ok = (p->o.dataset = map_strdup(o->dataset)) != NULL;
    if (!ok) {
        map_plot_table_free(p);
        return NULL;
    }
    p->o.values = (const char *const *)p->values;
    if (next) {
        p->next = *next;
        p->has_next = 1;
    }
    for (int c = 0; c < NCOL; c++)
        p->col[c] = -1;
    return p;
}

int map_plot_table_set_reference(map_plot_table *p, const double *reference)
{
    double *copy = NULL;
    if (reference) {
        if (!(copy = map_mallocarray(p->o.k ? p->o.k : 1, sizeof *copy)))
            return MAP_ENOMEM;
        memcpy(copy, reference, p->o.k * sizeof *copy);
    }
    map_free(p->reference);
    p->reference = copy;
    return MAP_OK;
}

void map_plot_table_free(map_plot_table *p)
{
    if (!p)
        return;
    map_free_strings(p->values, p->o.k);
    MAP_FREE_ALL(p->reference, (char *)p->o.dataset, p->rows, p);
}

/* The index of the column called prefix+name, or -1. */
static long find_col(size_t ncols, const char *const *names, const char *prefix, const char *name)
{
    const size_t lp = strlen(prefix);
    for (size_t c = 0; c < ncols; c++)
        if (strncmp(names[c], prefix, lp) == 0 && strcmp(names[c] + lp, name) == 0)
            return (long)c;
    return -1;
}

static int plot_header(void *ctx, size_t ncols, const char *const *names, map_error *err)
{
    map_plot_table *p = ctx;
    if (p->has_next) {
        const int rc = p->next.header(p->next.ctx, ncols, names, err);
        if (rc)
            return rc;
    }
    const char *v0 = p->o.k > 0 ? p->o.values[0] : "", *v1 = p->o.k > 1 ? p->o.values[1] : NULL;
    const char *need[NCOL][2];
    memset(need, 0, sizeof need);
    if (p->o.kind == MAP_PLOT_FRONTIER) {
        need[COL_BUDGET][0] = "", need[COL_BUDGET][1] = "budget";
        need[COL_KL][0] = "", need[COL_KL][1] = "kl";
        need[COL_STATUS][0] = "", need[COL_STATUS][1] = "status";
        need[COL_X][0] = "level_", need[COL_X][1] = v0;
        if (v1)
            need[COL_Y][0] = "level_", need[COL_Y][1] = v1;
    } else {
        need[COL_STEP][0] = "", need[COL_STEP][1] = "step";
        need[COL_X][0] = "target_", need[COL_X][1] = v0;
        need[COL_DX][0] = "dir_", need[COL_DX][1] = v0;
        if (v1) {
            need[COL_Y][0] = "target_", need[COL_Y][1] = v1;
            need[COL_DY][0] = "dir_", need[COL_DY][1] = v1;
        }
    }
    for (int c = 0; c < NCOL; c++) {
        if (!need[c][1])
            continue;
        p->col[c] = find_col(ncols, names, need[c][0], need[c][1]);
        if (p->col[c] < 0)
            return map_error_set_field(err, MAP_EDATA, "plot", "the table has no column %s%s",
                                       need[c][0], need[c][1]);
    }
    return MAP_OK;
}

/* A cell as a number: NaN for an empty or text cell. */
static double cell_num(const map_cell *cells, long c)
{
    if (c < 0)
        return NAN;
    const map_cell *x = &cells[c];
    if (x->kind == MAP_CELL_NUMBER)
        return x->x;
    if (x->kind == MAP_CELL_COUNT)
        return (double)x->n;
    return NAN;
}

static int plot_row_fn(void *ctx, const map_cell *cells, map_error *err)
{
    map_plot_table *p = ctx;
    if (p->has_next) {
        const int rc = p->next.row(p->next.ctx, cells, err);
        if (rc)
            return rc;
    }
    if (p->n == p->cap) {
        const size_t cap = p->cap ? 2 * p->cap : 64;
        plot_row *r = map_reallocarray(p->rows, cap, sizeof *r);
        if (!r)
            return map_error_set(err, MAP_ENOMEM, "out of memory collecting the plot");
        p->rows = r;
        p->cap = cap;
    }
    plot_row *r = &p->rows[p->n++];
    r->budget = cell_num(cells, p->col[COL_BUDGET]);
    r->kl = cell_num(cells, p->col[COL_KL]);
    r->x = cell_num(cells, p->col[COL_X]);
    r->y = cell_num(cells, p->col[COL_Y]);
    r->dx = cell_num(cells, p->col[COL_DX]);
    r->dy = cell_num(cells, p->col[COL_DY]);
    r->step = cell_num(cells, p->col[COL_STEP]);
    r->status = ROW_PLAIN;
    if (p->col[COL_STATUS] >= 0 && cells[p->col[COL_STATUS]].kind == MAP_CELL_TEXT) {
        const char *s = cells[p->col[COL_STATUS]].s;
        r->status = strcmp(s, "saturated") == 0 ? ROW_SATURATED
                    : strcmp(s, "vertex") == 0  ? ROW_VERTEX
                                                : ROW_PLAIN;
    }
    return MAP_OK;
}

map_table_sink map_plot_table_sink(map_plot_table *p)
{
    map_table_sink s = {plot_header, plot_row_fn, p};
    return s;
}

/* ---- the chart ---------------------------------------------------------- */

/* Appends printf output to buf (size bytes, NUL-terminated). */
static void cat(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t size, const char *fmt, ...)
{
    const size_t len = strlen(buf);
    if (len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

/* The subtitle: dataset, samples, what the axes show, and notes. */
static void subtitle(const map_plot_table *p, const char *what, char *buf, size_t size)
{
    buf[0] = '\0';
    if (p->o.dataset)
        cat(buf, size, "dataset %s", p->o.dataset);
    if (p->o.n)
        cat(buf, size, "%s%zu samples", buf[0] ? ", " : "", p->o.n);
    if (what)
        cat(buf, size, "%s%s", buf[0] ? " \xc2\xb7 " : "", what);
    if (p->o.prompt)
        cat(buf, size, " \xc2\xb7 per-prompt normalisation");
}

/* The reference levels as a mark, when known. */
static int mark_reference(const map_plot_table *p, map_chart *c, const char *label)
{
    if (!p->reference || p->o.k < 2)
        return MAP_OK;
    return map_chart_add_mark(c, MAP_MARK_REFERENCE, p->reference[0], p->reference[1], label);
}

#define REF_LABEL "reference (\xce\xbb = 0)"
#define KL_LE "KL \xe2\x89\xa4 "

static int frontier_chart(const map_plot_table *p, map_chart *c)
{
    const size_t k = p->o.k;
    char title[512] = "", sub[512], what[256] = "", label[128];
    int rc = MAP_OK;
    size_t vertices = 0, saturated = 0;
    for (size_t i = 0; i < p->n; i++) {
        vertices += p->rows[i].status == ROW_VERTEX;
        saturated += p->rows[i].status == ROW_SATURATED;
    }
    if (k > 2)
        snprintf(what, sizeof what, "levels of %s and %s (first 2 of %zu chosen values, projected)",
                 p->o.values[0], p->o.values[1], k);
    else if (k == 2)
        snprintf(what, sizeof what, "levels of %s and %s", p->o.values[0], p->o.values[1]);
    if (p->o.direction) {
        /* one path, from KL 0 outwards */
        const double kmax = p->n ? p->rows[p->n - 1].kl : NAN;
        snprintf(title, sizeof title, "Levels along one direction, KL 0 to %.3g nats", kmax);
        snprintf(label, sizeof label, "path, KL 0 to %.3g nats", kmax);
        const int s = map_chart_add_series(c, label, MAP_SERIES_LINE, map_plot_series_color(0, 1), 0);
        if (s < 0)
            return MAP_ENOMEM;
        for (size_t i = 0; i < p->n && !rc; i++) {
            const plot_row *r = &p->rows[i];
            rc = k == 1 ? map_chart_push(c, s, r->kl, r->x, r->status == ROW_SATURATED)
                        : map_chart_push(c, s, r->x, r->y, r->status == ROW_SATURATED);
        }
        /* the KL beside each point (the last only when they are many); on
         * the KL axis itself (one value) there is nothing to add */
        for (size_t i = 1; i < p->n && !rc && k > 1; i++) {
            const plot_row *r = &p->rows[i];
            if (p->n > 12 && i + 1 < p->n)
                continue;
            char note[64];
            snprintf(note, sizeof note, "KL %.3g", r->kl);
            rc = map_chart_add_mark(c, MAP_MARK_NOTE, r->x, r->y, note);
        }
        if (k == 1) {
            snprintf(what, sizeof what, "level of %s against the KL", p->o.values[0]);
            if (!rc && p->reference)
                rc = map_chart_add_mark(c, MAP_MARK_REFERENCE, 0.0, p->reference[0], REF_LABEL);
        }
    } else if (vertices || (p->n && isinf(p->rows[0].budget))) {
        /* the unbounded budget: the samples' upper hull */
        snprintf(title, sizeof title, "Pareto frontier at unbounded KL (the samples' hull)");
        const int s = map_chart_add_series(
            c, vertices ? "upper hull of the samples (KL \xe2\x86\x92 \xe2\x88\x9e)"
                        : "limit points (KL \xe2\x86\x92 \xe2\x88\x9e)",
            vertices ? MAP_SERIES_LINE : MAP_SERIES_POINTS, map_plot_series_color(0, 1),
            vertices ? 1 : 0);
        if (s < 0)
            return MAP_ENOMEM;
        for (size_t i = 0; i < p->n && !rc; i++)
            if (!vertices || p->rows[i].status == ROW_VERTEX)
                rc = map_chart_push(c, s, p->rows[i].x, p->rows[i].y, 0);
    } else {
        /* one series per budget, in the order they come */
        size_t nb = 0;
        for (size_t i = 0; i < p->n; i++)
            nb += i == 0 || p->rows[i].budget != p->rows[i - 1].budget;
        snprintf(title, sizeof title, "Pareto frontier%s, " KL_LE, nb > 1 ? "s" : "");
        int s = -1;
        size_t b = 0;
        for (size_t i = 0; i < p->n && !rc; i++) {
            const plot_row *r = &p->rows[i];
            if (i == 0 || r->budget != p->rows[i - 1].budget) {
                snprintf(label, sizeof label, KL_LE "%g nats", r->budget);
                s = map_chart_add_series(c, label, k > 2 ? MAP_SERIES_POINTS : MAP_SERIES_LINE,
                                         map_plot_series_color(b, nb), 0);
                if (s < 0)
                    return MAP_ENOMEM;
                if (nb <= 6)
                    cat(title, sizeof title, "%s%g", b == 0 ? "" : b + 1 == nb ? " and " : ", ",
                        r->budget);

                b++;
            }
            rc = map_chart_push(c, s, r->x, r->y, r->status == ROW_SATURATED);
        }
        if (nb > 6) {
            /* many budgets: their range */
            double lo = INFINITY, hi = -INFINITY;
            for (size_t i = 0; i < p->n; i++) {
                lo = fmin(lo, p->rows[i].budget);
                hi = fmax(hi, p->rows[i].budget);
            }
            cat(title, sizeof title, "%g to %g nats (%zu budgets)", lo, hi, nb);
        } else {
            cat(title, sizeof title, " nats");
        }
        if (saturated && !rc)
            rc = map_chart_set_hollow_label(c, "saturated: the limit point (budget out of reach)");
    }
    if (!rc && (k >= 2 || !p->o.direction))
        rc = mark_reference(p, c, REF_LABEL);
    subtitle(p, what, sub, sizeof sub);
    if (!rc)
        rc = k == 1 ? map_chart_set_text(c, title, sub, "KL (nats)", p->o.values[0])
                    : map_chart_set_text(c, title, sub, p->o.values[0], p->o.values[1]);
    return rc;
}

/* Sorts bounded rows by the angle of their direction measured from straight
 * down, counter-clockwise: the boundary from its vertical edge (right) over
 * the top to its horizontal edge (left). */
static double down_angle(const plot_row *r)
{
    double a = atan2(r->dy, r->dx);
    if (a < -M_PI / 2.0)
        a += 2.0 * M_PI;
    return a;
}

static int by_angle(const void *a, const void *b)
{
    const double x = down_angle(a), y = down_angle(b);
    return (x > y) - (x < y);
}

static int region_chart(const map_plot_table *p, map_chart *c)
{
    const size_t k = p->o.k;
    char sub[512], what[256];
    int rc = MAP_OK;
    plot_row *b = map_mallocarray(p->n ? p->n : 1, sizeof *b);
    if (!b)
        return MAP_ENOMEM;
    size_t nb = 0;
    for (size_t i = 0; i < p->n; i++)
        if (isfinite(p->rows[i].step) && isfinite(p->rows[i].x) && (k < 2 || isfinite(p->rows[i].y)))
            b[nb++] = p->rows[i];
    /* the base palette c0 = target − step·dir */
    double c0[2] = {NAN, NAN};
    if (nb) {
        c0[0] = b[0].x - b[0].step * b[0].dx;
        c0[1] = b[0].y - b[0].step * b[0].dy;
    }
    if (k == 2) {
        qsort(b, nb, sizeof *b, by_angle);
        /* --polygon repeats its first row to close the polygon */
        size_t w = 0;
        for (size_t i = 0; i < nb; i++)
            if (w == 0 || b[i].dx != b[w - 1].dx || b[i].dy != b[w - 1].dy)
                b[w++] = b[i];
        nb = w;
        snprintf(what, sizeof what, "%s and %s", p->o.values[0], p->o.values[1]);
    } else {
        snprintf(what, sizeof what,
                 "first 2 of %zu chosen values (%s, %s), boundary points projected", k,
                 p->o.values[0], p->o.values[1]);
    }
    const int s = map_chart_add_series(c, k == 2 ? "attainable palettes" : "boundary points (projected)",
                                       k == 2 ? MAP_SERIES_DOWNSET : MAP_SERIES_POINTS,
                                       map_plot_region_color, 0);
    if (s < 0)
        rc = MAP_ENOMEM;
    for (size_t i = 0; i < nb && !rc; i++)
        rc = map_chart_push(c, s, b[i].x, b[i].y, 0);
    /* the reference and c0: one mark when they are the same point */
    const double *ref = p->reference;
    int same = 0;
    if (ref && nb) {
        const double tx = 1e-9 * fmax(1.0, fabs(ref[0])), ty = 1e-9 * fmax(1.0, fabs(ref[1]));
        same = fabs(c0[0] - ref[0]) <= tx && fabs(c0[1] - ref[1]) <= ty;
    }
    if (!rc)
        rc = mark_reference(p, c, same ? "reference = base palette c0 (\xce\xbb = 0)" : REF_LABEL);
    if (!rc && !same && nb)
        rc = map_chart_add_mark(c, MAP_MARK_BASE, c0[0], c0[1], "base palette c0");
    /* the view: the boundary's corner, not the far ends of its straight edges */
    if (!rc && k == 2 && nb) {
        double xmax = -INFINITY, ymax = -INFINITY;
        for (size_t i = 0; i < nb; i++) {
            xmax = fmax(xmax, b[i].x);
            ymax = fmax(ymax, b[i].y);
        }
        /* "on an edge": within 1% of the boundary's reach from c0 (the
         * edges run straight, or nearly, from the corner out of view) */
        const double ex = 0.01 * fmax(xmax - c0[0], 1e-12 * fmax(1.0, fabs(xmax)));
        const double ey = 0.01 * fmax(ymax - c0[1], 1e-12 * fmax(1.0, fabs(ymax)));
        double xlo = c0[0], ylo = c0[1];
        if (ref) {
            xlo = fmin(xlo, ref[0]);
            ylo = fmin(ylo, ref[1]);
        }
        /* keep the topmost point of the vertical edge and the rightmost of
         * the horizontal one; the others only extend the edges */
        double top_of_vertical = -INFINITY, right_of_horizontal = -INFINITY;
        for (size_t i = 0; i < nb; i++) {
            if (b[i].x >= xmax - ex)
                top_of_vertical = fmax(top_of_vertical, b[i].y);
            if (b[i].y >= ymax - ey)
                right_of_horizontal = fmax(right_of_horizontal, b[i].x);
        }
        for (size_t i = 0; i < nb; i++) {
            const int on_v = b[i].x >= xmax - ex && b[i].y < top_of_vertical;
            const int on_h = b[i].y >= ymax - ey && b[i].x < right_of_horizontal;
            if (!on_v)
                ylo = fmin(ylo, b[i].y);
            if (!on_h)
                xlo = fmin(xlo, b[i].x);
        }
        /* room below and left of the corner for the edges to show */
        xlo -= 0.12 * (xmax - xlo);
        ylo -= 0.12 * (ymax - ylo);
        map_chart_set_view(c, xlo, xmax, ylo, ymax);
    }
    map_free(b);
    subtitle(p, what, sub, sizeof sub);
    if (!rc)
        rc = map_chart_set_text(c, "Attainable palettes (reachable at a finite KL)", sub,
                                p->o.values[0], p->o.values[1]);
    return rc;
}

map_chart *map_plot_table_chart(const map_plot_table *p)
{
    map_chart *c = map_chart_new();
    if (!c)
        return NULL;
    const int rc = p->o.kind == MAP_PLOT_FRONTIER ? frontier_chart(p, c) : region_chart(p, c);
    if (rc) {
        map_chart_free(c);
        return NULL;
    }
    return c;
}

int map_plot_table_save(const map_plot_table *p, const char *path, map_error *err)
{
    map_chart *c = map_plot_table_chart(p);
    if (!c)
        return map_error_set(err, MAP_ENOMEM, "out of memory drawing the plot");
    const int rc = map_chart_save(c, path, err);
    map_chart_free(c);
    return rc;
}
