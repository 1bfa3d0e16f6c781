/* map_names.h — names of things, in one place: the name ↔ value tables of
 * enumerated options (normalisation, method, precision, input format, adjust
 * mode, ...), the joining of name lists for messages and tables, and the
 * building of a table's header names. Every
 * enumerated option's _name/_parse pair is a table lookup through these, so
 * that parsing and printing cannot disagree.
 */
#ifndef MAP_NAMES_H
#define MAP_NAMES_H

#include <stddef.h>

/* One row of an enumeration's table: the option's name and its value. A
 * value may have several names (aliases); the first row with a value is the
 * name printed. */
typedef struct map_enum_entry {
    const char *name;
    int value;
} map_enum_entry;

#define MAP_ENUM_COUNT(table) (sizeof(table) / sizeof((table)[0]))

/* The printed name of value in table (n rows), or fallback if no row has it. */
const char *map_enum_name(const map_enum_entry *table, size_t n, int value, const char *fallback);

/* Sets *value (may be NULL) to the value of the row named text (exact,
 * case-sensitive). Returns 0, or -1 when text is NULL or names no row. */
int map_enum_value(const map_enum_entry *table, size_t n, const char *text, int *value);

/* Defines the pair `const char *PREFIX_name(TYPE v)` (FALLBACK for a value
 * with no row) and `int PREFIX_parse(const char *text, TYPE *out)` (0, or −1
 * for an unknown name, *out untouched) over TABLE, an array of
 * map_enum_entry: each enumerated option's pair is this one lookup. */
#define MAP_ENUM_FUNCS(TYPE, PREFIX, TABLE, FALLBACK)                                            \
    const char *PREFIX##_name(TYPE v)                                                            \
    {                                                                                            \
        return map_enum_name(TABLE, MAP_ENUM_COUNT(TABLE), (int)v, FALLBACK);                    \
    }                                                                                            \
    int PREFIX##_parse(const char *text, TYPE *out)                                              \
    {                                                                                            \
        int x;                                                                                   \
        if (map_enum_value(TABLE, MAP_ENUM_COUNT(TABLE), text, &x))                              \
            return -1;                                                                           \
        *out = (TYPE)x;                                                                          \
        return 0;                                                                                \
    }

/* The i-th name of a list held by ctx (for lists that are not plain arrays). */
typedef const char *(*map_name_at)(const void *ctx, size_t i);

/* Joins the n names at(ctx, 0) … at(ctx, n − 1) with sep into buf (size > 4
 * bytes), always NUL-terminated; a list that does not fit is cut and ends
 * with "...". Returns buf. Allocates nothing. */
char *map_join(char *buf, size_t size, size_t n, map_name_at at, const void *ctx, const char *sep);

/* map_join over a plain array of n names. */
char *map_join_names(char *buf, size_t size, const char *const *names, size_t n, const char *sep);

/* The n names joined with sep in a new string (free with map_free), or NULL
 * on out-of-memory. */
char *map_join_alloc(const char *const *names, size_t n, const char *sep);

/* A list of names built one by one, each a new string prefix + name (a
 * table's header): room for cap names, fixed by map_name_list_init. A
 * failed allocation sets ok to 0 and makes every later add a no-op, so the
 * builder checks ok once at the end. */
typedef struct map_name_list {
    char **names; /* count names */
    size_t count, cap;
    int ok;
} map_name_list;

/* An empty list with room for cap names; returns l->ok. */
int map_name_list_init(map_name_list *l, size_t cap);
void map_name_list_add(map_name_list *l, const char *prefix, const char *name);
/* map_name_list_add of each of names[0..n) with prefix. */
void map_name_list_add_all(map_name_list *l, const char *prefix, const char *const *names,
                           size_t n);
void map_name_list_free(map_name_list *l);

#endif
