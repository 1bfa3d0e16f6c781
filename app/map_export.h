/* map_export.h — writing a stored dataset back out as CSV (`mapsolve export
 * NAME`): the prompt column first (if any), then the text columns, then the
 * values, in their stored order, numbers with 17 significant digits, so that
 *     mapsolve ingest OUT.csv --prompt-column P --text-columns T...
 * rebuilds a bit-identical matrix.
 */
#ifndef MAP_EXPORT_H
#define MAP_EXPORT_H

#include <stdio.h>

#include "map_common.h"
#include "map_dataset.h"

/* Writes ds (with prompts and text when loaded) to out as CSV. MAP_ENOMEM
 * with the system's reason if writing fails. */
int map_app_export_dataset(const map_dataset *ds, FILE *out, map_error *err);

#endif
