/* map_dl.h — a shared library loaded at run time, by name, with the
 * functions a glue file calls (dlopen/dlsym), for the libraries that only
 * some commands need (cairo for --plot, libmicrohttpd for serve), so that
 * the others do not pay for loading them at every start.
 *
 * A glue file lists the functions it calls (an X-macro F(name) per
 * function), declares a table struct of them with MAP_DL_MEMBER (members
 * named and typed as the library's own functions, from its headers;
 * nothing is linked), and a map_dl_lib naming the library, the functions
 * (MAP_DL_NAME) and the table; map_dl_load fills the table once.
 */
#ifndef MAP_DL_H
#define MAP_DL_H

#include <pthread.h>
#include <stddef.h>

#include "map_common.h"

#define MAP_DL_MEMBER(f) __typeof__(&f) f;
#define MAP_DL_NAME(f) #f,

typedef struct map_dl_lib {
    const char *soname;        /* e.g. "libcairo.so.2" */
    const char *what;          /* for messages, e.g. "cairo" */
    const char *const *names;  /* the n functions, in the table's member order */
    size_t n;
    void *table;               /* a struct of n function pointers, filled in order */
    size_t table_size;         /* sizeof the table: n pointers */
    pthread_mutex_t lock;      /* PTHREAD_MUTEX_INITIALIZER */
    int state;                 /* 0 not tried, 1 loaded, −1 failed (why says why) */
    char why[256];
} map_dl_lib;

/* Loads lib once per process (RTLD_NOW | RTLD_LOCAL; the library stays
 * loaded) and fills its table; later calls return the first outcome.
 * Thread-safe. MAP_OK, or MAP_ENOMEM with "cannot load WHAT: reason" when
 * the library or a function is missing. */
int map_dl_load(map_dl_lib *lib, map_error *err);

#endif
