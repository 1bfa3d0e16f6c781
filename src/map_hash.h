/* map_hash.h — content hashing of ingested bytes: XXH3 128-bit, written as
 * 32 lower-case hex digits (the canonical, big-endian form that xxhsum -H2
 * prints). The only interface to libxxhash; nothing else includes xxhash.h.
 */
#ifndef MAP_HASH_H
#define MAP_HASH_H

#include <stddef.h>

/* Length of a hex digest, without the terminating NUL. */
#define MAP_HASH_HEX_LEN 32

/* A streaming hash state; opaque. */
typedef struct map_hash map_hash;

/* Allocates (through map_malloc) and resets a streaming state. Returns NULL
 * when out of memory. Free with map_hash_free. */
map_hash *map_hash_new(void);

/* Frees h; NULL is a no-op. */
void map_hash_free(map_hash *h);

/* Adds len bytes at data (data may be NULL when len is 0). */
void map_hash_update(map_hash *h, const void *data, size_t len);

/* Writes the digest of everything added so far into out (MAP_HASH_HEX_LEN
 * hex digits and a NUL). The state is left unchanged and can be updated
 * further. */
void map_hash_hex(const map_hash *h, char out[MAP_HASH_HEX_LEN + 1]);

/* One-shot digest of len bytes at data into out, equal to streaming them. */
void map_hash_bytes_hex(const void *data, size_t len, char out[MAP_HASH_HEX_LEN + 1]);

#endif
