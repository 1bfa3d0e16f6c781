/* fuzz_common.h — what the fuzz targets share: the libFuzzer entry point's
 * declaration, an invariant check that aborts (a crash is what the fuzzer
 * and the replay driver report) and a hash of the input for choosing knobs.
 * fuzz_scratch.h has the scratch files the readers (which take a path) need.
 *
 * Every target is built twice: against libFuzzer (-Dfuzzing=true, clang) and
 * against fuzz_replay.c, a plain main that feeds it the files of its seed
 * corpus, so the corpus replays in the ordinary test run.
 */
#ifndef MAP_FUZZ_COMMON_H
#define MAP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the code under test must keep: prints it and aborts, so that
 * libFuzzer records the input and the replay test fails. */
#define FUZZ_ASSERT(cond, ...)                                                       \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: invariant violated: %s: ", __FILE__, __LINE__,   \
                    #cond);                                                          \
            fprintf(stderr, __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                     \
            abort();                                                                 \
        }                                                                            \
    } while (0)

/* FUZZ_STRICT=1 in the environment: also fail on known bugs that are
 * reported but not fixed yet (each target says which it tolerates). */
static inline int fuzz_strict(void)
{
    static int strict = -1;
    if (strict < 0) {
        const char *s = getenv("FUZZ_STRICT");
        strict = s && strcmp(s, "1") == 0;
    }
    return strict;
}

/* FNV-1a of the input: a cheap, deterministic choice of knobs (such as the
 * allocation-failure budget) that the fuzzer can steer by mutating bytes. */
static inline uint32_t fuzz_hash(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

#endif
