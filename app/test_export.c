/* test_export.c — export round-trips through the project's own reader:
 * names, prompts and text intact, matrix bit-identical. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_export.h"
#include "map_ingest.h"
#include "map_test.h"
#include "map_test_data.h"

static void test_round_trip(void)
{
    char path[4096];
    map_test_data_path(path, sizeof path, "map-opt1.3b-hh.csv");
    static const char *const text[] = {"generated"};
    map_ingest_opts o = {0};
    o.path = path;
    o.prompt_column = "prompt";
    o.text_columns = text;
    o.ntext = 1;
    map_dataset *a = NULL, *b = NULL;
    map_error err;
    MAP_CHECK(map_ingest_read(&o, &a, &err) == MAP_OK, "%s", err.msg);
    if (!a)
        return;
    /* Awkward value names survive too. */
    map_free(a->values[0]);
    a->values[0] = map_strdup("humor, \"quoted\"\nline");
    char tmp[] = "/tmp/mapsolve-export-XXXXXX";
    const int fd = mkstemp(tmp);
    FILE *f = fdopen(fd, "w");
    MAP_CHECK(map_app_export_dataset(a, f, &err) == MAP_OK, "%s", err.msg);
    fclose(f);
    map_ingest_opts o2 = o;
    o2.path = tmp;
    o2.format = MAP_FMT_CSV;
    MAP_CHECK(map_ingest_read(&o2, &b, &err) == MAP_OK, "%s", err.msg);
    if (b) {
        MAP_CHECK(b->n == a->n && b->m == a->m, "shape %zu x %zu", b->n, b->m);
        for (size_t i = 0; i < a->m && i < b->m; i++)
            MAP_CHECK(strcmp(a->values[i], b->values[i]) == 0, "value name %zu: '%s'", i, b->values[i]);
        MAP_CHECK(memcmp(a->x, b->x, a->n * a->m * sizeof *a->x) == 0, "matrix bit-identical");
        int same = 1;
        for (size_t j = 0; j < a->n; j++)
            same &= strcmp(a->prompts[j], b->prompts[j]) == 0 && strcmp(a->text[j], b->text[j]) == 0;
        MAP_CHECK(same, "prompts and text identical");
    }
    /* A failing stream is reported, not ignored. */
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        MAP_CHECK(map_app_export_dataset(a, full, &err) == MAP_ENOMEM, "write error reported");
        fclose(full);
    }
    unlink(tmp);
    map_dataset_free(a);
    map_dataset_free(b);
}

int main(void)
{
    MAP_RUN(test_round_trip);
    return map_test_finish();
}
