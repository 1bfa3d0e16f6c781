/* map_test_app.h — the application layer's palette commands called the
 * short way in tests: a palette (and, where given, options) on a dataset
 * with every other field of the request at its default. */
#ifndef MAP_TEST_APP_H
#define MAP_TEST_APP_H

#include "map_app.h"

/* The request of palette with options so (NULL: the defaults), every other
 * field at its default. */
static inline map_solve_request test_palette_request(const char *palette, const map_solve_opts *so)
{
    map_solve_request rq;
    map_solve_request_init(&rq, palette);
    if (so)
        rq.opts = *so;
    return rq;
}

/* map_app_solve of palette with options so (NULL: the defaults). */
static inline int solve_palette(const map_dataset *ds, const char *palette,
                                const map_solve_opts *so, map_solve_report **out,
                                map_error *err)
{
    const map_solve_request rq = test_palette_request(palette, so);
    return map_app_solve(ds, &rq, out, err);
}

/* map_app_feasible of palette with options so (NULL: the defaults). */
static inline int feasible_palette(const map_dataset *ds, const char *palette,
                                   const map_solve_opts *so, map_feasible_report **out,
                                   map_error *err)
{
    const map_solve_request rq = test_palette_request(palette, so);
    return map_app_feasible(ds, &rq, out, err);
}

/* map_app_adjust of palette with adjust options ao. */
static inline int adjust_palette(const map_dataset *ds, const char *palette,
                                 const map_adjust_opts *ao, map_adjust_report **out,
                                 map_error *err)
{
    map_adjust_request rq;
    map_adjust_request_init(&rq, palette);
    rq.adjust = *ao;
    return map_app_adjust(ds, &rq, out, err);
}

#endif
