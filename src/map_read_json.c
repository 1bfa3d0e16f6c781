/* map_read_json.c — jansson glue: a JSON array of objects (read whole, as the
 * MAP reference data is published) and JSON Lines (one object per line, read
 * a line at a time). The only file that includes jansson.h.
 *
 * The column set is the first object's keys in their order. Values must be
 * JSON numbers; the prompt and text columns take strings (numbers are
 * written as text). jansson allocates through map_malloc/map_free.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "map_ingest_internal.h"
#include "map_vec.h"

#define JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL)

/* Longest number or literal (a run of bytes outside strings that are not
 * blanks or JSON punctuation) accepted; see json_alloc. */
#define JSON_TOKEN_MAX ((size_t)256)

/* Set when an allocation made by jansson failed, so that a failed parse can
 * be told apart from invalid input (jansson does not always say). */
static _Thread_local int json_alloc_failed;

/* jansson 2.14's lexer ignores a failed allocation of its token buffer and
 * then asserts (aborts) when it puts back the character after a number or
 * literal, or a control character met inside a string (lex_unget_unsave:
 * `c == d`). So jansson must never see a failed allocation while it lexes.
 * Two measures: check_tokens refuses, before jansson sees the text, numbers
 * and literals longer than JSON_TOKEN_MAX bytes and control characters in
 * strings, so that a put-back happens only after a short token, with the
 * buffer under 2 * JSON_TOKEN_MAX bytes (a real failure there needs the
 * process to be out of memory already); and a failure of map_malloc (an
 * injected one in tests, or a large block the system refuses) is retried
 * once with malloc and only recorded, so that jansson's state stays
 * consistent while the load is reported as out of memory. */
static void *json_alloc(size_t size)
{
    void *p = map_malloc(size);
    if (!p) {
        json_alloc_failed = 1;
        p = malloc(size ? size : 1);
    }
    return p;
}

static void json_release(void *p) { map_free(p); }

static const char *kind_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    default: return "null";
    }
}

static int is_blank(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* Rejects what would make jansson put a character back into its token
 * buffer after a long run (see json_alloc): a number or literal longer than
 * JSON_TOKEN_MAX bytes, and a control character inside a string (invalid
 * JSON anyway). MAP_EDATA naming the line and column (line_base is the line
 * of s[0]), else 0. */
static int check_tokens(const unsigned char *s, size_t len, size_t line_base, map_error *err)
{
    size_t line = line_base, col = 1, run = 0, run_line = 0, run_col = 0;
    int in_string = 0, escaped = 0;
    for (size_t i = 0; i < len; i++, col++) {
        const unsigned char c = s[i];
        if (in_string) {
            if (c < 0x20)
                return map_error_set(err, MAP_EDATA,
                                     "line %zu, column %zu: invalid JSON: control character "
                                     "0x%02x in a string",
                                     line, col, (unsigned)c);
            if (escaped)
                escaped = 0;
            else if (c == '\\')
                escaped = 1;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '{' ||
                   c == '}' || c == '[' || c == ']' || c == ':' || c == ',') {
            in_string = c == '"';
            run = 0;
        } else if (run++ == 0) {
            run_line = line;
            run_col = col;
        } else if (run > JSON_TOKEN_MAX) {
            return map_error_set(err, MAP_EDATA,
                                 "line %zu, column %zu: invalid JSON: a number or literal longer "
                                 "than %zu bytes",
                                 run_line, run_col, JSON_TOKEN_MAX);
        }
        if (c == '\n') {
            line++;
            col = 0;
        }
    }
    return 0;
}

/* Parses len bytes with jansson. On failure sets err (line_base is added to
 * jansson's line: JSON Lines parse one line at a time) and returns NULL. */
static json_t *load(const unsigned char *s, size_t len, size_t line_base, map_error *err)
{
    if (check_tokens(s, len, line_base, err))
        return NULL;
    json_error_t je;
    memset(&je, 0, sizeof je);
    json_alloc_failed = 0;
    json_set_alloc_funcs(json_alloc, json_release);
    json_t *root = json_loadb((const char *)s, len, JSON_FLAGS, &je);
    if (root && json_alloc_failed) {
        json_decref(root);
        root = NULL;
    }
    if (root)
        return root;
    if (json_alloc_failed || json_error_code(&je) == json_error_out_of_memory || !je.text[0]) {
        map_error_set(err, MAP_ENOMEM, "out of memory");
        return NULL;
    }
    if (je.line > 0)
        map_error_set(err, MAP_EDATA, "line %zu, column %d: invalid JSON: %s",
                      line_base + (size_t)je.line - 1, je.column, je.text);
    else
        map_error_set(err, MAP_EDATA, "line %zu: invalid JSON: %s", line_base, je.text);
    return NULL;
}

/* The error for a NUL byte at s[at]; line_base is the line of s[0]. */
static int nul_error(const unsigned char *s, size_t at, size_t line_base, map_error *err)
{
    size_t line = line_base, col = 1;
    for (size_t i = 0; i < at; i++) {
        if (s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return map_error_set(err, MAP_EDATA, "line %zu, column %zu: NUL byte in the input", line, col);
}

/* Sets the header from the keys of obj, the first record. */
static int take_header(map_reader *rd, const json_t *obj, size_t loc, map_error *err)
{
    rd->row_loc = loc;
    const size_t nk = json_object_size(obj);
    if (nk == 0)
        return map_reader_fail(rd, err, (size_t)-1, "the first record has no keys");
    if (nk > rd->lim.max_columns)
        return map_reader_over_limit(rd, err, (size_t)-1, "max_columns",
                                     "%zu keys, more than the limit of %zu", nk,
                                     rd->lim.max_columns);
    const char **keys = map_mallocarray(nk, sizeof *keys);
    if (!keys)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        (void)v;
        keys[i++] = key;
    }
    assert(i == nk);
    const int rc = map_reader_header(rd, keys, nk, loc, err);
    map_free(keys);
    return rc;
}

/* Adds one record (an object at line or record loc) as a row. */
static int take_record(map_reader *rd, const json_t *obj, size_t loc, map_error *err)
{
    rd->row_loc = loc;
    if (!json_is_object(obj))
        return map_reader_fail(rd, err, (size_t)-1, "expected a JSON object, found %s",
                               kind_of(obj));
    int rc;
    if (!rd->have_header && (rc = take_header(rd, obj, loc, err)))
        return rc;
    if ((rc = map_reader_row_begin(rd, loc, err)))
        return rc;

    /* Ragged records first: a missing or extra key explains later errors. */
    for (size_t c = 0; c < rd->ncols; c++) {
        if (rd->role[c] == MAP_ROLE_IGNORE)
            continue;
        if (!json_object_get(obj, rd->cols[c]))
            return map_reader_fail(rd, err, (size_t)-1, "missing key '%s'", rd->cols[c]);
    }
    if (!rd->explicit_values && json_object_size(obj) != rd->ncols) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)obj, key, v) {
            (void)v;
            if (map_reader_column(rd, key) < 0)
                return map_reader_fail(rd, err, (size_t)-1,
                                       "unexpected key '%s' (not in the first record)", key);
        }
    }

    for (size_t c = 0; c < rd->ncols; c++) {
        if (rd->role[c] == MAP_ROLE_IGNORE)
            continue;
        const json_t *v = json_object_get(obj, rd->cols[c]);
        if (json_is_number(v))
            rc = map_reader_cell_number(rd, c, json_number_value(v), err);
        else if (json_is_string(v))
            rc = map_reader_cell_string(rd, c, json_string_value(v), json_string_length(v), err);
        else
            rc = map_reader_cell_other(rd, c, kind_of(v), err);
        if (rc)
            return rc;
    }
    map_reader_row_end(rd);
    return 0;
}

int map_read_json(map_reader *rd, map_source *src, map_error *err)
{
    /* Read the whole document: jansson parses from memory. */
    map_vec doc;
    map_vec_init(&doc, 1, MAP_INGEST_CHUNK);
    int rc = 0;
    unsigned char *data;
    size_t got;
    while (!(rc = map_source_read(src, &data, &got, err)) && got > 0) {
        if (got > rd->lim.max_json_bytes - doc.len) {
            rc = map_error_set_field(err, MAP_EDATA, "max_json_bytes",
                                     "JSON input larger than the limit of %zu bytes (a JSON "
                                     "document is read whole: raise the limit, or use JSON Lines "
                                     "or CSV)",
                                     rd->lim.max_json_bytes);
            goto fail;
        }
        if (map_vec_append(&doc, data, got)) {
            rc = map_error_set(err, MAP_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (rc)
        goto fail;
    const unsigned char *const buf = doc.data;
    const size_t len = doc.len;
    if (is_blank(buf, len)) {
        rc = map_error_set(err, MAP_EDATA, "empty file (expected a JSON array of objects)");
        goto fail;
    }
    const unsigned char *nul = memchr(buf, '\0', len);
    if (nul) {
        rc = nul_error(buf, (size_t)(nul - buf), 1, err);
        goto fail;
    }

    json_t *root = load(buf, len, 1, err);
    map_vec_free(&doc);
    if (!root)
        return err->code;
    if (!json_is_array(root)) {
        rc = map_error_set(err, MAP_EDATA, "expected a JSON array of objects, found %s",
                           kind_of(root));
    } else if (json_array_size(root) == 0) {
        rc = map_error_set(err, MAP_EDATA, "no records (the JSON array is empty)");
    } else {
        for (size_t i = 0; i < json_array_size(root) && rc == 0; i++)
            rc = take_record(rd, json_array_get(root, i), i + 1, err);
    }
    json_decref(root);
    return rc;
fail:
    map_vec_free(&doc);
    return rc;
}

/* Parses one JSON Lines line (without its LF) and adds its record. */
static int take_line(map_reader *rd, const unsigned char *s, size_t len, size_t line,
                     map_error *err)
{
    if (is_blank(s, len))
        return 0;
    const unsigned char *nul = memchr(s, '\0', len);
    if (nul)
        return nul_error(s, (size_t)(nul - s), line, err);
    json_t *obj = load(s, len, line, err);
    if (!obj)
        return err->code;
    const int rc = take_record(rd, obj, line, err);
    json_decref(obj);
    return rc;
}

int map_read_jsonl(map_reader *rd, map_source *src, map_error *err)
{
    /* A line that spans chunks is gathered in `held`; others are parsed in
     * place. */
    map_vec held;
    map_vec_init(&held, 1, MAP_INGEST_CHUNK);
    size_t line = 1;
    int rc = 0;
    unsigned char *chunk;
    size_t got;
    while (!(rc = map_source_read(src, &chunk, &got, err)) && got > 0) {
        const unsigned char *data = chunk;
        const unsigned char *const end = data + got;
        while (data < end) {
            const unsigned char *nl = memchr(data, '\n', (size_t)(end - data));
            const size_t piece = (size_t)((nl ? nl : end) - data);
            if (piece > rd->lim.max_json_bytes - held.len) {
                rd->row_loc = line;
                rc = map_reader_over_limit(rd, err, (size_t)-1, "max_json_bytes",
                                           "longer than the limit of %zu bytes",
                                           rd->lim.max_json_bytes);
                goto done;
            }
            if (nl && held.len == 0) {
                rc = take_line(rd, data, piece, line, err);
            } else {
                if (map_vec_append(&held, data, piece)) {
                    rc = map_error_set(err, MAP_ENOMEM, "out of memory");
                    goto done;
                }
                if (nl) {
                    rc = take_line(rd, held.data, held.len, line, err);
                    held.len = 0;
                }
            }
            if (rc)
                goto done;
            if (!nl)
                break;
            line++;
            data = nl + 1;
        }
    }
    if (rc)
        goto done;
    if (held.len && (rc = take_line(rd, held.data, held.len, line, err)))
        goto done;
    if (rd->n == 0)
        rc = map_error_set(err, MAP_EDATA, "empty file (no records)");
done:
    map_vec_free(&held);
    return rc;
}
