/* map_mhd.c — libmicrohttpd loaded when the service starts (map_mhd.h):
 * libmicrohttpd.so.12 and each function the server calls, once per process
 * (map_dl.h). */
#include "map_mhd.h"

#include <pthread.h>
#include <string.h>

map_mhd_api map_mhd;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
    static const char *const names[] = {MAP_MHD_FUNCS(MAP_DL_NAME)};
    enum { N = sizeof names / sizeof names[0] };
    void *ptrs[N];
    if (map_dl_open("libmicrohttpd.so.12", names, N, ptrs, load_error, sizeof load_error))
        return;
    /* POSIX: dlsym's object pointers convert to function pointers of the
     * same size (here through memcpy, member by member in table order). */
    size_t i = 0;
#define MAP_MHD_SET(f)                                                                           \
    _Static_assert(sizeof map_mhd.f == sizeof(void *), "pointer sizes");                         \
    memcpy(&map_mhd.f, &ptrs[i++], sizeof(void *));
    MAP_MHD_FUNCS(MAP_MHD_SET)
#undef MAP_MHD_SET
}

int map_mhd_load(map_error *err)
{
    pthread_once(&once, load);
    if (load_error[0])
        return map_error_set(err, MAP_ENOMEM, "cannot load libmicrohttpd: %s", load_error);
    return MAP_OK;
}
