/* map_cairo.c — cairo loaded at the first plot (map_cairo.h): libcairo.so.2
 * and each function map_plot.c calls, once per process (map_dl.h). */
#include "map_cairo.h"

#include <pthread.h>
#include <string.h>

#include "map_dl.h"

map_cairo_api map_cairo;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
    static const char *const names[] = {MAP_CAIRO_FUNCS(MAP_DL_NAME)};
    enum { N = sizeof names / sizeof names[0] };
    void *ptrs[N];
    if (map_dl_open("libcairo.so.2", names, N, ptrs, load_error, sizeof load_error))
        return;
    /* POSIX: dlsym's object pointers convert to function pointers of the
     * same size (here through memcpy, member by member in table order). */
    size_t i = 0;
#define MAP_CAIRO_SET(f)                                                                         \
    _Static_assert(sizeof map_cairo.f == sizeof(void *), "pointer sizes");                       \
    memcpy(&map_cairo.f, &ptrs[i++], sizeof(void *));
    MAP_CAIRO_FUNCS(MAP_CAIRO_SET)
#undef MAP_CAIRO_SET
}

int map_cairo_load(map_error *err)
{
    pthread_once(&once, load);
    if (load_error[0])
        return map_error_set(err, MAP_ENOMEM, "cannot load cairo: %s", load_error);
    return MAP_OK;
}
