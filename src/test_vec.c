/* test_vec.c — map_vec: pushes keep earlier elements and zero new ones, the
 * capacity doubles from the first size, an injected allocation failure
 * leaves the vector unchanged, and an overflowing size is refused; appends
 * copy in order and keep a zeroed element after the last. */
#include <stdint.h>
#include <string.h>

#include "map_common.h"
#include "map_test.h"
#include "map_vec.h"

typedef struct pair {
    int64_t a;
    double b;
} pair;

static void test_push(void)
{
    map_vec v;
    map_vec_init(&v, sizeof(pair), 4);
    MAP_CHECK(v.data == NULL && v.len == 0 && v.cap == 0, "init allocates nothing");
    for (int64_t i = 0; i < 100; i++) {
        pair *p = map_vec_push(&v);
        MAP_CHECK(p && p->a == 0 && p->b == 0.0, "push %d gives a zeroed element", (int)i);
        p->a = i;
        p->b = (double)i / 2;
    }
    MAP_CHECK(v.len == 100 && v.cap == 128, "100 pushes from 4: len %zu cap %zu", v.len, v.cap);
    const pair *all = v.data;
    for (int64_t i = 0; i < 100; i++)
        MAP_CHECK(all[i].a == i && all[i].b == (double)i / 2, "element %d kept", (int)i);
    pair *taken = map_vec_release(&v);
    MAP_CHECK(taken == all && v.data == NULL && v.len == 0 && v.cap == 0, "release empties");
    map_free(taken);
    map_vec_free(&v); /* empty: a no-op */
}

static void test_failures(void)
{
    map_vec v;
    map_vec_init(&v, sizeof(pair), 2);
    MAP_CHECK(map_vec_push(&v) && map_vec_push(&v), "two pushes");
    const void *before = v.data;
    map_alloc_fail_after(0);
    void *p = map_vec_push(&v);
    map_alloc_fail_after(-1);
    MAP_CHECK(!p && v.data == before && v.len == 2 && v.cap == 2, "failed push changes nothing");
    MAP_CHECK(map_vec_reserve(&v, SIZE_MAX) == MAP_ENOMEM && v.cap == 2, "overflow refused");
    MAP_CHECK(map_vec_reserve(&v, 1) == MAP_OK && v.cap == 2, "reserve below cap is a no-op");
    MAP_CHECK(map_vec_reserve(&v, 9) == MAP_OK && v.cap == 16 && v.len == 2, "reserve doubles");
    map_vec_free(&v);
    MAP_CHECK(v.data == NULL && v.len == 0, "free empties");
}

/* Appends copy the elements in order, keep a zeroed element after them
 * (bytes stay a NUL-terminated string), and change nothing when they fail. */
static void test_append(void)
{
    map_vec v;
    map_vec_init(&v, 1, 4);
    MAP_CHECK(map_vec_append(&v, "abc", 3) == MAP_OK && v.len == 3 && v.cap == 4 &&
                  strcmp(v.data, "abc") == 0,
              "append to an empty vector, NUL kept within the first size");
    MAP_CHECK(map_vec_append(&v, "defgh", 5) == MAP_OK && v.len == 8 && v.cap == 16 &&
                  strcmp(v.data, "abcdefgh") == 0,
              "append grows by doubling and keeps the NUL");
    MAP_CHECK(map_vec_append(&v, NULL, 0) == MAP_OK && v.len == 8 && strcmp(v.data, "abcdefgh") == 0,
              "an empty append changes nothing");
    const void *before = v.data;
    map_alloc_fail_after(0);
    const int rc = map_vec_append(&v, "0123456789", 10);
    map_alloc_fail_after(-1);
    MAP_CHECK(rc == MAP_ENOMEM && v.data == before && v.len == 8 && v.cap == 16 &&
                  strcmp(v.data, "abcdefgh") == 0,
              "a failed append changes nothing");
    MAP_CHECK(map_vec_append(&v, "x", SIZE_MAX) == MAP_ENOMEM && v.len == 8, "overflow refused");
    map_vec_free(&v);

    map_vec p;
    map_vec_init(&p, sizeof(pair), 1);
    const pair two[2] = {{1, 1.5}, {2, 2.5}};
    MAP_CHECK(map_vec_append(&p, two, 2) == MAP_OK && p.len == 2 && p.cap == 4, "wide elements");
    const pair *d = p.data;
    MAP_CHECK(d[0].a == 1 && d[1].b == 2.5 && d[2].a == 0 && d[2].b == 0.0,
              "copied in order, the next one zeroed");
    map_vec_free(&p);
}

int main(void)
{
    MAP_RUN(test_push);
    MAP_RUN(test_failures);
    MAP_RUN(test_append);
    return map_test_finish();
}
