/* test_vec.c — map_vec: pushes keep earlier elements and zero new ones, the
 * capacity doubles from the first size, an injected allocation failure
 * leaves the vector unchanged, and an overflowing size is refused. */
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

int main(void)
{
    MAP_RUN(test_push);
    MAP_RUN(test_failures);
    return map_test_finish();
}
