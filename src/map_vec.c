/* map_vec.c — the growable array of map_vec.h: reserve by doubling, push,
 * append, release, free. */
#include "map_vec.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "map_common.h"

void map_vec_init(map_vec *v, size_t elem, size_t first)
{
    assert(v && elem > 0 && first > 0);
    v->data = NULL;
    v->len = 0;
    v->cap = 0;
    v->elem = elem;
    v->first = first;
}

int map_vec_reserve(map_vec *v, size_t count)
{
    assert(v && v->elem > 0 && v->first > 0);
    if (count <= v->cap)
        return MAP_OK;
    size_t want = v->cap ? v->cap : v->first;
    while (want < count)
        want = want > SIZE_MAX / 2 ? count : 2 * want;
    /* map_reallocarray refuses a want * elem that overflows. */
    void *grown = map_reallocarray(v->data, want, v->elem);
    if (!grown)
        return MAP_ENOMEM;
    v->data = grown;
    v->cap = want;
    return MAP_OK;
}

void *map_vec_push(map_vec *v)
{
    assert(v);
    if (v->len == SIZE_MAX || map_vec_reserve(v, v->len + 1) != MAP_OK)
        return NULL;
    unsigned char *slot = (unsigned char *)v->data + v->len * v->elem;
    memset(slot, 0, v->elem);
    v->len++;
    return slot;
}

int map_vec_append(map_vec *v, const void *src, size_t count)
{
    assert(v && (src || count == 0));
    if (count > SIZE_MAX - 1 - v->len || map_vec_reserve(v, v->len + count + 1) != MAP_OK)
        return MAP_ENOMEM;
    unsigned char *at = (unsigned char *)v->data + v->len * v->elem;
    if (count)
        memcpy(at, src, count * v->elem);
    memset(at + count * v->elem, 0, v->elem);
    v->len += count;
    return MAP_OK;
}

void *map_vec_release(map_vec *v)
{
    assert(v);
    void *data = v->data;
    v->data = NULL;
    v->len = 0;
    v->cap = 0;
    return data;
}

void map_vec_free(map_vec *v)
{
    map_free(map_vec_release(v));
}
