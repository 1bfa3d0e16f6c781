/* map_lp.h — private to solver/: what the two LP files (map_feasible.c, the
 * global margin; map_margin_prompt.c, the per-prompt cutting planes) share
 * of their GLPK glue. */
#ifndef MAP_LP_H
#define MAP_LP_H

#include <glpk.h>

/* The simplex settings of both: no messages, dual simplex falling back to
 * the primal, bound and reduced-cost tolerances 1e-10. Defined in
 * map_feasible.c. */
void map_lp_simplex_params(glp_smcp *parm);

#endif
