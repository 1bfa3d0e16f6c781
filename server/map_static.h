/* map_static.h — the static files the HTTP service serves (the explorer
 * page, its script and style sheet, the OpenAPI document), embedded into
 * the binary at build time by gen_embed.py: nothing is read from disk or
 * fetched at run time. */
#ifndef MAP_STATIC_H
#define MAP_STATIC_H

#include <stddef.h>

typedef struct map_static_file {
    const char *path;         /* URL path: "/", "/explorer.js", "/api/openapi.json" */
    const char *content_type; /* e.g. "text/html; charset=utf-8" */
    const unsigned char *data;
    size_t size;
} map_static_file;

extern const map_static_file map_static_files[];
extern const size_t map_static_nfiles;

/* The embedded file served at URL path, or NULL. */
const map_static_file *map_static_find(const char *path);

#endif
