/* map_read_csv.c — libcsv glue: RFC 4180 CSV with a header row, read in
 * chunks. With map_csv_write.c (the writer), the only files that include csv.h.
 *
 * libcsv's callbacks carry no positions, so the input is fed one physical
 * line at a time (each piece ends just after a CR or LF, or at the end of a
 * chunk). Every callback therefore runs while `line` is the line being fed,
 * and a record starts in the first piece with a byte other than CR or LF
 * after the previous record ended. LF, CRLF and a lone CR each end a line,
 * as they each end a record for libcsv.
 *
 * Plain lines: a complete line (its CR or LF in the chunk) that starts a
 * record and holds no '"' and no NUL is split at its commas here, without
 * libcsv: each field is NUL-terminated in place in the chunk and handed to
 * the same field and record callbacks. For such a line libcsv (CSV_STRICT,
 * no space trimming) would call them with exactly the same fields, so
 * values, messages and locations do not depend on which path read a line.
 * Lines with quotes (which may span lines) and lines cut by the end of a
 * chunk go through libcsv.
 *
 * Two threads: a chunk without any '"' has a record end at every LF, so
 * after the record cut by the previous chunk it is split at an LF near its
 * middle; the main thread reads the first part, a second thread the second
 * part into a fork of the reader (map_reader_fork), whose rows are then
 * appended. If the second part fails in any way it is read again in order by
 * the main thread, which produces the message and location that reading in
 * order gives.
 */
#include <assert.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "map_ingest_internal.h"

/* Initial growth step of libcsv's field buffer; raised to the buffer size as
 * it grows so that growth is geometric. */
#define FIELD_BLOCK ((size_t)4096)

typedef struct csv_ctx {
    map_reader *rd;
    map_error *err;
    int failed;          /* err is set; later callbacks do nothing */
    size_t line;         /* physical line being fed, 1-based */
    size_t row_line;     /* line where the current record starts */
    int at_row_start;    /* no byte of the next record fed yet */
    size_t field;        /* fields of the current record seen so far */

    /* Header names, gathered until the first record ends. */
    char **hdr;
    size_t nhdr, hdr_cap;

    /* The first cell error of the current row, reported at its end unless
     * the row has the wrong number of fields (the likelier cause). */
    int has_pending;
    map_error pending;
} csv_ctx;

/* Whether plain lines bypass libcsv, and whether chunks may be split
 * between two threads (map_read_csv_mode). */
static int fast_lines = 1;
static int two_threads = 1;

void map_read_csv_mode(int mode)
{
    fast_lines = mode >= 1;
    two_threads = mode >= 2;
}

/* RFC 4180: spaces are part of a field; nothing is trimmed. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* The error for a field (column col of the current row) over the limit. */
static int field_too_long(map_reader *rd, map_error *err, size_t col)
{
    return map_reader_over_limit(rd, err, col, "max_field_bytes",
                                 "field longer than the limit of %zu bytes",
                                 rd->lim.max_field_bytes);
}

/* Stops the parse after an error that is already in cx->err. */
static void fail(csv_ctx *cx, int code)
{
    assert(code != 0 && cx->err->code == code);
    (void)code;
    cx->failed = 1;
}

/* Adds a copy of a header name. */
static int add_header_name(csv_ctx *cx, const char *s, size_t len)
{
    if (cx->nhdr == cx->hdr_cap) {
        const size_t cap = cx->hdr_cap ? cx->hdr_cap * 2 : 16;
        char **h = map_reallocarray(cx->hdr, cap, sizeof *h);
        if (!h)
            return map_error_set(cx->err, MAP_ENOMEM, "out of memory");
        cx->hdr = h;
        cx->hdr_cap = cap;
    }
    char *copy = map_strndup(s, len);
    if (!copy)
        return map_error_set(cx->err, MAP_ENOMEM, "out of memory");
    cx->hdr[cx->nhdr++] = copy;
    return 0;
}

static void free_header(csv_ctx *cx)
{
    map_free_strings(cx->hdr, cx->nhdr);
    cx->hdr = NULL;
    cx->nhdr = cx->hdr_cap = 0;
}

/* Takes the next field of the current record: text holds len bytes and a
 * NUL; may_have_nul == 0 promises that no NUL occurs before text[len]. */
static void take_field(csv_ctx *cx, const char *text, size_t len, int may_have_nul)
{
    if (cx->failed)
        return;
    map_reader *rd = cx->rd;
    const size_t col = cx->field++;
    rd->row_loc = cx->row_line;

    if (len > rd->lim.max_field_bytes) {
        fail(cx, field_too_long(rd, cx->err, col));
        return;
    }
    if (may_have_nul && memchr(text, '\0', len)) {
        fail(cx, map_reader_fail(rd, cx->err, col, "NUL byte in field"));
        return;
    }

    if (!rd->have_header) {
        if (col >= rd->lim.max_columns) {
            fail(cx, map_reader_over_limit(rd, cx->err, (size_t)-1, "max_columns",
                                           "more than %zu columns in the header",
                                           rd->lim.max_columns));
            return;
        }
        const int rc = add_header_name(cx, text, len);
        if (rc)
            fail(cx, rc);
        return;
    }

    if (col >= rd->ncols)
        return; /* counted; the row is reported as ragged at its end */
    if (col == 0) {
        const int rc = map_reader_row_begin(rd, cx->row_line, cx->err);
        if (rc) {
            fail(cx, rc);
            return;
        }
    }
    map_error e;
    const int rc = map_reader_cell_text(rd, col, text, len, &e);
    if (rc == MAP_EDATA) {
        if (!cx->has_pending) {
            cx->pending = e;
            cx->has_pending = 1;
        }
    } else if (rc) {
        *cx->err = e;
        fail(cx, rc);
    }
}

/* libcsv field callback: s holds len bytes and a NUL (CSV_APPEND_NULL). */
static void on_field(void *s, size_t len, void *data)
{
    take_field(data, s ? (const char *)s : "", len, 1);
}

/* libcsv record callback. */
static void on_row(int c, void *data)
{
    (void)c;
    csv_ctx *cx = data;
    if (cx->failed)
        return;
    map_reader *rd = cx->rd;
    rd->row_loc = cx->row_line;
    if (!rd->have_header) {
        const int rc =
            map_reader_header(rd, (const char *const *)cx->hdr, cx->nhdr, cx->row_line, cx->err);
        free_header(cx);
        if (rc) {
            fail(cx, rc);
            return;
        }
    } else if (cx->field != rd->ncols) {
        fail(cx, map_reader_fail(rd, cx->err, (size_t)-1,
                                 "expected %zu fields as in the header, found %zu", rd->ncols,
                                 cx->field));
        return;
    } else if (cx->has_pending) {
        *cx->err = cx->pending;
        fail(cx, MAP_EDATA);
        return;
    } else {
        map_reader_row_end(rd);
    }
    cx->field = 0;
    cx->at_row_start = 1;
}

/* Feeds the complete line [b, t), which starts a record, holds no '"' and
 * no NUL and ends at t (its CR or LF, which the caller has saved), to the
 * callbacks as libcsv would: the fields between commas, then the end of the
 * record. Each comma is a NUL while its field is taken and restored after,
 * failure or not (the line may be read again); *t is left a NUL. */
static void feed_plain_line(csv_ctx *cx, unsigned char *b, unsigned char *t)
{
    assert(cx->at_row_start && b < t);
    cx->at_row_start = 0;
    cx->row_line = cx->line;
    unsigned char *f = b;
    for (unsigned char *c = b;; c++) {
        if (c == t || *c == ',') {
            const int last = c == t;
            *c = '\0';
            take_field(cx, (const char *)f, (size_t)(c - f), 0);
            if (last)
                break;
            *c = ','; /* even after a failure: a failed part is read again */
            if (cx->failed)
                break;
            f = c + 1;
        }
    }
    on_row('\n', cx);
}

/* The error for a libcsv failure at the current position. */
static int parse_error(csv_ctx *cx, const struct csv_parser *p, size_t line)
{
    map_reader *rd = cx->rd;
    const int status = csv_error((struct csv_parser *)p);
    if (status == CSV_ENOMEM)
        return map_error_set(cx->err, MAP_ENOMEM, "out of memory");
    rd->row_loc = line;
    if (status == CSV_ETOOBIG)
        return field_too_long(rd, cx->err, cx->field);
    return map_reader_fail(rd, cx->err, cx->field,
                           "malformed CSV: a '\"' inside an unquoted field or text after a "
                           "closing quote (RFC 4180: double a quote inside a quoted field)");
}

/* One pass of the reader over consecutive bytes: a libcsv parser and the
 * position and record state around it. */
typedef struct csv_run {
    struct csv_parser p;
    csv_ctx cx;
    int prev_cr; /* the last byte fed was a CR (a following LF ends no line) */
} csv_run;

/* Starts a run for rd at line 1; returns 0 or MAP_ENOMEM. */
static int run_init(csv_run *r, map_reader *rd, map_error *err)
{
    memset(r, 0, sizeof *r);
    if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    csv_set_realloc_func(&r->p, map_realloc);
    csv_set_free_func(&r->p, map_free);
    csv_set_space_func(&r->p, no_space);
    csv_set_blk_size(&r->p, FIELD_BLOCK);
    r->cx.rd = rd;
    r->cx.err = err;
    r->cx.line = 1;
    r->cx.row_line = 1;
    r->cx.at_row_start = 1;
    return 0;
}

static void run_free(csv_run *r)
{
    free_header(&r->cx);
    csv_free(&r->p);
}

/* Feeds the bytes [data, end) to the run, line by line (plain lines by
 * feed_plain_line, the rest through libcsv). Returns 0, or MAP_EDATA or
 * MAP_ENOMEM with the message in the run's err. */
static int feed(csv_run *r, unsigned char *data, const unsigned char *end)
{
    csv_ctx *const cx = &r->cx;
    map_reader *const rd = cx->rd;
    while (data < end) {
        unsigned char *q = data;
        int special = 0; /* a quote or a NUL: the line goes to libcsv */
        for (; q < end; q++) {
            const unsigned char c = *q;
            if (c == '\n' || c == '\r')
                break;
            special |= (c == '"') | (c == '\0');
        }
        const int has_term = q < end;
        const size_t piece = (size_t)(q - data) + (has_term ? 1 : 0);
        const unsigned char term = has_term ? *q : 0;
        if (fast_lines && has_term && !special && cx->at_row_start && q > data) {
            feed_plain_line(cx, data, q);
            *q = term;
            if (cx->failed)
                return cx->err->code;
        } else {
            if (cx->at_row_start && q > data) {
                cx->at_row_start = 0;
                cx->row_line = cx->line;
            }
            const size_t fed = csv_parse(&r->p, data, piece, on_field, on_row, cx);
            if (cx->failed)
                return cx->err->code;
            if (fed < piece)
                return parse_error(cx, &r->p, cx->line);
        }
        if (r->p.entry_pos > rd->lim.max_field_bytes) {
            rd->row_loc = cx->row_line;
            return field_too_long(rd, cx->err, cx->field);
        }
        if (csv_get_buffer_size(&r->p) > FIELD_BLOCK)
            csv_set_blk_size(&r->p, csv_get_buffer_size(&r->p));
        if (has_term) {
            if (term == '\r')
                cx->line++;
            else if (!(r->prev_cr && q == data))
                cx->line++;
            r->prev_cr = term == '\r';
        } else {
            r->prev_cr = 0;
        }
        data += piece;
    }
    return 0;
}

/* ---- two threads ------------------------------------------------------- */

/* Least bytes worth splitting between two threads. */
#define SPLIT_MIN ((size_t)128 * 1024)

/* The second part of a split chunk, read by a second thread into a fork of
 * the reader. Its line numbers count from its start; its messages are never
 * shown (a failed part is read again by the main run). */
typedef struct part_job {
    map_reader rd;
    csv_run run;
    map_error err;
    unsigned char *begin, *end;
    int rc;
} part_job;

static void *part_main(void *arg)
{
    part_job *job = arg;
    job->rc = feed(&job->run, job->begin, job->end);
    return NULL;
}

/* Whether two threads may read [data, end) for run r; sets *split and *stop
 * so that the main run reads [data, *split) and a second thread
 * [*split, *stop), both ending just after an LF, and [*stop, end) is left
 * for the main run. Requires a clean record boundary (the header read, no
 * record begun) and no '"' in the bytes, so that every LF ends a record;
 * anything else the second thread cannot read alone (a NUL, a bad cell)
 * makes it fail, and the main run reads its part again. */
static int can_split(const csv_run *r, unsigned char *data, const unsigned char *end,
                     unsigned char **split, unsigned char **stop)
{
    static int ncpu; /* 0: not asked yet */
    if (!two_threads || !r->cx.rd->have_header || !r->cx.at_row_start ||
        (size_t)(end - data) < SPLIT_MIN)
        return 0;
    if (ncpu == 0) {
        const long n = sysconf(_SC_NPROCESSORS_ONLN);
        ncpu = n > 0 ? (int)n : 1;
    }
    if (ncpu < 2 || memchr(data, '"', (size_t)(end - data)))
        return 0;
    const unsigned char *lf = memchr(data + (end - data) / 2, '\n',
                                     (size_t)(end - data) - (size_t)(end - data) / 2);
    if (!lf)
        return 0;
    *split = data + (lf - data) + 1;
    unsigned char *last = (unsigned char *)end;
    while (last > *split && last[-1] != '\n')
        last--;
    if (last == *split)
        return 0;
    *stop = last;
    return 1;
}

/* Reads [data, end) of run r, a chunk, with two threads when can_split
 * allows (after the end of a record cut by the previous chunk), the main one
 * reading the first part into r's reader, a second one the next
 * part into a fork that is then appended; the results, messages included,
 * are those of reading the bytes in order in r. Returns 0 and sets *next
 * to the first byte not yet read, or an error code as feed does. */
static int feed_split(csv_run *r, unsigned char *data, const unsigned char *end,
                      unsigned char **next)
{
    unsigned char *split, *stop;
    *next = data;
    if (!r->cx.at_row_start && two_threads && r->cx.rd->have_header) {
        /* Finish the record that the previous chunk cut first. */
        unsigned char *lf = memchr(data, '\n', (size_t)(end - data));
        if (!lf)
            return 0;
        const int rc = feed(r, data, lf + 1);
        *next = data = lf + 1;
        if (rc)
            return rc;
    }
    if (!can_split(r, data, end, &split, &stop))
        return 0;
    part_job *job = map_malloc(sizeof *job);
    if (!job)
        return 0; /* read in order instead */
    map_reader_fork(r->cx.rd, &job->rd);
    job->begin = split;
    job->end = stop;
    job->rc = -1;
    pthread_t th;
    int started = 0;
    if (run_init(&job->run, &job->rd, &job->err) == 0)
        started = pthread_create(&th, NULL, part_main, job) == 0;
    int rc = feed(r, data, split);
    if (started)
        pthread_join(th, NULL);
    *next = split;
    if (rc == 0 && started && job->rc == 0 && job->run.cx.at_row_start &&
        map_reader_append(r->cx.rd, &job->rd, &job->err) == 0) {
        r->cx.line += job->run.cx.line - 1;
        *next = stop;
    }
    run_free(&job->run);
    map_reader_drop(&job->rd);
    map_free(job);
    return rc;
}

int map_read_csv(map_reader *rd, map_source *src, map_error *err)
{
    csv_run run;
    int rc = run_init(&run, rd, err);
    if (rc) {
        run_free(&run);
        return rc;
    }
    csv_ctx *const cx = &run.cx;

    unsigned char *data;
    size_t len;
    while (!(rc = map_source_read(src, &data, &len, err)) && len > 0) {
        unsigned char *const end = data + len;
        if ((rc = feed_split(&run, data, end, &data)) || (rc = feed(&run, data, end)))
            goto done;
    }
    if (rc)
        goto done;

    if (csv_fini(&run.p, on_field, on_row, cx) != 0) {
        rd->row_loc = cx->row_line;
        if (csv_error(&run.p) == CSV_EPARSE)
            rc = map_reader_fail(rd, err, cx->field,
                                 "quoted field not closed before the end of the file");
        else
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
        goto done;
    }
    if (cx->failed) {
        rc = err->code;
        goto done;
    }
    if (!rd->have_header) {
        rc = map_error_set(err, MAP_EDATA, "empty file (no header row)");
        goto done;
    }
    if (rd->n == 0) {
        rc = map_error_set(err, MAP_EDATA, "no data rows after the header (line %zu)",
                           cx->row_line);
        goto done;
    }

done:
    run_free(&run);
    return rc;
}
