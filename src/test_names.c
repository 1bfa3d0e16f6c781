/* test_names.c — enumeration tables and name-list joining (map_names.c),
 * copying a list of strings (map_strdup_all, map_common.c). */
#include <string.h>

#include "map_common.h"
#include "map_names.h"
#include "map_test.h"

static const map_enum_entry colours[] = {{"red", 1}, {"green", 2}, {"verde", 2}, {"blue", 3}};

static void test_enum(void)
{
    const size_t n = MAP_ENUM_COUNT(colours);
    MAP_CHECK(strcmp(map_enum_name(colours, n, 2, "?"), "green") == 0, "first name of a value");
    MAP_CHECK(strcmp(map_enum_name(colours, n, 9, "?"), "?") == 0, "fallback");
    int v = 0;
    MAP_CHECK(map_enum_value(colours, n, "verde", &v) == 0 && v == 2, "alias parses");
    MAP_CHECK(map_enum_value(colours, n, "blue", NULL) == 0, "value may be NULL");
    MAP_CHECK(map_enum_value(colours, n, "Blue", &v) == -1, "case-sensitive");
    MAP_CHECK(map_enum_value(colours, n, NULL, &v) == -1, "NULL text");
    MAP_CHECK(map_enum_value(colours, n, "", &v) == -1, "empty text");
}

typedef struct item {
    int id;
    const char *name;
} item;

static const char *item_at(const void *ctx, size_t i) { return ((const item *)ctx)[i].name; }

static void test_join(void)
{
    const char *const names[] = {"alpha", "beta", "gamma"};
    char buf[64];
    MAP_CHECK(strcmp(map_join_names(buf, sizeof buf, names, 3, ", "), "alpha, beta, gamma") == 0,
              "joined: %s", buf);
    MAP_CHECK(strcmp(map_join_names(buf, sizeof buf, names, 0, ", "), "") == 0, "empty list");
    char small[12];
    map_join_names(small, sizeof small, names, 3, ", ");
    MAP_CHECK(strlen(small) == sizeof small - 1 && strcmp(small + sizeof small - 4, "...") == 0,
              "cut with ...: %s", small);
    const item items[] = {{1, "x"}, {2, "y"}};
    MAP_CHECK(strcmp(map_join(buf, sizeof buf, 2, item_at, items, "|"), "x|y") == 0, "callback");
    char *all = map_join_alloc(names, 3, ",");
    MAP_CHECK(all && strcmp(all, "alpha,beta,gamma") == 0, "allocated: %s", all ? all : "(null)");
    map_free(all);
    all = map_join_alloc(names, 0, ",");
    MAP_CHECK(all && all[0] == '\0', "allocated empty");
    map_free(all);
}

/* map_strdup_all: copies, an empty list, and every allocation failing in
 * turn leaves nothing behind (the sanitizer build checks for leaks). */
static void test_strdup_all(void)
{
    const char *const v[] = {"alpha", "", "gamma"};
    char **r = map_strdup_all(v, 3);
    MAP_CHECK(r && strcmp(r[0], "alpha") == 0 && strcmp(r[1], "") == 0 &&
                  strcmp(r[2], "gamma") == 0 && r[0] != v[0],
              "three copies");
    map_free_strings(r, 3);
    r = map_strdup_all(NULL, 0);
    MAP_CHECK(r != NULL, "an empty list is an array");
    map_free_strings(r, 0);
    for (long k = 0; k < 4; k++) {
        map_alloc_fail_after(k);
        r = map_strdup_all(v, 3);
        map_alloc_fail_after(-1);
        MAP_CHECK(r == NULL, "allocation %ld failing: NULL", k + 1);
    }
}

int main(void)
{
    MAP_RUN(test_enum);
    MAP_RUN(test_join);
    MAP_RUN(test_strdup_all);
    return map_test_finish();
}
