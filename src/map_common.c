/* map_common.c — error records, the allocation wrapper, strict number parsing. */
#include "map_common.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void map_error_clear(map_error *err)
{
    if (err) {
        err->code = MAP_OK;
        err->msg[0] = '\0';
        err->field[0] = '\0';
    }
}

static int error_vset(map_error *err, int code, const char *field, const char *fmt, va_list ap)
{
    if (err) {
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        err->code = code;
        snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    }
    return code;
}

int map_error_set(map_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int map_error_set_field(map_error *err, int code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, field, fmt, ap);
    va_end(ap);
    return code;
}

int map_error_field(map_error *err, int code, const char *field)
{
    if (err)
        snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    return code;
}

void map_error_prefix(map_error *err, const char *prefix)
{
    if (!err || !prefix)
        return;
    char tmp[MAP_ERRMSG_MAX];
    const size_t plen = strlen(prefix);
    size_t off = 0;
    for (size_t i = 0; i < plen && off + 3 < sizeof tmp; i++)
        tmp[off++] = prefix[i];
    tmp[off++] = ':';
    tmp[off++] = ' ';
    const size_t mlen = strnlen(err->msg, sizeof err->msg);
    const size_t room = sizeof tmp - 1 - off;
    const size_t take = mlen < room ? mlen : room;
    memcpy(tmp + off, err->msg, take);
    tmp[off + take] = '\0';
    memcpy(err->msg, tmp, sizeof tmp);
}

/* Failure injection for tests: < 0 disabled, else allocations left. */
static long alloc_budget = -1;

void map_alloc_fail_after(long count) { alloc_budget = count; }

static int alloc_allowed(void)
{
    if (alloc_budget < 0)
        return 1;
    if (alloc_budget == 0)
        return 0;
    alloc_budget--;
    return 1;
}

void *map_malloc(size_t size)
{
    if (!alloc_allowed())
        return NULL;
    return malloc(size ? size : 1);
}

void *map_calloc(size_t count, size_t size)
{
    if (!alloc_allowed())
        return NULL;
    if (count == 0 || size == 0)
        return calloc(1, 1);
    return calloc(count, size);
}

void *map_realloc(void *ptr, size_t size)
{
    if (!alloc_allowed())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

void *map_mallocarray(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return map_malloc(count * size);
}

void *map_reallocarray(void *ptr, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return map_realloc(ptr, count * size);
}

void map_free(void *ptr) { free(ptr); }

char *map_strndup(const char *s, size_t len)
{
    if (!s)
        return NULL;
    char *d = map_malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void map_free_strings(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        map_free(v[i]);
    map_free(v);
}

void map_free_each(void *const *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        map_free(p[i]);
}

char *map_strdup(const char *s) { return s ? map_strndup(s, strlen(s)) : NULL; }

char **map_strdup_all(const char *const *v, size_t n)
{
    char **r = map_calloc(n ? n : 1, sizeof *r);
    for (size_t i = 0; r && i < n; i++)
        if (!(r[i] = map_strdup(v[i]))) {
            map_free_strings(r, i);
            r = NULL;
        }
    return r;
}

int map_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    /* strtod skips leading space and accepts inf/nan/hex: reject all three. */
    const unsigned char c0 = (unsigned char)s[0];
    if (!(c0 == '+' || c0 == '-' || c0 == '.' || (c0 >= '0' && c0 <= '9')))
        return -1;
    for (const char *p = s; *p; p++)
        if (*p == 'x' || *p == 'X' || *p == 'n' || *p == 'N' || *p == 'i' || *p == 'I')
            return -1;
    char *end = NULL;
    errno = 0;
    const double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return -1;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
        return -1; /* overflow; underflow to a subnormal or zero is accepted */
    if (!isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int map_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return -1;
    if (!(s[0] == '+' || s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
        return -1;
    char *end = NULL;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}
