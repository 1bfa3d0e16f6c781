/* cmd_data.c — the dataset subcommands: ingest, datasets, describe, remove
 * and export. ingest and export parse their own options; the dispatcher
 * begins the others. Each renders what map_app computes with map_output. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "map_cli.h"
#include "map_export.h"
#include "map_output.h"
#include "map_sweep_app.h"

/* ---- ingest ------------------------------------------------------------- */

int map_cli_ingest(int argc, char **argv)
{
    map_cli_cmd c = {0};
    const char *name = NULL, *values = NULL, *prompt = NULL, *texts = NULL;
    const char *format = NULL, *precision = NULL;
    int replace = 0;
    long max_field = 64L * 1024 * 1024, max_cols = 4096, max_rows = 100000000L, max_values = 64;
    long max_json = 1L << 30;
    const map_opt opts[] = {
        {"name", MAP_OPT_STRING, "NAME", "name to store the dataset under", NULL, 1, &name, 0, 0,
         0, 0, 0},
        {"values", MAP_OPT_STRING, "A,B,...", "value (reward) columns, in this order",
         "every all-numeric column", 0, &values, 0, 0, 0, 0, 0},
        {"prompt-column", MAP_OPT_STRING, "COL", "column holding the prompt key", "none", 0,
         &prompt, 0, 0, 0, 0, 0},
        {"text-columns", MAP_OPT_STRING, "A,B,...", "text columns to keep", "none", 0, &texts, 0,
         0, 0, 0, 0},
        {"format", MAP_OPT_STRING, "FMT", "auto, csv, json or jsonl (ndjson)",
         "from the extension; csv for stdin", 0, &format, 0, 0, 0, 0, 0},
        {"replace", MAP_OPT_FLAG, NULL, "replace a dataset of the same name", NULL, 0, &replace,
         0, 0, 0, 0, 0},
        {"precision", MAP_OPT_STRING, "P",
         "single (float32 rewards: half the memory; sums still in double) or double", "double",
         0, &precision, 0, 0, 0, 0, 0},
        MAP_CLI_OPT_JSON("print a JSON summary on stdout", &c.json),
        {"max-field-bytes", MAP_OPT_LONG, "N", "longest CSV field or JSON string", "67108864",
         0, &max_field, 0, 0, 0, 1, LONG_MAX},
        {"max-columns", MAP_OPT_LONG, "N", "most columns (keys) in the file", "4096", 0,
         &max_cols, 0, 0, 0, 1, 1000000},
        {"max-rows", MAP_OPT_LONG, "N", "most samples", "100000000", 0, &max_rows, 0, 0, 0, 1,
         LONG_MAX},
        {"max-values", MAP_OPT_LONG, "N", "most value columns", "64", 0, &max_values, 0, 0, 0,
         1, 64},
        {"max-json-bytes", MAP_OPT_LONG, "N", "largest JSON document or JSON Lines line",
         "1073741824", 0, &max_json, 0, 0, 0, 1, LONG_MAX},
        MAP_CLI_OPT_DB(&c.db),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("ingest", 1, 1, opts);
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;

    map_ingest_request rq;
    memset(&rq, 0, sizeof rq);
    rq.name = name;
    rq.replace = replace;
    rq.precision = MAP_PRECISION_DOUBLE;
    rq.db = c.db;
    map_ingest_opts *io = &rq.read;
    io->path = c.pos[0];
    io->limits.max_field_bytes = (size_t)max_field;
    io->limits.max_columns = (size_t)max_cols;
    io->limits.max_rows = (size_t)max_rows;
    io->limits.max_values = (size_t)max_values;
    io->limits.max_json_bytes = (size_t)max_json;
    if (format && map_format_parse(format, &io->format) != 0) {
        map_error_set(&c.err, MAP_EUSAGE,
                      "ingest: unknown format '%s' for --format (auto, csv, json, jsonl)", format);
        return map_cli_fail(&c.err, spec.name);
    }
    if (precision && map_precision_parse(precision, &rq.precision) != 0) {
        map_error_set(&c.err, MAP_EUSAGE,
                      "ingest: unknown precision '%s' for --precision (single, double)", precision);
        return map_cli_fail(&c.err, spec.name);
    }
    if (map_app_check_name(name, &c.err))
        return map_cli_fail(&c.err, spec.name);
    if (prompt && !*prompt) {
        map_error_set(&c.err, MAP_EUSAGE, "ingest: --prompt-column is empty");
        return map_cli_fail(&c.err, spec.name);
    }
    char **vlist = NULL, **tlist = NULL;
    size_t nv = 0, nt = 0;
    int rc = values ? map_args_split_list(values, "--values", &vlist, &nv, &c.err) : MAP_OK;
    if (!rc && texts)
        rc = map_args_split_list(texts, "--text-columns", &tlist, &nt, &c.err);
    map_ingest_report rep;
    memset(&rep, 0, sizeof rep);
    if (!rc) {
        io->values = (const char *const *)vlist;
        io->nvalues = nv;
        io->prompt_column = prompt;
        io->text_columns = (const char *const *)tlist;
        io->ntext = nt;
        rc = map_app_ingest(&rq, &rep, &c.err);
    }
    map_args_list_free(vlist);
    map_args_list_free(tlist);
    if (rc)
        return map_cli_fail(&c.err, spec.name);
    if (rep.same_as)
        fprintf(stderr, "mapsolve: note: the content of %s was already ingested as dataset '%s'\n",
                rep.source, rep.same_as);
    if (rep.replaced)
        fprintf(stderr, "mapsolve: note: replaced the previous dataset '%s'\n", rep.name);
    fprintf(stderr, "ingested %s: %zu samples x %zu values (", rep.name, rep.n, rep.m);
    for (size_t i = 0; i < rep.m; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", rep.values[i]);
    fprintf(stderr, ") from %s%s\n", rep.source,
            rep.precision == MAP_PRECISION_SINGLE ? " in single precision" : "");
    rc = c.json ? map_cli_emit_json(map_json_ingest(&rep)) : MAP_OK;
    map_ingest_report_free(&rep);
    return rc;
}

/* ---- datasets ----------------------------------------------------------- */

int map_cli_datasets(map_cli_cmd *c)
{
    const char *path = map_store_default_path(c->db);
    map_store *st = NULL;
    map_datasets_result res = {0};
    int rc = map_app_store_open(c->db, MAP_STORE_READ, NULL, &st, &c->err);
    if (!rc)
        rc = map_app_datasets(st, &res, &c->err);
    map_store_close(st);
    if (rc)
        return map_cli_fail(&c->err, "datasets");
    if (c->json)
        rc = map_cli_emit_json(map_json_datasets(res.info, res.count));
    else if (res.count == 0)
        fprintf(stderr, "mapsolve: no datasets in %s\n", path);
    else
        rc = map_cli_printed(map_print_datasets(stdout, res.info, res.count));
    map_datasets_result_free(&res);
    return rc;
}

/* ---- describe ----------------------------------------------------------- */

int map_cli_describe(map_cli_cmd *c)
{
    map_dataset *ds = NULL;
    map_value_summary *sum = NULL;
    int rc = map_cli_load(c->db, c->pos[0], MAP_LOAD_NO_MATRIX, &ds, &c->err);
    if (!rc)
        rc = map_app_describe(ds, &sum, &c->err);
    if (rc) {
        map_dataset_free(ds);
        return map_cli_fail(&c->err, "describe");
    }
    if (c->json)
        rc = map_cli_emit_json(map_json_describe_prec(ds->name, ds->n, ds->precision, sum, ds->m));
    else if (!(rc = map_cli_printed(map_print_describe(stdout, sum, ds->m)))
             && ds->precision == MAP_PRECISION_SINGLE)
        fputs("precision: single (float32)\n", stdout);
    map_free(sum);
    map_dataset_free(ds);
    return rc;
}

/* ---- remove ------------------------------------------------------------- */

int map_cli_remove(map_cli_cmd *c)
{
    const char *path = map_store_default_path(c->db);
    map_store *st = NULL;
    const map_remove_request rq = {c->pos[0]};
    int rc = map_app_store_open(c->db, MAP_STORE_UPDATE, rq.name, &st, &c->err);
    if (!rc)
        rc = map_app_remove(st, &rq, &c->err);
    map_store_close(st);
    if (rc)
        return map_cli_fail(&c->err, "remove");
    fprintf(stderr, "removed %s from %s\n", c->pos[0], path);
    return MAP_OK;
}

/* ---- export ------------------------------------------------------------- */

int map_cli_export(int argc, char **argv)
{
    map_cli_cmd c = {0};
    long sweep = 0;
    const map_opt opts[] = {
        {"sweep", MAP_OPT_LONG, "ID", "export stored sweep ID instead of the dataset", NULL, 0, &sweep, 0, 0, 0, 1,
         LONG_MAX},
        MAP_CLI_OPT_OUT("write to FILE instead of stdout", NULL, &c.out),
        MAP_CLI_OPT_DB(&c.db),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("export", 1, 1, opts);
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    map_store *st = NULL;
    map_dataset *ds = NULL;
    FILE *out = NULL;
    int rc = map_app_store_open(c.db, MAP_STORE_READ, c.pos[0], &st, &c.err);
    if (!rc && sweep)
        rc = map_app_sweep_check_owner(st, sweep, c.pos[0], &c.err);
    else if (!rc)
        rc = map_app_load(st, c.pos[0], MAP_LOAD_PROMPTS | MAP_LOAD_TEXT, &ds, &c.err);
    if (!rc)
        rc = map_cli_out_open(c.out, &out, &c.err);
    if (!rc && sweep) {
        map_table_writer *tw = map_table_writer_new(out, 0);
        if (!tw) {
            rc = map_error_set(&c.err, MAP_ENOMEM, "out of memory");
        } else {
            const map_table_sink sink = map_table_writer_sink(tw);
            rc = map_app_export_sweep(st, sweep, &sink, &c.err);
            const int frc = map_table_writer_finish(tw, rc ? NULL : &c.err);
            if (!rc)
                rc = frc;
            map_table_writer_free(tw);
        }
    } else if (!rc) {
        rc = map_app_export_dataset(ds, out, &c.err);
    }
    rc = map_cli_out_close(out, rc, &c.err);
    map_dataset_free(ds);
    map_store_close(st);
    return rc ? map_cli_fail(&c.err, spec.name) : MAP_OK;
}
