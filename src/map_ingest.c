/* map_ingest.c — the format-independent part of ingest: options and limits,
 * the byte source (read, hash, BOM), column selection, the row store and the
 * assembly of the dataset. The format glue lives in map_read_csv.c (libcsv)
 * and map_read_json.c (jansson).
 */
#include "map_ingest.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "map_hash.h"
#include "map_ingest_internal.h"
#include "map_names.h"
#include "map_number.h"

#define DEFAULT_MAX_FIELD_BYTES ((size_t)64 * 1024 * 1024)
#define DEFAULT_MAX_COLUMNS ((size_t)4096)
#define DEFAULT_MAX_ROWS ((size_t)100000000)
#define DEFAULT_MAX_VALUES ((size_t)64)
#define DEFAULT_MAX_JSON_BYTES ((size_t)1024 * 1024 * 1024)

/* Longest excerpt of a cell quoted in a message, in bytes of the cell. */
#define SHOW_MAX 40

#define NO_COLUMN ((size_t)-1)

static const map_enum_entry format_names[] = {
    {"auto", MAP_FMT_AUTO}, {"csv", MAP_FMT_CSV},       {"json", MAP_FMT_JSON},
    {"jsonl", MAP_FMT_JSONL}, {"ndjson", MAP_FMT_JSONL},
};

int map_format_parse(const char *name, map_format *out)
{
    int x;
    if (map_enum_value(format_names, MAP_ENUM_COUNT(format_names), name, &x))
        return -1;
    if (out)
        *out = (map_format)x;
    return 0;
}

/* The format of path from its extension (case-insensitive); stdin is CSV.
 * Returns 0 or -1 when the extension is not one we know. */
static int format_from_path(const char *path, map_format *out)
{
    if (strcmp(path, "-") == 0) {
        *out = MAP_FMT_CSV;
        return 0;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return -1;
    const char *ext = dot + 1;
    if (strcasecmp(ext, "csv") == 0)
        *out = MAP_FMT_CSV;
    else if (strcasecmp(ext, "json") == 0)
        *out = MAP_FMT_JSON;
    else if (strcasecmp(ext, "jsonl") == 0 || strcasecmp(ext, "ndjson") == 0)
        *out = MAP_FMT_JSONL;
    else
        return -1;
    return 0;
}

static map_ingest_limits resolve_limits(map_ingest_limits lim)
{
    if (!lim.max_field_bytes)
        lim.max_field_bytes = DEFAULT_MAX_FIELD_BYTES;
    if (!lim.max_columns)
        lim.max_columns = DEFAULT_MAX_COLUMNS;
    if (!lim.max_rows)
        lim.max_rows = DEFAULT_MAX_ROWS;
    if (!lim.max_values)
        lim.max_values = DEFAULT_MAX_VALUES;
    if (!lim.max_json_bytes)
        lim.max_json_bytes = DEFAULT_MAX_JSON_BYTES;
    return lim;
}

/* ---- byte source ------------------------------------------------------- */

int map_source_read(map_source *src, unsigned char **data, size_t *len, map_error *err)
{
    *data = src->buf;
    *len = 0;
    if (src->eof)
        return 0;
    const size_t got = fread(src->buf, 1, MAP_INGEST_CHUNK, src->fp);
    if (got < MAP_INGEST_CHUNK) {
        if (ferror(src->fp)) {
            const int e = errno;
            return map_error_set(err, MAP_EDATA, "read error: %s",
                                 e ? strerror(e) : "unknown error");
        }
        src->eof = 1;
    }
    map_hash_update(src->hash, src->buf, got);
    *len = got;
    if (!src->started) {
        src->started = 1;
        static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
        if (got >= sizeof bom && memcmp(src->buf, bom, sizeof bom) == 0) {
            *data += sizeof bom;
            *len -= sizeof bom;
        }
    }
    return 0;
}

/* ---- messages ---------------------------------------------------------- */

/* Writes s (len bytes) into buf as a double-quoted excerpt with C escapes,
 * cut after SHOW_MAX bytes (on a UTF-8 character boundary) with "...". */
static void show_text(char *buf, size_t cap, const char *s, size_t len)
{
    assert(cap >= 8);
    size_t take = len;
    int cut = 0;
    if (take > SHOW_MAX) {
        take = SHOW_MAX;
        while (take > 0 && ((unsigned char)s[take] & 0xC0) == 0x80)
            take--;
        cut = 1;
    }
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < take && o + 8 < cap; i++) {
        const unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
        }
        if (esc) {
            buf[o++] = esc[0];
            buf[o++] = esc[1];
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o++] = '"';
    if (cut && o + 4 < cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
}

void map_reader_where(const map_reader *rd, size_t col, char *buf, size_t cap)
{
    const char *what = rd->where == MAP_WHERE_RECORD_KEY ? "record" : "line";
    if (col == NO_COLUMN || !rd->have_header || col >= rd->ncols) {
        if (col == NO_COLUMN || rd->where != MAP_WHERE_LINE_COLUMN)
            snprintf(buf, cap, "%s %zu", what, rd->row_loc);
        else
            snprintf(buf, cap, "%s %zu, column %zu", what, rd->row_loc, col + 1);
    } else if (rd->where == MAP_WHERE_LINE_COLUMN) {
        snprintf(buf, cap, "line %zu, column %zu", rd->row_loc, col + 1);
    } else {
        snprintf(buf, cap, "%s %zu, key '%s'", what, rd->row_loc, rd->cols[col]);
    }
}

int map_reader_fail(const map_reader *rd, map_error *err, size_t col, const char *fmt, ...)
{
    char where[160];
    char msg[MAP_ERRMSG_MAX];
    map_reader_where(rd, col, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return map_error_set(err, MAP_EDATA, "%s: %s", where, msg);
}

int map_reader_over_limit(const map_reader *rd, map_error *err, size_t col, const char *field,
                          const char *fmt, ...)
{
    char msg[MAP_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const int rc = map_reader_fail(rd, err, col, "%s (%s, which can be raised)", msg, field);
    return map_error_field(err, rc, field);
}

/* More rows than max_rows allows. */
static int too_many_rows(const map_reader *rd, map_error *err)
{
    return map_reader_over_limit(rd, err, NO_COLUMN, "max_rows", "more than %zu data rows",
                                 rd->lim.max_rows);
}

static int out_of_memory(map_error *err) { return map_error_set(err, MAP_ENOMEM, "out of memory"); }

/* ---- header and column selection --------------------------------------- */

typedef struct named_col {
    const char *name;
    size_t col;
} named_col;

static int cmp_named(const void *a, const void *b)
{
    const named_col *x = a, *y = b;
    const int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return (x->col > y->col) - (x->col < y->col);
}

long map_reader_column(const map_reader *rd, const char *name)
{
    for (size_t i = 0; i < rd->ncols; i++)
        if (strcmp(rd->cols[i], name) == 0)
            return (long)i;
    return -1;
}

/* Writes "a, b, c" (the column names, cut to fit) into buf. */
static void list_columns(const map_reader *rd, char *buf, size_t cap)
{
    map_join_names(buf, cap, (const char *const *)rd->cols, rd->ncols, ", ");
}

/* Marks the column called name with role; field names the request field
 * that gave it, for messages. */
static int assign_role(map_reader *rd, const char *name, unsigned char role, const char *field,
                       map_error *err)
{
    static const char *const field_of[] = {"", "", "values", "prompt_column", "text_columns"};
    if (!name || !*name)
        return map_error_set_field(err, MAP_EUSAGE, field, "empty column name");
    const long c = map_reader_column(rd, name);
    if (c < 0) {
        char cols[400];
        list_columns(rd, cols, sizeof cols);
        return map_error_set_field(err, MAP_EDATA, field,
                                   "unknown column '%s' (the columns are: %s)", name, cols);
    }
    const unsigned char had = rd->role[c];
    if (had != MAP_ROLE_NONE) {
        if (had == role)
            return map_error_set_field(err, MAP_EDATA, field, "column '%s' is given twice", name);
        return map_error_set_field(err, MAP_EDATA, field, "column '%s' is also given as %s", name,
                                   field_of[had]);
    }
    rd->role[c] = role;
    return 0;
}

int map_reader_header(map_reader *rd, const char *const *names, size_t ncols, size_t loc,
                      map_error *err)
{
    assert(!rd->have_header && ncols > 0);
    const map_ingest_opts *o = rd->opts;
    rd->row_loc = loc;
    if (ncols > rd->lim.max_columns)
        return map_reader_over_limit(rd, err, NO_COLUMN, "max_columns",
                                     "%zu columns, more than the limit of %zu", ncols,
                                     rd->lim.max_columns);

    /* Empty and duplicate names, found by sorting (column count may be large). */
    named_col *sorted = map_mallocarray(ncols, sizeof *sorted);
    if (!sorted)
        return out_of_memory(err);
    for (size_t i = 0; i < ncols; i++) {
        if (names[i][0] == '\0') {
            map_free(sorted);
            if (rd->where == MAP_WHERE_LINE_COLUMN)
                return map_reader_fail(rd, err, i, "empty column name in the header");
            return map_reader_fail(rd, err, NO_COLUMN, "empty key");
        }
        sorted[i].name = names[i];
        sorted[i].col = i;
    }
    qsort(sorted, ncols, sizeof *sorted, cmp_named);
    for (size_t i = 1; i < ncols; i++) {
        if (strcmp(sorted[i - 1].name, sorted[i].name) == 0) {
            const int rc = map_reader_fail(rd, err, NO_COLUMN,
                                           "duplicate column name '%s' (columns %zu and %zu)",
                                           sorted[i].name, sorted[i - 1].col + 1,
                                           sorted[i].col + 1);
            map_free(sorted);
            return rc;
        }
    }
    map_free(sorted);

    if ((rd->cols = map_strdup_all(names, ncols)) != NULL)
        rd->ncols = ncols; /* what the reader's free releases */
    rd->role = map_calloc(ncols, sizeof *rd->role);
    rd->slot = map_calloc(ncols, sizeof *rd->slot);
    if (!rd->cols || !rd->role || !rd->slot)
        return out_of_memory(err);
    rd->have_header = 1;

    int rc = 0;
    if (o->prompt_column) {
        if ((rc = assign_role(rd, o->prompt_column, MAP_ROLE_PROMPT, "prompt_column", err)))
            return rc;
        rd->has_prompt = 1;
        rd->prompt_col = (size_t)map_reader_column(rd, o->prompt_column);
    }
    for (size_t t = 0; t < o->ntext; t++)
        if ((rc = assign_role(rd, o->text_columns[t], MAP_ROLE_TEXT, "text_columns", err)))
            return rc;
    for (size_t v = 0; rd->explicit_values && v < o->nvalues; v++)
        if ((rc = assign_role(rd, o->values[v], MAP_ROLE_VALUE, "values", err)))
            return rc;

    size_t m = 0;
    for (size_t i = 0; i < ncols; i++) {
        if (rd->role[i] == MAP_ROLE_NONE)
            rd->role[i] = rd->explicit_values ? MAP_ROLE_IGNORE : MAP_ROLE_VALUE;
        m += rd->role[i] == MAP_ROLE_VALUE;
    }
    if (m == 0)
        return map_error_set(err, MAP_EDATA,
                             "no value columns (every column is the prompt or a text column)");
    if (m > rd->lim.max_values)
        return map_error_set_field(err, MAP_EDATA, "max_values",
                                   "%zu value columns, more than the limit of %zu (max_values, "
                                   "which can be raised; or choose the value columns)",
                                   m, rd->lim.max_values);

    rd->value_col = map_mallocarray(m, sizeof *rd->value_col);
    rd->text_col = map_mallocarray(o->ntext ? o->ntext : 1, sizeof *rd->text_col);
    if (!rd->value_col || !rd->text_col)
        return out_of_memory(err);
    rd->m = m;
    rd->ntext = o->ntext;
    if (rd->explicit_values) {
        for (size_t v = 0; v < o->nvalues; v++)
            rd->value_col[v] = (size_t)map_reader_column(rd, o->values[v]);
    } else {
        for (size_t i = 0, v = 0; i < ncols; i++)
            if (rd->role[i] == MAP_ROLE_VALUE)
                rd->value_col[v++] = i;
    }
    for (size_t v = 0; v < m; v++)
        rd->slot[rd->value_col[v]] = v;
    for (size_t t = 0; t < o->ntext; t++) {
        rd->text_col[t] = (size_t)map_reader_column(rd, o->text_columns[t]);
        rd->slot[rd->text_col[t]] = t;
    }
    return 0;
}

/* ---- rows and cells ---------------------------------------------------- */

/* Grows the row arrays to hold at least need rows (need <= max_rows).
 * Returns 0 or MAP_ENOMEM. */
static int reserve_rows(map_reader *rd, size_t need, map_error *err)
{
    assert(need <= rd->lim.max_rows);
    if (need > rd->cap) {
        size_t cap = rd->cap ? rd->cap : 1024;
        while (cap < need && cap <= SIZE_MAX / 2)
            cap *= 2;
        if (cap < need)
            cap = need;
        if (cap > rd->lim.max_rows)
            cap = rd->lim.max_rows;
        if (cap > SIZE_MAX / sizeof(double) / rd->m)
            return out_of_memory(err);
        /* Each array keeps its new size even when a later one fails. */
        double *x = map_reallocarray(rd->x, cap, rd->m * sizeof *x);
        if (!x)
            return out_of_memory(err);
        rd->x = x;
        if (rd->has_prompt) {
            char **p = map_reallocarray(rd->prompts, cap, sizeof *p);
            if (!p)
                return out_of_memory(err);
            rd->prompts = p;
        }
        if (rd->ntext) {
            if (cap > SIZE_MAX / sizeof(char *) / rd->ntext)
                return out_of_memory(err);
            char **t = map_reallocarray(rd->text, cap, rd->ntext * sizeof *t);
            if (!t)
                return out_of_memory(err);
            rd->text = t;
        }
        rd->cap = cap;
    }
    return 0;
}

int map_reader_row_begin(map_reader *rd, size_t loc, map_error *err)
{
    assert(rd->have_header && !rd->row_open);
    rd->row_loc = loc;
    if (rd->n >= rd->lim.max_rows)
        return too_many_rows(rd, err);
    if (rd->n == rd->cap) {
        const int rc = reserve_rows(rd, rd->n + 1, err);
        if (rc)
            return rc;
    }
    if (rd->has_prompt)
        rd->prompts[rd->n] = NULL;
    for (size_t t = 0; t < rd->ntext; t++)
        rd->text[rd->n * rd->ntext + t] = NULL;
    rd->row_open = 1;
    return 0;
}

void map_reader_row_end(map_reader *rd)
{
    assert(rd->row_open);
    rd->row_open = 0;
    rd->n++;
}

void map_reader_fork(const map_reader *rd, map_reader *child)
{
    assert(rd->have_header && !rd->row_open);
    *child = *rd;
    child->n = child->cap = 0;
    child->row_open = 0;
    child->x = NULL;
    child->prompts = NULL;
    child->text = NULL;
}

int map_reader_append(map_reader *rd, map_reader *child, map_error *err)
{
    assert(!rd->row_open && !child->row_open && child->m == rd->m && child->ntext == rd->ntext);
    if (child->n > rd->lim.max_rows - rd->n)
        return too_many_rows(rd, err);
    if (child->n == 0)
        return 0;
    const int rc = reserve_rows(rd, rd->n + child->n, err);
    if (rc)
        return rc;
    memcpy(rd->x + rd->n * rd->m, child->x, child->n * rd->m * sizeof *rd->x);
    if (rd->has_prompt)
        memcpy(rd->prompts + rd->n, child->prompts, child->n * sizeof *rd->prompts);
    if (rd->ntext)
        memcpy(rd->text + rd->n * rd->ntext, child->text,
               child->n * rd->ntext * sizeof *rd->text);
    rd->n += child->n;
    child->n = 0; /* the strings moved: map_reader_drop frees only the arrays */
    return 0;
}

void map_reader_drop(map_reader *child)
{
    const size_t rows = child->n + (child->row_open ? 1 : 0);
    map_free(child->x);
    map_free_strings(child->prompts, child->prompts ? rows : 0);
    map_free_strings(child->text, child->text ? rows * child->ntext : 0);
    memset(child, 0, sizeof *child);
}

/* Stores a copy of s into the prompt or text cell for col. */
static int store_text(map_reader *rd, size_t col, const char *s, size_t len, map_error *err)
{
    char **cell = rd->role[col] == MAP_ROLE_PROMPT ? &rd->prompts[rd->n]
                                                   : &rd->text[rd->n * rd->ntext + rd->slot[col]];
    char *copy = map_strndup(s, len);
    if (!copy)
        return out_of_memory(err);
    map_free(*cell);
    *cell = copy;
    return 0;
}

/* The error for a value cell that is not a number; shown is the cell as
 * quoted in the message. */
static int not_numeric(const map_reader *rd, size_t col, const char *shown, map_error *err)
{
    char where[160];
    map_reader_where(rd, col, where, sizeof where);
    if (!rd->explicit_values)
        return map_error_set(err, MAP_EDATA,
                             "column '%s' is not numeric (%s: %s); name it as a text column or "
                             "choose the value columns",
                             rd->cols[col], where, shown);
    return map_error_set(err, MAP_EDATA, "%s: value column '%s' is not a number: %s", where,
                         rd->cols[col], shown);
}

int map_reader_cell_text(map_reader *rd, size_t col, const char *s, size_t len, map_error *err)
{
    assert(rd->row_open && col < rd->ncols && s[len] == '\0');
    switch (rd->role[col]) {
    case MAP_ROLE_VALUE: {
        double v;
        if (map_number_parse(s, len, &v) == 0) {
            rd->x[rd->n * rd->m + rd->slot[col]] = v;
            return 0;
        }
        char shown[SHOW_MAX * 4 + 16];
        show_text(shown, sizeof shown, s, len);
        if (len == 0) {
            if (!rd->explicit_values)
                return not_numeric(rd, col, "empty", err);
            return map_reader_fail(rd, err, col, "value column '%s' is empty", rd->cols[col]);
        }
        /* A number with spaces around it: RFC 4180 keeps spaces in a field. */
        size_t b = 0, e = len;
        while (b < e && (s[b] == ' ' || s[b] == '\t'))
            b++;
        while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
            e--;
        if ((b > 0 || e < len) && e > b && e - b < 64) {
            char trimmed[64];
            double t;
            memcpy(trimmed, s + b, e - b);
            trimmed[e - b] = '\0';
            if (map_parse_double(trimmed, &t) == 0)
                return map_reader_fail(rd, err, col,
                                       "value column '%s' has spaces around the number: %s "
                                       "(spaces are part of a CSV field; remove them)",
                                       rd->cols[col], shown);
        }
        /* Text that strtod reads whole (nan, inf, 1e400, hex) is a number that
         * is not finite or not decimal, not a text column. */
        char *end = NULL;
        const unsigned char c0 = (unsigned char)s[0];
        if (c0 > ' ') {
            (void)strtod(s, &end);
            if (end == s + len)
                return map_reader_fail(rd, err, col,
                                       "value column '%s' is not a finite decimal number: %s",
                                       rd->cols[col], shown);
        }
        return not_numeric(rd, col, shown, err);
    }
    case MAP_ROLE_PROMPT:
    case MAP_ROLE_TEXT:
        return store_text(rd, col, s, len, err);
    default:
        return 0;
    }
}

int map_reader_cell_number(map_reader *rd, size_t col, double v, map_error *err)
{
    assert(rd->row_open && col < rd->ncols);
    switch (rd->role[col]) {
    case MAP_ROLE_VALUE:
        if (!isfinite(v))
            return map_reader_fail(rd, err, col, "value column '%s' is not a finite number",
                                   rd->cols[col]);
        rd->x[rd->n * rd->m + rd->slot[col]] = v;
        return 0;
    case MAP_ROLE_PROMPT:
    case MAP_ROLE_TEXT: {
        /* The shortest of %.15g..%.17g that reads back exactly (0.1, not
         * 0.10000000000000001). */
        char buf[40];
        int w = 0;
        for (int prec = 15; prec <= 17; prec++) {
            w = snprintf(buf, sizeof buf, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
        return store_text(rd, col, buf, (size_t)w, err);
    }
    default:
        return 0;
    }
}

int map_reader_cell_string(map_reader *rd, size_t col, const char *s, size_t len, map_error *err)
{
    assert(rd->row_open && col < rd->ncols);
    switch (rd->role[col]) {
    case MAP_ROLE_VALUE: {
        char shown[SHOW_MAX * 4 + 32];
        memcpy(shown, "string ", 7);
        show_text(shown + 7, sizeof shown - 7, s, len);
        return not_numeric(rd, col, shown, err);
    }
    case MAP_ROLE_PROMPT:
    case MAP_ROLE_TEXT:
        if (len > rd->lim.max_field_bytes)
            return map_reader_over_limit(rd, err, col, "max_field_bytes",
                                         "string longer than the limit of %zu bytes",
                                         rd->lim.max_field_bytes);
        if (memchr(s, '\0', len))
            return map_reader_fail(rd, err, col, "NUL character in string");
        return store_text(rd, col, s, len, err);
    default:
        return 0;
    }
}

int map_reader_cell_other(map_reader *rd, size_t col, const char *kind, map_error *err)
{
    assert(rd->row_open && col < rd->ncols);
    switch (rd->role[col]) {
    case MAP_ROLE_VALUE:
        return not_numeric(rd, col, kind, err);
    case MAP_ROLE_PROMPT:
    case MAP_ROLE_TEXT:
        return map_reader_fail(rd, err, col, "column '%s' must be a string or a number, found %s",
                               rd->cols[col], kind);
    default:
        return 0;
    }
}

/* ---- assembly ---------------------------------------------------------- */


static void reader_free(map_reader *rd)
{
    const size_t rows = rd->n + (rd->row_open ? 1 : 0);
    map_free_strings(rd->cols, rd->ncols);
    MAP_FREE_ALL(rd->role, rd->slot, rd->value_col, rd->text_col, rd->x);
    map_free_strings(rd->prompts, rd->prompts ? rows : 0);
    map_free_strings(rd->text, rd->text ? rows * rd->ntext : 0);
    memset(rd, 0, sizeof *rd);
}

/* Moves the rows of rd into a new dataset. */
static int assemble(map_reader *rd, const char *path, const char *hash, map_dataset **out,
                    map_error *err)
{
    assert(rd->have_header && rd->n > 0 && !rd->row_open);
    map_dataset *ds = map_dataset_new();
    if (!ds)
        return out_of_memory(err);
    ds->source = map_strdup(path);
    ds->hash = map_strdup(hash);
    ds->values = map_calloc(rd->m, sizeof *ds->values);
    if (!ds->source || !ds->hash || !ds->values)
        goto oom;
    ds->m = rd->m;
    for (size_t v = 0; v < rd->m; v++)
        if (!(ds->values[v] = map_strdup(rd->cols[rd->value_col[v]])))
            goto oom;
    if (rd->has_prompt && !(ds->prompt_name = map_strdup(rd->cols[rd->prompt_col])))
        goto oom;
    if (rd->ntext) {
        if (!(ds->text_names = map_calloc(rd->ntext, sizeof *ds->text_names)))
            goto oom;
        ds->ntext = rd->ntext;
        for (size_t t = 0; t < rd->ntext; t++)
            if (!(ds->text_names[t] = map_strdup(rd->cols[rd->text_col[t]])))
                goto oom;
    }

    /* Nothing below fails: hand the rows over. A failed shrink keeps the
     * larger block. */
    double *x = map_reallocarray(rd->x, rd->n, rd->m * sizeof *x);
    ds->x = x ? x : rd->x;
    rd->x = NULL;
    ds->n = rd->n;
    ds->prompts = rd->prompts;
    rd->prompts = NULL;
    ds->text = rd->text;
    rd->text = NULL;
    ds->created = (int64_t)time(NULL);
    *out = ds;
    return 0;
oom:
    map_dataset_free(ds);
    return out_of_memory(err);
}

int map_ingest_read(const map_ingest_opts *opts, map_dataset **out, map_error *err)
{
    map_error e;
    map_error_clear(&e);
    map_error_clear(err);
    if (out)
        *out = NULL;
    if (!opts || !out || !opts->path || !*opts->path)
        return map_error_set(err, MAP_EUSAGE, "no input file given");
    if ((opts->ntext && !opts->text_columns) || (opts->nvalues && !opts->values))
        return map_error_set(err, MAP_EUSAGE, "%s: column list is NULL", opts->path);

    const int is_stdin = strcmp(opts->path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : opts->path;
    map_format fmt = opts->format;
    if (fmt == MAP_FMT_AUTO && format_from_path(opts->path, &fmt) != 0)
        return map_error_set_field(err, MAP_EUSAGE, "format",
                                   "%s: cannot tell the format from the file name; give it: "
                                   "csv, json or jsonl",
                                   name);

    map_reader rd;
    memset(&rd, 0, sizeof rd);
    rd.opts = opts;
    rd.lim = resolve_limits(opts->limits);
    rd.explicit_values = opts->values && opts->nvalues > 0;
    rd.where = fmt == MAP_FMT_CSV    ? MAP_WHERE_LINE_COLUMN
               : fmt == MAP_FMT_JSON ? MAP_WHERE_RECORD_KEY
                                     : MAP_WHERE_LINE_KEY;

    map_source src;
    memset(&src, 0, sizeof src);
    int rc = 0;
    if (is_stdin) {
        src.fp = stdin;
    } else {
        src.fp = fopen(opts->path, "rb");
        if (!src.fp) {
            const int en = errno;
            map_error_set(err, MAP_EDATA, "%s: cannot open: %s", name, strerror(en));
            return MAP_EDATA;
        }
        src.close_fp = 1;
    }
    src.hash = map_hash_new();
    src.buf = map_malloc(MAP_INGEST_CHUNK);
    if (!src.hash || !src.buf) {
        rc = out_of_memory(&e);
        goto done;
    }

    switch (fmt) {
    case MAP_FMT_CSV: rc = map_read_csv(&rd, &src, &e); break;
    case MAP_FMT_JSON: rc = map_read_json(&rd, &src, &e); break;
    default: rc = map_read_jsonl(&rd, &src, &e); break;
    }
    if (rc == 0) {
        char hex[MAP_HASH_HEX_LEN + 1];
        map_hash_hex(src.hash, hex);
        rc = assemble(&rd, opts->path, hex, out, &e);
    }

done:
    reader_free(&rd);
    map_hash_free(src.hash);
    map_free(src.buf);
    if (src.close_fp)
        fclose(src.fp);
    if (rc) {
        map_error_prefix(&e, name);
        if (err)
            *err = e;
        return rc;
    }
    return 0;
}
