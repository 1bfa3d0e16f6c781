/* map_dl.c — libraries loaded at run time (map_dl.h). */
#include "map_dl.h"

#include <dlfcn.h>
#include <stdio.h>

int map_dl_open(const char *soname, const char *const *names, size_t n, void **ptrs, char *why,
                size_t cap)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(why, cap, "%s", e ? e : "not found");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(ptrs[i] = dlsym(lib, names[i]))) {
            snprintf(why, cap, "%s has no %s", soname, names[i]);
            dlclose(lib);
            return -1;
        }
    }
    return 0;
}
