/* map_dl.h — a shared library loaded at run time, by name, with the
 * functions a glue file calls (dlopen/dlsym), for the libraries that only
 * some commands need (cairo for --plot, libmicrohttpd for serve), so that
 * the others do not pay for loading them at every start.
 */
#ifndef MAP_DL_H
#define MAP_DL_H

#include <stddef.h>

/* Opens the library soname (RTLD_NOW | RTLD_LOCAL; it stays loaded for the
 * life of the process) and looks up each of the n names, storing the
 * addresses in ptrs[0..n). Returns 0, or -1 with the reason in why (cap
 * bytes: dlerror's text, or the first name missing) and the library closed. */
int map_dl_open(const char *soname, const char *const *names, size_t n, void **ptrs, char *why,
                size_t cap);

/* The glue files' tables: the members of a struct of function pointers
 * named and typed as the library's functions (F(name) for each), filled
 * from map_dl_open's addresses in the same order. */
#define MAP_DL_MEMBER(f) __typeof__(&f) f;
#define MAP_DL_NAME(f) #f,

#endif
