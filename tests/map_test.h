/* map_test.h — the minimal harness used by every unit test program.
 *
 * A test program defines test functions, calls them through MAP_RUN in main
 * and returns map_test_finish(). Each failed check prints file:line and the
 * message to stderr; the program's exit status is non-zero if any check
 * failed, which is what meson's test runner reads.
 */
#ifndef MAP_TEST_H
#define MAP_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int map_test_failures;
static int map_test_checks;

#define MAP_CHECK(cond, ...)                                                      \
    do {                                                                          \
        map_test_checks++;                                                        \
        if (!(cond)) {                                                            \
            map_test_failures++;                                                  \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                         \
            fputc('\n', stderr);                                                  \
        }                                                                         \
    } while (0)

/* |a - b| <= rtol * max(1, |a|, |b|) */
#define MAP_CHECK_CLOSE(a, b, rtol, what)                                         \
    do {                                                                          \
        const double map_a_ = (a), map_b_ = (b);                                  \
        const double map_s_ = fmax(1.0, fmax(fabs(map_a_), fabs(map_b_)));        \
        MAP_CHECK(fabs(map_a_ - map_b_) <= (rtol) * map_s_,                       \
                  "%s: %.17g vs %.17g (diff %.3g)", (what), map_a_, map_b_,       \
                  fabs(map_a_ - map_b_));                                         \
    } while (0)

#define MAP_RUN(fn)                                                               \
    do {                                                                          \
        const int map_before_ = map_test_failures;                                \
        fn();                                                                     \
        fprintf(stderr, "%s %s\n", map_test_failures == map_before_ ? "ok  " : "FAIL", #fn); \
    } while (0)

static inline int map_test_finish(void)
{
    fprintf(stderr, "%d checks, %d failed\n", map_test_checks, map_test_failures);
    return map_test_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
