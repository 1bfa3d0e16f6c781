/* map_names.c — enumeration tables, joined name lists and built name lists
 * (see map_names.h). */
#include "map_names.h"

#include <assert.h>
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

int map_name_list_init(map_name_list *l, size_t cap)
{
    l->names = map_calloc(cap ? cap : 1, sizeof *l->names);
    l->count = 0;
    l->cap = cap;
    l->ok = l->names != NULL;
    return l->ok;
}

void map_name_list_add(map_name_list *l, const char *prefix, const char *name)
{
    if (!l->ok)
        return;
    assert(l->count < l->cap);
    const size_t lp = strlen(prefix), ln = strlen(name);
    char *s = map_malloc(lp + ln + 1);
    if (!s) {
        l->ok = 0;
        return;
    }
    memcpy(s, prefix, lp);
    memcpy(s + lp, name, ln + 1);
    l->names[l->count++] = s;
}

void map_name_list_add_all(map_name_list *l, const char *prefix, const char *const *names,
                           size_t n)
{
    for (size_t i = 0; i < n; i++)
        map_name_list_add(l, prefix, names[i]);
}

void map_name_list_free(map_name_list *l)
{
    map_free_strings(l->names, l->count);
    l->names = NULL;
    l->count = 0;
}
