/* map_cairo.c — cairo loaded at the first plot (map_cairo.h): libcairo.so.2
 * and each function map_plot.c calls, once per process (map_dl.h). */
#include "map_cairo.h"

map_cairo_api map_cairo;

static const char *const names[] = {MAP_CAIRO_FUNCS(MAP_DL_NAME)};

static map_dl_lib lib = {"libcairo.so.2", "cairo", names, sizeof names / sizeof names[0],
                         &map_cairo, sizeof map_cairo, PTHREAD_MUTEX_INITIALIZER, 0, ""};

int map_cairo_load(map_error *err) { return map_dl_load(&lib, err); }
