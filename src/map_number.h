/* map_number.h — fast exact parsing of decimal numbers in data cells.
 *
 * Accepts exactly what map_parse_double accepts and returns the same bits
 * (the correctly rounded double that strtod gives in the C locale); it only
 * gets there faster for the common case of a short decimal ("0.123456",
 * "-12.5e3"). Anything else is handed to map_parse_double.
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

#endif
