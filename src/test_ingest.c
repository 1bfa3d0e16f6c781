/* test_ingest.c — unit tests of the CSV, JSON and JSON Lines readers: the
 * MAP reference files (../shared/datasets, or $MAP_SHARED/datasets), every
 * documented error with its location, line endings, limits, hashing and
 * allocation failures. Small inputs are written to a temporary directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "map_common.h"
#include "map_dataset.h"
#include "map_hash.h"
#include "map_ingest.h"
#include "map_ingest_internal.h"
#include "map_test.h"

static char tmpdir[256];
static char shared[512];

static const char *const six[] = {"humor",     "gpt2-helpful", "gpt2-harmless",
                                  "diversity", "coherence",    "perplexity"};
static const char *const generated[] = {"generated"};

/* ---- helpers ----------------------------------------------------------- */

/* Writes len bytes (len < 0: strlen) to tmpdir/name; returns the path
 * (static buffer, valid until the next call). */
static const char *write_tmp(const char *name, const char *content, long len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(EXIT_FAILURE);
    }
    const size_t n = len < 0 ? strlen(content) : (size_t)len;
    if (fwrite(content, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(EXIT_FAILURE);
    }
    return path;
}

static const char *real_path(const char *file)
{
    static char path[4][768];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/datasets/%s", shared, file);
    return p;
}

/* Reads a whole file into a malloc'd buffer. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static map_ingest_opts opts_for(const char *path)
{
    map_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.path = path;
    return o;
}

/* Ingest that must succeed. */
static map_dataset *read_ok(const map_ingest_opts *o)
{
    map_dataset *ds = NULL;
    map_error err;
    const int rc = map_ingest_read(o, &ds, &err);
    MAP_CHECK(rc == 0 && ds, "%s: rc %d: %s", o->path, rc, err.msg);
    return rc == 0 ? ds : NULL;
}

/* Ingest of content written to tmpdir/name that must fail with code and a
 * message that starts with the path and contains each needle. */
static void expect_fail_opts(const char *name, const char *content, long len, map_ingest_opts o,
                             int code, const char *needle, const char *needle2)
{
    const char *path = write_tmp(name, content, len);
    o.path = path;
    map_dataset *ds = (map_dataset *)&o; /* must be reset to NULL */
    map_error err;
    const int rc = map_ingest_read(&o, &ds, &err);
    MAP_CHECK(rc == code, "%s: rc %d, expected %d (%s)", name, rc, code, err.msg);
    MAP_CHECK(ds == NULL, "%s: dataset returned on failure", name);
    MAP_CHECK(err.code == rc, "%s: err.code %d vs rc %d", name, err.code, rc);
    const size_t plen = strlen(path);
    MAP_CHECK(strncmp(err.msg, path, plen) == 0 && strncmp(err.msg + plen, ": ", 2) == 0,
              "%s: message does not start with the path: %s", name, err.msg);
    /* A needle "field=F" is the request field the error names. */
    const char *const needles[2] = {needle, needle2};
    for (int i = 0; i < 2; i++) {
        const char *nd = needles[i];
        if (nd && strncmp(nd, "field=", 6) == 0)
            MAP_CHECK(strcmp(err.field, nd + 6) == 0, "%s: field '%s', expected '%s' (%s)", name,
                      err.field, nd + 6, err.msg);
        else
            MAP_CHECK(!nd || strstr(err.msg, nd), "%s: '%s' not in: %s", name, nd, err.msg);
    }
    if (rc == 0)
        map_dataset_free(ds);
    if (getenv("MAP_TEST_VERBOSE"))
        fprintf(stderr, "  %s\n", err.msg);
}

static void expect_fail(const char *name, const char *content, long len, const char *needle,
                        const char *needle2)
{
    expect_fail_opts(name, content, len, opts_for(NULL), MAP_EDATA, needle, needle2);
}

/* The same with column 't' named as a text column. */
static void expect_fail_t(const char *name, const char *content, long len, const char *needle,
                          const char *needle2)
{
    static const char *const t[] = {"t"};
    map_ingest_opts o = opts_for(NULL);
    o.text_columns = t;
    o.ntext = 1;
    expect_fail_opts(name, content, len, o, MAP_EDATA, needle, needle2);
}

/* Ingest of content in tmpdir/name with options o that must succeed. */
static map_dataset *read_tmp(const char *name, const char *content, long len, map_ingest_opts o)
{
    o.path = write_tmp(name, content, len);
    return read_ok(&o);
}

static int same_strings(char *const *a, char *const *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 0;
    return 1;
}

/* ---- the CSV fast path against libcsv ---------------------------------- */

/* Ingests path with o twice, in CSV reader mode `mode` (map_read_csv_mode:
 * 1 one thread, 2 two) and with libcsv alone (mode 0), and checks that both
 * give the same code, message and dataset (values bit for bit, prompts and
 * text). Returns the code of the first. */
static int same_both_ways(const map_ingest_opts *o, const char *what, int mode)
{
    map_dataset *ds[2] = {NULL, NULL};
    map_error err[2];
    int rc[2];
    for (int k = 0; k < 2; k++) {
        map_read_csv_mode(k == 0 ? mode : 0);
        rc[k] = map_ingest_read(o, &ds[k], &err[k]);
    }
    map_read_csv_mode(2);
    MAP_CHECK(rc[0] == rc[1], "%s: rc %d (fast) vs %d (libcsv): %s / %s", what, rc[0], rc[1],
              rc[0] ? err[0].msg : "", rc[1] ? err[1].msg : "");
    if (rc[0] == rc[1] && rc[0] != 0)
        MAP_CHECK(strcmp(err[0].msg, err[1].msg) == 0, "%s: '%s' (fast) vs '%s' (libcsv)", what,
                  err[0].msg, err[1].msg);
    if (rc[0] == 0 && rc[1] == 0) {
        const map_dataset *a = ds[0], *b = ds[1];
        int same = a->n == b->n && a->m == b->m && a->ntext == b->ntext &&
                   strcmp(a->hash, b->hash) == 0 &&
                   memcmp(a->x, b->x, a->n * a->m * sizeof *a->x) == 0 &&
                   same_strings(a->values, b->values, a->m) &&
                   (a->prompts == NULL) == (b->prompts == NULL);
        if (same && a->prompts)
            same = same_strings(a->prompts, b->prompts, a->n);
        if (same && a->ntext)
            same = same_strings(a->text, b->text, a->n * a->ntext);
        MAP_CHECK(same, "%s: the datasets differ", what);
    }
    map_dataset_free(ds[0]);
    map_dataset_free(ds[1]);
    return rc[0];
}

static unsigned long rnd_state = 12345;

static unsigned rnd_below(unsigned n)
{
    rnd_state = rnd_state * 6364136223846793005u + 1442695040888963407u;
    return (unsigned)((rnd_state >> 33) % n);
}

/* Random small CSV files over an alphabet of digits, signs, points,
 * exponents, commas, quotes, spaces, NUL and every line ending, with a
 * header of 1..4 columns (a prompt column 'p' and a text column 't' now and
 * then) and a small field limit now and then: the fast path and libcsv must
 * agree on every one, errors included. Then large files whose lines cross
 * the chunk boundaries at every offset. */
static void test_csv_fast_path_same(void)
{
    static const char *const alphabet[] = {
        "0", "1", "7", "-", "+", ".", "e", "5", "x", ",", ",", ",", "\"", " ", "\n", "\n",
        "\r\n", "\r", "\n\n", "\"\"", "nan", "a", "0.25", "-1.5e3",
    };
    static const char *const headers[] = {"a", "a,b", "p,a,b", "a,t,b", "p,a,b,c,t", "\"a\",b"};
    static const char *const t[] = {"t"};
    char buf[512];
    int failures = 0;
    for (int k = 0; k < 6000 && failures < 5; k++) {
        const int h = (int)rnd_below(sizeof headers / sizeof headers[0]);
        size_t o = (size_t)snprintf(buf, sizeof buf, "%s\n", headers[h]);
        const unsigned rows = rnd_below(6);
        for (unsigned r = 0; r < rows; r++) {
            /* Mostly well-formed rows of numbers, some of random tokens. */
            if (rnd_below(3)) {
                const unsigned cols = 1 + rnd_below(5);
                for (unsigned c = 0; c < cols && o < 400; c++)
                    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%u.%u", c ? "," : "",
                                          rnd_below(100), rnd_below(1000));
                o += (size_t)snprintf(buf + o, sizeof buf - o, "%s",
                                      rnd_below(4) ? "\n" : "\r\n");
            } else {
                const unsigned toks = rnd_below(12);
                for (unsigned i = 0; i < toks && o < 480; i++) {
                    const char *tok = alphabet[rnd_below(sizeof alphabet / sizeof alphabet[0])];
                    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", tok);
                }
            }
        }
        if (rnd_below(20) == 0 && o > 0)
            buf[rnd_below((unsigned)o)] = '\0';
        /* A new file each time: truncating one (ext4 auto_da_alloc) waits for
         * the disk. */
        char name[32];
        snprintf(name, sizeof name, "fast-%d.csv", k);
        map_ingest_opts op = opts_for(write_tmp(name, buf, (long)o));
        if (h == 2 || h == 4)
            op.prompt_column = "p";
        if (h == 3 || h == 4) {
            op.text_columns = t;
            op.ntext = 1;
        }
        if (rnd_below(4) == 0)
            op.limits.max_field_bytes = 1 + rnd_below(6);
        char what[64];
        snprintf(what, sizeof what, "random file %d", k);
        const int before = map_test_failures;
        same_both_ways(&op, what, 2);
        unlink(op.path);
        if (map_test_failures != before) {
            failures++;
            fprintf(stderr, "  input: ");
            for (size_t i = 0; i < o; i++)
                fprintf(stderr, (unsigned char)buf[i] < 0x20 || buf[i] == '\\' ? "\\x%02x" : "%c",
                        (unsigned char)buf[i]);
            fputc('\n', stderr);
        }
    }

    /* Lines of 1..3 numbers and now and then a quoted field, about 200 KB, so
     * that lines cross the 64 KiB chunk boundaries in every phase; with an
     * error near the end (a bad cell, a ragged row) and without. */
    for (int k = 0; k < 8; k++) {
        const size_t cap = 200000 + (size_t)k * 7919;
        char *big = malloc(cap + 64);
        if (!big)
            return;
        size_t o = (size_t)snprintf(big, cap, "a,b,c\n");
        while (o < cap) {
            const unsigned q = rnd_below(50);
            o += (size_t)snprintf(big + o, cap + 64 - o, q == 0 ? "\"%u\",%u.5,-%u\r\n"
                                                          : "%u,%u.5,-%u\n",
                                  rnd_below(100000), rnd_below(1000), rnd_below(10));
        }
        if (k % 3 == 1)
            o += (size_t)snprintf(big + o, 64, "1,x,3\n");
        else if (k % 3 == 2)
            o += (size_t)snprintf(big + o, 64, "1,2\n");
        char name[32];
        snprintf(name, sizeof name, "fast-big-%d.csv", k);
        map_ingest_opts op = opts_for(write_tmp(name, big, (long)o));
        char what[64];
        snprintf(what, sizeof what, "large file %d", k);
        const int rc = same_both_ways(&op, what, 2);
        MAP_CHECK((rc == 0) == (k % 3 == 0), "%s: rc %d", what, rc);
        free(big);
    }
}

/* Files of about 2.5 MB without quotes (so that the reader splits its 1 MiB
 * chunks between two threads), each with one twist: line endings (LF, CRLF,
 * CR, mixed), blank lines, and errors (a bad cell, a ragged row, a NUL, too many rows, a long
 * field) at rows in the first and second part of different chunks. Mode 2
 * must give what libcsv alone gives, messages included. */
static void test_csv_split_same(void)
{
    static const char *const t[] = {"t"};
    enum { ROWS = 60000 };
    /* Chunks hold about 25000 rows: rows in the first and second halves. */
    static const long bad_rows[] = {-1, 9000, 21000, 38000};
    const size_t cap = (size_t)ROWS * 64 + 1024;
    char *buf = malloc(cap);
    if (!buf)
        return;
    for (int variant = 0; variant < 9; variant++) {
        for (size_t b = 0; b < sizeof bad_rows / sizeof bad_rows[0]; b++) {
            const long bad = bad_rows[b];
            if (variant >= 4 && bad < 0)
                continue;
            if (variant < 4 && bad >= 0)
                continue;
            const char *eol = variant == 1 ? "\r\n" : variant == 3 ? "\r" : "\n";
            size_t o = (size_t)snprintf(buf, cap, "p,a,t,b,c%s", eol);
            for (long r = 0; r < ROWS; r++) {
                /* Mixed line endings from variant 2 on. */
                static const char *const mixed[] = {"\n", "\r\n", "\n", "\r"};
                if (variant >= 2 && variant != 3)
                    eol = mixed[r % 4];
                if (variant == 2 && r % 97 == 0)
                    o += (size_t)snprintf(buf + o, cap - o, "%s", r % 2 ? "\n" : "\r\n\r\n");
                if (r == bad && variant == 4)
                    o += (size_t)snprintf(buf + o, cap - o, "k%ld,1.5,x,oops,3%s", r, eol);
                else if (r == bad && variant == 5)
                    o += (size_t)snprintf(buf + o, cap - o, "k%ld,1.5,x,2%s", r, eol);
                else if (r == bad && variant == 6)
                    o += (size_t)snprintf(buf + o, cap - o, "k%ld,1.5,x%cy,2,3%s", r, 0, eol);
                else if (r == bad && variant == 8)
                    o += (size_t)snprintf(buf + o, cap - o, "k%ld,1.5,%s,2,3%s", r,
                                          "a-text-cell-longer-than-the-limit", eol);
                else
                    o += (size_t)snprintf(buf + o, cap - o, "k%ld,%ld.%03ld,w%ld,-%ld.5,%ldE-3%s",
                                          r % 1000, r, r % 1000, r % 7, r % 100, r, eol);
            }
            char name[48];
            snprintf(name, sizeof name, "split-%d-%zu.csv", variant, b);
            map_ingest_opts op = opts_for(write_tmp(name, buf, (long)o));
            op.prompt_column = "p";
            op.text_columns = t;
            op.ntext = 1;
            if (variant == 7)
                op.limits.max_rows = (size_t)bad;
            if (variant == 8)
                op.limits.max_field_bytes = 20;
            char what[80];
            snprintf(what, sizeof what, "variant %d, bad row %ld", variant, bad);
            const int rc = same_both_ways(&op, what, 2);
            MAP_CHECK((rc == 0) == (bad < 0 || variant < 4), "%s: rc %d", what, rc);
            unlink(op.path);
        }
    }
    free(buf);

    /* The second thread fails on a row: after 1.58 MB of blank lines (no
     * rows before its part) the rows exceed max_rows inside its part. */
    char *big = malloc((size_t)4 << 20);
    if (!big)
        return;
    size_t o = (size_t)snprintf(big, 64, "a,b\n");
    memset(big + o, '\n', (size_t)1580000); /* past the middle of chunk 2 */
    o += 1580000;
    for (int r = 0; r < 40000; r++)
        o += (size_t)snprintf(big + o, 64, "%d,%d.25\n", r, r);
    map_ingest_opts op = opts_for(write_tmp("split-blank.csv", big, (long)o));
    op.limits.max_rows = 1000;
    const int rc = same_both_ways(&op, "blank lines, then too many rows", 2);
    MAP_CHECK(rc == MAP_EDATA, "blank lines, then too many rows: rc %d", rc);
    free(big);
}

/* ---- the MAP reference files ------------------------------------------- */

static map_dataset *read_real(const char *file, int explicit_six)
{
    map_ingest_opts o = opts_for(real_path(file));
    o.prompt_column = "prompt";
    o.text_columns = generated;
    o.ntext = 1;
    if (explicit_six) {
        o.values = six;
        o.nvalues = 6;
    }
    return read_ok(&o);
}

static void test_real_csv(void)
{
    map_dataset *ds = read_real("map-opt1.3b-hh.csv", 0);
    if (!ds)
        return;
    MAP_CHECK(ds->n == 2312 && ds->m == 6, "n %zu m %zu", ds->n, ds->m);
    for (size_t i = 0; i < 6 && i < ds->m; i++)
        MAP_CHECK(strcmp(ds->values[i], six[i]) == 0, "value %zu is %s", i, ds->values[i]);
    /* First row as written in the file, parsed independently. */
    static const char *const row0[] = {"2.5341086387634277", "-1.5450857877731323",
                                       "0.5771307945251465", "0.896551724137931",
                                       "0.40367427468299866", "-4.485788822174072"};
    for (size_t i = 0; i < 6; i++)
        MAP_CHECK(ds->x[i] == strtod(row0[i], NULL), "x[0][%zu] = %.17g", i, ds->x[i]);
    MAP_CHECK(ds->prompt_name && strcmp(ds->prompt_name, "prompt") == 0, "prompt name");
    MAP_CHECK(ds->prompts &&
                  strcmp(ds->prompts[0], "what are some pranks with a pen i can do?") == 0,
              "prompt 0: %s", ds->prompts ? ds->prompts[0] : "(null)");
    MAP_CHECK(ds->ntext == 1 && strcmp(ds->text_names[0], "generated") == 0, "text names");
    MAP_CHECK(ds->text && strcmp(ds->text[0], "what are some pranks with a pen i can do? the "
                                              "school is so chill\ni am sure there arent too many "
                                              "but i like this pen trick") == 0,
              "multi-line text 0: %s", ds->text ? ds->text[0] : "(null)");
    MAP_CHECK(ds->text && strstr(ds->text[2], "\"I'm better than you!"),
              "doubled quotes kept: %s", ds->text ? ds->text[2] : "(null)");
    MAP_CHECK(strcmp(ds->source, real_path("map-opt1.3b-hh.csv")) == 0, "source %s", ds->source);
    MAP_CHECK(ds->created > 0, "created");

    /* The streamed hash equals the one-shot hash of the whole file. */
    size_t len = 0;
    char *bytes = slurp(real_path("map-opt1.3b-hh.csv"), &len);
    MAP_CHECK(bytes && len > 900000, "read file");
    if (bytes) {
        char hex[MAP_HASH_HEX_LEN + 1];
        map_hash_bytes_hex(bytes, len, hex);
        MAP_CHECK(ds->hash && strcmp(ds->hash, hex) == 0, "hash %s vs %s", ds->hash, hex);
        free(bytes);
    }
    map_dataset_free(ds);

    map_dataset *ll = read_real("map-llama2chat-hh.csv", 0);
    if (ll) {
        MAP_CHECK(ll->n == 2312 && ll->m == 6, "llama csv n %zu m %zu", ll->n, ll->m);
        map_dataset_free(ll);
    }
}

static void compare_csv_json(const char *csv, const char *json)
{
    map_dataset *a = read_real(csv, 1), *b = read_real(json, 1);
    if (a && b) {
        MAP_CHECK(a->n == b->n && a->m == 6 && b->m == 6, "%s shapes", json);
        if (a->n == b->n && a->m == b->m) {
            MAP_CHECK(memcmp(a->x, b->x, a->n * a->m * sizeof(double)) == 0,
                      "%s: CSV and JSON matrices differ", json);
            MAP_CHECK(same_strings(a->prompts, b->prompts, a->n), "%s: prompts differ", json);
            MAP_CHECK(same_strings(a->text, b->text, a->n), "%s: texts differ", json);
            MAP_CHECK(same_strings(a->values, b->values, 6), "%s: value names differ", json);
        }
        MAP_CHECK(strcmp(a->hash, b->hash) != 0, "different files, same hash");
    }
    map_dataset_free(a);
    map_dataset_free(b);
}

static void test_real_json(void)
{
    map_dataset *ds = read_real("map-opt1.3b-hh.json", 0);
    if (ds) {
        MAP_CHECK(ds->n == 2312 && ds->m == 6, "opt json n %zu m %zu", ds->n, ds->m);
        map_dataset_free(ds);
    }
    ds = read_real("map-llama2chat-hh.json", 0);
    if (ds) {
        MAP_CHECK(ds->n == 2312 && ds->m == 7, "llama json n %zu m %zu", ds->n, ds->m);
        MAP_CHECK(map_dataset_value_index(ds, "harmless") == 1, "harmless is the second value");
        map_dataset_free(ds);
    }
    ds = read_real("map-llama2chat-hh.json", 1);
    if (ds) {
        MAP_CHECK(ds->n == 2312 && ds->m == 6, "llama json, six values: m %zu", ds->m);
        MAP_CHECK(map_dataset_value_index(ds, "harmless") < 0, "harmless not selected");
        map_dataset_free(ds);
    }
    compare_csv_json("map-opt1.3b-hh.csv", "map-opt1.3b-hh.json");
    compare_csv_json("map-llama2chat-hh.csv", "map-llama2chat-hh.json");
}

static void test_real_auto_needs_text(void)
{
    map_ingest_opts o = opts_for(real_path("map-opt1.3b-hh.csv"));
    map_dataset *ds = NULL;
    map_error err;
    const int rc = map_ingest_read(&o, &ds, &err);
    MAP_CHECK(rc == MAP_EDATA && !ds, "rc %d", rc);
    MAP_CHECK(strstr(err.msg, "column 'prompt' is not numeric (line 2, column 1: \"what are"),
              "%s", err.msg);
    MAP_CHECK(strstr(err.msg, "name it as a text column"), "%s", err.msg);
}

/* datasets/synthetic.csv (the tests run in the project root). */
static void test_synthetic(void)
{
    map_ingest_opts o = opts_for("datasets/synthetic.csv");
    o.prompt_column = "prompt";
    static const char *const tx[] = {"response"};
    o.text_columns = tx;
    o.ntext = 1;
    map_dataset *ds = read_ok(&o);
    if (!ds)
        return;
    static const char *const names[] = {"helpful", "harmless", "humor", "concise"};
    MAP_CHECK(ds->n == 3000 && ds->m == 4, "n %zu m %zu", ds->n, ds->m);
    for (size_t i = 0; i < 4 && i < ds->m; i++)
        MAP_CHECK(strcmp(ds->values[i], names[i]) == 0, "value %zu: %s", i, ds->values[i]);
    size_t nl = 0, quotes = 0, commas = 0, singles = 0, groups = 0, outside = 0;
    for (size_t j = 0; j < ds->n; j++) {
        nl += strchr(ds->text[j], '\n') != NULL;
        quotes += strchr(ds->text[j], '"') != NULL;
        commas += strchr(ds->text[j], ',') != NULL;
        const int first = j == 0 || strcmp(ds->prompts[j], ds->prompts[j - 1]) != 0;
        const int last = j + 1 == ds->n || strcmp(ds->prompts[j], ds->prompts[j + 1]) != 0;
        groups += first;
        singles += first && last;
        outside += !(ds->x[j * 4 + 3] > 0 && ds->x[j * 4 + 3] < 1);
    }
    MAP_CHECK(outside == 0, "%zu concise values outside (0, 1)", outside);
    MAP_CHECK(nl > 0 && quotes > 0 && commas > 0, "text exercises quoting: %zu %zu %zu", nl,
              quotes, commas);
    MAP_CHECK(singles > 0 && groups < ds->n / 2, "groups %zu, singletons %zu", groups, singles);
    map_dataset_free(ds);
}

/* ---- CSV behaviour ----------------------------------------------------- */

static void test_csv_basic(void)
{
    map_ingest_opts o = opts_for(NULL);
    o.prompt_column = "p";
    static const char *const tx[] = {"t"};
    o.text_columns = tx;
    o.ntext = 1;
    map_dataset *ds =
        read_tmp("basic.csv",
                 "p,a,t,b\n"
                 "k1,1.5,\"say \"\"hi\"\", ok\",-2\n"
                 "k1,1e-400,\"two\r\nlines\",3e2\n"
                 "k2,+4, spaced ,0.25\n",
                 -1, o);
    if (ds) {
        MAP_CHECK(ds->n == 3 && ds->m == 2, "n %zu m %zu", ds->n, ds->m);
        MAP_CHECK(strcmp(ds->values[0], "a") == 0 && strcmp(ds->values[1], "b") == 0, "names");
        const double want[] = {1.5, -2, 0, 300, 4, 0.25};
        for (size_t i = 0; i < 6; i++)
            MAP_CHECK(ds->x[i] == want[i], "x[%zu] = %g", i, ds->x[i]);
        MAP_CHECK(strcmp(ds->text[0], "say \"hi\", ok") == 0, "quoted: %s", ds->text[0]);
        MAP_CHECK(strcmp(ds->text[1], "two\r\nlines") == 0, "CRLF inside quotes kept");
        MAP_CHECK(strcmp(ds->text[2], " spaced ") == 0, "spaces kept: '%s'", ds->text[2]);
        MAP_CHECK(strcmp(ds->prompts[2], "k2") == 0, "prompt");
        map_dataset_free(ds);
    }

    /* Explicit values: order as given, other columns ignored even if text. */
    o = opts_for(NULL);
    static const char *const vals[] = {"b", "a"};
    o.values = vals;
    o.nvalues = 2;
    ds = read_tmp("explicit.csv", "a,junk,b\n1,x,2\n3,,4\n", -1, o);
    if (ds) {
        MAP_CHECK(ds->m == 2 && strcmp(ds->values[0], "b") == 0, "explicit order");
        MAP_CHECK(ds->x[0] == 2 && ds->x[1] == 1 && ds->x[2] == 4 && ds->x[3] == 3, "values");
        MAP_CHECK(!ds->prompts && !ds->text && ds->ntext == 0, "no text");
        map_dataset_free(ds);
    }

    /* A file larger than one read chunk, with no trailing newline. */
    size_t cap = 200000, len = 0;
    char *big = malloc(cap);
    len += (size_t)snprintf(big, cap, "a,b\n");
    size_t rows = 0;
    while (len + 40 < cap - 1)
        len += (size_t)snprintf(big + len, cap - len, "%zu,%zu.5\n", rows, rows), rows++;
    big[--len] = '\0'; /* drop the last newline */
    ds = read_tmp("big.csv", big, (long)len, opts_for(NULL));
    if (ds) {
        MAP_CHECK(ds->n == rows, "n %zu rows %zu", ds->n, rows);
        MAP_CHECK(ds->x[2 * (rows - 1)] == (double)(rows - 1), "last row");
        map_dataset_free(ds);
    }
    free(big);
}

static void test_csv_line_endings(void)
{
    const char *variants[][2] = {
        {"lf.csv", "a,b\n1,2\n3,4\n5,6\n"},
        {"crlf.csv", "a,b\r\n1,2\r\n3,4\r\n5,6\r\n"},
        {"cr.csv", "a,b\r1,2\r3,4\r5,6"},
        {"mixed.csv", "a,b\r\n1,2\n3,4\r5,6\r\n"},
        {"blank.csv", "\n\na,b\r\n\r\n1,2\n\n3,4\n5,6\n\n\n"},
        {"bom.csv", "\xEF\xBB\xBF" "a,b\n1,2\n3,4\n5,6\n"},
    };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        map_dataset *ds = read_tmp(variants[v][0], variants[v][1], -1, opts_for(NULL));
        if (!ds)
            continue;
        MAP_CHECK(ds->n == 3 && ds->m == 2, "%s: n %zu m %zu", variants[v][0], ds->n, ds->m);
        MAP_CHECK(strcmp(ds->values[0], "a") == 0, "%s: first name '%s'", variants[v][0],
                  ds->values[0]);
        MAP_CHECK(ds->x[5] == 6, "%s: last value", variants[v][0]);
        map_dataset_free(ds);
    }

    /* Line numbers: physical lines, counting those inside quoted fields and
     * each of LF, CRLF and CR once. */
    expect_fail_t("lines1.csv", "t,a\n\"x\ny\",1\n\"p\nq\nr\",2,3\n", -1,
                "line 4: expected 2 fields as in the header, found 3", NULL);
    expect_fail("lines2.csv", "a,b\r\n1,2\n3,4\r5,x\r\n", -1, "line 4, column 2", "\"x\"");
    expect_fail_t("lines3.csv", "t,a\r\n\"x\r\ny\r\nz\",1\r\n\r\n\"w\",bad\r\n", -1,
                "line 6, column 2", NULL);
    expect_fail_t("lines4.csv", "\xEF\xBB\xBF\n\nt,a\n1,2\n\"m\nn\",oops\n", -1,
                "column 'a' is not numeric (line 5, column 2: \"oops\")", NULL);
    /* A record that starts after a chunk boundary. */
    size_t n = 70000;
    char *s = malloc(n + 64);
    memcpy(s, "t,a\n\"", 5);
    memset(s + 5, 'x', n);
    for (size_t i = 5; i < n; i += 1000)
        s[i] = '\n'; /* 70 lines inside the quoted field */
    snprintf(s + 5 + n, 64, "\",1\nz,2\nw,q\n");
    expect_fail_t("lines5.csv", s, -1, "line 74, column 2", "\"q\""); /* 2 + 70 + 2 */
    free(s);
}

static void test_csv_errors(void)
{
    map_ingest_opts o = opts_for(NULL);
    static const char *const nope[] = {"a", "nope"};
    o.values = nope;
    o.nvalues = 2;
    expect_fail_opts("unknown.csv", "a,b\n1,2\n", -1, o, MAP_EDATA,
                     "unknown column 'nope' (the columns are: a, b)", "field=values");
    static const char *const twice[] = {"a", "a"};
    o.values = twice;
    expect_fail_opts("twice.csv", "a,b\n1,2\n", -1, o, MAP_EDATA,
                     "column 'a' is given twice", "field=values");
    o = opts_for(NULL);
    o.prompt_column = "nope";
    expect_fail_opts("unknown_prompt.csv", "a,b\n1,2\n", -1, o, MAP_EDATA,
                     "unknown column 'nope'", "field=prompt_column");
    o.prompt_column = "a";
    static const char *const ta[] = {"a"};
    o.text_columns = ta;
    o.ntext = 1;
    expect_fail_opts("both.csv", "a,b\n1,2\n", -1, o, MAP_EDATA,
                     "column 'a' is also given as prompt_column", "field=text_columns");
    o = opts_for(NULL);
    o.text_columns = ta;
    o.ntext = 1;
    expect_fail_opts("novalues.csv", "a\nx\n", -1, o, MAP_EDATA, "no value columns", NULL);

    expect_fail("dup.csv", "a,b,a\n1,2,3\n", -1,
                "line 1: duplicate column name 'a' (columns 1 and 3)", NULL);
    expect_fail("emptyname.csv", "a,,b\n1,2,3\n", -1, "line 1, column 2: empty column name",
                NULL);
    expect_fail("nonnum.csv", "a,b\n1,2\n3,abc\n", -1,
                "column 'b' is not numeric (line 3, column 2: \"abc\"); name it as "
                "a text column or choose the value columns",
                NULL);
    o = opts_for(NULL);
    static const char *const ab[] = {"a", "b"};
    o.values = ab;
    o.nvalues = 2;
    expect_fail_opts("nonnum2.csv", "a,b\n1,2\n3,abc\n", -1, o, MAP_EDATA,
                     "line 3, column 2: value column 'b' is not a number: \"abc\"", NULL);
    expect_fail_opts("emptycell.csv", "a,b\n1,\n", -1, o, MAP_EDATA,
                     "line 2, column 2: value column 'b' is empty", NULL);
    expect_fail("emptycell2.csv", "a,b\n1,2\n,3\n", -1, "line 3, column 1", "empty");
    expect_fail("nan.csv", "a,b\n1,nan\n", -1,
                "line 2, column 2: value column 'b' is not a finite decimal number: \"nan\"",
                NULL);
    expect_fail("inf.csv", "a,b\n1,-inf\n", -1, "line 2, column 2", "not a finite");
    expect_fail("huge.csv", "a,b\n1,2\n1,1e400\n", -1, "line 3, column 2", "\"1e400\"");
    expect_fail("space.csv", "a,b\n1, 2\n", -1,
                "line 2, column 2: value column 'b' has spaces around the number: \" 2\"", NULL);
    expect_fail("ragged_short.csv", "a,b,c\n1,2,3\n4,5\n", -1,
                "line 3: expected 3 fields as in the header, found 2", NULL);
    expect_fail("ragged_long.csv", "a,b\n1,2\n3,4,5\n", -1,
                "line 3: expected 2 fields as in the header, found 3", NULL);
    /* A short row whose shifted cells are not numbers is reported as ragged. */
    expect_fail_t("ragged_text.csv", "t,a,b\nx,1,2\n3,4\n", -1, "line 3: expected 3 fields",
                NULL);
    expect_fail("empty.csv", "", 0, "empty file (no header row)", NULL);
    expect_fail("bomonly.csv", "\xEF\xBB\xBF\r\n\n", -1, "empty file (no header row)", NULL);
    expect_fail("header_only.csv", "a,b\n", -1, "no data rows after the header (line 1)", NULL);
    expect_fail("header_only2.csv", "a,b", -1, "no data rows", NULL);
    expect_fail("nul.csv", "a,b\n1,2\n3,4\0\n", 13, "line 3, column 2: NUL byte in field", NULL);
    expect_fail("nul_header.csv", "a,\0b\n1,2\n", 9, "line 1, column 2: NUL byte", NULL);
    expect_fail("quote1.csv", "a,b\n1,x\"y\n", -1, "line 2, column 2: malformed CSV", NULL);
    expect_fail_t("quote2.csv", "t,a\n\"ab\"c,1\n", -1, "line 2, column 1: malformed CSV", NULL);
    expect_fail_t("quote3.csv", "t,a\n\"multi\nline\" ,1\n", -1, "line 3, column 1: malformed CSV",
                NULL);
    expect_fail_t("unclosed.csv", "t,a\nx,1\n\"abc,1\n2\n", -1,
                "line 3, column 1: quoted field not closed before the end of the file", NULL);

    /* Files that cannot be read. */
    o = opts_for("/nonexistent/dir/x.csv");
    map_dataset *ds = NULL;
    map_error err;
    int rc = map_ingest_read(&o, &ds, &err);
    MAP_CHECK(rc == MAP_EDATA && !ds, "missing file rc %d", rc);
    MAP_CHECK(strcmp(err.msg, "/nonexistent/dir/x.csv: cannot open: No such file or directory") ==
                  0,
              "%s", err.msg);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/adir.csv", tmpdir);
    MAP_CHECK(mkdir(dir, 0700) == 0, "mkdir");
    o = opts_for(dir);
    rc = map_ingest_read(&o, &ds, &err);
    MAP_CHECK(rc == MAP_EDATA && !ds, "directory rc %d", rc);
    MAP_CHECK(strstr(err.msg, "read error: Is a directory"), "%s", err.msg);

    /* Format: unknown extension, then given explicitly. */
    o = opts_for(write_tmp("data.txt", "a\n1\n", -1));
    rc = map_ingest_read(&o, &ds, &err);
    MAP_CHECK(rc == MAP_EUSAGE && !ds, "unknown extension rc %d", rc);
    MAP_CHECK(strcmp(err.field, "format") == 0 && strstr(err.msg, "csv, json or jsonl"), "%s",
              err.msg);
    o.format = MAP_FMT_CSV;
    ds = read_ok(&o);
    MAP_CHECK(ds && ds->n == 1, "format given");
    map_dataset_free(ds);
    map_format f = MAP_FMT_AUTO;
    MAP_CHECK(map_format_parse("jsonl", &f) == 0 && f == MAP_FMT_JSONL, "jsonl");
    MAP_CHECK(map_format_parse("csv", &f) == 0 && f == MAP_FMT_CSV, "csv");
    MAP_CHECK(map_format_parse("json", &f) == 0 && f == MAP_FMT_JSON, "json");
    MAP_CHECK(map_format_parse("xml", &f) == -1, "xml");
    MAP_CHECK(map_ingest_read(&o, NULL, &err) == MAP_EUSAGE, "NULL out");
}

static void test_limits(void)
{
    map_ingest_opts o = opts_for(NULL);
    o.limits.max_field_bytes = 4;
    expect_fail_opts("lim_field.csv", "a,b\n1,12345\n", -1, o, MAP_EDATA,
                     "line 2, column 2: field longer than the limit of 4 bytes",
                     "field=max_field_bytes");
    /* A field over the limit that is still being read (spans chunks). */
    o.limits.max_field_bytes = 1000;
    static const char *const t[] = {"t"};
    o.text_columns = t;
    o.ntext = 1;
    size_t n = 150000;
    char *s = malloc(n + 32);
    memcpy(s, "t,a\nx,1\n\"", 9);
    memset(s + 9, 'y', n);
    strcpy(s + 9 + n, "\",2\n");
    expect_fail_opts("lim_field2.csv", s, -1, o, MAP_EDATA,
                     "line 3, column 1: field longer than the limit of 1000 bytes", NULL);
    free(s);

    o = opts_for(NULL);
    o.limits.max_columns = 2;
    expect_fail_opts("lim_cols.csv", "a,b,c\n1,2,3\n", -1, o, MAP_EDATA,
                     "line 1: more than 2 columns", "field=max_columns");
    expect_fail_opts("lim_cols.json", "[{\"a\":1,\"b\":2,\"c\":3}]", -1, o, MAP_EDATA,
                     "record 1: 3 keys, more than the limit of 2", "field=max_columns");
    o = opts_for(NULL);
    o.limits.max_rows = 2;
    expect_fail_opts("lim_rows.csv", "a\n1\n2\n3\n", -1, o, MAP_EDATA,
                     "line 4: more than 2 data rows", "field=max_rows");
    map_dataset *ds = read_tmp("lim_rows_ok.csv", "a\n1\n2\n", -1, o);
    MAP_CHECK(ds && ds->n == 2, "max_rows reached exactly");
    map_dataset_free(ds);
    o = opts_for(NULL);
    o.limits.max_values = 2;
    expect_fail_opts("lim_values.csv", "a,b,c\n1,2,3\n", -1, o, MAP_EDATA,
                     "3 value columns, more than the limit of 2", "field=max_values");
    o = opts_for(NULL);
    o.limits.max_json_bytes = 10;
    expect_fail_opts("lim_json.json", "[{\"a\": 1}, {\"a\": 2}]", -1, o, MAP_EDATA,
                     "larger than the limit of 10 bytes", "field=max_json_bytes");
    expect_fail_opts("lim_json.jsonl", "{\"a\":1}\n{\"a\": 2, \"b\": 3}\n", -1, o, MAP_EDATA,
                     "line 2: longer than the limit of 10 bytes", "field=max_json_bytes");
}

/* ---- JSON and JSON Lines ----------------------------------------------- */

static void test_json(void)
{
    map_ingest_opts o = opts_for(NULL);
    o.prompt_column = "p";
    static const char *const tx[] = {"t"};
    o.text_columns = tx;
    o.ntext = 1;
    map_dataset *ds = read_tmp("ok.json",
                               "\xEF\xBB\xBF[\n"
                               " {\"p\": 17, \"a\": 1, \"t\": \"x\\ny\", \"b\": 2.5},\n"
                               " {\"b\": 1e-400, \"a\": -3, \"p\": \"k\", \"t\": 0.1}\n]\n",
                               -1, o);
    if (ds) {
        MAP_CHECK(ds->n == 2 && ds->m == 2, "n %zu m %zu", ds->n, ds->m);
        MAP_CHECK(strcmp(ds->values[0], "a") == 0 && strcmp(ds->values[1], "b") == 0,
                  "first record's key order");
        MAP_CHECK(ds->x[0] == 1 && ds->x[1] == 2.5 && ds->x[2] == -3 && ds->x[3] == 0, "values");
        MAP_CHECK(strcmp(ds->prompts[0], "17") == 0, "numeric prompt as text: %s",
                  ds->prompts[0]);
        MAP_CHECK(strcmp(ds->text[0], "x\ny") == 0 && strcmp(ds->text[1], "0.1") == 0, "text %s",
                  ds->text[1]);
        map_dataset_free(ds);
    }

    expect_fail("bad.json", "[{\"a\": 1},\n {\"a\": }]", -1, "line 2, column", "invalid JSON");
    expect_fail("dupkey.json", "[{\"a\": 1,\n \"a\": 2}]", -1, "line 2", "duplicate object key");
    expect_fail("overflow.json", "[{\"a\": 1e400}]", -1, "line 1, column", "overflow");
    expect_fail("object.json", "{\"a\": 1}", -1,
                "expected a JSON array of objects, found an object", NULL);
    expect_fail("notobj.json", "[{\"a\": 1}, 2]", -1,
                "record 2: expected a JSON object, found a number", NULL);
    expect_fail("missing.json", "[{\"a\": 1, \"b\": 2}, {\"a\": 3}]", -1,
                "record 2: missing key 'b'", NULL);
    expect_fail("extra.json", "[{\"a\": 1}, {\"a\": 3, \"c\": 4}]", -1,
                "record 2: unexpected key 'c' (not in the first record)", NULL);
    expect_fail("strval.json", "[{\"a\": 1}, {\"a\": \"1.5\"}]", -1,
                "column 'a' is not numeric (record 2, key 'a': string \"1.5\")", NULL);
    expect_fail("nullval.json", "[{\"a\": 1, \"b\": null}]", -1,
                "column 'b' is not numeric (record 1, key 'b': null)", NULL);
    expect_fail("empty.json", "", 0, "empty file (expected a JSON array of objects)", NULL);
    expect_fail("blank.json", " \n\t\n", -1, "empty file", NULL);
    expect_fail("emptyarr.json", "[]", -1, "no records (the JSON array is empty)", NULL);
    expect_fail("emptyobj.json", "[{}]", -1, "record 1: the first record has no keys", NULL);
    expect_fail("nul.json", "[{\"a\": 1},\n{\"a\":\0 2}]", 21, "line 2, column 6: NUL byte", NULL);
    expect_fail("nulesc.json", "[{\"a\": 1, \"t\": \"x\\u0000y\"}]", -1, "line 1, column",
                "invalid JSON");
    o = opts_for(NULL);
    o.text_columns = tx;
    o.ntext = 1;
    expect_fail_opts("texttype.json", "[{\"a\": 1, \"t\": [1]}]", -1, o, MAP_EDATA,
                     "record 1, key 't': column 't' must be a string or a number, found an array",
                     NULL);

    /* Explicit values: extra keys and absent unneeded keys are fine. */
    o = opts_for(NULL);
    static const char *const vb[] = {"b"};
    o.values = vb;
    o.nvalues = 1;
    ds = read_tmp("ragged_ok.json", "[{\"a\": \"x\", \"b\": 1}, {\"b\": 2, \"z\": [true]}]", -1,
                  o);
    MAP_CHECK(ds && ds->n == 2 && ds->m == 1 && ds->x[1] == 2, "explicit values in JSON");
    map_dataset_free(ds);
    expect_fail_opts("ragged_bad.json", "[{\"a\": \"x\", \"b\": 1}, {\"a\": 2}]", -1, o,
                     MAP_EDATA, "record 2: missing key 'b'", NULL);
    expect_fail_opts("unknown.json", "[{\"a\": 1}, {\"b\": 2}]", -1, o, MAP_EDATA,
                     "unknown column 'b'", "field=values");
}

static void test_jsonl(void)
{
    map_ingest_opts o = opts_for(NULL);
    o.prompt_column = "p";
    map_dataset *ds = read_tmp("ok.jsonl",
                               "{\"p\": \"a\", \"x\": 1, \"y\": 2}\r\n"
                               "\n"
                               "  \n"
                               "{\"y\": 4, \"p\": \"b\", \"x\": 3}\n"
                               "{\"p\": \"c\", \"x\": 5, \"y\": 6}\n\n",
                               -1, o);
    if (ds) {
        MAP_CHECK(ds->n == 3 && ds->m == 2, "n %zu m %zu", ds->n, ds->m);
        MAP_CHECK(ds->x[2] == 3 && ds->x[3] == 4 && ds->x[5] == 6, "values");
        MAP_CHECK(strcmp(ds->prompts[1], "b") == 0, "prompt");
        map_dataset_free(ds);
    }
    ds = read_tmp("nonl.jsonl", "{\"x\": 1}\n{\"x\": 2}", -1, opts_for(NULL));
    MAP_CHECK(ds && ds->n == 2 && ds->x[1] == 2, "last line without a newline");
    map_dataset_free(ds);

    /* Lines longer than a read chunk. */
    size_t n = 200000;
    char *s = malloc(3 * n);
    size_t len = 0;
    for (int r = 0; r < 3; r++) {
        len += (size_t)sprintf(s + len, "{\"x\": %d, \"t\": \"", r);
        memset(s + len, 'a' + r, n / 2);
        len += n / 2;
        len += (size_t)sprintf(s + len, "\"}\n");
    }
    static const char *const tx[] = {"t"};
    o = opts_for(NULL);
    o.text_columns = tx;
    o.ntext = 1;
    ds = read_tmp("long.jsonl", s, (long)len, o);
    if (ds) {
        MAP_CHECK(ds->n == 3 && ds->x[2] == 2, "long lines");
        MAP_CHECK(strlen(ds->text[1]) == n / 2 && ds->text[1][0] == 'b', "long text");
        map_dataset_free(ds);
    }
    /* An error on a line after the long ones keeps its line number. */
    len += (size_t)sprintf(s + len, "\n{\"x\": 7, \"t\": [] }\n");
    expect_fail_opts("long_bad.jsonl", s, (long)len, o, MAP_EDATA,
                     "line 5, key 't': column 't' must be a string", NULL);
    free(s);

    expect_fail("bad.jsonl", "{\"x\": 1}\n\n{\"x\": 1,,}\n", -1, "line 3, column", "invalid JSON");
    expect_fail("arr.jsonl", "{\"x\": 1}\n[1]\n", -1,
                "line 2: expected a JSON object, found an array", NULL);
    expect_fail("missing.jsonl", "{\"x\": 1, \"y\": 2}\n{\"x\": 1}\n", -1,
                "line 2: missing key 'y'", NULL);
    expect_fail("extra.jsonl", "{\"x\": 1}\n{\"x\": 1, \"z\": 0}\n", -1,
                "line 2: unexpected key 'z'", NULL);
    expect_fail("str.jsonl", "{\"x\": 1}\n\n{\"x\": \"no\"}\n", -1,
                "column 'x' is not numeric (line 3, key 'x': string \"no\")", NULL);
    expect_fail("two.jsonl", "{\"x\": 1} {\"x\": 2}\n", -1, "line 1, column", "invalid JSON");
    expect_fail("empty.jsonl", "\n \n", -1, "empty file (no records)", NULL);
    expect_fail("nul.jsonl", "{\"x\": 1}\n{\"x\":\0}\n", 17, "line 2, column 6: NUL byte", NULL);
}

/* ---- hashing ----------------------------------------------------------- */

static void test_hash(void)
{
    char hex[MAP_HASH_HEX_LEN + 1];
    /* Published XXH3-128 of the empty input (xxhsum -H2 /dev/null). */
    map_hash_bytes_hex("", 0, hex);
    MAP_CHECK(strcmp(hex, "99aa06d3014798d86001c324468d497f") == 0, "empty: %s", hex);

    /* The BOM is hashed (raw bytes) though it is not data. */
    map_dataset *a = read_tmp("h1.csv", "a\n1\n", -1, opts_for(NULL));
    map_dataset *b = read_tmp("h2.csv", "\xEF\xBB\xBF" "a\n1\n", -1, opts_for(NULL));
    if (a && b) {
        MAP_CHECK(strlen(a->hash) == MAP_HASH_HEX_LEN, "hash length");
        MAP_CHECK(strcmp(a->hash, b->hash) != 0, "BOM changes the hash");
        map_hash_bytes_hex("\xEF\xBB\xBF" "a\n1\n", 7, hex);
        MAP_CHECK(strcmp(b->hash, hex) == 0, "BOM file hash");
    }
    map_dataset_free(a);
    map_dataset_free(b);

    map_hash *h = map_hash_new();
    MAP_CHECK(h != NULL, "map_hash_new");
    if (h) {
        map_hash_update(h, "hello ", 6);
        map_hash_update(h, "world", 5);
        char one[MAP_HASH_HEX_LEN + 1];
        map_hash_hex(h, hex);
        map_hash_bytes_hex("hello world", 11, one);
        MAP_CHECK(strcmp(hex, one) == 0, "streaming %s vs one-shot %s", hex, one);
        map_hash_free(h);
    }
}

/* ---- allocation failures ------------------------------------------------ */

static void alloc_loop(const char *name, const char *content, map_ingest_opts o)
{
    o.path = write_tmp(name, content, -1);
    int succeeded = 0;
    for (long k = 0; k < 100000 && !succeeded; k++) {
        map_dataset *ds = NULL;
        map_error err;
        map_alloc_fail_after(k);
        const int rc = map_ingest_read(&o, &ds, &err);
        map_alloc_fail_after(-1);
        if (rc == 0) {
            succeeded = 1;
            MAP_CHECK(ds && ds->n == 3, "%s: result after %ld allocations", name, k);
            map_dataset_free(ds);
        } else {
            MAP_CHECK(rc == MAP_ENOMEM && !ds, "%s: failing after %ld allocations: rc %d (%s)",
                      name, k, rc, err.msg);
            MAP_CHECK(strstr(err.msg, "out of memory"), "%s: %s", name, err.msg);
            if (rc != MAP_ENOMEM)
                break;
        }
    }
    MAP_CHECK(succeeded, "%s never succeeded", name);
}

static void test_alloc_failures(void)
{
    map_ingest_opts o = opts_for(NULL);
    o.prompt_column = "p";
    static const char *const tx[] = {"t"};
    o.text_columns = tx;
    o.ntext = 1;
    alloc_loop("oom.csv", "p,a,t,b\nk,1,\"x\ny\",2\nk,3,z,4\nq,5,\"w\",6\n", o);
    alloc_loop("oom.json",
               "[{\"p\": \"k\", \"a\": 1, \"t\": \"x\", \"b\": 2},"
               " {\"p\": \"k\", \"a\": 3, \"t\": \"y\", \"b\": 4},"
               " {\"p\": \"q\", \"a\": 5, \"t\": \"z\", \"b\": 6}]",
               o);
    alloc_loop("oom.jsonl",
               "{\"p\": \"k\", \"a\": 1, \"t\": \"x\", \"b\": 2}\n"
               "{\"p\": \"k\", \"a\": 3, \"t\": \"y\", \"b\": 4}\n"
               "{\"p\": \"q\", \"a\": 5, \"t\": \"z\", \"b\": 6}\n",
               o);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const char *sh = getenv("MAP_SHARED");
    snprintf(shared, sizeof shared, "%s", sh && *sh ? sh : "../shared");
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/map_test_ingest.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }

    MAP_RUN(test_real_csv);
    MAP_RUN(test_real_json);
    MAP_RUN(test_real_auto_needs_text);
    MAP_RUN(test_synthetic);
    MAP_RUN(test_csv_basic);
    MAP_RUN(test_csv_line_endings);
    MAP_RUN(test_csv_errors);
    MAP_RUN(test_csv_fast_path_same);
    MAP_RUN(test_csv_split_same);
    MAP_RUN(test_limits);
    MAP_RUN(test_json);
    MAP_RUN(test_jsonl);
    MAP_RUN(test_hash);
    MAP_RUN(test_alloc_failures);

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return map_test_finish();
}
