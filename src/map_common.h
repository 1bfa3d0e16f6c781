/* map_common.h — status codes, the error record, the allocation wrapper and
 * strict number parsing shared by every layer of mapsolve.
 *
 * Contract for every public map_ function that can fail: it returns a
 * map_code (0 = MAP_OK) and, when it fails and the caller passed a non-NULL
 * map_error, fills err->code and err->msg with a complete, user-facing
 * message (file, line and column or the offending argument where known).
 * The library never prints, never exits and never aborts.
 */
#ifndef MAP_COMMON_H
#define MAP_COMMON_H

#include <stddef.h>

/* Status codes double as the CLI's exit codes (documented in README.md). */
typedef enum map_code {
    MAP_OK = 0,           /* success */
    MAP_NOT_ATTAINED = 1, /* palette not attained: infeasible, boundary or not converged */
    MAP_EUSAGE = 2,       /* bad command line: unknown option, dataset or argument */
    MAP_EDATA = 3,        /* bad input data or palette */
    MAP_ESTORE = 4,       /* the SQLite store failed or is unusable */
    MAP_ENOMEM = 5        /* out of memory or another internal resource failure */
} map_code;

#define MAP_ERRMSG_MAX 1024

typedef struct map_error {
    int code;                  /* a map_code; MAP_OK when nothing failed */
    char msg[MAP_ERRMSG_MAX];  /* NUL-terminated message, no trailing newline */
} map_error;

/* Resets *err to MAP_OK with an empty message. err may be NULL. */
void map_error_clear(map_error *err);

/* Formats a message into err (if non-NULL) and returns code, so that callers
 * can write `return map_error_set(err, MAP_EDATA, "...", ...);`. */
int map_error_set(map_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prefixes err->msg with "prefix: " (used to add a file name). */
void map_error_prefix(map_error *err, const char *prefix);

/* Allocation wrapper. All of mapsolve allocates through these so that tests
 * can inject failures (map_alloc_fail_after). They behave like the libc
 * functions; map_free(NULL) is a no-op. Sizes are checked for overflow in
 * map_mallocarray/map_callocarray. */
void *map_malloc(size_t size);
void *map_calloc(size_t count, size_t size);
void *map_realloc(void *ptr, size_t size);
void *map_mallocarray(size_t count, size_t size);
void *map_reallocarray(void *ptr, size_t count, size_t size);
void map_free(void *ptr);
/* Frees the n strings of v and v itself; v NULL is a no-op. */
void map_free_strings(char **v, size_t n);
char *map_strdup(const char *s);              /* NULL on failure or s == NULL */
char *map_strndup(const char *s, size_t len); /* copies len bytes, NUL-terminates */

/* Test hook: after `count` further successful allocations every allocation
 * fails; a negative count (the default) disables injection. Not thread-safe;
 * tests only. */
void map_alloc_fail_after(long count);

/* Strict number parsing: the whole of s (no leading/trailing junk, no empty
 * string) must be a finite number (decimal, exponent, inf/nan rejected).
 * Subnormals and results that underflow to zero are accepted; overflow
 * (|x| > DBL_MAX) is rejected. Returns 0 and sets *out, or -1. */
int map_parse_double(const char *s, double *out);

/* Parses a non-negative integer in [min, max]; returns 0 or -1. */
int map_parse_long(const char *s, long min, long max, long *out);

#endif
