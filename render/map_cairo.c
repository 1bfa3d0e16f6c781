/* map_cairo.c — cairo loaded at the first plot (map_cairo.h): dlopen of
 * libcairo.so.2 and dlsym of each function map_plot.c calls, once per
 * process. */
#include "map_cairo.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

map_cairo_api map_cairo;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
    void *lib = dlopen("libcairo.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "%s", why ? why : "libcairo.so.2 not found");
        return;
    }
    map_cairo_api api;
    const char *missing = NULL;
    /* POSIX: a function pointer and the object pointer dlsym returns
     * convert through memcpy of the same size. */
#define MAP_CAIRO_SYM(f)                                                                         \
    {                                                                                            \
        void *p = dlsym(lib, #f);                                                                \
        if (!p && !missing)                                                                      \
            missing = #f;                                                                        \
        _Static_assert(sizeof p == sizeof api.f, "pointer sizes");                               \
        memcpy(&api.f, &p, sizeof p);                                                            \
    }
    MAP_CAIRO_FUNCS(MAP_CAIRO_SYM)
#undef MAP_CAIRO_SYM
    if (missing) {
        snprintf(load_error, sizeof load_error, "libcairo.so.2 has no %s", missing);
        dlclose(lib);
        return;
    }
    map_cairo = api; /* the library stays loaded for the process's life */
}

int map_cairo_load(map_error *err)
{
    pthread_once(&once, load);
    if (load_error[0])
        return map_error_set(err, MAP_ENOMEM, "cannot load cairo: %s", load_error);
    return MAP_OK;
}
