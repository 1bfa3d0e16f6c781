/* map_blob.c — the BLOB codecs of the store: the matrix as chunks of
 * packed little-endian doubles or IEEE float32 (written in one pass, read
 * with incremental BLOB I/O straight into the matrix), the prompt and text
 * columns as chunks of NUL-terminated strings, and arrays of little-endian
 * doubles in a single BLOB (the sweep rows'). Byte order is swapped here
 * only, on a big-endian host.
 */
#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "map_store_internal.h"

/* Rows per matrix chunk: 65536, fewer for wide matrices so that a chunk
 * stays under MATRIX_CHUNK_MAX_BYTES (far below SQLite's 1 GB blob limit). */
#define MATRIX_CHUNK_ROWS 65536u
#define MATRIX_CHUNK_MAX_BYTES (16u << 20)

/* A string chunk closes after this many rows or once it reaches this many
 * bytes, whichever comes first. */
#define STRING_CHUNK_ROWS 65536u
#define STRING_CHUNK_BYTES (4u << 20)

/* The string_chunk column of the prompts. */
#define PROMPT_COL (-1)

/* -------------------------------------------------------- byte order */

int store_host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* Converts count doubles between host order and little-endian (the same
 * operation both ways). Only used on big-endian hosts. */
static void swap_doubles(unsigned char *dst, const unsigned char *src, size_t count)
{
    for (size_t k = 0; k < count; k++)
        for (size_t b = 0; b < 8; b++)
            dst[8 * k + b] = src[8 * k + 7 - b];
}

/* Reverses the bytes of each of count elements of elem bytes in place (8:
 * swap_doubles on one buffer; 4: floats). */
void store_swap_in_place(unsigned char *p, size_t count, size_t elem)
{
    for (size_t k = 0; k < count; k++)
        for (size_t b = 0; b < elem / 2; b++) {
            const unsigned char t = p[elem * k + b];
            p[elem * k + b] = p[elem * k + elem - 1 - b];
            p[elem * k + elem - 1 - b] = t;
        }
}

static size_t matrix_chunk_rows(size_t m)
{
    assert(m > 0);
    const size_t fit = MATRIX_CHUNK_MAX_BYTES / (m * sizeof(double));
    if (fit < 1)
        return 1;
    return fit < MATRIX_CHUNK_ROWS ? fit : MATRIX_CHUNK_ROWS;
}

/* Inserts one chunk row: (dataset_id, [col,] chunk, nrows, data). The
 * statement's parameters are numbered so that col is ?5 where present. */
static int put_chunk(map_store *st, sqlite3_stmt *ins, int64_t id, int64_t col, int has_col,
                     size_t chunk, size_t nrows, const void *data, size_t bytes, map_error *err)
{
    int rc = sqlite3_bind_int64(ins, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(ins, 2, (int64_t)chunk);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(ins, 3, (int64_t)nrows);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob64(ins, 4, data, (sqlite3_uint64)bytes, SQLITE_STATIC);
    if (rc == SQLITE_OK && has_col)
        rc = sqlite3_bind_int64(ins, 5, col);
    if (rc != SQLITE_OK)
        return store_sql_fail(st, rc, err, "cannot bind a chunk");
    return store_step_done(st, ins, err, "cannot store a chunk");
}

/* Stores the matrix as chunks of packed little-endian doubles, or of
 * floats when xf is non-NULL (the single-precision copy of ds->x). */
int store_put_matrix(map_store *st, int64_t id, const map_dataset *ds, const float *xf,
                     map_error *err)
{
    const size_t per = matrix_chunk_rows(ds->m);
    const size_t elem = xf ? sizeof(float) : sizeof(double);
    const int little = store_host_is_little_endian();
    unsigned char *swapped = NULL;
    if (!little) {
        const size_t rows = per < ds->n ? per : ds->n;
        swapped = map_mallocarray(rows * ds->m, elem);
        if (!swapped)
            return store_nomem(err);
    }
    sqlite3_stmt *ins = NULL;
    int code = store_prepare(st,
                             "INSERT INTO matrix_chunk (dataset_id, chunk, nrows, data) "
                             "VALUES (?1, ?2, ?3, ?4)", &ins, err);
    for (size_t row = 0, chunk = 0; !code && row < ds->n; row += per, chunk++) {
        const size_t rows = ds->n - row < per ? ds->n - row : per;
        assert(rows > 0 && rows <= per);
        const size_t count = rows * ds->m;
        const void *data = xf ? (const void *)(xf + row * ds->m) : (const void *)(ds->x + row * ds->m);
        if (!little) {
            memcpy(swapped, data, count * elem);
            store_swap_in_place(swapped, count, elem);
            data = swapped;
        }
        code = put_chunk(st, ins, id, 0, 0, chunk, rows, data, count * elem, err);
    }
    sqlite3_finalize(ins);
    map_free(swapped);
    return code;
}

/* Stores the strings s[0], s[stride], ... s[(n-1)*stride] as column col.
 * A NULL string is stored as "". */
static int put_strings(map_store *st, sqlite3_stmt *ins, int64_t id, int64_t col,
                       char *const *s, size_t n, size_t stride, map_error *err)
{
    assert(s && n > 0 && stride > 0);
    unsigned char *buf = NULL;
    size_t cap = 0, used = 0, rows = 0, chunk = 0;
    int code = MAP_OK;
    for (size_t j = 0; !code && j < n; j++) {
        const char *str = s[j * stride] ? s[j * stride] : "";
        const size_t len = strlen(str);
        if (len >= SIZE_MAX - used) {
            code = store_nomem(err);
            break;
        }
        if (used + len + 1 > cap) {
            size_t want = cap ? cap : 4096;
            while (want < used + len + 1)
                want = want > SIZE_MAX / 2 ? used + len + 1 : want * 2;
            unsigned char *grown = map_realloc(buf, want);
            if (!grown) {
                code = store_nomem(err);
                break;
            }
            buf = grown;
            cap = want;
        }
        memcpy(buf + used, str, len + 1);
        used += len + 1;
        rows++;
        if (rows == STRING_CHUNK_ROWS || used >= STRING_CHUNK_BYTES || j + 1 == n) {
            code = put_chunk(st, ins, id, col, 1, chunk, rows, buf, used, err);
            chunk++;
            rows = 0;
            used = 0;
        }
    }
    map_free(buf);
    return code;
}

int store_put_texts(map_store *st, int64_t id, const map_dataset *ds, map_error *err)
{
    sqlite3_stmt *ins = NULL;
    int code = store_prepare(st,
                             "INSERT INTO string_chunk (dataset_id, chunk, nrows, data, col) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)", &ins, err);
    if (!code && ds->prompt_name)
        code = put_strings(st, ins, id, PROMPT_COL, ds->prompts, ds->n, 1, err);
    for (size_t c = 0; !code && c < ds->ntext; c++)
        code = put_strings(st, ins, id, (int64_t)c, ds->text + c, ds->n, ds->ntext, err);
    sqlite3_finalize(ins);
    return code;
}

/* Asks the kernel to fault in the buffer [p, p + bytes) in one call
 * (MADV_POPULATE_WRITE, Linux 5.14+) rather than one fault per 4 KiB page as
 * the reads first touch it: a hint, whose failure (older kernels) changes
 * nothing. (Huge pages were tried: on a fragmented host the compaction they
 * need cost more than the faults they save.) */
static void prefault(void *p, size_t bytes)
{
#if defined(MADV_POPULATE_WRITE)
    const uintptr_t page = 4096;
    const uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
    const uintptr_t hi = ((uintptr_t)p + bytes) & ~(page - 1);
    if (hi > lo)
        (void)madvise((void *)lo, (size_t)(hi - lo), MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Fills x (n * m doubles) from the matrix chunks, checking that they are
 * numbered 0, 1, ..., hold whole rows and cover exactly n rows. Each chunk
 * is read with incremental BLOB I/O straight into its place in x: the
 * query reads only the chunks' sizes (length() does not load a BLOB), and
 * sqlite3_blob_read copies the pages into x with no buffer in between. */
int store_get_matrix(map_store *st, const char *dsname, int64_t id, size_t n, size_t m,
                     void *xv, size_t elem, map_error *err)
{
    assert(elem == sizeof(double) || elem == sizeof(float));
    unsigned char *const x = xv;
    sqlite3_stmt *sel = NULL;
    int code = store_prepare(st,
                             "SELECT rowid, chunk, nrows, typeof(data) = 'blob', length(data) "
                             "FROM matrix_chunk WHERE dataset_id = ?1 ORDER BY chunk", &sel, err);
    if (code)
        return code;
    const int little = store_host_is_little_endian();
    prefault(x, n * m * elem);
    sqlite3_blob *blob = NULL;
    size_t row = 0, chunk = 0;
    int rc = sqlite3_bind_int64(sel, 1, id);
    if (rc != SQLITE_OK)
        code = store_sql_fail(st, rc, err, "cannot bind");
    while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const int64_t rowid = sqlite3_column_int64(sel, 0);
        const int64_t k = sqlite3_column_int64(sel, 1);
        const int64_t rows = sqlite3_column_int64(sel, 2);
        if (k != (int64_t)chunk || !sqlite3_column_int(sel, 3) || rows <= 0
            || (uint64_t)rows > n - row) {
            code = store_corrupt(st, dsname, err, "matrix chunk %zu is out of place", chunk);
            break;
        }
        const int64_t bytes = sqlite3_column_int64(sel, 4);
        const size_t want = (size_t)rows * m * elem;
        if (bytes < 0 || (uint64_t)bytes != want || want > INT_MAX) {
            code = store_corrupt(st, dsname, err, "matrix chunk %zu has %" PRId64 " bytes, "
                                 "expected %zu", chunk, bytes, want);
            break;
        }
        rc = blob ? sqlite3_blob_reopen(blob, rowid)
                  : sqlite3_blob_open(st->db, "main", "matrix_chunk", "data", rowid, 0, &blob);
        if (rc == SQLITE_OK)
            rc = sqlite3_blob_read(blob, x + row * m * elem, (int)want, 0);
        if (rc != SQLITE_OK) {
            code = store_sql_fail(st, rc, err, "cannot read the matrix");
            break;
        }
        if (!little)
            store_swap_in_place(x + row * m * elem, (size_t)rows * m, elem);
        row += (size_t)rows;
        chunk++;
    }
    if (!code && rc != SQLITE_DONE)
        code = store_sql_fail(st, rc, err, "cannot read the matrix");
    if (!code && row != n)
        code = store_corrupt(st, dsname, err, "the matrix has %zu rows, expected %zu", row, n);
    sqlite3_blob_close(blob);
    sqlite3_finalize(sel);
    return code;
}

/* A copy of the bytes p[0..bytes) kept in ds's arenas (NULL when out of
 * memory). */
static char *arena_copy(map_dataset *ds, const char *p, size_t bytes)
{
    void **a = map_reallocarray(ds->arenas, ds->narenas + 1, sizeof *a);
    if (!a)
        return NULL;
    ds->arenas = a;
    char *blk = map_malloc(bytes);
    if (!blk)
        return NULL;
    memcpy(blk, p, bytes);
    a[ds->narenas++] = blk;
    return blk;
}

/* Points dst[0], dst[stride], ... dst[(n-1)*stride] at the strings of
 * column col, each chunk's strings kept in one block of ds's arenas. On
 * error the blocks read so far stay in ds's arenas (its owner frees them). */
static int get_strings(map_store *st, sqlite3_stmt *sel, map_dataset *ds, int64_t id,
                       int64_t col, size_t n, size_t stride, char **dst, map_error *err)
{
    const char *dsname = ds->name;
    size_t row = 0, chunk = 0;
    int code = MAP_OK;
    int rc = sqlite3_bind_int64(sel, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(sel, 2, col);
    if (rc != SQLITE_OK)
        code = store_sql_fail(st, rc, err, "cannot bind");
    while (!code && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const int64_t k = sqlite3_column_int64(sel, 0);
        const int64_t rows = sqlite3_column_int64(sel, 1);
        if (k != (int64_t)chunk || sqlite3_column_type(sel, 2) != SQLITE_BLOB || rows <= 0
            || (uint64_t)rows > n - row) {
            code = store_corrupt(st, dsname, err, "string chunk %zu of column %" PRId64
                                 " is out of place", chunk, col);
            break;
        }
        const char *p = sqlite3_column_blob(sel, 2);
        const size_t bytes = (size_t)sqlite3_column_bytes(sel, 2);
        if (!p) {
            /* an empty blob cannot hold rows >= 1 strings */
            code = bytes ? store_nomem(err)
                         : store_corrupt(st, dsname, err, "string chunk %zu of column %" PRId64
                                         " is empty", chunk, col);
            break;
        }
        /* The chunk's strings, NUL-terminated one after another, stay in one
         * block of the dataset's arenas; dst points into it. */
        if (!(p = arena_copy(ds, p, bytes))) {
            code = store_nomem(err);
            break;
        }
        const char *const end = p + bytes;
        for (int64_t r = 0; !code && r < rows; r++) {
            const char *nul = memchr(p, '\0', (size_t)(end - p));
            if (!nul) {
                code = store_corrupt(st, dsname, err, "string chunk %zu of column %" PRId64
                                     " is truncated", chunk, col);
                break;
            }
            dst[(row + (size_t)r) * stride] = (char *)p;
            p = nul + 1;
        }
        if (!code && p != end)
            code = store_corrupt(st, dsname, err, "string chunk %zu of column %" PRId64
                                 " has trailing bytes", chunk, col);
        row += (size_t)rows;
        chunk++;
    }
    if (!code && rc != SQLITE_DONE)
        code = store_sql_fail(st, rc, err, "cannot read strings");
    if (!code && row != n)
        code = store_corrupt(st, dsname, err, "column %" PRId64 " has %zu strings, expected %zu",
                             col, row, n);
    sqlite3_reset(sel);
    return code;
}

int store_get_texts(map_store *st, map_dataset *ds, int64_t id, unsigned flags, map_error *err)
{
    const int want_prompts = (flags & MAP_LOAD_PROMPTS) && ds->prompt_name;
    const int want_text = (flags & MAP_LOAD_TEXT) && ds->ntext > 0;
    if (!want_prompts && !want_text)
        return MAP_OK;
    sqlite3_stmt *sel = NULL;
    int code = store_prepare(st,
                             "SELECT chunk, nrows, data FROM string_chunk "
                             "WHERE dataset_id = ?1 AND col = ?2 ORDER BY chunk", &sel, err);
    if (!code && want_prompts) {
        ds->prompts = map_calloc(ds->n, sizeof *ds->prompts);
        code = ds->prompts ? get_strings(st, sel, ds, id, PROMPT_COL, ds->n, 1, ds->prompts,
                                         err)
                           : store_nomem(err);
    }
    if (!code && want_text) {
        ds->text = map_calloc(ds->n * ds->ntext, sizeof *ds->text);
        if (!ds->text)
            code = store_nomem(err);
        for (size_t c = 0; !code && c < ds->ntext; c++)
            code = get_strings(st, sel, ds, id, (int64_t)c, ds->n, ds->ntext, ds->text + c,
                               err);
    }
    sqlite3_finalize(sel);
    return code;
}

/* Binds count doubles as a little-endian BLOB (NULL: SQL NULL). On a
 * big-endian host the bytes are swapped into *scratch, which must hold
 * count doubles and stay alive until the statement is stepped. */
int store_bind_doubles(sqlite3_stmt *stmt, int idx, const double *x, size_t count,
                       unsigned char *scratch)
{
    if (!x)
        return sqlite3_bind_null(stmt, idx);
    const void *data = x;
    if (!store_host_is_little_endian()) {
        swap_doubles(scratch, (const unsigned char *)x, count);
        data = scratch;
    }
    return sqlite3_bind_blob64(stmt, idx, data, (sqlite3_uint64)(count * sizeof(double)),
                               SQLITE_STATIC);
}

/* Reads a BLOB of exactly count doubles into x; 1 if it is NULL (allowed
 * only where null_ok), 0 when read, −1 when its size is wrong. */
int store_column_doubles(sqlite3_stmt *stmt, int col, double *x, size_t count, int null_ok)
{
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
        return null_ok ? 1 : -1;
    if (sqlite3_column_type(stmt, col) != SQLITE_BLOB)
        return -1;
    const void *data = sqlite3_column_blob(stmt, col);
    const size_t bytes = (size_t)sqlite3_column_bytes(stmt, col);
    if (bytes != count * sizeof(double) || (!data && bytes))
        return -1;
    if (!bytes)
        return 0;
    if (store_host_is_little_endian())
        memcpy(x, data, bytes);
    else
        swap_doubles((unsigned char *)x, data, count);
    return 0;
}
