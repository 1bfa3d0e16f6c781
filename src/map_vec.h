/* map_vec.h — a growable array of fixed-size elements (the grow-by-doubling
 * idiom, written once): elements are pushed zeroed or appended as copies
 * (a zeroed element kept after them: byte strings stay NUL-terminated),
 * the storage grows by
 * doubling through map_reallocarray (so allocation failures can be
 * injected), and every size computation is checked for overflow.
 *
 * A map_vec is plain data: initialise it with map_vec_init, then either
 * take its storage with map_vec_release or free it with map_vec_free. It
 * knows nothing of what its elements own; a caller whose elements hold
 * pointers frees those itself (v.len elements are initialised).
 */
#ifndef MAP_VEC_H
#define MAP_VEC_H

#include <stddef.h>

typedef struct map_vec {
    void *data;   /* cap elements of elem bytes, the first len in use; NULL while cap == 0 */
    size_t len;   /* elements in use */
    size_t cap;   /* elements allocated */
    size_t elem;  /* bytes per element, > 0 */
    size_t first; /* capacity of the first allocation, > 0 */
} map_vec;

/* Makes *v an empty array of elements of elem bytes whose first allocation
 * holds first elements (both > 0). Allocates nothing. */
void map_vec_init(map_vec *v, size_t elem, size_t first);

/* Makes room for at least count elements in all (doubling the capacity,
 * starting from v->first, until it fits). Returns MAP_OK, or MAP_ENOMEM
 * (out of memory or a size that overflows) with *v unchanged. */
int map_vec_reserve(map_vec *v, size_t count);

/* Appends one zero-filled element and returns it (valid until the next
 * call that may grow v). Returns NULL when out of memory, with *v
 * unchanged. */
void *map_vec_push(map_vec *v);

/* Appends count elements copied from src and keeps the element after the
 * last one zero-filled, so that a vector of bytes stays a NUL-terminated
 * string. Returns MAP_OK, or MAP_ENOMEM (out of memory or a size that
 * overflows) with *v unchanged. */
int map_vec_append(map_vec *v, const void *src, size_t count);

/* Returns the storage (v->len elements; NULL if nothing was ever pushed),
 * which the caller now owns and frees with map_free, and leaves *v empty. */
void *map_vec_release(map_vec *v);

/* Frees the storage (not what the elements point to) and leaves *v empty.
 * Safe on an empty vector. */
void map_vec_free(map_vec *v);

#endif
