/* map_number.c — exact decimal-to-double conversion without strtod for the
 * common case, strtod (through map_parse_double) for the rest.
 *
 * Clinger's fast path: when the decimal significand w has at most 19 digits
 * and w <= 2^53, w is exactly a double; if also 10^|e| <= 10^22 it is exactly
 * a double too, and one IEEE multiplication or division rounds the exact
 * quotient/product once, to nearest: the correctly rounded result, the same
 * bits strtod gives. A larger exponent e in 23..37 still works when
 * w * 10^(e-22) stays an exact integer below 2^53. This needs double
 * arithmetic in double precision (FLT_EVAL_METHOD 0, as with SSE2 on x86-64,
 * and AArch64); elsewhere everything goes to strtod.
 */
#include "map_number.h"

#include <float.h>
#include <stdint.h>

#include "map_common.h"

#define TWO_53 ((uint64_t)1 << 53)

/* Exactly representable powers of ten. */
static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Exactly representable powers of ten as integers (for the extended path). */
static const uint64_t pow10_int[16] = {
    1u,           10u,           100u,           1000u,           10000u,
    100000u,      1000000u,      10000000u,      100000000u,      1000000000u,
    10000000000u, 100000000000u, 1000000000000u, 10000000000000u, 100000000000000u,
    1000000000000000u,
};

/* The fast path for s[0..len): returns 1 and sets *out when the text has
 * the form [+-]? digits [. digits] [(e|E) [+-]? digits] (at least one
 * significand digit) and Clinger's condition holds; 0 otherwise (the text
 * may still be a valid number, or not). */
static int parse_fast(const char *s, size_t len, double *out)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    const char *p = s;
    const char *const end = s + len;
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        neg = *p == '-';
        p++;
    }
    uint64_t w = 0;
    int ndig = 0;   /* significand digits from the first non-zero one */
    int digits = 0; /* all significand digits */
    long e10 = 0;
    for (; p < end && (unsigned)(*p - '0') < 10; p++, digits++) {
        const unsigned d = (unsigned)(*p - '0');
        if (w == 0 && d == 0)
            continue;
        if (++ndig > 19)
            return 0;
        w = w * 10 + d;
    }
    if (p < end && *p == '.') {
        for (p++; p < end && (unsigned)(*p - '0') < 10; p++, digits++) {
            const unsigned d = (unsigned)(*p - '0');
            e10--;
            if (w == 0 && d == 0)
                continue;
            if (++ndig > 19)
                return 0;
            w = w * 10 + d;
        }
    }
    if (digits == 0)
        return 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p == end)
            return 0;
        long x = 0;
        for (; p < end && (unsigned)(*p - '0') < 10; p++) {
            if (x > 100000)
                return 0; /* far outside the fast range; strtod decides */
            x = x * 10 + (*p - '0');
        }
        e10 += eneg ? -x : x;
    }
    if (p != end)
        return 0;
    double v;
    if (w == 0) {
        v = 0.0;
    } else {
        if (w > TWO_53)
            return 0;
        if (e10 < -22 || e10 > 22 + 15)
            return 0;
        if (e10 > 22) {
            const uint64_t k = pow10_int[e10 - 22];
            if (w > TWO_53 / k)
                return 0;
            w *= k; /* exact, and still at most 2^53 */
            e10 = 22;
        }
        v = (double)w;
        v = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
    }
    *out = neg ? -v : v;
    return 1;
#else
    (void)s;
    (void)len;
    (void)out;
    return 0;
#endif
}

int map_number_parse(const char *s, size_t len, double *out)
{
    if (parse_fast(s, len, out))
        return 0;
    return map_parse_double(s, out);
}
