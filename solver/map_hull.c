/* map_hull.c — the upper-right convex hull of two value columns: the vertices
 * of the samples' hull that some u ≥ 0 maximises, i.e. the corners of the
 * ε → ∞ frontier for two values (MATH.md §8); contract in map_hull.h.
 */
#include <math.h>
#include <stdlib.h>

#include "map_hull.h"

typedef struct hull_pt {
    double a, b;
    size_t j;
} hull_pt;

/* a descending, then b descending, then sample index ascending. */
static int hull_cmp(const void *x, const void *y)
{
    const hull_pt *p = x, *q = y;
    if (p->a != q->a)
        return p->a > q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b > q->b ? -1 : 1;
    return (p->j > q->j) - (p->j < q->j);
}

/* > 0 when o → x → y turns left (counter-clockwise). */
static double cross(const hull_pt *o, const hull_pt *x, const hull_pt *y)
{
    return (x->a - o->a) * (y->b - o->b) - (x->b - o->b) * (y->a - o->a);
}

int map_upper_hull(const map_matrix *X, size_t col_a, size_t col_b, size_t *vertex, size_t cap,
                   size_t *count, map_error *err)
{
    if (X->n == 0 || !map_matrix_has_data(X))
        return map_error_set(err, MAP_EDATA, "the dataset has no samples");
    if (col_a >= X->m || col_b >= X->m)
        return map_error_set(err, MAP_EDATA, "hull column out of range");
    const size_t n = X->n;
    hull_pt *pt = map_mallocarray(n, sizeof *pt);
    if (!pt)
        return map_error_set(err, MAP_ENOMEM, "out of memory for the hull of %zu samples", n);
    for (size_t j = 0; j < n; j++) {
        pt[j].a = map_matrix_at(X, j, col_a);
        pt[j].b = map_matrix_at(X, j, col_b);
        pt[j].j = j;
        if (!isfinite(pt[j].a) || !isfinite(pt[j].b)) {
            map_free(pt);
            return map_error_set(err, MAP_EDATA, "sample %zu has a non-finite value", j + 1);
        }
    }
    qsort(pt, n, sizeof *pt, hull_cmp);
    /* Pareto staircase in place: a strictly decreasing, b strictly increasing. */
    size_t s = 0;
    double best_b = -INFINITY;
    for (size_t j = 0; j < n; j++)
        if (pt[j].b > best_b) {
            best_b = pt[j].b;
            pt[s++] = pt[j];
        }
    /* Monotone chain over the staircase, keeping strict left turns. */
    size_t h = 0;
    for (size_t j = 0; j < s; j++) {
        while (h >= 2 && cross(&pt[h - 2], &pt[h - 1], &pt[j]) <= 0.0)
            h--;
        pt[h++] = pt[j];
    }
    for (size_t j = 0; j < h && j < cap; j++)
        vertex[j] = pt[j].j;
    *count = h;
    map_free(pt);
    return MAP_OK;
}
