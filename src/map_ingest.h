/* map_ingest.h — readers that turn a CSV, JSON (array of objects) or JSON
 * Lines file into a map_dataset, selecting value, prompt and text columns.
 * Every error message starts with the file name ("<stdin>" for "-") and
 * names where the problem was found: "line L, column C" (CSV; C is the
 * 1-based field index and L the line where the record starts), "line L,
 * key 'k'" (JSON Lines), "record R, key 'k'" (JSON array; R is 1-based), or
 * jansson's "line L, column C" for invalid JSON.
 *
 * Accepted input (datasets/README.md has the details):
 *   CSV   RFC 4180 (strict quoting; quoted fields may span lines; LF, CRLF or
 *         CR line ends, mixed; blank lines skipped); a header row is required.
 *   JSON  an array of objects, one per sample (the MAP reference format);
 *         values must be JSON numbers; duplicate keys are an error.
 *   JSONL one object per line; blank lines are skipped.
 * A UTF-8 byte order mark at the start is skipped; a NUL byte is an error.
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
    size_t max_json_bytes;  /* default 1 GiB: a JSON document is read whole into
                               memory; also the longest JSON Lines line */
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

/* Parses a format name ("auto", "csv", "json", "jsonl" or "ndjson");
 * returns 0 and sets *out, or -1. */
int map_format_parse(const char *name, map_format *out);

/* Reads opts->path into a new dataset (name unset; source = path; hash =
 * XXH3-128 hex of the raw bytes read, BOM included; created = now).
 *
 * Columns: the CSV header, or the keys of the first JSON object in order.
 * With opts->values (nvalues > 0) exactly those columns become values, in
 * that order, and columns that are neither a value, the prompt nor a text
 * column are ignored (in JSON such keys may also be absent). Without it
 * every column except the prompt and text columns becomes a value, in file
 * order, so each must hold a finite number in every row (any other column
 * is an error naming it), and every JSON record must have the same keys.
 * Naming a column that does not exist, or one column twice, is an error.
 *
 * Errors: MAP_EUSAGE for unusable opts (no path, a format that cannot be
 * told from the extension); MAP_EDATA for bad content, a limit exceeded or a
 * file that cannot be read; MAP_ENOMEM. On failure *out is NULL and nothing
 * is leaked. On success the caller owns *out (map_dataset_free). */
int map_ingest_read(const map_ingest_opts *opts, map_dataset **out, map_error *err);

#endif
