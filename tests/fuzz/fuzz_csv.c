/* fuzz_csv.c — fuzz target for the CSV reader (map_ingest_read, libcsv glue).
 *
 * Each input is written to a scratch .csv file and ingested twice: every
 * numeric column a value, and with columns chosen (--values a,b
 * --prompt-column p --text-columns t). fuzz_ingest.h lists the invariants
 * checked on each outcome (dataset shape, finite values, round trip through
 * the CSV writer, allocation failures reported and not leaked).
 */
#include "fuzz_ingest.h"

/* Inputs beyond this are cut: the limits under test are far smaller. */
#define FUZZ_MAX_INPUT ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_scratch in, back;
    if (size > FUZZ_MAX_INPUT)
        size = FUZZ_MAX_INPUT;
    const char *path = fuzz_scratch_write(&in, ".csv", data, size);
    const long budget = (long)(fuzz_hash(data, size) % 64u);
    static const char *const values[] = {"a", "b"};
    static const char *const text[] = {"t"};

    map_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.path = path;
    o.limits = fuzz_limits();
    fuzz_ingest_once(&o, budget, &back);

    o.format = MAP_FMT_CSV;
    o.values = values;
    o.nvalues = 2;
    o.prompt_column = "p";
    o.text_columns = text;
    o.ntext = 1;
    fuzz_ingest_once(&o, budget + 7, &back);
    return 0;
}
