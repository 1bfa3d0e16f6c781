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
 * Fast path: a complete line (its CR or LF in the chunk) that starts a
 * record and holds no '"' and no NUL is split at its commas here, without libcsv: each
 * field is NUL-terminated in place in the chunk and handed to the same field
 * and record callbacks. For such a line libcsv (CSV_STRICT, no space
 * trimming) would call them with exactly the same fields, so values,
 * messages and locations do not depend on which path read a line. Lines with
 * quotes (which may span lines) and lines cut by the end of a chunk go
 * through libcsv as before.
 */
#include <assert.h>
#include <string.h>

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

/* Whether plain lines bypass libcsv (map_read_csv_fast_lines). */
static int fast_lines = 1;

void map_read_csv_fast_lines(int on) { fast_lines = on != 0; }

/* RFC 4180: spaces are part of a field; nothing is trimmed. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
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
    for (size_t i = 0; i < cx->nhdr; i++)
        map_free(cx->hdr[i]);
    map_free(cx->hdr);
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
        fail(cx, map_reader_fail(rd, cx->err, col,
                                 "field longer than the limit of %zu bytes (max_field_bytes; "
                                 "raise it with --max-field-bytes)",
                                 rd->lim.max_field_bytes));
        return;
    }
    if (may_have_nul && memchr(text, '\0', len)) {
        fail(cx, map_reader_fail(rd, cx->err, col, "NUL byte in field"));
        return;
    }

    if (!rd->have_header) {
        if (col >= rd->lim.max_columns) {
            fail(cx, map_reader_fail(rd, cx->err, (size_t)-1,
                                     "more than %zu columns in the header (max_columns; raise it "
                                     "with --max-columns)",
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
 * no NUL and ends at t (its CR or LF, which the caller has saved), to the callbacks as
 * libcsv would: the fields between commas, then the end of the record.
 * Overwrites each comma and *t with a NUL. */
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
            if (last || cx->failed)
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
        return map_reader_fail(rd, cx->err, cx->field,
                               "field longer than the limit of %zu bytes (max_field_bytes; raise "
                               "it with --max-field-bytes)",
                               rd->lim.max_field_bytes);
    return map_reader_fail(rd, cx->err, cx->field,
                           "malformed CSV: a '\"' inside an unquoted field or text after a "
                           "closing quote (RFC 4180: double a quote inside a quoted field)");
}

int map_read_csv(map_reader *rd, map_source *src, map_error *err)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    csv_set_realloc_func(&p, map_realloc);
    csv_set_free_func(&p, map_free);
    csv_set_space_func(&p, no_space);
    csv_set_blk_size(&p, FIELD_BLOCK);

    csv_ctx cx;
    memset(&cx, 0, sizeof cx);
    cx.rd = rd;
    cx.err = err;
    cx.line = 1;
    cx.row_line = 1;
    cx.at_row_start = 1;
    int prev_cr = 0; /* the last byte fed was a CR (a following LF ends no line) */
    int rc = 0;

    for (;;) {
        unsigned char *data;
        size_t len;
        if ((rc = map_source_read(src, &data, &len, err)))
            goto done;
        if (len == 0)
            break;
        const unsigned char *const end = data + len;
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
            if (fast_lines && has_term && !special && cx.at_row_start && q > data) {
                feed_plain_line(&cx, data, q);
                if (cx.failed) {
                    rc = err->code;
                    goto done;
                }
                *q = term;
            } else {
                if (cx.at_row_start && q > data) {
                    cx.at_row_start = 0;
                    cx.row_line = cx.line;
                }
                const size_t fed = csv_parse(&p, data, piece, on_field, on_row, &cx);
                if (cx.failed) {
                    rc = err->code;
                    goto done;
                }
                if (fed < piece) {
                    rc = parse_error(&cx, &p, cx.line);
                    goto done;
                }
            }
            if (p.entry_pos > rd->lim.max_field_bytes) {
                rd->row_loc = cx.row_line;
                rc = map_reader_fail(rd, err, cx.field,
                                     "field longer than the limit of %zu bytes (max_field_bytes; "
                                     "raise it with --max-field-bytes)",
                                     rd->lim.max_field_bytes);
                goto done;
            }
            if (csv_get_buffer_size(&p) > FIELD_BLOCK)
                csv_set_blk_size(&p, csv_get_buffer_size(&p));
            if (has_term) {
                if (*q == '\r')
                    cx.line++;
                else if (!(prev_cr && q == data))
                    cx.line++;
                prev_cr = *q == '\r';
            } else {
                prev_cr = 0;
            }
            data += piece;
        }
    }

    if (csv_fini(&p, on_field, on_row, &cx) != 0) {
        rd->row_loc = cx.row_line;
        if (csv_error(&p) == CSV_EPARSE)
            rc = map_reader_fail(rd, err, cx.field,
                                 "quoted field not closed before the end of the file");
        else
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
        goto done;
    }
    if (cx.failed) {
        rc = err->code;
        goto done;
    }
    if (!rd->have_header) {
        rc = map_error_set(err, MAP_EDATA, "empty file (no header row)");
        goto done;
    }
    if (rd->n == 0) {
        rc = map_error_set(err, MAP_EDATA, "no data rows after the header (line %zu)",
                           cx.row_line);
        goto done;
    }

done:
    free_header(&cx);
    csv_free(&p);
    return rc;
}
