/* map_ingest_internal.h — what the format readers (map_read_csv.c,
 * map_read_json.c) share with the common part (map_ingest.c): the byte source
 * that reads, hashes and skips a BOM, and the reader that turns a header and
 * cells into a dataset. Not installed; not for use outside src/.
 *
 * Error messages produced here carry no file name: map_ingest_read prefixes
 * every message with "FILE: " once, at the end.
 */
#ifndef MAP_INGEST_INTERNAL_H
#define MAP_INGEST_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "map_common.h"
#include "map_dataset.h"
#include "map_hash.h"
#include "map_ingest.h"

/* Bytes read (and hashed) per read call: large enough that the CSV reader
 * can split a chunk between two threads. */
#define MAP_INGEST_CHUNK ((size_t)1024 * 1024)

/* An open input: every byte read is added to the hash, and a UTF-8 byte
 * order mark at the very start is hashed but not returned. */
typedef struct map_source {
    FILE *fp;
    int close_fp;       /* 1 when fp came from fopen */
    map_hash *hash;
    int started;        /* the first chunk (and its BOM check) is done */
    int eof;
    unsigned char *buf; /* MAP_INGEST_CHUNK bytes */
} map_source;

/* Reads the next chunk: *data points into src->buf (valid until the next
 * call; already hashed, so the caller may overwrite it, as the CSV reader
 * does to NUL-terminate fields in place), *len is 0 at the end of the input.
 * Returns 0, or MAP_EDATA with "read error: <strerror>" in err. */
int map_source_read(map_source *src, unsigned char **data, size_t *len, map_error *err);

/* How a location is written in messages. */
typedef enum map_where {
    MAP_WHERE_LINE_COLUMN, /* CSV: "line L, column C" (C = 1-based field index) */
    MAP_WHERE_LINE_KEY,    /* JSON Lines: "line L, key 'k'" */
    MAP_WHERE_RECORD_KEY   /* JSON array: "record R, key 'k'" (R 1-based) */
} map_where;

/* Roles of the input columns. */
enum { MAP_ROLE_NONE = 0, MAP_ROLE_IGNORE, MAP_ROLE_VALUE, MAP_ROLE_PROMPT, MAP_ROLE_TEXT };

/* Builds a dataset from a header and rows of cells. The glue files read its
 * fields (limits, columns, roles) but change it only through the functions
 * below. */
typedef struct map_reader {
    const map_ingest_opts *opts;
    map_ingest_limits lim;   /* opts->limits with defaults filled in */
    map_where where;
    int explicit_values;     /* opts->values given: other columns are ignored */

    /* Set by map_reader_header. */
    int have_header;
    size_t ncols;
    char **cols;             /* ncols names, file order */
    unsigned char *role;     /* ncols MAP_ROLE_* */
    size_t *slot;            /* ncols: index among values or text columns */
    size_t m, ntext;
    size_t *value_col;       /* m column indices, in value order */
    size_t *text_col;        /* ntext column indices, in opts order */
    size_t prompt_col;       /* valid when has_prompt */
    int has_prompt;

    /* Rows; row n is being filled while row_open. */
    size_t n, cap;
    int row_open;
    size_t row_loc;          /* line (CSV, JSONL) or record (JSON) of the current row */
    double *x;               /* cap * m */
    char **prompts;          /* cap, when has_prompt */
    char **text;             /* cap * ntext */
} map_reader;

/* Writes where row rd->row_loc, column col is into buf ("line 3, column 2",
 * "record 7, key 'humor'"); col == (size_t)-1 names the row alone. */
void map_reader_where(const map_reader *rd, size_t col, char *buf, size_t cap);

/* The error for input over the limit called field (a member of
 * map_ingest_limits): map_reader_fail with `fmt` followed by " (FIELD,
 * which can be raised)", and err->field set to field. Returns MAP_EDATA. */
int map_reader_over_limit(const map_reader *rd, map_error *err, size_t col, const char *field,
                          const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Formats `fmt` into err, prefixed by the location of (row_loc, col) and
 * ": "; returns MAP_EDATA. */
int map_reader_fail(const map_reader *rd, map_error *err, size_t col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Index of the column called name, or -1 (after the header is set). */
long map_reader_column(const map_reader *rd, const char *name);

/* Takes the column names (copied) found at location loc (a line or record
 * number), checks them (empty or duplicate names, limits) and resolves the
 * value, prompt and text columns from opts. Returns 0, MAP_EDATA or
 * MAP_ENOMEM. */
int map_reader_header(map_reader *rd, const char *const *names, size_t ncols, size_t loc,
                      map_error *err);

/* Opens a data row at location loc (checks max_rows, grows the arrays). */
int map_reader_row_begin(map_reader *rd, size_t loc, map_error *err);

/* Stores cell col of the open row from text s (len bytes, NUL-terminated,
 * no NUL inside): parsed as a number for a value column, copied for the
 * prompt or a text column, ignored otherwise. MAP_EDATA names the location
 * and the column. */
int map_reader_cell_text(map_reader *rd, size_t col, const char *s, size_t len, map_error *err);

/* A JSON number: a value, or converted to text (shortest exact %g) for the prompt or
 * a text column. */
int map_reader_cell_number(map_reader *rd, size_t col, double v, map_error *err);

/* A JSON string (len bytes, NUL-terminated): text for the prompt or a text
 * column; an error for a value column (values must be JSON numbers). */
int map_reader_cell_string(map_reader *rd, size_t col, const char *s, size_t len, map_error *err);

/* A JSON value of another type, described by kind ("null", "true", "an
 * array", ...): an error unless the column is ignored. */
int map_reader_cell_other(map_reader *rd, size_t col, const char *kind, map_error *err);

/* Closes the open row (every needed cell must have been stored). */
void map_reader_row_end(map_reader *rd);

/* Starts *child (an output parameter) as a reader with no rows that shares
 * rd's header (not copied: rd keeps it and must outlive child), so that
 * another thread can read rows into it while rd is in use. Free child with
 * map_reader_drop, never as a whole reader. */
void map_reader_fork(const map_reader *rd, map_reader *child);

/* Moves child's closed rows after rd's (child keeps none). Returns 0,
 * MAP_EDATA when rd would exceed max_rows (nothing moved; the message
 * names rd's current row_loc, so callers re-read the rows to name the right
 * one) or MAP_ENOMEM (nothing moved). */
int map_reader_append(map_reader *rd, map_reader *child, map_error *err);

/* Frees what a forked child owns (its rows and their strings, an open row
 * included) and clears it; the shared header stays with the parent. */
void map_reader_drop(map_reader *child);

/* The format readers. Each reads all of src into rd; on success rd holds
 * the header and at least one row. They return 0, MAP_EDATA or MAP_ENOMEM
 * with a message (no file name) in err. */
int map_read_csv(map_reader *rd, map_source *src, map_error *err);

/* Test and benchmark hook: mode 0 feeds every CSV line to libcsv; 1 reads
 * lines without quotes directly (feed_plain_line) in one thread; 2, the
 * default, also splits large chunks between two threads. All modes give the
 * same datasets and messages; tests compare them. Not thread-safe. */
void map_read_csv_mode(int mode);
int map_read_json(map_reader *rd, map_source *src, map_error *err);
int map_read_jsonl(map_reader *rd, map_source *src, map_error *err);

#endif
