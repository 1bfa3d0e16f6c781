/* test_number.c — map_number_parse against strtod: the same accept/reject
 * verdict as map_parse_double and the same bits as strtod, on fixed hard
 * cases (2^53 neighbours, halfway cases, subnormals, the Clinger limits,
 * overflow) and on millions of random decimal strings of every shape; and
 * map_number_g17 against snprintf's "%.17g", byte for byte, on millions of
 * doubles: random bits, every magnitude, the neighbours of powers of ten,
 * and dyadic numbers whose 18th digit is a tie.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_common.h"
#include "map_number.h"
#include "map_test.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

static int mismatches;
static long compared;

/* One comparison: verdict as map_parse_double, bits as strtod. Reports at
 * most 20 mismatches in full. */
static void check_one(const char *s)
{
    double fast = 12345.0, slow = 54321.0;
    compared++;
    const int rf = map_number_parse(s, strlen(s), &fast);
    const int rs = map_parse_double(s, &slow);
    int same = rf == rs;
    if (same && rf == 0) {
        const double ref = strtod(s, NULL);
        same = memcmp(&fast, &ref, sizeof fast) == 0 && memcmp(&slow, &ref, sizeof ref) == 0;
    }
    if (!same && ++mismatches <= 20)
        MAP_CHECK(same, "'%s': map_number_parse %d (%a), map_parse_double %d (%a)", s, rf, fast,
                  rs, slow);
}

static void test_fixed(void)
{
    static const char *const cases[] = {
        "0", "-0", "+0", "0.0", "-0.0", "00000", "0e0", "-0e-999999", "0e999999999999",
        "1", "-1", "+1", "1.", ".5", "-.5", "+.5", "1.5e3", "1.5E+3", "1.5e-3", "15e-1",
        "0.123456", "-0.123456", "123456.789012", "-999999.999999",
        "9007199254740991", "9007199254740992", "9007199254740993", "9007199254740994",
        "9007199254740995", "18014398509481985", "-9007199254740993",
        "9007199254740993e0", "9007199254740993.0", "900719925474099.3e1",
        "1e22", "1e23", "1e-22", "1e-23", "9007199254740991e22", "9007199254740991e-22",
        "1e37", "1e38", "9e37", "99e36", "9007199254740992e15", "9007199254740991e15",
        "4503599627370497e22", "123456789012345678", "1234567890123456789",
        "12345678901234567890", "0.1", "0.2", "0.3", "0.30000000000000004",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "4.9e-324", "5e-324",
        "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400", "-1e-400",
        "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
        "1e308", "1e309", "-1e309", "1e999999999999999999999",
        "8.98846567431158e307", "0.000000000000000000000000000001",
        "00000000000000000000000000000000000000001.5",
        "1.00000000000000000000000000000000000000001",
        "7.0000000000000000000000000000000000000000000000000000001e-1",
        /* rejected */
        "", " ", " 1", "1 ", "+", "-", ".", "+.", "-.", "e5", ".e5", "1e", "1e+", "1e-",
        "1.2.3", "1e5e5", "--1", "+-1", "1,5", "0x10", "0X1p3", "inf", "-inf", "Infinity",
        "nan", "NaN", "1d5", "\t1", "1\t", "1f", "١", "1e5.0", "0x", "e", "E1",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_one(cases[i]);
}

/* Appends n random digits (the first non-zero when lead) to buf at *o. */
static void digits(char *buf, size_t *o, unsigned n, int lead)
{
    for (unsigned i = 0; i < n; i++)
        buf[(*o)++] = (char)('0' + (lead && i == 0 ? 1 + below(9) : below(10)));
}

/* Random strings of the grammar [sign] int [. frac] [e [sign] exp], with
 * digit counts from 0 to 25, exponents from small to far out of range, and
 * now and then a stray character that makes the text invalid. */
static void test_random_grammar(void)
{
    static const char junk[] = " \t+-.eExXinINa,\"0";
    char buf[128];
    for (long k = 0; k < 2000000; k++) {
        size_t o = 0;
        const unsigned sign = below(4);
        if (sign == 1)
            buf[o++] = '-';
        else if (sign == 2)
            buf[o++] = '+';
        const unsigned shape = below(8);
        const unsigned nint = shape < 4 ? below(8) : below(26);
        digits(buf, &o, nint, below(3) != 0);
        if (below(4) != 0) {
            buf[o++] = '.';
            digits(buf, &o, shape < 4 ? below(9) : below(26), 0);
        }
        if (below(3) == 0) {
            buf[o++] = below(2) ? 'e' : 'E';
            const unsigned es = below(3);
            if (es == 1)
                buf[o++] = '-';
            else if (es == 2)
                buf[o++] = '+';
            const unsigned mag = below(4);
            const int ex = mag == 0 ? (int)below(10) : mag == 1 ? (int)below(40)
                         : mag == 2 ? (int)below(340) : (int)below(400);
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%d", ex);
        }
        if (below(50) == 0 && o > 0)
            buf[below((unsigned)o + 1)] = junk[below(sizeof junk - 1)];
        buf[o] = '\0';
        check_one(buf);
    }
}

/* Random doubles written the ways data is: %.6f, %.Ng for N in 1..17, %e,
 * and halfway points between neighbouring doubles (%.40g of the exact
 * midpoint, cut to 17..25 digits), over normal and subnormal ranges. */
static void test_random_printed(void)
{
    char buf[128];
    for (long k = 0; k < 1000000; k++) {
        double v;
        const unsigned kind = below(4);
        if (kind == 0) {
            v = (double)(rnd() >> 11) * 0x1.0p-52 - 1.0; /* [-1, 1) */
        } else if (kind == 1) {
            v = ldexp((double)(rnd() >> 11), (int)below(120) - 80);
        } else {
            uint64_t bits = rnd();
            if (kind == 3)
                bits &= ~((uint64_t)0x7FF << 52); /* subnormal or zero */
            memcpy(&v, &bits, sizeof v);
            if (!isfinite(v))
                v = 1.0;
        }
        const unsigned fmt = below(5);
        if (fmt == 0)
            snprintf(buf, sizeof buf, "%.6f", v);
        else if (fmt == 1)
            snprintf(buf, sizeof buf, "%.*g", 1 + (int)below(17), v);
        else if (fmt == 2)
            snprintf(buf, sizeof buf, "%.*e", (int)below(20), v);
        else if (fmt == 3)
            snprintf(buf, sizeof buf, "%.17g", v);
        else {
            /* A decimal close to the midpoint of v and its successor. */
            const double up = nextafter(v, INFINITY);
            const long double mid = ((long double)v + (long double)up) / 2;
            snprintf(buf, sizeof buf, "%.*Le", 16 + (int)below(9), mid);
        }
        check_one(buf);
    }
}

/* Exact halfway cases below 2^54 (odd integers between doubles) and small
 * integers with exponents around the Clinger limits. */
static void test_integers(void)
{
    char buf[64];
    for (long k = 0; k < 200000; k++) {
        const uint64_t w = ((uint64_t)1 << 53) + (rnd() & (((uint64_t)1 << 53) - 1));
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)(w | 1));
        check_one(buf);
        const uint64_t small = rnd() >> (11 + below(53));
        snprintf(buf, sizeof buf, "%llue%d", (unsigned long long)small, (int)below(80) - 40);
        check_one(buf);
    }
}

static long g17_bad;

static void g17_one(double x)
{
    char fast[MAP_G17_MAX], ref[64];
    const size_t n = map_number_g17(x, fast);
    snprintf(ref, sizeof ref, "%.17g", x);
    if ((strcmp(fast, ref) != 0 || n != strlen(ref)) && ++g17_bad <= 20)
        MAP_CHECK(0, "%a: map_number_g17 '%s' (%zu), printf '%s'", x, fast, n, ref);
}

static void test_g17(void)
{
    static const double fixed[] = {0.0, -0.0, 1.0, -1.0, 0.1, 1e-6, 1e16, 9999999999999998.0,
                                   9999999999999999.0, 1e-5, 0.0001, 0.00012345, 123456789.0,
                                   0.30000000000000004, 2.5, 1e15, 1.5e-6, 5e-324, DBL_MAX,
                                   -DBL_MIN, 1e-7, 1e17, 12345678901234567.0};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        g17_one(fixed[i]);
    g17_one(INFINITY);
    g17_one(-INFINITY);
    g17_one(NAN);
    /* The neighbours of every power of ten in and around the fast range. */
    for (int e = -8; e <= 18; e++) {
        double v = pow(10.0, e), lo = v, hi = v;
        for (int k = 0; k < 40; k++) {
            g17_one(lo);
            g17_one(hi);
            g17_one(-hi);
            lo = nextafter(lo, 0.0);
            hi = nextafter(hi, INFINITY);
        }
    }
    /* Dyadic numbers m·2^-s: their decimal expansions end in 5, so some
     * have a tie at the 18th digit. */
    for (uint64_t m = 1; m < 4000; m += 1)
        for (int s = 0; s <= 70; s++)
            g17_one(ldexp((double)m, -s));
    for (long i = 0; i < 300000; i++) {
        const uint64_t m = (rnd() >> 11) | 1; /* odd 53-bit */
        g17_one(ldexp((double)m, -(int)below(110)));
    }
    /* Random magnitudes over the fast range and beyond. */
    for (long i = 0; i < 1000000; i++) {
        const double u = (double)(rnd() >> 11) / 9007199254740992.0;
        const double v = pow(10.0, -8.0 + 26.0 * u) * (rnd() & 1 ? -1.0 : 1.0);
        g17_one(v);
    }
    /* Random bit patterns (every exponent, subnormals, inf and nan). */
    for (long i = 0; i < 200000; i++) {
        const uint64_t b = rnd();
        double v;
        memcpy(&v, &b, sizeof v);
        g17_one(v);
    }
    MAP_CHECK(g17_bad == 0, "%ld of the doubles differ from printf", g17_bad);
}

int main(void)
{
    MAP_RUN(test_fixed);
    MAP_RUN(test_random_grammar);
    MAP_RUN(test_random_printed);
    MAP_RUN(test_integers);
    MAP_RUN(test_g17);
    MAP_CHECK(mismatches == 0, "%d mismatches in all", mismatches);
    fprintf(stderr, "%ld strings compared with strtod\n", compared);
    return map_test_finish();
}
