/* map_number.h — fast exact conversions between decimal text and doubles:
 * parsing of data cells, and the "%.17g" formatting of output numbers.
 *
 * The parser accepts exactly what map_parse_double accepts and returns the
 * same bits (the correctly rounded double that strtod gives in the C
 * locale); it only gets there faster for the common case of a short decimal
 * ("0.123456", "-12.5e3"). Anything else is handed to map_parse_double.
 *
 * The formatter writes exactly the bytes of printf's "%.17g" (C locale);
 * it gets there faster for numbers from 1e-6 to 1e16 in magnitude, and
 * hands anything else to snprintf.
 */
#ifndef MAP_NUMBER_H
#define MAP_NUMBER_H

#include <stddef.h>

/* Parses the whole of s[0..len), where s[len] == '\0' and no NUL occurs
 * before it, as a finite number with map_parse_double's rules (sign, digits,
 * point, exponent; no spaces, inf, nan or hex; overflow rejected, underflow
 * accepted). Returns 0 and sets *out (an output parameter), or -1 and leaves
 * *out alone. Thread-safe; allocates nothing. */
int map_number_parse(const char *s, size_t len, double *out);

/* The longest text map_number_g17 writes, with its NUL. */
#define MAP_G17_MAX 32

/* Writes x as printf's "%.17g" would (17 significant digits, correctly
 * rounded, trailing zeros removed; "inf", "-inf", "nan" as printf writes
 * them) into buf, NUL-terminated, and returns its length. Thread-safe;
 * allocates nothing. */
size_t map_number_g17(double x, char buf[MAP_G17_MAX]);

#endif
