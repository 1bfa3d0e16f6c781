/* map_out_table.c — the table writer of map_output.h: the rows of a
 * frontier or region table as CSV (through map_csv_write.h) or as JSON
 * objects (map_json_row), an array or JSON Lines. */
#include "map_output.h"

#include <errno.h>
#include <string.h>

#include "map_csv_write.h"

struct map_table_writer {
    FILE *out;
    int json;
    map_csv_writer *csv; /* CSV only */
    size_t ncols;
    char **names;        /* JSON only: copies of the column names */
    size_t rows;
    int failed;          /* a JSON write failed (errno saved in err_no) */
    int err_no;
};

map_table_writer *map_table_writer_new(FILE *out, int json)
{
    map_table_writer *w = map_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->out = out;
    w->json = json;
    if (!json && !(w->csv = map_csv_writer_new(out))) {
        map_free(w);
        return NULL;
    }
    return w;
}

void map_table_writer_free(map_table_writer *w)
{
    if (!w)
        return;
    map_csv_writer_free(w->csv);
    map_free_strings(w->names, w->ncols);
    map_free(w);
}

static int table_header(void *ctx, size_t ncols, const char *const *names, map_error *err)
{
    map_table_writer *w = ctx;
    w->ncols = ncols;
    if (!w->json)
        return map_csv_row(w->csv, names, ncols) == MAP_OK
                   ? MAP_OK
                   : map_csv_writer_finish(w->csv, err);
    w->names = map_strdup_all(names, ncols);
    return w->names ? MAP_OK : map_error_set(err, MAP_ENOMEM, "out of memory");
}

/* Records that a JSON write failed, with the errno it left. */
static void write_failed(map_table_writer *w)
{
    w->failed = 1;
    w->err_no = errno;
}

static int table_row(void *ctx, const map_cell *cells, map_error *err)
{
    map_table_writer *w = ctx;
    if (!w->json) {
        int rc = MAP_OK;
        for (size_t c = 0; c < w->ncols && !rc; c++) {
            const map_cell *x = &cells[c];
            switch (x->kind) {
            case MAP_CELL_NUMBER:
                rc = map_csv_number(w->csv, x->x);
                break;
            case MAP_CELL_COUNT:
                rc = map_csv_count(w->csv, x->n);
                break;
            case MAP_CELL_TEXT:
                rc = map_csv_text(w->csv, x->s);
                break;
            case MAP_CELL_EMPTY:
                rc = map_csv_text(w->csv, NULL);
                break;
            }
        }
        if (!rc)
            rc = map_csv_end_row(w->csv);
        if (!rc)
            w->rows++;
        return rc ? map_csv_writer_finish(w->csv, err) : MAP_OK;
    }
    char *text = map_json_row((const char *const *)w->names, cells, w->ncols);
    if (!text)
        return map_error_set(err, MAP_ENOMEM, "out of memory writing JSON");
    errno = 0;
    const char *lead = w->json == 2 ? "" : w->rows ? ",\n  " : "[\n  ";
    if (fputs(lead, w->out) == EOF || fputs(text, w->out) == EOF ||
        (w->json == 2 && fputc('\n', w->out) == EOF))
        write_failed(w);
    map_free(text);
    if (w->failed)
        return map_table_writer_finish(w, err);
    w->rows++;
    return MAP_OK;
}

map_table_sink map_table_writer_sink(map_table_writer *w)
{
    map_table_sink s = {table_header, table_row, w};
    return s;
}

int map_table_writer_finish(map_table_writer *w, map_error *err)
{
    if (!w->json)
        return map_csv_writer_finish(w->csv, err);
    errno = 0;
    const char *tail = w->json == 2 ? "" : w->rows ? "\n]\n" : "[]\n";
    if (!w->failed && (fputs(tail, w->out) == EOF || fflush(w->out) != 0 ||
                       ferror(w->out)))
        write_failed(w);
    if (w->failed)
        return map_error_set(err, MAP_ENOMEM, "cannot write the JSON output: %s",
                             w->err_no ? strerror(w->err_no) : "write error");
    return MAP_OK;
}

