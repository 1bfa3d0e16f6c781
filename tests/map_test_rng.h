/* map_test_rng.h — splitmix64 (Steele, Lea and Flood, 2014), the
 * reproducible generator the benchmarks and the solver's tests share:
 * independent of GSL's generators (so a test does not check GSL against
 * itself) and the same stream on every machine for a given state. */
#ifndef MAP_TEST_RNG_H
#define MAP_TEST_RNG_H

#include <stdint.h>

/* The next 64 bits of the stream *state (the state advances by one step). */
static inline uint64_t map_test_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* A uniform double in [0, 1) with 53 random bits. */
static inline double map_test_uniform(uint64_t *state)
{
    return (double)(map_test_splitmix64(state) >> 11) * 0x1.0p-53;
}

#endif
