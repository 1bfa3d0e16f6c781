/* map_http_problem.h — RFC 9457 problem details, the body of every error
 * answer of the HTTP service (Content-Type application/problem+json):
 *   {"type": "urn:mapsolve:problem:<slug>", "title", "status", "detail",
 *    "field": JSON Pointer of the offending request field, or null}.
 * The application layer names the field at fault (map_error.field); its
 * messages never name a command-line flag.
 */
#ifndef MAP_HTTP_PROBLEM_H
#define MAP_HTTP_PROBLEM_H

#include <stddef.h>

/* The problem types: slug and title by HTTP status family. */
typedef enum map_problem_type {
    MAP_PROBLEM_MALFORMED_JSON = 0, /* 400 */
    MAP_PROBLEM_BAD_FIELD,          /* 400: a field's type or range, a bad palette */
    MAP_PROBLEM_UNAUTHORIZED,       /* 401 */
    MAP_PROBLEM_NOT_FOUND,          /* 404: unknown path */
    MAP_PROBLEM_UNKNOWN_DATASET,    /* 404 */
    MAP_PROBLEM_METHOD_NOT_ALLOWED, /* 405 */
    MAP_PROBLEM_TIMEOUT,            /* 408 */
    MAP_PROBLEM_TOO_LARGE,          /* 413 */
    MAP_PROBLEM_UNSUPPORTED_MEDIA,  /* 415 */
    MAP_PROBLEM_INTERNAL,           /* 500: out of memory, a store error */
    MAP_PROBLEM_BUSY,               /* 503: too many sweeps running (with Retry-After) */
    MAP_PROBLEM_NTYPES
} map_problem_type;

/* The HTTP status of a problem type. */
unsigned map_problem_status(map_problem_type t);

/* A new problem document (NUL-terminated, ending in a newline; free with
 * map_free), or NULL when out of memory. field may be NULL or "" (null). */
char *map_problem_json(map_problem_type t, const char *detail, const char *field);

#endif
