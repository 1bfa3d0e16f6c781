/* map_plot.c — the drawing of map_plot.h's charts with cairo (the only
 * file of mapsolve that calls cairo, through the table of map_cairo.h,
 * loaded at the first plot): layout, grid, ticks, series, marks,
 * a legend and labels placed where they cover least, the title, on one
 * page written as SVG (with <title> and <desc> text added) or PNG to a
 * callback. The model, ticks and files are in map_chart.c. */
#include "map_plot_internal.h"

#include "map_cairo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Under LeakSanitizer (the sanitizer build of the tests): fontconfig, which
 * cairo asks for fonts, keeps its configuration and the patterns of
 * cairo's font cache for the life of the process in memory LSan cannot
 * trace, and reports them as leaks at exit. Those allocations, and only
 * those (a stack through libfontconfig), are not reported; the hook is
 * unused in other builds. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig.so\n"; }
/* (quietly: a command's stderr stays as it is in other builds) */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) { return "print_suppressions=0"; }

static const map_rgb ink = {0.13, 0.13, 0.13};
static const map_rgb grey = {0.40, 0.40, 0.40};
static const map_rgb vermilion = {0.835, 0.369, 0.0};

/* ---- drawing ------------------------------------------------------------ */

/* The page's layout and the data-to-page map. */
typedef struct frame {
    double left, right, top, bottom; /* the plot area on the page */
    char sub[2][512];                /* the subtitle in one or two lines */
    size_t nsub;
    double xlo, xhi, ylo, yhi;       /* the view */
    double xt[24], yt[24];           /* ticks */
    size_t nxt, nyt;
    double xstep, ystep;
} frame;

static double fx(const frame *f, double x)
{
    return f->left + (x - f->xlo) / (f->xhi - f->xlo) * (f->right - f->left);
}
static double fy(const frame *f, double y)
{
    return f->bottom - (y - f->ylo) / (f->yhi - f->ylo) * (f->bottom - f->top);
}

static void set_rgb(cairo_t *cr, map_rgb c) { map_cairo.cairo_set_source_rgb(cr, c.r, c.g, c.b); }

static void font(cairo_t *cr, double size, int bold)
{
    map_cairo.cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    map_cairo.cairo_set_font_size(cr, size);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    map_cairo.cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* Writes s with its baseline at y; align 0 left, 0.5 centred, 1 right of x. */
static void text_at(cairo_t *cr, double x, double y, double align, const char *s)
{
    map_cairo.cairo_move_to(cr, x - align * text_width(cr, s), y);
    map_cairo.cairo_show_text(cr, s);
}

/* As text_at, with a white halo so it reads over lines and fills. */
static void text_halo(cairo_t *cr, double x, double y, double align, const char *s, map_rgb c)
{
    map_cairo.cairo_move_to(cr, x - align * text_width(cr, s), y);
    map_cairo.cairo_text_path(cr, s);
    map_cairo.cairo_set_source_rgb(cr, 1, 1, 1);
    map_cairo.cairo_set_line_width(cr, 3.2);
    map_cairo.cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    map_cairo.cairo_stroke_preserve(cr);
    set_rgb(cr, c);
    map_cairo.cairo_fill(cr);
}

/* Extends [*lo, *hi] by v when v is finite. */
static void grow(double *lo, double *hi, double v)
{
    if (!isfinite(v))
        return;
    if (v < *lo)
        *lo = v;
    if (v > *hi)
        *hi = v;
}

/* The view: the data's bounding box (or the fixed view), padded by 4% of
 * the span on every side; a flat axis gets a span of its own. */
static void fit_view(const map_chart *c, frame *f)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < c->ns; i++)
        for (size_t j = 0; j < c->s[i].n; j++)
            if (isfinite(c->s[i].pt[j].x) && isfinite(c->s[i].pt[j].y)) {
                grow(&x0, &x1, c->s[i].pt[j].x);
                grow(&y0, &y1, c->s[i].pt[j].y);
            }
    for (size_t i = 0; i < c->nm; i++) {
        grow(&x0, &x1, c->m[i].x);
        grow(&y0, &y1, c->m[i].y);
    }
    if (!isnan(c->view[0]))
        x0 = c->view[0];
    if (!isnan(c->view[1]))
        x1 = c->view[1];
    if (!isnan(c->view[2]))
        y0 = c->view[2];
    if (!isnan(c->view[3]))
        y1 = c->view[3];
    double *lo[2] = {&x0, &y0}, *hi[2] = {&x1, &y1};
    for (int a = 0; a < 2; a++) {
        if (!isfinite(*lo[a]) || !isfinite(*hi[a])) {
            *lo[a] = 0.0;
            *hi[a] = 1.0;
        }
        if (*hi[a] - *lo[a] <= 1e-12 * fmax(1.0, fabs(*hi[a]))) {
            const double h = fmax(0.5 * fabs(*hi[a]), 0.5);
            *lo[a] -= h;
            *hi[a] += h;
        }
        const double pad = 0.04 * (*hi[a] - *lo[a]);
        *lo[a] -= pad;
        *hi[a] += pad;
    }
    f->xlo = x0;
    f->xhi = x1;
    f->ylo = y0;
    f->yhi = y1;
}

/* The page's layout around the tick labels' widths. */
static void layout(cairo_t *cr, const map_chart *c, frame *f)
{
    fit_view(c, f);
    f->nxt = map_plot_ticks(f->xlo, f->xhi, f->xt, 24, &f->xstep);
    f->nyt = map_plot_ticks(f->ylo, f->yhi, f->yt, 24, &f->ystep);
    font(cr, 12.5, 0);
    double wmax = 0.0;
    for (size_t i = 0; i < f->nyt; i++) {
        char b[48];
        map_plot_tick_label(f->yt[i], f->ystep, b, sizeof b);
        wmax = fmax(wmax, text_width(cr, b));
    }
    f->left = 18.0 + 18.0 + 10.0 + wmax + 8.0;
    f->right = MAP_PLOT_WIDTH - 30.0;
    f->bottom = MAP_PLOT_HEIGHT - 66.0;
    /* a subtitle wider than the page breaks at the " · " nearest its middle */
    f->nsub = 0;
    const char *sub = c->subtitle ? c->subtitle : "";
    if (sub[0]) {
        font(cr, 13.0, 0);
        snprintf(f->sub[0], sizeof f->sub[0], "%s", sub);
        f->nsub = 1;
        const char *sep = " \xc2\xb7 ";
        if (text_width(cr, sub) > MAP_PLOT_WIDTH - 40.0) {
            const size_t len = strlen(sub);
            const char *best = NULL;
            for (const char *q = strstr(sub, sep); q; q = strstr(q + 1, sep))
                if (!best || fabs((double)(q - sub) - 0.5 * (double)len) <
                                 fabs((double)(best - sub) - 0.5 * (double)len))
                    best = q;
            if (best) {
                snprintf(f->sub[0], sizeof f->sub[0], "%.*s", (int)(best - sub), sub);
                snprintf(f->sub[1], sizeof f->sub[1], "%s", best + strlen(sep));
                f->nsub = 2;
            }
        }
    }
    f->top = 62.0 + 20.0 * (double)f->nsub;
}

static void draw_axes(cairo_t *cr, const map_chart *c, const frame *f)
{
    /* grid */
    map_cairo.cairo_set_line_width(cr, 0.8);
    map_cairo.cairo_set_source_rgb(cr, 0.90, 0.90, 0.90);
    for (size_t i = 0; i < f->nxt; i++) {
        const double x = round(fx(f, f->xt[i])) + 0.5;
        map_cairo.cairo_move_to(cr, x, f->top);
        map_cairo.cairo_line_to(cr, x, f->bottom);
    }
    for (size_t i = 0; i < f->nyt; i++) {
        const double y = round(fy(f, f->yt[i])) + 0.5;
        map_cairo.cairo_move_to(cr, f->left, y);
        map_cairo.cairo_line_to(cr, f->right, y);
    }
    map_cairo.cairo_stroke(cr);
    /* ticks and their labels */
    set_rgb(cr, ink);
    map_cairo.cairo_set_line_width(cr, 1.0);
    font(cr, 12.5, 0);
    for (size_t i = 0; i < f->nxt; i++) {
        char b[48];
        const double x = round(fx(f, f->xt[i])) + 0.5;
        map_cairo.cairo_move_to(cr, x, f->bottom);
        map_cairo.cairo_line_to(cr, x, f->bottom + 5.0);
        map_cairo.cairo_stroke(cr);
        map_plot_tick_label(f->xt[i], f->xstep, b, sizeof b);
        text_at(cr, x, f->bottom + 20.0, 0.5, b);
    }
    for (size_t i = 0; i < f->nyt; i++) {
        char b[48];
        const double y = round(fy(f, f->yt[i])) + 0.5;
        map_cairo.cairo_move_to(cr, f->left - 5.0, y);
        map_cairo.cairo_line_to(cr, f->left, y);
        map_cairo.cairo_stroke(cr);
        map_plot_tick_label(f->yt[i], f->ystep, b, sizeof b);
        text_at(cr, f->left - 8.0, y + 4.5, 1.0, b);
    }
    /* the frame */
    map_cairo.cairo_set_line_width(cr, 1.0);
    map_cairo.cairo_rectangle(cr, round(f->left) + 0.5, round(f->top) + 0.5, round(f->right - f->left),
                    round(f->bottom - f->top));
    map_cairo.cairo_stroke(cr);
    /* axis labels */
    font(cr, 14.5, 0);
    text_at(cr, 0.5 * (f->left + f->right), f->bottom + 48.0, 0.5, c->xlabel);
    map_cairo.cairo_save(cr);
    map_cairo.cairo_translate(cr, 28.0, 0.5 * (f->top + f->bottom));
    map_cairo.cairo_rotate(cr, -M_PI / 2.0);
    text_at(cr, 0.0, 0.0, 0.5, c->ylabel);
    map_cairo.cairo_restore(cr);
    /* title and subtitle */
    /* a title wider than the page is set smaller, down to 12 pt */
    font(cr, 18.0, 1);
    const double tw = text_width(cr, c->title), room = MAP_PLOT_WIDTH - 32.0;
    if (tw > room)
        font(cr, fmax(12.0, 18.0 * room / tw), 1);
    text_at(cr, 0.5 * MAP_PLOT_WIDTH, 34.0, 0.5, c->title);
    font(cr, 13.0, 0);
    set_rgb(cr, grey);
    for (size_t i = 0; i < f->nsub; i++)
        text_at(cr, 0.5 * MAP_PLOT_WIDTH, 58.0 + 18.0 * (double)i, 0.5, f->sub[i]);
}

static void marker(cairo_t *cr, double x, double y, double r, map_rgb c, int hollow)
{
    map_cairo.cairo_new_sub_path(cr);
    map_cairo.cairo_arc(cr, x, y, r, 0.0, 2.0 * M_PI);
    if (hollow) {
        map_cairo.cairo_set_source_rgb(cr, 1, 1, 1);
        map_cairo.cairo_fill_preserve(cr);
        set_rgb(cr, c);
        map_cairo.cairo_set_line_width(cr, 1.5);
        map_cairo.cairo_stroke(cr);
    } else {
        set_rgb(cr, c);
        map_cairo.cairo_fill_preserve(cr);
        map_cairo.cairo_set_source_rgb(cr, 1, 1, 1);
        map_cairo.cairo_set_line_width(cr, 0.9);
        map_cairo.cairo_stroke(cr);
    }
}

static void line_style(cairo_t *cr, const chart_series *s)
{
    static const double dash[] = {7.0, 4.0};
    map_cairo.cairo_set_dash(cr, dash, s->dashed ? 2 : 0, 0.0);
    map_cairo.cairo_set_line_width(cr, 2.4);
    map_cairo.cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    map_cairo.cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    set_rgb(cr, s->color);
}

static int finite_pt(const chart_point *p) { return isfinite(p->x) && isfinite(p->y); }

/* A DOWNSET series: the light fill, then its boundary. Far is a distance
 * beyond every edge of the view, in data units of each axis. */
static void draw_downset(cairo_t *cr, const chart_series *s, const frame *f)
{
    size_t first = s->n, last = 0;
    for (size_t j = 0; j < s->n; j++)
        if (finite_pt(&s->pt[j])) {
            if (first == s->n)
                first = j;
            last = j;
        }
    if (first == s->n)
        return;
    const double farx = f->xlo - (f->xhi - f->xlo), fary = f->ylo - (f->yhi - f->ylo);
    const chart_point *a = &s->pt[first], *b = &s->pt[last];
    map_cairo.cairo_move_to(cr, fx(f, a->x), fy(f, fary));
    for (size_t j = first; j <= last; j++)
        if (finite_pt(&s->pt[j]))
            map_cairo.cairo_line_to(cr, fx(f, s->pt[j].x), fy(f, s->pt[j].y));
    map_cairo.cairo_line_to(cr, fx(f, farx), fy(f, b->y));
    map_cairo.cairo_line_to(cr, fx(f, farx), fy(f, fary));
    map_cairo.cairo_close_path(cr);
    map_cairo.cairo_set_source_rgba(cr, s->color.r, s->color.g, s->color.b, 0.14);
    map_cairo.cairo_fill(cr);
    line_style(cr, s);
    map_cairo.cairo_move_to(cr, fx(f, a->x), fy(f, fary));
    for (size_t j = first; j <= last; j++)
        if (finite_pt(&s->pt[j]))
            map_cairo.cairo_line_to(cr, fx(f, s->pt[j].x), fy(f, s->pt[j].y));
    map_cairo.cairo_line_to(cr, fx(f, farx), fy(f, b->y));
    map_cairo.cairo_stroke(cr);
    for (size_t j = first; j <= last; j++)
        if (finite_pt(&s->pt[j]))
            marker(cr, fx(f, s->pt[j].x), fy(f, s->pt[j].y), 2.8, s->color, s->pt[j].hollow);
}

static void draw_series(cairo_t *cr, const chart_series *s, const frame *f)
{
    if (s->style == MAP_SERIES_DOWNSET) {
        draw_downset(cr, s, f);
        return;
    }
    if (s->style == MAP_SERIES_LINE) {
        line_style(cr, s);
        int pen = 0;
        for (size_t j = 0; j < s->n; j++) {
            if (!finite_pt(&s->pt[j])) {
                pen = 0;
                continue;
            }
            const double x = fx(f, s->pt[j].x), y = fy(f, s->pt[j].y);
            if (pen)
                map_cairo.cairo_line_to(cr, x, y);
            else
                map_cairo.cairo_move_to(cr, x, y);
            pen = 1;
        }
        map_cairo.cairo_stroke(cr);
        map_cairo.cairo_set_dash(cr, NULL, 0, 0.0);
    }
    const double r = s->style == MAP_SERIES_LINE ? 3.6 : 3.2;
    for (size_t j = 0; j < s->n; j++)
        if (finite_pt(&s->pt[j]))
            marker(cr, fx(f, s->pt[j].x), fy(f, s->pt[j].y), r, s->color, s->pt[j].hollow);
}

static void mark_symbol(cairo_t *cr, map_mark_shape shape, double x, double y)
{
    if (shape == MAP_MARK_REFERENCE) {
        map_cairo.cairo_new_sub_path(cr);
        map_cairo.cairo_arc(cr, x, y, 5.5, 0.0, 2.0 * M_PI);
        set_rgb(cr, ink);
        map_cairo.cairo_fill_preserve(cr);
        map_cairo.cairo_set_source_rgb(cr, 1, 1, 1);
        map_cairo.cairo_set_line_width(cr, 1.5);
        map_cairo.cairo_stroke(cr);
    } else if (shape == MAP_MARK_BASE) {
        const double d = 7.0;
        map_cairo.cairo_move_to(cr, x, y - d);
        map_cairo.cairo_line_to(cr, x + d, y);
        map_cairo.cairo_line_to(cr, x, y + d);
        map_cairo.cairo_line_to(cr, x - d, y);
        map_cairo.cairo_close_path(cr);
        set_rgb(cr, vermilion);
        map_cairo.cairo_fill_preserve(cr);
        map_cairo.cairo_set_source_rgb(cr, 1, 1, 1);
        map_cairo.cairo_set_line_width(cr, 1.5);
        map_cairo.cairo_stroke(cr);
    }
}

/* ---- placing the legend and the labels ---------------------------------- */

/* What a legend or a label should not cover: points on the page along every
 * drawn line (a few points apart) and at every marker, and the boxes
 * already taken. */
typedef struct placer {
    double *pt; /* x, y pairs */
    size_t n, cap;
    double box[64][4]; /* x0, y0, x1, y1 */
    size_t nbox;
} placer;

static void obstacle(placer *pl, double x, double y)
{
    if (pl->n == pl->cap) {
        const size_t cap = pl->cap ? 2 * pl->cap : 1024;
        double *p = map_reallocarray(pl->pt, 2 * cap, sizeof *p);
        if (!p)
            return; /* fewer obstacles: a worse place, not a failure */
        pl->pt = p;
        pl->cap = cap;
    }
    pl->pt[2 * pl->n] = x;
    pl->pt[2 * pl->n + 1] = y;
    pl->n++;
}

/* The segment from (x0, y0) to (x1, y1) on the page, sampled. */
static void obstacle_segment(placer *pl, double x0, double y0, double x1, double y1)
{
    const double len = hypot(x1 - x0, y1 - y0);
    const int k = (int)fmin(ceil(len / 3.0), 2000.0);
    for (int i = 0; i <= k; i++) {
        const double t = k ? (double)i / k : 0.0;
        obstacle(pl, x0 + t * (x1 - x0), y0 + t * (y1 - y0));
    }
}

static void collect_obstacles(placer *pl, const map_chart *c, const frame *f)
{
    for (size_t i = 0; i < c->ns; i++) {
        const chart_series *s = &c->s[i];
        const chart_point *prev = NULL;
        for (size_t j = 0; j < s->n; j++) {
            const chart_point *p = &s->pt[j];
            if (!finite_pt(p)) {
                prev = NULL;
                continue;
            }
            obstacle(pl, fx(f, p->x), fy(f, p->y));
            if (prev && s->style != MAP_SERIES_POINTS)
                obstacle_segment(pl, fx(f, prev->x), fy(f, prev->y), fx(f, p->x), fy(f, p->y));
            prev = p;
        }
    }
    for (size_t i = 0; i < c->nm; i++)
        if (c->m[i].shape != MAP_MARK_NOTE)
            for (int dx = -1; dx <= 1; dx++)
                for (int dy = -1; dy <= 1; dy++)
                    obstacle(pl, fx(f, c->m[i].x) + 5.0 * dx, fy(f, c->m[i].y) + 5.0 * dy);
}

/* How much of what matters the box covers: obstacles (with a margin), the
 * boxes taken (heavily), and anything outside the plot area. */
static double box_cost(const placer *pl, const frame *f, double x0, double y0, double x1, double y1)
{
    double cost = 0.0;
    const double m = 3.0;
    for (size_t i = 0; i < pl->n; i++) {
        const double x = pl->pt[2 * i], y = pl->pt[2 * i + 1];
        if (x >= x0 - m && x <= x1 + m && y >= y0 - m && y <= y1 + m)
            cost += 1.0;
    }
    for (size_t b = 0; b < pl->nbox; b++)
        if (x0 < pl->box[b][2] && x1 > pl->box[b][0] && y0 < pl->box[b][3] && y1 > pl->box[b][1])
            cost += 1000.0;
    if (x0 < f->left + 2.0 || x1 > f->right - 2.0 || y0 < f->top + 2.0 || y1 > f->bottom - 2.0)
        cost += 500.0;
    return cost;
}

static void take_box(placer *pl, double x0, double y0, double x1, double y1)
{
    if (pl->nbox < sizeof pl->box / sizeof pl->box[0]) {
        double *b = pl->box[pl->nbox++];
        b[0] = x0, b[1] = y0, b[2] = x1, b[3] = y1;
    }
}

static void draw_marks(cairo_t *cr, const map_chart *c, const frame *f, placer *pl)
{
    for (size_t i = 0; i < c->nm; i++)
        mark_symbol(cr, c->m[i].shape, fx(f, c->m[i].x), fy(f, c->m[i].y));
    for (size_t i = 0; i < c->nm; i++) {
        const chart_mark *m = &c->m[i];
        if (!m->label[0])
            continue;
        const int note = m->shape == MAP_MARK_NOTE;
        const double x = fx(f, m->x), y = fy(f, m->y);
        font(cr, note ? 11.5 : 12.5, 0);
        const double w = text_width(cr, m->label), h = note ? 9.0 : 10.0;
        const double g = note ? 6.0 : 9.0;
        /* right-above, left-above, right-below, left-below, right, left: the
         * first that covers least (text box: left x0, baseline yb) */
        const double cand[6][2] = {{x + g, y - g},      {x - g - w, y - g},
                                   {x + g, y + g + h},  {x - g - w, y + g + h},
                                   {x + g + 2.0, y + 0.5 * h}, {x - g - 2.0 - w, y + 0.5 * h}};
        double best = INFINITY, bx = cand[0][0], by = cand[0][1];
        for (int k = 0; k < 6; k++) {
            const double cost = box_cost(pl, f, cand[k][0], cand[k][1] - h, cand[k][0] + w, cand[k][1] + 2.0);
            if (cost < best) {
                best = cost;
                bx = cand[k][0];
                by = cand[k][1];
            }
        }
        take_box(pl, bx - 2.0, by - h - 2.0, bx + w + 2.0, by + 4.0);
        text_halo(cr, bx, by, 0.0, m->label, note ? grey : ink);
    }
}

/* ---- legend ------------------------------------------------------------- */

/* Whether (x, y) in data units lies in the down-set of a DOWNSET series. */
static int in_downset(const map_chart *c, double x, double y)
{
    for (size_t i = 0; i < c->ns; i++)
        if (c->s[i].style == MAP_SERIES_DOWNSET)
            for (size_t j = 0; j < c->s[i].n; j++)
                if (c->s[i].pt[j].x >= x && c->s[i].pt[j].y >= y)
                    return 1;
    return 0;
}

/* The legend's size, content and place. */
typedef struct legend {
    size_t n;    /* entries */
    int hollow;  /* the open-marker entry is one of them */
    double wmax; /* the widest label */
    double wid[64]; /* each entry's label width (the first 64) */
    size_t cols; /* entries per row: 1 inside the plot area, more below it */
    double w, h;
    double x, y; /* top left, once placed */
} legend;

#define LEG_PAD 9.0
#define LEG_ROW 21.0
#define LEG_SWATCH 30.0
#define LEG_GAP 22.0 /* between columns */

/* The width of column j when entries go row by row in cols columns. */
static double legend_colw(const legend *lg, size_t j)
{
    double w = 0.0;
    for (size_t e = j; e < lg->n; e += lg->cols)
        w = fmax(w, e < 64 ? lg->wid[e] : lg->wmax);
    return LEG_SWATCH + 8.0 + w;
}

static void legend_shape(legend *lg, size_t cols)
{
    const size_t rows = (lg->n + cols - 1) / cols;
    lg->cols = cols;
    lg->w = 2.0 * LEG_PAD + (double)(cols - 1) * LEG_GAP;
    for (size_t j = 0; j < cols; j++)
        lg->w += legend_colw(lg, j);
    lg->h = 2.0 * LEG_PAD + LEG_ROW * (double)rows - 4.0;
}

static void legend_add(legend *lg, double w)
{
    if (lg->n < 64)
        lg->wid[lg->n] = w;
    lg->n++;
    lg->wmax = fmax(lg->wmax, w);
}

static void legend_size(cairo_t *cr, const map_chart *c, legend *lg)
{
    memset(lg, 0, sizeof *lg);
    font(cr, 12.5, 0);
    for (size_t i = 0; i < c->ns; i++)
        if (c->s[i].label && c->s[i].n)
            legend_add(lg, text_width(cr, c->s[i].label));
    for (size_t i = 0; i < c->nm; i++)
        if (c->m[i].shape != MAP_MARK_NOTE)
            legend_add(lg, text_width(cr, c->m[i].label));
    for (size_t i = 0; i < c->ns && c->hollow && c->hollow[0]; i++)
        for (size_t j = 0; j < c->s[i].n; j++)
            lg->hollow |= c->s[i].pt[j].hollow;
    if (lg->hollow)
        legend_add(lg, text_width(cr, c->hollow));
    legend_shape(lg, 1);
}

/* Places the legend inside the plot area where it covers nothing (corners
 * first, then the middles of the top and bottom edges; a spot inside a
 * filled set costs a little). Returns 0 when every spot covers something. */
static int legend_inside(const map_chart *c, const frame *f, const placer *pl, legend *lg)
{
    const double in = 10.0, w = lg->w, h = lg->h;
    const double cand[6][2] = {{f->right - in - w, f->top + in}, {f->left + in, f->top + in},
                               {f->right - in - w, f->bottom - in - h},
                               {f->left + in, f->bottom - in - h},
                               {0.5 * (f->left + f->right - w), f->top + in},
                               {0.5 * (f->left + f->right - w), f->bottom - in - h}};
    double best = INFINITY;
    for (int k = 0; k < 6; k++) {
        const double x0 = cand[k][0], y0 = cand[k][1];
        double cost = box_cost(pl, f, x0, y0, x0 + w, y0 + h);
        const double cx = f->xlo + (x0 + 0.5 * w - f->left) / (f->right - f->left) * (f->xhi - f->xlo);
        const double cy = f->ylo + (f->bottom - (y0 + 0.5 * h)) / (f->bottom - f->top) * (f->yhi - f->ylo);
        if (in_downset(c, cx, cy))
            cost += 0.5;
        if (cost < best) {
            best = cost;
            lg->x = x0;
            lg->y = y0;
        }
    }
    return best < 1.0;
}

/* The swatch and label of legend entry e at (x, y) (y the row's middle). */
static void legend_entry(cairo_t *cr, const map_chart *c, const legend *lg, size_t e, double x,
                         double y)
{
    const double sw = LEG_SWATCH;
    size_t k = 0;
    const char *label = NULL;
    for (size_t i = 0; i < c->ns && !label; i++) {
        const chart_series *s = &c->s[i];
        if (!s->label || !s->n || k++ != e)
            continue;
        label = s->label;
        if (s->style == MAP_SERIES_DOWNSET) {
            map_cairo.cairo_rectangle(cr, x, y - 6.0, sw, 12.0);
            map_cairo.cairo_set_source_rgba(cr, s->color.r, s->color.g, s->color.b, 0.14);
            map_cairo.cairo_fill(cr);
            line_style(cr, s);
            map_cairo.cairo_move_to(cr, x, y - 6.0);
            map_cairo.cairo_line_to(cr, x + sw, y - 6.0);
            map_cairo.cairo_stroke(cr);
        } else {
            if (s->style == MAP_SERIES_LINE) {
                line_style(cr, s);
                map_cairo.cairo_move_to(cr, x, y);
                map_cairo.cairo_line_to(cr, x + sw, y);
                map_cairo.cairo_stroke(cr);
                map_cairo.cairo_set_dash(cr, NULL, 0, 0.0);
            }
            marker(cr, x + 0.5 * sw, y, 3.6, s->color, 0);
        }
    }
    for (size_t i = 0; i < c->nm && !label; i++) {
        if (c->m[i].shape == MAP_MARK_NOTE || k++ != e)
            continue;
        label = c->m[i].label;
        mark_symbol(cr, c->m[i].shape, x + 0.5 * sw, y);
    }
    if (!label && lg->hollow) {
        label = c->hollow;
        marker(cr, x + 0.5 * sw, y, 3.6, grey, 1);
    }
    set_rgb(cr, ink);
    font(cr, 12.5, 0);
    text_at(cr, x + sw + 8.0, y + 4.5, 0.0, label ? label : "");
}

static void draw_legend(cairo_t *cr, const map_chart *c, const legend *lg)
{
    if (lg->n == 0)
        return;
    map_cairo.cairo_rectangle(cr, lg->x, lg->y, lg->w, lg->h);
    map_cairo.cairo_set_source_rgba(cr, 1, 1, 1, 0.92);
    map_cairo.cairo_fill_preserve(cr);
    map_cairo.cairo_set_source_rgb(cr, 0.78, 0.78, 0.78);
    map_cairo.cairo_set_line_width(cr, 0.8);
    map_cairo.cairo_stroke(cr);
    for (size_t e = 0; e < lg->n; e++) {
        double x = lg->x + LEG_PAD;
        for (size_t j = 0; j < e % lg->cols; j++)
            x += legend_colw(lg, j) + LEG_GAP;
        legend_entry(cr, c, lg, e, x,
                     lg->y + LEG_PAD + 0.5 * LEG_ROW - 2.0 + (double)(e / lg->cols) * LEG_ROW);
    }
}

/* Draws the whole page on cr (in points). The legend goes inside the plot
 * area where it covers nothing; else, when making room at the bottom or the
 * top of the view costs the data at most 30% of the height, there; else in
 * columns under the plot. */
static void draw(cairo_t *cr, const map_chart *c)
{
    frame f;
    memset(&f, 0, sizeof f);
    placer pl;
    memset(&pl, 0, sizeof pl);
    legend lg;
    map_cairo.cairo_set_source_rgb(cr, 1, 1, 1);
    map_cairo.cairo_paint(cr);
    map_chart view = *c; /* the view may grow: a shallow copy to change it */
    layout(cr, &view, &f);
    legend_size(cr, c, &lg);
    collect_obstacles(&pl, c, &f);
    int placed = lg.n == 0 || legend_inside(c, &f, &pl, &lg);
    const double ph = f.bottom - f.top, room = lg.h + 20.0;
    for (int side = 0; side < 2 && !placed && room <= 0.3 * ph; side++) {
        /* the data's span kept, the view stretched to leave room */
        const double ylo = f.ylo, yhi = f.yhi, grow = (yhi - ylo) * room / (ph - room);
        view.view[0] = f.xlo;
        view.view[1] = f.xhi;
        view.view[2] = side == 0 ? ylo - grow : ylo;
        view.view[3] = side == 0 ? yhi : yhi + grow;
        /* layout pads by 4% again: take it back out */
        const double sp = view.view[3] - view.view[2], sx = view.view[1] - view.view[0];
        view.view[2] += 0.04 / 1.08 * sp;
        view.view[3] -= 0.04 / 1.08 * sp;
        view.view[0] += 0.04 / 1.08 * sx;
        view.view[1] -= 0.04 / 1.08 * sx;
        frame g;
        memset(&g, 0, sizeof g);
        layout(cr, &view, &g);
        pl.n = 0;
        collect_obstacles(&pl, c, &g);
        if (legend_inside(c, &g, &pl, &lg)) {
            f = g;
            placed = 1;
        }
    }
    if (!placed) {
        view = *c;
        layout(cr, &view, &f);
        size_t cols = lg.n;
        legend_shape(&lg, cols);
        while (cols > 1 && lg.w > MAP_PLOT_WIDTH - 40.0)
            legend_shape(&lg, --cols);
        f.bottom -= lg.h + 12.0;
        lg.x = 0.5 * (MAP_PLOT_WIDTH - lg.w);
        lg.y = MAP_PLOT_HEIGHT - 8.0 - lg.h;
        pl.n = 0;
        collect_obstacles(&pl, c, &f);
    }
    if (lg.n)
        take_box(&pl, lg.x, lg.y, lg.x + lg.w, lg.y + lg.h);
    draw_axes(cr, &view, &f);
    map_cairo.cairo_save(cr);
    map_cairo.cairo_rectangle(cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
    map_cairo.cairo_clip(cr);
    for (size_t i = 0; i < c->ns; i++)
        if (c->s[i].style == MAP_SERIES_DOWNSET)
            draw_series(cr, &c->s[i], &f);
    for (size_t i = 0; i < c->ns; i++)
        if (c->s[i].style != MAP_SERIES_DOWNSET)
            draw_series(cr, &c->s[i], &f);
    draw_marks(cr, c, &f, &pl);
    map_cairo.cairo_restore(cr);
    draw_legend(cr, c, &lg);
    map_free(pl.pt);
}

/* ---- output ------------------------------------------------------------- */

/* A growing byte buffer (the SVG before its <title> goes in). */
typedef struct buffer {
    unsigned char *p;
    size_t n, cap;
    int failed;
} buffer;

static int buf_add(buffer *b, const void *data, size_t len)
{
    if (b->failed)
        return -1;
    if (b->n + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + len)
            cap *= 2;
        unsigned char *p = map_realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return -1;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    return 0;
}

static cairo_status_t buf_write(void *ctx, const unsigned char *data, unsigned int len)
{
    return buf_add(ctx, data, len) ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

static int buf_str(buffer *b, const char *s) { return buf_add(b, s, strlen(s)); }

/* s with XML's special characters escaped. */
static int buf_xml(buffer *b, const char *s)
{
    int rc = 0;
    for (; *s && !rc; s++) {
        switch (*s) {
        case '&': rc = buf_str(b, "&amp;"); break;
        case '<': rc = buf_str(b, "&lt;"); break;
        case '>': rc = buf_str(b, "&gt;"); break;
        case '"': rc = buf_str(b, "&quot;"); break;
        default: rc = buf_add(b, s, 1);
        }
    }
    return rc;
}

/* The <title> and <desc> elements describing c. */
static int svg_meta(buffer *b, const map_chart *c)
{
    char num[96];
    buf_str(b, "\n<title>");
    buf_xml(b, c->title);
    buf_str(b, "</title>\n<desc>");
    if (c->subtitle && c->subtitle[0]) {
        buf_xml(b, c->subtitle);
        buf_str(b, ". ");
    }
    buf_str(b, "x axis: ");
    buf_xml(b, c->xlabel);
    buf_str(b, "; y axis: ");
    buf_xml(b, c->ylabel);
    buf_str(b, ".");
    for (size_t i = 0; i < c->ns; i++) {
        if (!c->s[i].label)
            continue;
        buf_str(b, " Series ");
        buf_xml(b, c->s[i].label);
        snprintf(num, sizeof num, ": %zu points.", c->s[i].n);
        buf_str(b, num);
    }
    for (size_t i = 0; i < c->nm; i++) {
        if (c->m[i].shape == MAP_MARK_NOTE)
            continue;
        buf_str(b, " Mark ");
        buf_xml(b, c->m[i].label);
        snprintf(num, sizeof num, " at (%.6g, %.6g).", c->m[i].x, c->m[i].y);
        buf_str(b, num);
    }
    return buf_str(b, "</desc>");
}

typedef struct sink_ctx {
    int (*write)(void *ctx, const unsigned char *data, size_t len);
    void *ctx;
    int failed;
} sink_ctx;

static cairo_status_t sink_write(void *ctx, const unsigned char *data, unsigned int len)
{
    sink_ctx *s = ctx;
    if (s->write(s->ctx, data, len)) {
        s->failed = 1;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

static int cairo_failed(cairo_status_t st, map_error *err)
{
    return map_error_set(err, MAP_ENOMEM, "cannot draw the plot: %s", map_cairo.cairo_status_to_string(st));
}

static int render_png(const map_chart *c, sink_ctx *sk, map_error *err)
{
    cairo_surface_t *sf = map_cairo.cairo_image_surface_create(
        CAIRO_FORMAT_RGB24, MAP_PLOT_WIDTH * MAP_PLOT_PNG_SCALE, MAP_PLOT_HEIGHT * MAP_PLOT_PNG_SCALE);
    cairo_t *cr = map_cairo.cairo_create(sf);
    map_cairo.cairo_scale(cr, MAP_PLOT_PNG_SCALE, MAP_PLOT_PNG_SCALE);
    draw(cr, c);
    cairo_status_t st = map_cairo.cairo_status(cr);
    map_cairo.cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS)
        st = map_cairo.cairo_surface_write_to_png_stream(sf, sink_write, sk);
    map_cairo.cairo_surface_destroy(sf);
    if (sk->failed)
        return map_error_set(err, MAP_ENOMEM, "cannot write the plot");
    return st == CAIRO_STATUS_SUCCESS ? MAP_OK : cairo_failed(st, err);
}

static int render_svg(const map_chart *c, sink_ctx *sk, map_error *err)
{
    buffer b = {0};
    cairo_surface_t *sf =
        map_cairo.cairo_svg_surface_create_for_stream(buf_write, &b, MAP_PLOT_WIDTH, MAP_PLOT_HEIGHT);
    map_cairo.cairo_svg_surface_set_document_unit(sf, CAIRO_SVG_UNIT_PX);
    cairo_t *cr = map_cairo.cairo_create(sf);
    draw(cr, c);
    cairo_status_t st = map_cairo.cairo_status(cr);
    map_cairo.cairo_destroy(cr);
    map_cairo.cairo_surface_finish(sf);
    if (st == CAIRO_STATUS_SUCCESS)
        st = map_cairo.cairo_surface_status(sf);
    map_cairo.cairo_surface_destroy(sf);
    int rc = MAP_OK;
    if (b.failed)
        rc = map_error_set(err, MAP_ENOMEM, "out of memory drawing the plot");
    else if (st != CAIRO_STATUS_SUCCESS)
        rc = cairo_failed(st, err);
    /* the title and description go first inside <svg ...> */
    const unsigned char *open = NULL;
    if (!rc) {
        for (size_t i = 0; i + 4 < b.n && !open; i++)
            if (memcmp(b.p + i, "<svg", 4) == 0)
                open = memchr(b.p + i, '>', b.n - i);
        if (!open)
            rc = map_error_set(err, MAP_ENOMEM, "cannot draw the plot: no <svg> element");
    }
    if (!rc) {
        buffer meta = {0};
        svg_meta(&meta, c);
        const size_t head = (size_t)(open - b.p) + 1;
        if (meta.failed)
            rc = map_error_set(err, MAP_ENOMEM, "out of memory drawing the plot");
        else if (sk->write(sk->ctx, b.p, head) || sk->write(sk->ctx, meta.p, meta.n) ||
                 sk->write(sk->ctx, b.p + head, b.n - head))
            rc = map_error_set(err, MAP_ENOMEM, "cannot write the plot");
        map_free(meta.p);
    }
    map_free(b.p);
    return rc;
}

int map_chart_render(const map_chart *c, map_plot_format f,
                     int (*write)(void *ctx, const unsigned char *data, size_t len), void *ctx,
                     map_error *err)
{
    sink_ctx sk = {write, ctx, 0};
    const int rc = map_cairo_load(err);
    if (rc)
        return rc;
    if (f == MAP_PLOT_PNG)
        return render_png(c, &sk, err);
    if (f == MAP_PLOT_SVG)
        return render_svg(c, &sk, err);
    return map_error_set(err, MAP_EUSAGE, "unknown plot format");
}
