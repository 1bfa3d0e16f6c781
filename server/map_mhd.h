/* map_mhd.h — private to server/: libmicrohttpd, loaded when the service
 * starts (map_mhd.c) rather than at every start of the program (it pulls
 * in GnuTLS and its libraries, which every other command would load for
 * nothing). The server calls it through the table map_mhd, whose members
 * are named and typed as libmicrohttpd's own functions (the header gives
 * the types; nothing is linked).
 */
#ifndef MAP_MHD_H
#define MAP_MHD_H

#include <microhttpd.h>

#include "map_common.h"
#include "map_dl.h"

/* The libmicrohttpd functions the server calls. */
#define MAP_MHD_FUNCS(X) \
    X(MHD_add_response_header) \
    X(MHD_create_response_from_buffer) \
    X(MHD_create_response_from_buffer_with_free_callback) \
    X(MHD_create_response_from_callback) \
    X(MHD_destroy_response) \
    X(MHD_get_daemon_info) \
    X(MHD_lookup_connection_value) \
    X(MHD_queue_response) \
    X(MHD_resume_connection) \
    X(MHD_start_daemon) \
    X(MHD_stop_daemon) \
    X(MHD_suspend_connection)

typedef struct map_mhd_api {
    MAP_MHD_FUNCS(MAP_DL_MEMBER)
} map_mhd_api;

/* Filled by map_mhd_load; read-only afterwards. */
extern map_mhd_api map_mhd;

/* Loads libmicrohttpd (libmicrohttpd.so.12) and its functions once per
 * process (thread-safe). MAP_OK, or MAP_ENOMEM with "cannot
 * load libmicrohttpd: ..." when the library or a function is missing. */
int map_mhd_load(map_error *err);

#endif
