/* fuzz_json.c — fuzz target for the JSON (array of objects) and JSON Lines
 * readers (map_ingest_read, jansson glue).
 *
 * Each input is ingested as a JSON document and as JSON Lines, each both
 * with every key a value and with columns chosen (--values a,b
 * --prompt-column p --text-columns t). fuzz_ingest.h lists the invariants
 * checked on each outcome.
 */
#include "fuzz_ingest.h"

#define FUZZ_MAX_INPUT ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_scratch json, jsonl, back;
    if (size > FUZZ_MAX_INPUT)
        size = FUZZ_MAX_INPUT;
    const long budget = (long)(fuzz_hash(data, size) % 96u);
    static const char *const values[] = {"a", "b"};
    static const char *const text[] = {"t"};
    for (int lines = 0; lines < 2; lines++) {
        map_ingest_opts o;
        memset(&o, 0, sizeof o);
        o.path = lines ? fuzz_scratch_write(&jsonl, ".jsonl", data, size)
                       : fuzz_scratch_write(&json, ".json", data, size);
        o.limits = fuzz_limits();
        fuzz_ingest_once(&o, budget, &back);

        o.format = lines ? MAP_FMT_JSONL : MAP_FMT_JSON;
        o.values = values;
        o.nvalues = 2;
        o.prompt_column = "p";
        o.text_columns = text;
        o.ntext = 1;
        fuzz_ingest_once(&o, budget + 11, &back);
    }
    return 0;
}
