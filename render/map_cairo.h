/* map_cairo.h — private to render/: cairo, loaded when the first plot is
 * drawn (map_cairo.c) rather than at every start of the program. Linking
 * cairo pulls some twenty libraries (pixman, fontconfig, freetype, the X
 * client libraries, ...) whose loading doubled the start-up time of every
 * command; now only `--plot` pays it. map_plot.c calls cairo through the
 * table map_cairo, whose members are named and typed as cairo's own
 * functions (the headers give the types; nothing is linked).
 */
#ifndef MAP_CAIRO_H
#define MAP_CAIRO_H

#include <cairo-svg.h>
#include <cairo.h>

#include "map_common.h"
#include "map_dl.h"

/* The cairo functions map_plot.c calls. */
#define MAP_CAIRO_FUNCS(X) \
    X(cairo_arc) \
    X(cairo_clip) \
    X(cairo_close_path) \
    X(cairo_create) \
    X(cairo_destroy) \
    X(cairo_fill) \
    X(cairo_fill_preserve) \
    X(cairo_image_surface_create) \
    X(cairo_line_to) \
    X(cairo_move_to) \
    X(cairo_new_sub_path) \
    X(cairo_paint) \
    X(cairo_rectangle) \
    X(cairo_restore) \
    X(cairo_rotate) \
    X(cairo_save) \
    X(cairo_scale) \
    X(cairo_select_font_face) \
    X(cairo_set_dash) \
    X(cairo_set_font_size) \
    X(cairo_set_line_cap) \
    X(cairo_set_line_join) \
    X(cairo_set_line_width) \
    X(cairo_set_source_rgb) \
    X(cairo_set_source_rgba) \
    X(cairo_show_text) \
    X(cairo_status) \
    X(cairo_status_to_string) \
    X(cairo_stroke) \
    X(cairo_stroke_preserve) \
    X(cairo_surface_destroy) \
    X(cairo_surface_finish) \
    X(cairo_surface_status) \
    X(cairo_surface_write_to_png_stream) \
    X(cairo_svg_surface_create_for_stream) \
    X(cairo_svg_surface_set_document_unit) \
    X(cairo_text_extents) \
    X(cairo_text_path) \
    X(cairo_translate)

typedef struct map_cairo_api {
    MAP_CAIRO_FUNCS(MAP_DL_MEMBER)
} map_cairo_api;

/* Filled by map_cairo_load; read-only afterwards. */
extern map_cairo_api map_cairo;

/* Loads cairo (libcairo.so.2) and its functions once per process
 * (thread-safe). MAP_OK, or MAP_ENOMEM with "cannot load
 * cairo: ..." when the library or a function is missing. */
int map_cairo_load(map_error *err);

#endif
