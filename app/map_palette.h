/* map_palette.h — the single parser of palette specifications.
 *
 * A palette spec is a comma-separated list of VALUE=TARGET items, e.g.
 *     humor=q90,gpt2-helpful=mean,coherence=0.45
 * where TARGET is
 *     a number   (strict: map_parse_double; no inf/nan)
 *     mean       the value's mean over the reference samples
 *     qNN        the NN-th percentile (type 7, MATH.md §10), NN a number in
 *                [0, 100], fractional allowed: q0 = min, q50 = median,
 *                q97.5, q100 = max.
 * Blanks around items, names and targets are ignored. A value is split from
 * its target at the last '=' (targets never contain one). Each value may
 * appear once; the palette's order is kept.
 */
#ifndef MAP_PALETTE_H
#define MAP_PALETTE_H

#include <stddef.h>

#include "map_common.h"
#include "map_dataset.h"

typedef enum map_target_kind {
    MAP_TARGET_NUMBER = 0, /* target = arg */
    MAP_TARGET_MEAN,       /* target = the value's mean */
    MAP_TARGET_QUANTILE    /* target = the arg-th percentile (arg in [0, 100]) */
} map_target_kind;

typedef struct map_palette_item {
    char *name;           /* value name (owned) */
    char *spec;           /* the target as written, trimmed (owned): "q90", "mean", "1.5" */
    map_target_kind kind;
    double arg;           /* the number, or the percentile; 0 for mean */
    size_t col;           /* column index in the dataset (set by map_palette_resolve) */
    double target;        /* the numeric target c_i (set by map_palette_resolve) */
} map_palette_item;

typedef struct map_palette {
    size_t k;                /* number of items, >= 1 */
    map_palette_item *items; /* k items in the order given */
    int resolved;            /* map_palette_resolve succeeded */
} map_palette;

/* Parses spec (syntax only). On success *out is a new palette (free with
 * map_palette_free). Errors, MAP_EDATA naming the offending item: empty
 * palette, empty item, an item without '=', empty value name, empty target,
 * a target that is not a number, `mean` or `qNN`, a percentile outside
 * [0, 100], a value named twice, more than MAP_MAX_K values. MAP_ENOMEM. */
int map_palette_parse(const char *spec, map_palette **out, map_error *err);

/* Resolves pal against ds: finds each value's column and computes its
 * numeric target (means and type-7 percentiles over all ds->n samples).
 * Unknown value: MAP_EDATA naming it and listing ds's values. ds->n >= 1. */
int map_palette_resolve(map_palette *pal, const map_dataset *ds, map_error *err);

/* map_palette_parse then map_palette_resolve. */
int map_palette_parse_for(const char *spec, const map_dataset *ds, map_palette **out,
                          map_error *err);

/* Frees pal and its items; NULL is a no-op. */
void map_palette_free(map_palette *pal);

#endif
