/* map_export.c — a dataset as CSV through the project's CSV writer. */
#include "map_export.h"

#include "map_csv_write.h"

int map_app_export_dataset(const map_dataset *ds, FILE *out, map_error *err)
{
    map_csv_writer *w = map_csv_writer_new(out);
    if (!w)
        return map_error_set(err, MAP_ENOMEM, "out of memory writing CSV");
    const int has_prompt = ds->prompt_name && ds->prompts;
    const size_t ntext = ds->text ? ds->ntext : 0;
    if (has_prompt)
        map_csv_text(w, ds->prompt_name);
    for (size_t t = 0; t < ntext; t++)
        map_csv_text(w, ds->text_names[t]);
    for (size_t i = 0; i < ds->m; i++)
        map_csv_text(w, ds->values[i]);
    map_csv_end_row(w);
    for (size_t j = 0; j < ds->n; j++) {
        if (has_prompt)
            map_csv_text(w, ds->prompts[j]);
        for (size_t t = 0; t < ntext; t++)
            map_csv_text(w, ds->text[j * ds->ntext + t]);
        /* A write error is sticky: stop at the first one. A float matrix
         * is written with 9 digits: enough to read back the same float. */
        if ((ds->xf ? map_csv_floats(w, ds->xf + j * ds->m, ds->m)
                    : map_csv_numbers(w, ds->x + j * ds->m, ds->m))
            || map_csv_end_row(w))
            break;
    }
    const int rc = map_csv_writer_finish(w, err);
    map_csv_writer_free(w);
    return rc;
}
