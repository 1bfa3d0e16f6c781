/* map_hull.h — the upper-right convex hull of two value columns (MATH.md §8):
 * for two values, the vertices of the ε → ∞ frontier, the faces that
 * map_frontier_budget reaches with ε = +inf. Included by map_frontier.h.
 */
#ifndef MAP_HULL_H
#define MAP_HULL_H

#include <stddef.h>

#include "map_common.h"
#include "map_dataset.h"

/* The upper-right convex hull of the points (r_ja, r_jb) = (X[j, col_a],
 * X[j, col_b]): the vertices of the samples' convex hull that maximise u_a·a +
 * u_b·b for some u ≥ 0, u ≠ 0, and are Pareto-optimal, in order from the
 * sample with the largest a (ties: largest b) to the one with the largest b
 * (ties: largest a); a strictly decreasing, b strictly increasing. Points on
 * an edge between two vertices are not vertices; of duplicate points the
 * first sample is reported. Monotone chain over the Pareto staircase,
 * O(n log n); allocates n (a, b, index) triples for the sort, freed before
 * return. Writes up to cap sample indices to vertex and the number of
 * vertices to *count (which may exceed cap: call again with more room).
 * MAP_EDATA for an empty matrix, columns out of range or non-finite values;
 * MAP_ENOMEM. */
int map_upper_hull(const map_matrix *X, size_t col_a, size_t col_b, size_t *vertex, size_t cap,
                   size_t *count, map_error *err);

#endif
