/* test_csv_write.c — the CSV writer against the project's own reader: tricky
 * names (commas, quotes, line breaks, a byte order mark, UTF-8, edge
 * spaces) and text come back identical through map_ingest_read, numbers
 * bit-identical; exact bytes for the special cells; write failures are
 * reported. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_common.h"
#include "map_csv_write.h"
#include "map_dataset.h"
#include "map_ingest.h"
#include "map_test.h"

#define NV 12
#define NROWS 40

static const char *const NAMES[NV] = {
    "\xEF\xBB\xBF" "bom first", "plain",         "comma,name",   "quote\"d",
    "\"leading quote",          "multi\nline",   "cr\r\nlf",     "\xC3\xBCn\xC3\xAF" "c\xC3\xB8" "d\xC3\xA9 \xE2\x9C\x93 \xE5\x80\xBC",
    " spaced ",                 "tab\tinside",   "trailing,",    "\"\"",
};

static const char *const NOTES[4] = {"", "a, \"b\"\nc", "plain note", " \r\n "};

/* A number that the reader must return bit for bit. */
static double tricky(size_t r, size_t c)
{
    static const double special[] = {0.1,     1.0 / 3.0, -0.0,         DBL_MAX, -DBL_MAX,
                                     DBL_MIN, 4.9406564584124654e-324, 1e300,   123456789012345678.0,
                                     1.0000000000000002, -2.5e-310, 6.02214076e23};
    const size_t ns = sizeof special / sizeof special[0];
    const size_t i = r * NV + c;
    if (i % 3 == 0)
        return special[(i / 3) % ns];
    /* Deterministic pseudo-random doubles with full mantissas. */
    uint64_t z = (uint64_t)i * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    const double u = (double)(z >> 11) * 0x1.0p-53;
    return (u - 0.5) * pow(10.0, (double)((int)(z % 41) - 20));
}

static void test_roundtrip(void)
{
    char path[] = "/tmp/map_csv_write_XXXXXX";
    const int fd = mkstemp(path);
    MAP_CHECK(fd >= 0, "mkstemp");
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "w");
    map_csv_writer *w = map_csv_writer_new(f);
    MAP_CHECK(w != NULL, "writer");
    for (size_t c = 0; c < NV; c++)
        MAP_CHECK(map_csv_text(w, NAMES[c]) == MAP_OK, "name %zu", c);
    MAP_CHECK(map_csv_text(w, "note") == MAP_OK && map_csv_end_row(w) == MAP_OK, "header end");
    for (size_t r = 0; r < NROWS; r++) {
        double x[NV];
        for (size_t c = 0; c < NV; c++)
            x[c] = tricky(r, c);
        MAP_CHECK(map_csv_numbers(w, x, NV) == MAP_OK, "row %zu", r);
        MAP_CHECK(map_csv_text(w, NOTES[r % 4]) == MAP_OK, "note");
        MAP_CHECK(map_csv_end_row(w) == MAP_OK, "row end");
    }
    map_error err;
    MAP_CHECK(map_csv_writer_finish(w, &err) == MAP_OK, "finish");
    map_csv_writer_free(w);
    fclose(f);

    const char *const text[] = {"note"};
    map_ingest_opts o = {0};
    o.path = path;
    o.format = MAP_FMT_CSV;
    o.text_columns = text;
    o.ntext = 1;
    map_dataset *ds = NULL;
    MAP_CHECK(map_ingest_read(&o, &ds, &err) == MAP_OK, "read back: %s", err.msg);
    if (ds) {
        MAP_CHECK(ds->m == NV && ds->n == NROWS, "shape %zu x %zu", ds->n, ds->m);
        for (size_t c = 0; c < NV && c < ds->m; c++)
            MAP_CHECK(strcmp(ds->values[c], NAMES[c]) == 0, "name %zu: [%s] vs [%s]", c, ds->values[c],
                      NAMES[c]);
        size_t bad = 0;
        for (size_t r = 0; r < ds->n; r++)
            for (size_t c = 0; c < ds->m; c++) {
                const double want = tricky(r, c), got = ds->x[r * ds->m + c];
                bad += memcmp(&want, &got, sizeof want) != 0;
            }
        MAP_CHECK(bad == 0, "%zu numbers differ in their bits", bad);
        MAP_CHECK(ds->ntext == 1 && ds->text && strcmp(ds->text_names[0], "note") == 0, "text column");
        for (size_t r = 0; ds->text && r < ds->n; r++)
            MAP_CHECK(strcmp(ds->text[r], NOTES[r % 4]) == 0, "note %zu: [%s]", r, ds->text[r]);
        map_dataset_free(ds);
    }
    unlink(path);
}

/* Exact bytes: special numbers, empty cells, quoting decisions. */
static void test_bytes(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    map_csv_writer *w = map_csv_writer_new(f);
    map_csv_number(w, NAN);
    map_csv_number(w, INFINITY);
    map_csv_number(w, -INFINITY);
    map_csv_number(w, -0.0);
    map_csv_number(w, 0.1);
    map_csv_count(w, 42);
    map_csv_text(w, NULL);
    map_csv_end_row(w);
    map_csv_text(w, "");
    map_csv_end_row(w); /* one empty cell: not a blank line */
    map_csv_number(w, NAN);
    map_csv_end_row(w);
    const char *const row[] = {"a", "b c", "x,y", "say \"hi\"", " lead", "trail\t", "caf\xC3\xA9"};
    map_csv_row(w, row, 7);
    map_csv_end_row(w); /* no cell: a blank line */
    map_error err;
    MAP_CHECK(map_csv_writer_finish(w, &err) == MAP_OK, "finish");
    map_csv_writer_free(w);
    fclose(f);
    const char *want = ",inf,-inf,-0,0.10000000000000001,42,\n"
                       "\"\"\n"
                       "\"\"\n"
                       "a,b c,\"x,y\",\"say \"\"hi\"\"\",\" lead\",\"trail\t\",caf\xC3\xA9\n"
                       "\n";
    MAP_CHECK(len == strlen(want) && memcmp(buf, want, len) == 0, "bytes:\n%.*s\nwant:\n%s", (int)len, buf, want);
    free(buf);
    map_csv_writer_free(NULL);
}

/* A full device: the failure surfaces at the latest in finish, and sticks. */
static void test_failure(void)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f) {
        fprintf(stderr, "no /dev/full; skipped\n");
        return;
    }
    setvbuf(f, NULL, _IONBF, 0);
    map_csv_writer *w = map_csv_writer_new(f);
    int rc = map_csv_text(w, "cell");
    MAP_CHECK(rc == MAP_ENOMEM, "unbuffered write to a full device fails at once (%d)", rc);
    MAP_CHECK(map_csv_number(w, 1.0) == MAP_ENOMEM && map_csv_end_row(w) == MAP_ENOMEM, "sticky");
    map_error err;
    MAP_CHECK(map_csv_writer_finish(w, &err) == MAP_ENOMEM && strstr(err.msg, "cannot write"), "finish: %s",
              err.msg);
    map_csv_writer_free(w);
    fclose(f);

    f = fopen("/dev/full", "w"); /* buffered: only the flush fails */
    w = map_csv_writer_new(f);
    MAP_CHECK(map_csv_text(w, "cell") == MAP_OK, "buffered write");
    MAP_CHECK(map_csv_writer_finish(w, &err) == MAP_ENOMEM, "flush fails");
    fprintf(stderr, "full device: %s\n", err.msg);
    map_csv_writer_free(w);
    fclose(f);
}

int main(void)
{
    MAP_RUN(test_roundtrip);
    MAP_RUN(test_bytes);
    MAP_RUN(test_failure);
    return map_test_finish();
}
