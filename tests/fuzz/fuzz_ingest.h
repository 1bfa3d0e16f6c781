/* fuzz_ingest.h — the checks shared by the CSV and the JSON/JSONL fuzz
 * targets: one ingest of a scratch file under small limits, and what must
 * hold of its outcome.
 *
 *   - The status is MAP_OK or MAP_EDATA (no usage errors for well-formed
 *     options, no out-of-memory under limits this small), err->code agrees,
 *     and a failure leaves *out NULL with a message that starts with the
 *     file name.
 *   - A dataset has 1 ≤ n ≤ max_rows and 1 ≤ m ≤ max_values, distinct
 *     non-empty value names (those of --values, in order, when given),
 *     finite values, a 32-digit hex hash, the prompt and text columns asked
 *     for, and a cell (possibly empty) for every row.
 *   - Round trip: the dataset written with the project's CSV writer reads
 *     back as the same dataset (bit-identical values, the same text).
 *   - Out of memory: the same ingest with an allocation failure injected
 *     after a budget chosen from the input either succeeds with the same
 *     dataset, fails with the same data error, or reports MAP_ENOMEM —
 *     never a crash, a leak (LeakSanitizer) or a different verdict.
 */
#ifndef MAP_FUZZ_INGEST_H
#define MAP_FUZZ_INGEST_H

#include <ctype.h>
#include <math.h>

#include "fuzz_common.h"
#include "fuzz_scratch.h"
#include "map_csv_write.h"
#include "map_ingest.h"

/* Small limits keep each input fast and memory-bounded under the fuzzer. */
static map_ingest_limits fuzz_limits(void)
{
    map_ingest_limits lim;
    lim.max_field_bytes = 4096;
    lim.max_columns = 64;
    lim.max_rows = 4096;
    lim.max_values = 16;
    lim.max_json_bytes = (size_t)1 << 20;
    return lim;
}

static int fuzz_same_text(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The invariants of a successful ingest of opts. */
static void fuzz_check_dataset(const map_dataset *ds, const map_ingest_opts *o)
{
    FUZZ_ASSERT(ds != NULL, "no dataset");
    FUZZ_ASSERT(ds->n >= 1 && ds->n <= o->limits.max_rows, "n = %zu", ds->n);
    FUZZ_ASSERT(ds->m >= 1 && ds->m <= o->limits.max_values, "m = %zu", ds->m);
    FUZZ_ASSERT(ds->values && ds->x, "values or matrix missing");
    FUZZ_ASSERT(fuzz_same_text(ds->source, o->path), "source '%s'", ds->source);
    FUZZ_ASSERT(ds->hash && strlen(ds->hash) == 32, "hash '%s'", ds->hash ? ds->hash : "(null)");
    for (size_t i = 0; i < 32; i++)
        FUZZ_ASSERT(isxdigit((unsigned char)ds->hash[i]) && !isupper((unsigned char)ds->hash[i]),
                    "hash '%s'", ds->hash);
    if (o->nvalues) {
        FUZZ_ASSERT(ds->m == o->nvalues, "m = %zu, %zu values asked for", ds->m, o->nvalues);
        for (size_t i = 0; i < ds->m; i++)
            FUZZ_ASSERT(fuzz_same_text(ds->values[i], o->values[i]), "value %zu is '%s'", i,
                        ds->values[i]);
    }
    for (size_t i = 0; i < ds->m; i++) {
        FUZZ_ASSERT(ds->values[i] && ds->values[i][0], "value %zu has no name", i);
        for (size_t j = 0; j < i; j++)
            FUZZ_ASSERT(strcmp(ds->values[i], ds->values[j]) != 0, "value '%s' twice",
                        ds->values[i]);
        FUZZ_ASSERT(!o->prompt_column || strcmp(ds->values[i], o->prompt_column) != 0,
                    "the prompt column is a value");
        for (size_t t = 0; t < o->ntext; t++)
            FUZZ_ASSERT(strcmp(ds->values[i], o->text_columns[t]) != 0, "a text column is a value");
    }
    for (size_t j = 0; j < ds->n * ds->m; j++)
        FUZZ_ASSERT(isfinite(ds->x[j]), "x[%zu] = %g", j, ds->x[j]);
    if (o->prompt_column) {
        FUZZ_ASSERT(fuzz_same_text(ds->prompt_name, o->prompt_column), "prompt column");
        FUZZ_ASSERT(ds->prompts != NULL, "no prompts");
        for (size_t j = 0; j < ds->n; j++)
            FUZZ_ASSERT(ds->prompts[j] != NULL, "prompt %zu missing", j);
    } else {
        FUZZ_ASSERT(!ds->prompt_name && !ds->prompts, "a prompt column nobody asked for");
    }
    FUZZ_ASSERT(ds->ntext == o->ntext, "ntext = %zu", ds->ntext);
    for (size_t t = 0; t < ds->ntext; t++)
        FUZZ_ASSERT(fuzz_same_text(ds->text_names[t], o->text_columns[t]), "text column %zu", t);
    if (ds->ntext) {
        FUZZ_ASSERT(ds->text != NULL, "no text cells");
        for (size_t j = 0; j < ds->n * ds->ntext; j++)
            FUZZ_ASSERT(ds->text[j] != NULL, "text cell %zu missing", j);
    }
}

/* a and b hold the same samples: names, bit-identical values, text. */
static void fuzz_check_same(const map_dataset *a, const map_dataset *b, const char *what)
{
    FUZZ_ASSERT(a->n == b->n && a->m == b->m && a->ntext == b->ntext, "%s: shape %zux%zu vs %zux%zu",
                what, a->n, a->m, b->n, b->m);
    for (size_t i = 0; i < a->m; i++)
        FUZZ_ASSERT(strcmp(a->values[i], b->values[i]) == 0, "%s: value name %zu", what, i);
    FUZZ_ASSERT(memcmp(a->x, b->x, a->n * a->m * sizeof *a->x) == 0, "%s: values differ", what);
    FUZZ_ASSERT(!a->prompts == !b->prompts, "%s: prompts", what);
    for (size_t j = 0; a->prompts && j < a->n; j++)
        FUZZ_ASSERT(strcmp(a->prompts[j], b->prompts[j]) == 0, "%s: prompt %zu", what, j);
    for (size_t j = 0; a->ntext && j < a->n * a->ntext; j++)
        FUZZ_ASSERT(strcmp(a->text[j], b->text[j]) == 0, "%s: text cell %zu", what, j);
}

/* Writes ds as CSV (values, prompt, text columns) to the scratch file and
 * reads it back with those columns named explicitly. */
static void fuzz_round_trip(const map_dataset *ds, const map_ingest_opts *o, fuzz_scratch *back)
{
    const char *path = fuzz_scratch_write(back, ".csv", (const uint8_t *)"", 0);
    FILE *f = fopen(path, "wb");
    FUZZ_ASSERT(f != NULL, "cannot open %s", path);
    map_csv_writer *w = map_csv_writer_new(f);
    FUZZ_ASSERT(w != NULL, "no CSV writer");
    int rc = 0;
    for (size_t i = 0; i < ds->m; i++)
        rc |= map_csv_text(w, ds->values[i]);
    if (ds->prompt_name)
        rc |= map_csv_text(w, ds->prompt_name);
    for (size_t t = 0; t < ds->ntext; t++)
        rc |= map_csv_text(w, ds->text_names[t]);
    rc |= map_csv_end_row(w);
    for (size_t j = 0; j < ds->n; j++) {
        rc |= map_csv_numbers(w, ds->x + j * ds->m, ds->m);
        if (ds->prompt_name)
            rc |= map_csv_text(w, ds->prompts[j]);
        for (size_t t = 0; t < ds->ntext; t++)
            rc |= map_csv_text(w, ds->text[j * ds->ntext + t]);
        rc |= map_csv_end_row(w);
    }
    map_error err;
    map_error_clear(&err);
    rc |= map_csv_writer_finish(w, &err);
    map_csv_writer_free(w);
    FUZZ_ASSERT(fclose(f) == 0 && rc == 0, "writing the CSV failed: %s", err.msg);

    map_ingest_opts o2 = *o;
    o2.path = path;
    o2.format = MAP_FMT_CSV;
    o2.values = (const char *const *)ds->values;
    o2.nvalues = ds->m;
    o2.prompt_column = ds->prompt_name;
    o2.text_columns = (const char *const *)ds->text_names;
    o2.ntext = ds->ntext;
    map_dataset *again = NULL;
    rc = map_ingest_read(&o2, &again, &err);
    FUZZ_ASSERT(rc == MAP_OK, "the dataset written as CSV does not read back: %s", err.msg);
    fuzz_check_same(ds, again, "round trip");
    map_dataset_free(again);
}

/* Ingests o (o->path already written) and checks everything above; budget
 * is the allocation-failure budget of the second, injected run. */
static void fuzz_ingest_once(const map_ingest_opts *o, long budget, fuzz_scratch *back)
{
    map_error err;
    map_dataset *ds = (map_dataset *)1;
    const int rc = map_ingest_read(o, &ds, &err);
    FUZZ_ASSERT(rc == MAP_OK || rc == MAP_EDATA, "status %d: %s", rc, err.msg);
    FUZZ_ASSERT(err.code == rc, "err.code %d, status %d", err.code, rc);
    if (rc) {
        const size_t plen = strlen(o->path);
        FUZZ_ASSERT(ds == NULL, "a dataset after a failure");
        FUZZ_ASSERT(strncmp(err.msg, o->path, plen) == 0 && strncmp(err.msg + plen, ": ", 2) == 0 &&
                        err.msg[plen + 2] != '\0',
                    "message does not name the file: '%s'", err.msg);
    } else {
        fuzz_check_dataset(ds, o);
        fuzz_round_trip(ds, o, back);
    }

    map_error err2;
    map_dataset *ds2 = (map_dataset *)1;
    map_alloc_fail_after(budget);
    const int rc2 = map_ingest_read(o, &ds2, &err2);
    map_alloc_fail_after(-1);
    if (rc2 == MAP_ENOMEM) {
        FUZZ_ASSERT(ds2 == NULL && strstr(err2.msg, "out of memory"),
                    "budget %ld: '%s'", budget, err2.msg);
    } else {
        FUZZ_ASSERT(rc2 == rc, "budget %ld: status %d, %d without injection: '%s'", budget, rc2,
                    rc, err2.msg);
        if (rc)
            FUZZ_ASSERT(ds2 == NULL && strcmp(err.msg, err2.msg) == 0,
                        "budget %ld: '%s' instead of '%s'", budget, err2.msg, err.msg);
        else
            fuzz_check_same(ds, ds2, "allocation-failure run");
    }
    map_dataset_free(ds2);
    if (rc == MAP_OK)
        map_dataset_free(ds);
}

#endif
