/* map_ingest.h — readers that turn a CSV, JSON (array of objects) or JSON
 * Lines file into a map_dataset, selecting value, prompt and text columns.
 * Every error names the file and the line and column (CSV, JSONL) or the
 * line/column and key (JSON) where it was found.
 */
#ifndef MAP_INGEST_H
#define MAP_INGEST_H

#include <stddef.h>
#include "map_common.h"
#include "map_dataset.h"

typedef enum map_format {
    MAP_FMT_AUTO = 0, /* from the file extension (.csv, .json, .jsonl/.ndjson); stdin: csv */
    MAP_FMT_CSV,
    MAP_FMT_JSON,
    MAP_FMT_JSONL
} map_format;

/* Reader limits; 0 in a field means "use the default". */
typedef struct map_ingest_limits {
    size_t max_field_bytes; /* default 64 MiB: longest CSV field / JSON string */
    size_t max_columns;     /* default 4096 */
    size_t max_rows;        /* default 100,000,000 */
    size_t max_values;      /* default 64 */
} map_ingest_limits;

typedef struct map_ingest_opts {
    const char *path;                /* file path; "-" reads standard input */
    map_format format;               /* MAP_FMT_AUTO by default */
    const char *const *values;       /* explicit value columns in order, or NULL */
    size_t nvalues;
    const char *prompt_column;       /* prompt key column, or NULL */
    const char *const *text_columns; /* text columns to keep, or NULL */
    size_t ntext;
    map_ingest_limits limits;
} map_ingest_opts;

/* Parses a format name ("csv", "json", "jsonl"); returns 0 or -1. */
int map_format_parse(const char *name, map_format *out);

/* Reads opts->path into a new dataset (name unset; source = path; hash set;
 * created = now). Without opts->values every column whose cells are all
 * numbers becomes a value, except the prompt and text columns; any other
 * column that is not numeric is an error naming it. Errors: MAP_EDATA for
 * bad content or an unreadable file, MAP_ENOMEM. On success the caller owns
 * *out (map_dataset_free). */
int map_ingest_read(const map_ingest_opts *opts, map_dataset **out, map_error *err);

#endif
