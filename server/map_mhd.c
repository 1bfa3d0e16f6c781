/* map_mhd.c — libmicrohttpd loaded when the service starts (map_mhd.h):
 * libmicrohttpd.so.12 and each function the server calls, once per process
 * (map_dl.h). */
#include "map_mhd.h"

map_mhd_api map_mhd;

static const char *const names[] = {MAP_MHD_FUNCS(MAP_DL_NAME)};

static map_dl_lib lib = {"libmicrohttpd.so.12", "libmicrohttpd", names,
                         sizeof names / sizeof names[0], &map_mhd, sizeof map_mhd,
                         PTHREAD_MUTEX_INITIALIZER, 0, ""};

int map_mhd_load(map_error *err) { return map_dl_load(&lib, err); }
