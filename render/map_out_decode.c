/* map_out_decode.c — the renderings of weights, decode and select: their
 * rows as table cells for a map_table_sink (CSV, a JSON array or JSON
 * Lines through map_table_writer), and decode's summary line per method. */
#include "map_output.h"

#include <stdio.h>

#include "map_names.h"

/* Allocates *cells, one row of h's columns, and writes the header h (its
 * names) through sink: MAP_ENOMEM when h or the row could not be allocated,
 * else the sink's return. The caller map_frees *cells in every case. */
static int write_header(const map_table_sink *sink, const map_name_list *h, map_cell **cells,
                     map_error *err)
{
    *cells = h->ok ? map_calloc(h->count, sizeof **cells) : NULL;
    if (!*cells)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    return sink->header(sink->ctx, h->count, (const char *const *)h->names, err);
}

/* ---- weights ---------------------------------------------------------------- */

int map_weights_table(const map_weights_report *rep, const map_table_sink *sink, map_error *err)
{
    static const char *const names[4] = {"row", "prompt", "score", "weight"};
    int rc = sink->header(sink->ctx, 4, names, err);
    const map_dataset *ds = rep->ds;
    for (size_t j = 0; !rc && j < rep->n; j++) {
        const map_cell cells[4] = {map_cell_count(j + 1),
                                   ds->prompts ? map_cell_text(ds->prompts[j]) : map_cell_empty(),
                                   map_cell_number(rep->score[j]),
                                   map_cell_number(rep->weight[j])};
        rc = sink->row(sink->ctx, cells, err);
    }
    return rc;
}

/* ---- decode ------------------------------------------------------------------- */

int map_decode_table(const map_decode_report *rep, const map_table_sink *sink, map_error *err)
{
    const size_t m = rep->m;
    char *const *values = rep->solve->values;
    map_name_list h;
    map_name_list_init(&h, 2 * m + 5);
    map_name_list_add(&h, "", "method");
    map_name_list_add(&h, "", "k");
    map_name_list_add_all(&h, "level_", (const char *const *)values, m);
    map_name_list_add_all(&h, "se_", (const char *const *)values, m);
    map_name_list_add(&h, "", "kl");
    map_name_list_add(&h, "", "reaches");
    map_name_list_add(&h, "", "prompts_below_k");
    map_cell *cells;
    int rc = write_header(sink, &h, &cells, err);
    for (size_t r = 0; !rc && r < rep->nrows; r++) {
        const map_decode_row *row = &rep->rows[r];
        size_t c = 0;
        cells[c++] = map_cell_text(map_decode_method_name(row->method));
        cells[c++] = row->k ? map_cell_count(row->k) : map_cell_text("inf");
        for (size_t i = 0; i < m; i++)
            cells[c++] = map_cell_number(row->level[i]);
        for (size_t i = 0; i < m; i++)
            cells[c++] = map_cell_number(row->se[i]);
        cells[c++] = map_cell_number(row->kl);
        cells[c++] = map_cell_count((size_t)row->reaches);
        cells[c++] = map_cell_count(row->short_prompts);
        rc = sink->row(sink->ctx, cells, err);
    }
    map_free(cells);
    map_name_list_free(&h);
    return rc;
}

void map_print_decode_summary(FILE *out, const map_decode_report *rep)
{
    for (int meth = 1; meth >= 0; meth--) {
        if (!rep->ran[meth])
            continue;
        const char *name = map_decode_method_name((map_decode_method)meth);
        if (rep->smallest_k[meth])
            fprintf(out, "mapsolve: %s: the smallest listed k whose levels reach every target to "
                         "within %g%% of the way from the reference level: %zu\n", name,
                    100.0 * MAP_DECODE_REACH_FRACTION, rep->smallest_k[meth]);
        else
            fprintf(out, "mapsolve: %s: none of the listed k reaches every target to within %g%% "
                         "of the way from the reference level\n", name,
                    100.0 * MAP_DECODE_REACH_FRACTION);
    }
}

/* ---- select --------------------------------------------------------------------- */

int map_select_table(const map_select_report *rep, const map_table_sink *sink, map_error *err)
{
    const map_dataset *ds = rep->ds;
    const map_matrix X = map_dataset_matrix(ds);
    if (rep->pairs) {
        static const char *const names[5] = {"prompt", "chosen", "rejected", "score_chosen",
                                             "score_rejected"};
        int rc = sink->header(sink->ctx, 5, names, err);
        for (size_t r = 0; !rc && r < rep->nrecords; r++) {
            const size_t hi = rep->chosen[r], lo = rep->rejected[r];
            const map_cell cells[5] = {map_cell_text(ds->prompts[hi]),
                                       map_cell_text(ds->text[hi * ds->ntext + rep->text_col]),
                                       map_cell_text(ds->text[lo * ds->ntext + rep->text_col]),
                                       map_cell_number(rep->score[hi]),
                                       map_cell_number(rep->score[lo])};
            rc = sink->row(sink->ctx, cells, err);
        }
        return rc;
    }
    map_name_list h;
    map_name_list_init(&h, ds->ntext + ds->m + 2);
    map_name_list_add(&h, "", "prompt");
    map_name_list_add_all(&h, "", (const char *const *)ds->text_names, ds->ntext);
    map_name_list_add_all(&h, "", (const char *const *)ds->values, ds->m);
    map_name_list_add(&h, "", "score");
    map_cell *cells;
    int rc = write_header(sink, &h, &cells, err);
    for (size_t r = 0; !rc && r < rep->nrecords; r++) {
        const size_t j = rep->chosen[r];
        size_t c = 0;
        cells[c++] = map_cell_text(ds->prompts[j]);
        for (size_t t = 0; t < ds->ntext; t++)
            cells[c++] = map_cell_text(ds->text[j * ds->ntext + t]);
        for (size_t i = 0; i < ds->m; i++)
            cells[c++] = map_cell_number(map_matrix_at(&X, j, i));
        cells[c++] = map_cell_number(rep->score[j]);
        rc = sink->row(sink->ctx, cells, err);
    }
    map_free(cells);
    map_name_list_free(&h);
    return rc;
}
