/* map_hash.c — libxxhash glue: streaming XXH3-128 with a state allocated
 * through map_malloc (so allocation-failure tests cover it). */
#include "map_hash.h"

#include <stdint.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY /* for sizeof(XXH3_state_t) */
#include <xxhash.h>

#include "map_common.h"

/* XXH3_state_t must be 64-byte aligned, more than malloc guarantees, so the
 * state lives at an aligned offset inside a slightly larger block. */
#define STATE_ALIGN 64

struct map_hash {
    void *block;        /* what map_malloc returned; freed by map_hash_free */
    XXH3_state_t *state; /* aligned inside block */
};

map_hash *map_hash_new(void)
{
    map_hash *h = map_malloc(sizeof *h);
    if (!h)
        return NULL;
    h->block = map_malloc(sizeof(XXH3_state_t) + STATE_ALIGN - 1);
    if (!h->block) {
        map_free(h);
        return NULL;
    }
    const uintptr_t at = ((uintptr_t)h->block + STATE_ALIGN - 1) & ~(uintptr_t)(STATE_ALIGN - 1);
    h->state = (XXH3_state_t *)at;
    memset(h->state, 0, sizeof *h->state);
    (void)XXH3_128bits_reset(h->state);
    return h;
}

void map_hash_free(map_hash *h)
{
    if (!h)
        return;
    map_free(h->block);
    map_free(h);
}

void map_hash_update(map_hash *h, const void *data, size_t len)
{
    if (len)
        (void)XXH3_128bits_update(h->state, data, len);
}

static void to_hex(XXH128_hash_t hv, char out[MAP_HASH_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, hv);
    for (size_t i = 0; i < sizeof c.digest; i++) {
        out[2 * i] = digits[c.digest[i] >> 4];
        out[2 * i + 1] = digits[c.digest[i] & 0xf];
    }
    out[MAP_HASH_HEX_LEN] = '\0';
}

void map_hash_hex(const map_hash *h, char out[MAP_HASH_HEX_LEN + 1])
{
    to_hex(XXH3_128bits_digest(h->state), out);
}

void map_hash_bytes_hex(const void *data, size_t len, char out[MAP_HASH_HEX_LEN + 1])
{
    to_hex(XXH3_128bits(len ? data : "", len), out);
}
