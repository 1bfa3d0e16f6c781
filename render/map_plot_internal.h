/* map_plot_internal.h — the chart model's structures, shared by the two
 * files of map_plot.h: map_chart.c (the model, ticks, files) and map_plot.c
 * (the drawing with cairo). Not installed, not for other folders. */
#ifndef MAP_PLOT_INTERNAL_H
#define MAP_PLOT_INTERNAL_H

#include "map_plot.h"

typedef struct chart_point {
    double x, y;
    int hollow;
} chart_point;

typedef struct chart_series {
    char *label;
    map_series_style style;
    map_rgb color;
    int dashed;
    chart_point *pt;
    size_t n, cap;
} chart_series;

typedef struct chart_mark {
    map_mark_shape shape;
    double x, y;
    char *label;
} chart_mark;

struct map_chart {
    char *title, *subtitle, *xlabel, *ylabel;
    char *hollow;   /* the legend's entry for open markers, or NULL */
    chart_series *s;
    size_t ns;
    chart_mark *m;
    size_t nm;
    double view[4]; /* xlo, xhi, ylo, yhi; NaN: from the data */
};

#endif
