/* map_csv_write.h — the project's one CSV writer: RFC 4180 rows over a
 * FILE*, through libcsv's writer, readable by map_ingest_read.
 *
 * Format:
 *   - cells are separated by ',' and rows end with "\n" (the reader also
 *     accepts CRLF; LF is what Unix tools expect);
 *   - a text cell is written bare unless it contains ',', '"', CR or LF,
 *     starts or ends with a space or tab, or starts with a UTF-8 byte order
 *     mark; then it is quoted by libcsv (csv_fwrite: enclosed in '"', inner
 *     quotes doubled), so any byte string, UTF-8 included, reads back as
 *     written; NULL is an empty cell;
 *   - a number is written with 17 significant digits ("%.17g"), which reads
 *     back bit-identical with strtod; NaN is an empty cell (a missing
 *     number), +inf and −inf are "inf" and "-inf". (map_ingest_read takes
 *     only finite numbers in value columns, so a column holding either must
 *     be read as text.) Numbers follow the C locale; mapsolve never changes
 *     LC_NUMERIC.
 *
 * Errors are sticky: after the first failed write every call returns the
 * same code without writing, and map_csv_writer_finish reports it with the
 * system's reason. Not thread-safe per writer; writers share nothing.
 */
#ifndef MAP_CSV_WRITE_H
#define MAP_CSV_WRITE_H

#include <stddef.h>
#include <stdio.h>

#include "map_common.h"

typedef struct map_csv_writer map_csv_writer;

/* A writer appending to out, which it borrows (never closes). NULL on
 * out-of-memory. Free with map_csv_writer_free (NULL is a no-op). */
map_csv_writer *map_csv_writer_new(FILE *out);
void map_csv_writer_free(map_csv_writer *w);

/* One text cell (NULL: empty). Returns MAP_OK, or MAP_ENOMEM (the code for
 * resource failures) if writing failed now or before. */
int map_csv_text(map_csv_writer *w, const char *s);

/* One number cell, as described above. Returns as map_csv_text. */
int map_csv_number(map_csv_writer *w, double x);

/* One integer cell ("%zu"). Returns as map_csv_text. */
int map_csv_count(map_csv_writer *w, size_t x);

/* n number cells. Returns as map_csv_text. */
int map_csv_numbers(map_csv_writer *w, const double *x, size_t n);

/* n number cells of float32 values, each with 9 significant digits
 * ("%.9g"): strtod of the text rounded to float is the same float (the
 * single-precision export). Non-finite values as map_csv_number. Returns
 * as map_csv_text. */
int map_csv_floats(map_csv_writer *w, const float *x, size_t n);

/* Ends the current row. A row of one empty cell is written as "" so that it
 * is not a blank line (which readers skip); a row with no cell is a blank
 * line. Returns as map_csv_text. */
int map_csv_end_row(map_csv_writer *w);

/* A whole row of n text cells, ended. Returns as map_csv_text. */
int map_csv_row(map_csv_writer *w, const char *const *cells, size_t n);

/* Flushes the stream and reports the writer's state: MAP_OK, or MAP_ENOMEM
 * with "cannot write the CSV output: <reason>" in err. Does not free w. */
int map_csv_writer_finish(map_csv_writer *w, map_error *err);

#endif
