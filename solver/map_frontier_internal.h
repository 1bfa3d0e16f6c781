/* map_frontier_internal.h — what map_frontier.c and map_region.c share:
 * the validation of the problem they read. Not installed; not for callers.
 */
#ifndef MAP_FRONTIER_INTERNAL_H
#define MAP_FRONTIER_INTERNAL_H

#include "map_common.h"
#include "map_solver.h"

/* Checks the parts of a problem that the frontier and region functions read
 * (data, k, cols; scale when need_scale; target is ignored). MAP_OK, or
 * MAP_EDATA with a message naming what is wrong. */
int map_frontier_check_problem(const map_problem *pb, int need_scale, map_error *err);

#endif
