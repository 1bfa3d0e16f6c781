/* map_common.h — status codes, the error record, the allocation wrapper and
 * strict number parsing shared by every layer of mapsolve.
 *
 * Contract for every public map_ function that can fail: it returns a
 * map_code (0 = MAP_OK) and, when it fails and the caller passed a non-NULL
 * map_error, fills err->code and err->msg with a complete, user-facing
 * message (file, line and column where known) and, when one field of the
 * request is at fault, err->field with that field's name ("values", "kl",
 * "prompt_column", ...; the message then does not repeat it). Messages
 * never name a command-line flag: each front end says the field in its own
 * words (the CLI as "--values: message", the HTTP service as the problem's
 * "field"). The library never prints, never exits and never aborts.
 */
#ifndef MAP_COMMON_H
#define MAP_COMMON_H

#include <stddef.h>

/* The library's status codes. Front ends map them to their own terms: the
 * CLI to its documented exit codes (cli/map_cli.h: map_cli_exit_code), the
 * HTTP service to status codes. */
typedef enum map_code {
    MAP_OK = 0,           /* success */
    MAP_NOT_ATTAINED = 1, /* palette not attained: infeasible, boundary or not converged */
    MAP_EUSAGE = 2,       /* bad request: unknown dataset, bad or missing field */
    MAP_EDATA = 3,        /* bad input data or palette */
    MAP_ESTORE = 4,       /* the SQLite store failed or is unusable */
    MAP_ENOMEM = 5        /* out of memory or another internal resource failure */
} map_code;

#define MAP_ERRMSG_MAX 1024
#define MAP_ERRFIELD_MAX 32

typedef struct map_error {
    int code;                     /* a map_code; MAP_OK when nothing failed */
    char msg[MAP_ERRMSG_MAX];     /* NUL-terminated message, no trailing newline */
    char field[MAP_ERRFIELD_MAX]; /* the request field at fault, or "" */
} map_error;

/* Resets *err to MAP_OK with an empty message and field. err may be NULL. */
void map_error_clear(map_error *err);

/* Formats a message into err (if non-NULL), clears its field and returns
 * code, so that callers can write `return map_error_set(err, MAP_EDATA,
 * "...", ...);`. */
int map_error_set(map_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* map_error_set naming the request field at fault (truncated to fit). */
int map_error_set_field(map_error *err, int code, const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Names the request field at fault in an error already set (for errors of a
 * parser that knows nothing of the request); returns code, so that callers
 * can write `return map_error_field(err, rc, "from");`. err may be NULL. */
int map_error_field(map_error *err, int code, const char *field);

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
/* Frees the n pointers of p (each may be NULL). */
void map_free_each(void *const *p, size_t n);
/* MAP_FREE_ALL(a, b, ...) frees every one of its pointer arguments: the
 * body of a destructor in one statement. */
#define MAP_FREE_ALL(...)                                                                  \
    map_free_each((void *const[]){__VA_ARGS__}, sizeof((void *const[]){__VA_ARGS__}) /   \
                                                    sizeof(void *))
char *map_strdup(const char *s);              /* NULL on failure or s == NULL */
char *map_strndup(const char *s, size_t len); /* copies len bytes, NUL-terminates */
/* A new array of copies of the n strings of v (room for at least one
 * pointer; free with map_free_strings(r, n)); NULL, with nothing left
 * allocated, when memory runs out. */
char **map_strdup_all(const char *const *v, size_t n);

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
