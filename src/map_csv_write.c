/* map_csv_write.c — libcsv glue for output: the one CSV writer (contracts in
 * map_csv_write.h). With map_read_csv.c, the only files that include csv.h.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <csv.h>

#include "map_csv_write.h"
#include "map_number.h"

struct map_csv_writer {
    FILE *out;
    size_t cells; /* cells written in the current row */
    int blank;    /* nothing written in the current row yet */
    int failed;   /* a write failed */
    int errnum;   /* errno of the first failure (0 if unknown) */
};

map_csv_writer *map_csv_writer_new(FILE *out)
{
    map_csv_writer *w = map_calloc(1, sizeof *w);
    if (w) {
        w->out = out;
        w->blank = 1;
    }
    return w;
}

void map_csv_writer_free(map_csv_writer *w)
{
    map_free(w);
}

static int fail(map_csv_writer *w)
{
    if (!w->failed) {
        w->failed = 1;
        w->errnum = errno;
    }
    return MAP_ENOMEM;
}

/* The separator before a cell that is not the first of its row. */
static int begin_cell(map_csv_writer *w)
{
    if (w->failed)
        return MAP_ENOMEM;
    if (w->cells++ > 0) {
        w->blank = 0;
        if (fputc(',', w->out) == EOF)
            return fail(w);
    }
    return MAP_OK;
}

static int needs_quotes(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (strpbrk(s, ",\"\r\n"))
        return 1;
    if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
        return 1;
    return len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0;
}

int map_csv_text(map_csv_writer *w, const char *s)
{
    int rc = begin_cell(w);
    if (rc || !s)
        return rc;
    const size_t len = strlen(s);
    w->blank &= len == 0;
    errno = 0;
    if (needs_quotes(s, len)) {
        if (csv_fwrite(w->out, s, len) != 0)
            return fail(w);
    } else if (fwrite(s, 1, len, w->out) != len) {
        return fail(w);
    }
    return MAP_OK;
}

int map_csv_number(map_csv_writer *w, double x)
{
    int rc = begin_cell(w);
    if (rc || isnan(x))
        return rc;
    w->blank = 0;
    errno = 0;
    char text[MAP_G17_MAX];
    const size_t len = map_number_g17(x, text); /* printf's "%.17g" ("inf", "-inf" too) */
    return fwrite(text, 1, len, w->out) != len ? fail(w) : MAP_OK;
}

int map_csv_count(map_csv_writer *w, size_t x)
{
    int rc = begin_cell(w);
    if (rc)
        return rc;
    w->blank = 0;
    errno = 0;
    return fprintf(w->out, "%zu", x) < 0 ? fail(w) : MAP_OK;
}

int map_csv_floats(map_csv_writer *w, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const double v = (double)x[i];
        int rc = begin_cell(w);
        if (rc)
            return rc;
        if (isnan(v))
            continue;
        w->blank = 0;
        errno = 0;
        const int k = isinf(v) ? fputs(v > 0 ? "inf" : "-inf", w->out) : fprintf(w->out, "%.9g", v);
        if (k < 0)
            return fail(w);
    }
    return MAP_OK;
}

int map_csv_numbers(map_csv_writer *w, const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const int rc = map_csv_number(w, x[i]);
        if (rc)
            return rc;
    }
    return MAP_OK;
}

int map_csv_end_row(map_csv_writer *w)
{
    if (w->failed)
        return MAP_ENOMEM;
    errno = 0;
    /* A row of one empty cell would be a blank line, which readers skip. */
    if (w->cells == 1 && w->blank && fputs("\"\"", w->out) == EOF)
        return fail(w);
    w->cells = 0;
    w->blank = 1;
    return fputc('\n', w->out) == EOF ? fail(w) : MAP_OK;
}

int map_csv_row(map_csv_writer *w, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const int rc = map_csv_text(w, cells[i]);
        if (rc)
            return rc;
    }
    return map_csv_end_row(w);
}

int map_csv_writer_finish(map_csv_writer *w, map_error *err)
{
    errno = 0;
    if (!w->failed && (fflush(w->out) != 0 || ferror(w->out)))
        fail(w);
    if (w->failed)
        return map_error_set(err, MAP_ENOMEM, "cannot write the CSV output: %s",
                             w->errnum ? strerror(w->errnum) : "write error");
    return MAP_OK;
}
