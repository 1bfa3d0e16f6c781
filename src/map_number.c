/* map_number.c — exact decimal-to-double conversion without strtod for
 * numbers of up to 19 significant digits, strtod (through map_parse_double)
 * for the rest.
 *
 * 1. Clinger's fast path: when the decimal significand w satisfies
 *    w <= 2^53 and the exponent |e| <= 22, both w and 10^|e| are exact
 *    doubles and one IEEE multiplication or division rounds the exact value
 *    once, to nearest: the correctly rounded result, the bits strtod gives.
 *    An exponent in 23..37 also works while w * 10^(e-22) stays an exact
 *    integer <= 2^53. Needs double arithmetic in double precision
 *    (FLT_EVAL_METHOD 0: SSE2 on x86-64, AArch64); elsewhere it is skipped,
 *    as it is when MAP_NUMBER_NO_CLINGER is defined (the number_el test).
 * 2. Eisel–Lemire (D. Lemire, "Number parsing at a gigabyte per second",
 *    2021; the form in Go's strconv/eisel_lemire.go): w times a 128-bit
 *    truncated 10^e (map_number_pow10.h) gives the 53-bit result and its
 *    rounding unless the product is too close to a halfway point to tell,
 *    or the result is subnormal, zero or overflows; those cases, and more
 *    than 19 significant digits, go to strtod.
 */
#include "map_number.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "map_common.h"
#include "map_number_pow10.h"

#define TWO_53 ((uint64_t)1 << 53)

/* The high and low 64 bits of a * b. */
static void mul_64x64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 u128;
    const u128 p = (u128)a * b;
    *hi = (uint64_t)(p >> 64);
    *lo = (uint64_t)p;
#else
    const uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
    const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    *lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
#endif
}

/* Leading zero bits of x != 0. */
static int clz64(uint64_t x)
{
    assert(x != 0);
#if defined(__GNUC__)
    return __builtin_clzll(x);
#else
    int n = 0;
    while (!(x & ((uint64_t)1 << 63))) {
        x <<= 1;
        n++;
    }
    return n;
#endif
}

/* Clinger's fast path for w * 10^e10, w != 0: returns 1 and sets *out to
 * the correctly rounded magnitude, or 0 when the condition does not hold. */
static int clinger(uint64_t w, long e10, double *out)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0 && !defined(MAP_NUMBER_NO_CLINGER)
    /* Exactly representable powers of ten. */
    static const double pow10_exact[23] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    };

    /* The same as integers, for exponents past 22. */
    static const uint64_t pow10_int[16] = {
        1u,           10u,           100u,           1000u,           10000u,
        100000u,      1000000u,      10000000u,      100000000u,      1000000000u,
        10000000000u, 100000000000u, 1000000000000u, 10000000000000u, 100000000000000u,
        1000000000000000u,
    };

    if (w > TWO_53 || e10 < -22 || e10 > 22 + 15)
        return 0;
    if (e10 > 22) {
        const uint64_t k = pow10_int[e10 - 22];
        if (w > TWO_53 / k)
            return 0;
        w *= k; /* exact, and still at most 2^53 */
        e10 = 22;
    }
    const double v = (double)w;
    *out = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
    return 1;
#else
    (void)w;
    (void)e10;
    (void)out;
    return 0;
#endif
}

/* Eisel–Lemire for w * 10^e10, w != 0: returns 1 and sets *out to the
 * correctly rounded magnitude (a normal double), or 0 when it cannot decide
 * (near a halfway point) or the result is subnormal, zero or infinite. */
static int eisel_lemire(uint64_t w, long e10, double *out)
{
    if (e10 < MAP_POW10_MIN_EXP || e10 > MAP_POW10_MAX_EXP)
        return 0;
    const int clz = clz64(w);
    w <<= clz;
    /* floor(e10 * log2(10)) + 64 + bias, as 217706 / 2^16 ~ log2(10); the
     * offset keeps the shifted value non-negative. */
    const int64_t log2_10e = (((int64_t)217706 * e10 + ((int64_t)2048 << 16)) >> 16) - 2048;
    uint64_t exp2 = (uint64_t)(log2_10e + 64 + 1023) - (uint64_t)clz;
    const uint64_t *const pw = map_pow10_128[e10 - MAP_POW10_MIN_EXP];

    uint64_t x_hi, x_lo;
    mul_64x64(w, pw[1], &x_hi, &x_lo);
    if ((x_hi & 0x1FF) == 0x1FF && x_lo + w < w) {
        /* The truncated product may be short of the true one: add the
         * low word's contribution. */
        uint64_t y_hi, y_lo;
        mul_64x64(w, pw[0], &y_hi, &y_lo);
        uint64_t m_hi = x_hi;
        const uint64_t m_lo = x_lo + y_hi;
        if (m_lo < x_lo)
            m_hi++;
        if ((m_hi & 0x1FF) == 0x1FF && m_lo + 1 == 0 && y_lo + w < w)
            return 0;
        x_hi = m_hi;
        x_lo = m_lo;
    }
    const uint64_t msb = x_hi >> 63;
    uint64_t mant = x_hi >> (msb + 9);
    exp2 -= 1 ^ msb;
    if (x_lo == 0 && (x_hi & 0x1FF) == 0 && (mant & 3) == 1)
        return 0; /* exactly halfway as far as 128 bits tell */
    mant += mant & 1;
    mant >>= 1;
    if (mant >> 53) {
        mant >>= 1;
        exp2++;
    }
    if (exp2 - 1 >= 0x7FF - 1)
        return 0; /* subnormal, zero or overflow */
    const uint64_t bits = exp2 << 52 | (mant & (((uint64_t)1 << 52) - 1));
    double v;
    memcpy(&v, &bits, sizeof v);
    *out = v;
    return 1;
}

/* The fast paths for s[0..len): returns 1 and sets *out when the text has
 * the form [+-]? digits [. digits] [(e|E) [+-]? digits] (at least one
 * significand digit, at most 19 significant ones) and Clinger's or
 * Eisel–Lemire's method gives the result; 0 otherwise (the text may still be
 * a valid number, or not). */
static int parse_fast(const char *s, size_t len, double *out)
{
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
    double v = 0.0;
    if (w != 0 && !clinger(w, e10, &v) && !eisel_lemire(w, e10, &v))
        return 0;
    *out = neg ? -v : v;
    return 1;
}

int map_number_parse(const char *s, size_t len, double *out)
{
    if (parse_fast(s, len, out))
        return 0;
    return map_parse_double(s, out);
}

/* ---- "%.17g" ------------------------------------------------------------ */

__extension__ typedef unsigned __int128 g17_u128;

/* 10^i, exact in 128 bits for i ≤ 38. */
static g17_u128 pow10_u128(int i)
{
    g17_u128 v = 1;
    while (i-- > 0)
        v *= 10;
    return v;
}

/* x·10^p for x = m·2^-s (m < 2^53, −1 ≤ s ≤ 120) and 0 ≤ p ≤ 22, so that
 * m·10^p < 2^127 (for s = −1, x ≥ 2^53, so p ≤ 1): *fl its floor, returns 1
 * when rounding it to the nearest integer (ties to even) goes up, else 0. */
static int scaled_floor(uint64_t m, int s, int p, uint64_t *fl)
{
    const g17_u128 n = (g17_u128)m * pow10_u128(p);
    if (s <= 0) { /* an integer: x·10^p exactly */
        *fl = (uint64_t)(n << -s);
        return 0;
    }
    const g17_u128 one = 1;
    const g17_u128 q = n >> s;
    const g17_u128 r = n & ((one << s) - 1), half = one << (s - 1);
    *fl = (uint64_t)q;
    return r > half || (r == half && (q & 1));
}

size_t map_number_g17(double x, char buf[MAP_G17_MAX])
{
    const double ax = fabs(x);
    if (!(ax >= 1e-6 && ax < 1e16)) /* zero, tiny, huge, inf, nan: printf */
        return (size_t)snprintf(buf, MAP_G17_MAX, "%.17g", x);
    int e2 = 0;
    const double fr = frexp(ax, &e2); /* ax = fr·2^e2, fr in [0.5, 1) */
    const uint64_t m = (uint64_t)ldexp(fr, 53);
    const int s = 53 - e2; /* ax = m·2^-s; 1e-6 ≤ ax < 1e16: −1 ≤ s ≤ 73 */
    /* E with 10^E ≤ ax < 10^(E+1) exactly: the floor of ax·10^(16−E) is in
     * [10^16, 10^17). The estimate from log10 may be one off: correct it. */
    int E = (int)floor(log10(ax));
    uint64_t D = 0;
    int up = 0, found = 0;
    for (int tries = 0; tries < 3 && !found; tries++) {
        const int p = 16 - E;
        if (p < 0 || p > 22 || s > 120)
            return (size_t)snprintf(buf, MAP_G17_MAX, "%.17g", x);
        up = scaled_floor(m, s, p, &D);
        if (D >= UINT64_C(100000000000000000))
            E++;
        else if (D < UINT64_C(10000000000000000))
            E--;
        else
            found = 1;
    }
    if (!found)
        return (size_t)snprintf(buf, MAP_G17_MAX, "%.17g", x);
    /* Rounded to 17 digits; a carry to 10^17 is 10^16 at the next exponent
     * (printf's %e does the same). */
    D += (uint64_t)up;
    if (D == UINT64_C(100000000000000000)) {
        D = UINT64_C(10000000000000000);
        E++;
    }
    char dig[17];
    for (int i = 16; i >= 0; i--) {
        dig[i] = (char)('0' + D % 10);
        D /= 10;
    }
    int nd = 17; /* %g drops trailing zeros */
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    size_t o = 0;
    if (x < 0)
        buf[o++] = '-';
    if (E >= -4 && E < 17) {
        /* Fixed: E + 1 digits before the point (or "0." and −E−1 zeros). */
        if (E < 0) {
            buf[o++] = '0';
            buf[o++] = '.';
            for (int i = 0; i < -E - 1; i++)
                buf[o++] = '0';
            for (int i = 0; i < nd; i++)
                buf[o++] = dig[i];
        } else {
            for (int i = 0; i <= E; i++)
                buf[o++] = i < 17 ? dig[i] : '0';
            if (nd > E + 1) {
                buf[o++] = '.';
                for (int i = E + 1; i < nd; i++)
                    buf[o++] = dig[i];
            }
        }
    } else {
        /* Exponential: d.ddd…e±XX (at least two exponent digits). */
        buf[o++] = dig[0];
        if (nd > 1) {
            buf[o++] = '.';
            for (int i = 1; i < nd; i++)
                buf[o++] = dig[i];
        }
        buf[o++] = 'e';
        buf[o++] = E < 0 ? '-' : '+';
        const int ae = E < 0 ? -E : E;
        if (ae >= 100)
            buf[o++] = (char)('0' + ae / 100);
        buf[o++] = (char)('0' + ae / 10 % 10);
        buf[o++] = (char)('0' + ae % 10);
    }
    buf[o] = '\0';
    return o;
}
