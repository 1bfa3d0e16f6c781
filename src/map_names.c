/* map_names.c — enumeration tables and name lists (see map_names.h). */
#include "map_names.h"

#include <stdio.h>
#include <string.h>

#include "map_common.h"

const char *map_enum_name(const map_enum_entry *table, size_t n, int value, const char *fallback)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].value == value)
            return table[i].name;
    return fallback;
}

int map_enum_value(const map_enum_entry *table, size_t n, const char *text, int *value)
{
    if (!text)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].name, text) == 0) {
            if (value)
                *value = table[i].value;
            return 0;
        }
    return -1;
}

char *map_join(char *buf, size_t size, size_t n, map_name_at at, const void *ctx, const char *sep)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const int w = snprintf(buf + off, size - off, "%s%s", i ? sep : "", at(ctx, i));
        if (w < 0 || (size_t)w >= size - off) {
            if (size > 4)
                memcpy(buf + size - 4, "...", 4);
            break;
        }
        off += (size_t)w;
    }
    return buf;
}

static const char *array_at(const void *ctx, size_t i) { return ((const char *const *)ctx)[i]; }

char *map_join_names(char *buf, size_t size, const char *const *names, size_t n, const char *sep)
{
    return map_join(buf, size, n, array_at, names, sep);
}

char *map_join_alloc(const char *const *names, size_t n, const char *sep)
{
    const size_t ls = strlen(sep);
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(names[i]) + (i ? ls : 0);
    char *out = map_malloc(len);
    if (!out)
        return NULL;
    char *p = out;
    for (size_t i = 0; i < n; i++) {
        if (i) {
            memcpy(p, sep, ls);
            p += ls;
        }
        const size_t l = strlen(names[i]);
        memcpy(p, names[i], l);
        p += l;
    }
    *p = '\0';
    return out;
}
