/* map_region.h — the attainable set around a base palette (MATH.md §6, §8):
 * from a base palette c0, the furthest attainable point along directions
 * around it (map_region_ray for one, map_region for a table), exact through
 * the certified margin v* of map_margin. Included by map_frontier.h.
 *
 * Problems: these functions take a map_problem whose data, k, cols, scale and
 * absmax are read as in map_solve; its target is ignored (may be NULL);
 * scale is needed (the margin is scaled).
 *
 * Reentrancy: no globals. Each margin evaluation is one map_margin call,
 * which allocates its LP per call. Rows go to a caller's callback one at a
 * time; its return value stops the run (see map_region_emit).
 */
#ifndef MAP_REGION_H
#define MAP_REGION_H

#include <stddef.h>

#include "map_common.h"
#include "map_dataset.h"
#include "map_solver.h"

typedef struct map_region_params {
    double step_rtol;      /* relative accuracy of each boundary step; default 1e-10 */
    int max_iter;          /* margin LPs per ray; default 100 */
    int standardise;       /* 1: generated directions are evenly spread in
                              standardised units (value i divided by scale_i);
                              0: in the values' own units. Default 1. */
    map_feas_params feas;  /* passed to map_margin; defaults as there */
} map_region_params;

void map_region_params_default(map_region_params *p);

typedef struct map_region_row {
    size_t index;            /* 0-based position in the table */
    size_t k;
    double angle;            /* k = 2: the direction's angle in [0, 2π) in the
                                generated (standardised or raw) plane; NAN otherwise */
    double unit[MAP_MAX_K];  /* the generated unit direction (standardised or raw units) */
    double dir[MAP_MAX_K];   /* the direction in the values' own units:
                                unit_i·scale_i when standardised, else unit_i */
    int bounded;             /* 0: dir has no positive component; the attainable set
                                is closed downward, so the whole ray is attainable */
    double step;             /* the largest s ≥ 0 with c0 + s·dir attainable (v* ≥
                                −1e-12, the margin LP's resolution); +inf if unbounded */
    double point[MAP_MAX_K]; /* c0 + step·dir; for an unbounded ray c0_i where dir_i = 0
                                and −inf where dir_i < 0 */
    double margin;           /* v* at the reported point (NAN if unbounded) */
    int evaluations;         /* margin LPs spent on this ray */
} map_region_row;

/* Receives each region row; a non-zero return stops the run and is returned
 * unchanged, as for map_frontier_emit. The row is valid during the call. */
typedef int (*map_region_emit)(void *ctx, const map_region_row *row);

/* The boundary of the attainable set along one direction dir (k entries in
 * the values' own units, finite, not all zero) from the base palette c0 (k
 * entries; NULL: the reference means), for any k. Needs pb->scale (the
 * margin is scaled). Fills row (angle NAN, unit = dir/|dir|, bounded, step,
 * point, margin, evaluations). The step is found on the margin along the
 * ray, v(s) = v*(c0 + s·dir), concave and piecewise linear in s: the search
 * starts at the exact outer bound s_max = min over dir_i > 0 of (max_j r_ji −
 * c0_i)/dir_i (beyond it some target exceeds its value's maximum), takes
 * Newton steps with the slope −Σ_i d_i dir_i / scale_i given by the LP's
 * optimal d (from outside they stay outside and converge finitely), and
 * bisects when a step leaves the bracket. Targets that the ray pushes below
 * their value's minimum constrain nothing and are held at the minimum,
 * which leaves the attainable set unchanged and the LP well scaled. It stops
 * when an attainable s is certified within step_rtol·s of the boundary
 * (concavity: the boundary lies in [s, s + v(s)/|v'(s)|]) or the bracket is
 * that narrow. Each call also checks c0 (one margin LP) and scans the data
 * for the values' ranges; map_region does both once for all its rays. par may
 * be NULL.
 * Returns MAP_OK; MAP_EDATA for an invalid problem or direction, or a c0
 * that is not attainable; MAP_NOT_ATTAINED if the iteration limit left the
 * bracket wider than step_rtol (row holds the attainable end); errors of
 * map_margin. */
int map_region_ray(const map_problem *pb, const double *c0, const double *dir, const map_region_params *par,
                   map_region_row *row, map_error *err);

/* The region around c0 (NULL: the reference means) for k = 2 or 3 values:
 * ndir directions, evenly spaced in angle over [0, 2π) for k = 2 (θ_i =
 * 2πi/ndir, so the rows come in angular order and the bounded rows' points
 * trace the boundary polygon in order; components within 1e-12 of zero are
 * set to zero so the axis directions are exact), or a Fibonacci lattice on
 * the sphere for k = 3; then map_region_ray for each, rows to emit in order.
 * Returns MAP_OK, MAP_EDATA (invalid problem, k not 2 or 3, ndir = 0, c0 not
 * attainable), errors of map_margin, or the callback's non-zero return. */
int map_region(const map_problem *pb, const double *c0, size_t ndir, const map_region_params *par,
               map_region_emit emit, void *ctx, map_error *err);

#endif
