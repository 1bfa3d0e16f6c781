/* map_dl.c — libraries loaded at run time (map_dl.h). */
#include "map_dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* Opens the library and fills the table, or says why not in lib->why. */
static int open_lib(map_dl_lib *lib)
{
    if (lib->table_size != lib->n * sizeof(void *)) {
        snprintf(lib->why, sizeof lib->why, "its table does not match its %zu functions", lib->n);
        return -1;
    }
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(lib->why, sizeof lib->why, "%s", e ? e : "not found");
        return -1;
    }
    for (size_t i = 0; i < lib->n; i++) {
        void *p = dlsym(h, lib->names[i]);
        if (!p) {
            snprintf(lib->why, sizeof lib->why, "%s has no %s", lib->soname, lib->names[i]);
            dlclose(h);
            return -1;
        }
        /* POSIX: dlsym's object pointer converts to the function pointer of
         * the same size and representation that the member holds. */
        memcpy((char *)lib->table + i * sizeof p, &p, sizeof p);
    }
    return 0;
}

int map_dl_load(map_dl_lib *lib, map_error *err)
{
    pthread_mutex_lock(&lib->lock);
    if (lib->state == 0)
        lib->state = open_lib(lib) == 0 ? 1 : -1;
    const int state = lib->state;
    pthread_mutex_unlock(&lib->lock);
    if (state < 0)
        return map_error_set(err, MAP_ENOMEM, "cannot load %s: %s", lib->what, lib->why);
    return MAP_OK;
}
