/* map_plot.h — 2-D charts of frontier and region tables, written as SVG or
 * PNG: a small chart model (series of points, marked points, axis labels, a
 * title; map_chart.c, with the ticks and the files) drawn with cairo by
 * map_plot.c (the only file of mapsolve that touches cairo), and a table
 * sink (map_plot_table.c) that passes a frontier or region table on to
 * another sink unchanged while it collects the rows into a chart.
 *
 * The page is MAP_PLOT_WIDTH x MAP_PLOT_HEIGHT points: an SVG of that size,
 * or a PNG of MAP_PLOT_PNG_SCALE times as many pixels (sharp on high-density
 * screens). Axes get "nice" tick numbers (1, 2 or 5 times a power of ten),
 * light grid lines and the axis labels; a legend sits in the corner of the
 * plot area that covers the fewest points. Text uses the "sans-serif" face
 * that fontconfig resolves (DejaVu Sans on Debian). An SVG carries the
 * title and a description of the chart (axes, series, marks) as <title>
 * and <desc> text, so it can be searched and read by screen readers (cairo
 * draws its glyphs as outlines).
 */
#ifndef MAP_PLOT_H
#define MAP_PLOT_H

#include <stddef.h>

#include "map_app.h"

#define MAP_PLOT_WIDTH 800      /* page width in points */
#define MAP_PLOT_HEIGHT 600     /* page height in points */
#define MAP_PLOT_PNG_SCALE 2    /* PNG pixels per point: 1600 x 1200 pixels */

/* The output formats, chosen by a file name's extension. */
typedef enum map_plot_format {
    MAP_PLOT_UNKNOWN = 0,
    MAP_PLOT_SVG,               /* ".svg" (any case) */
    MAP_PLOT_PNG                /* ".png" (any case) */
} map_plot_format;

/* The format path's extension names; MAP_PLOT_UNKNOWN for any other (or
 * none). */
map_plot_format map_plot_format_of(const char *path);

/* An sRGB colour, components in [0, 1]. */
typedef struct map_rgb {
    double r, g, b;
} map_rgb;

/* Colour i of n ordered series (a KL budget each: the smallest budget
 * lightest), sampled from the viridis map between its dark and green ends
 * so that every colour reads on white. n = 1 gives a mid blue. */
map_rgb map_plot_series_color(size_t i, size_t n);

/* The colour of a region's boundary (its fill is the same, light). */
extern const map_rgb map_plot_region_color;

/* ---- the chart model ---------------------------------------------------- */

typedef struct map_chart map_chart;

/* How a series is drawn. */
typedef enum map_series_style {
    MAP_SERIES_LINE,    /* a polyline through the points in order, a marker on each */
    MAP_SERIES_POINTS,  /* markers only (a projection: no order to join) */
    MAP_SERIES_DOWNSET  /* the boundary of a set closed downward (every point
                           below and to the left of a member is a member): the
                           points joined in order, from the first straight down
                           and from the last straight left, and the set under
                           them filled lightly */
} map_series_style;

/* A new empty chart (no text, no series; the view fits the data), or NULL
 * when out of memory. Free with map_chart_free (NULL is a no-op). */
map_chart *map_chart_new(void);
void map_chart_free(map_chart *c);

/* Sets the chart's texts (copied; NULL leaves one empty): the title above
 * the plot, the subtitle under it, the axis labels. MAP_OK or MAP_ENOMEM. */
int map_chart_set_text(map_chart *c, const char *title, const char *subtitle, const char *xlabel,
                       const char *ylabel);

/* The legend's entry for open markers (copied; NULL or "": none), shown
 * when some point is hollow. MAP_OK or MAP_ENOMEM. */
int map_chart_set_hollow_label(map_chart *c, const char *label);

/* Adds a series drawn in style and colour with a legend entry label (copied;
 * NULL: no legend entry); dashed draws its lines dashed. Returns its index
 * (>= 0), or -1 when out of memory. */
int map_chart_add_series(map_chart *c, const char *label, map_series_style style, map_rgb color,
                         int dashed);

/* Appends the point (x, y) to series s; hollow draws its marker open (a
 * limit point rather than one reached). Non-finite points are skipped (a
 * LINE series is broken there). MAP_OK or MAP_ENOMEM. */
int map_chart_push(map_chart *c, int s, double x, double y, int hollow);

/* The number of points in series s (non-finite ones included). */
size_t map_chart_series_len(const map_chart *c, int s);

/* The kinds of marked points. */
typedef enum map_mark_shape {
    MAP_MARK_REFERENCE, /* a black disc: the reference levels (λ = 0) */
    MAP_MARK_BASE,      /* a vermilion diamond: a base palette */
    MAP_MARK_NOTE       /* no marker: label only, small and grey, beside (x, y) */
} map_mark_shape;

/* Marks (x, y) with shape and a label written beside it (copied; also a
 * legend entry for REFERENCE and BASE). A non-finite point is ignored.
 * MAP_OK or MAP_ENOMEM. */
int map_chart_add_mark(map_chart *c, map_mark_shape shape, double x, double y, const char *label);

/* Fixes the view to [xlo, xhi] x [ylo, yhi] (before the 4% padding); what
 * falls outside is clipped. Without it the view fits every finite point of
 * the series and the marks. NaN leaves a bound to the data. */
void map_chart_set_view(map_chart *c, double xlo, double xhi, double ylo, double yhi);

/* The tick positions of an axis spanning [lo, hi]: the step of 1, 2 or 5
 * times a power of ten giving 4 to 10 ticks and of those the count nearest
 * 6, the ticks being the step's multiples in [lo, hi] (within a millionth
 * of the step). Writes at most
 * max ticks to out and returns how many (0 when lo >= hi or not finite);
 * *step gets the step. */
size_t map_plot_ticks(double lo, double hi, double *out, size_t max, double *step);

/* A tick label for v on an axis with the given step: as many decimals as
 * the step needs, a true minus sign (U+2212), never "-0". buf holds at
 * least 32 bytes. */
void map_plot_tick_label(double v, double step, char *buf, size_t size);

/* Draws c in format f and hands the bytes to write (ctx its first
 * argument; a non-zero return stops with MAP_ENOMEM "cannot write ...").
 * MAP_EUSAGE for MAP_PLOT_UNKNOWN, MAP_ENOMEM when cairo fails. */
int map_chart_render(const map_chart *c, map_plot_format f,
                     int (*write)(void *ctx, const unsigned char *data, size_t len), void *ctx,
                     map_error *err);

/* Checks that a chart can be saved at path before any work is done: its
 * extension names a format (else MAP_EUSAGE "--plot FILE: unknown format
 * (use .svg or .png)") and its folder takes a new file (created and removed
 * again; else MAP_EUSAGE "cannot write --plot FILE: reason"). Creates
 * nothing that stays. */
int map_plot_check_path(const char *path, map_error *err);

/* Saves c at path in the format its extension names: written to a new file
 * beside it and renamed over path when complete, so a failure leaves no
 * partial file and any earlier file at path as it was. MAP_EUSAGE for an
 * unknown extension or a file that cannot be created ("cannot write --plot
 * FILE: reason"), MAP_ENOMEM when a write fails, or as map_chart_render. */
int map_chart_save(const map_chart *c, const char *path, map_error *err);

/* ---- frontier and region tables as charts ------------------------------- */

typedef enum map_plot_kind {
    MAP_PLOT_FRONTIER, /* map_app_frontier's table */
    MAP_PLOT_REGION    /* map_app_region's table */
} map_plot_kind;

/* What the table sink needs to know beyond the rows. */
typedef struct map_plot_table_opts {
    map_plot_kind kind;
    const char *dataset;        /* its name, for the subtitle */
    size_t n;                   /* its samples, for the subtitle (0: not shown) */
    const char *const *values;  /* the chosen values, in order (k >= 1) */
    size_t k;
    int direction;              /* frontier: rows along one direction (--direction) */
    int prompt;                 /* per-prompt normalisation (said in the subtitle) */
} map_plot_table_opts;

/* The chart drawn over x = the first chosen value, y = the second:
 *   frontier with budgets: one LINE series per budget, in row order (the
 *     directions from the first value to the second), labelled "KL ≤ E
 *     nats", saturated rows hollow; the budgets in the title;
 *   frontier along a direction: the path as one LINE series, its first and
 *     last points annotated with their KL; with one chosen value x is the
 *     KL and y the value's level;
 *   frontier, unbounded budget: the hull vertex rows as a dashed LINE (two
 *     values), the saturated rows as POINTS;
 *   region: the bounded rows' targets in angular order as a DOWNSET series
 *     ("attainable palettes"), the base palette c0 (target − step·dir) marked
 *     when it is not the reference;
 *   more chosen values than two (three for a region): the first two, as
 *     POINTS (a projection), said in the subtitle.
 * The reference levels are marked "reference (λ = 0)". */
typedef struct map_plot_table map_plot_table;

/* A collector for the options o (copied) that forwards every header and row
 * to next (borrowed; NULL: none) before it keeps what the chart needs.
 * NULL when out of memory. Free with map_plot_table_free (NULL is a no-op). */
map_plot_table *map_plot_table_new(const map_plot_table_opts *o, const map_table_sink *next);
void map_plot_table_free(map_plot_table *p);

/* Sets the reference levels (λ = 0) of the chosen values to mark (o->k
 * entries, copied; NULL, as after map_plot_table_new: none). A front end
 * learns them with the rows (the command's summary) and sets them before
 * it saves the chart. MAP_OK or MAP_ENOMEM (p unchanged). */
int map_plot_table_set_reference(map_plot_table *p, const double *reference);

/* The sink that feeds p (and through it next). Its header fails with
 * MAP_EDATA when a column the chart needs is missing. */
map_table_sink map_plot_table_sink(map_plot_table *p);

/* Builds the chart from the rows seen so far and saves it at path
 * (map_chart_save). */
int map_plot_table_save(const map_plot_table *p, const char *path, map_error *err);

/* The chart itself (for tests and other front ends): a new chart the
 * caller frees, or NULL when out of memory. */
map_chart *map_plot_table_chart(const map_plot_table *p);

/* ---- decode's report as a chart (map_plot_decode.c) ---------------------- */

struct map_decode_report;

/* For every palette value whose target differs from its reference level,
 * the share of the way from the reference to the target that each method's
 * rows reach, against log2 k (best solid, sir dashed), with the target (1)
 * and decode's threshold (1 − MAP_DECODE_REACH_FRACTION) as grey dashed
 * lines; the limit rows (k = inf) are left out. A new chart the caller
 * frees, or NULL when out of memory. dataset names it in the subtitle. */
map_chart *map_plot_decode_chart(const struct map_decode_report *rep, const char *dataset);

/* The chart saved at path (map_chart_save). */
int map_plot_decode_save(const struct map_decode_report *rep, const char *dataset,
                         const char *path, map_error *err);

#endif
