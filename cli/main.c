/* main.c — the mapsolve command line: a table of subcommands {name, summary,
 * run} dispatched from main. Each run parses its options with map_args,
 * calls the command logic in map_app and renders with map_output. Data goes
 * to stdout, messages to stderr ("mapsolve: ..."), and the exit status is
 * the map_code of the outcome (see map_args_exit_codes).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_app.h"
#include "map_args.h"
#include "map_cli.h"
#include "map_output.h"

#ifndef MAPSOLVE_VERSION
#define MAPSOLVE_VERSION "unknown"
#endif

#define DB_HELP MAP_CLI_DB_HELP

/* Prints err's message as "mapsolve: MSG" (plus a hint for usage errors
 * naming the subcommand) and returns its code. */
int map_cli_fail(const map_error *err, const char *cmd)
{
    fprintf(stderr, "mapsolve: %s\n", err->msg[0] ? err->msg : "unknown error");
    if (err->code == MAP_EUSAGE && cmd)
        fprintf(stderr, "Try 'mapsolve %s --help'.\n", cmd);
    return err->code ? err->code : MAP_ENOMEM;
}

/* Parses argv for spec; on --help prints it and sets *done to exit 0. */
int map_cli_parse(const map_cmd_spec *spec, int argc, char **argv, const char **pos, size_t *npos,
                  int *done)
{
    map_error err;
    map_error_clear(&err);
    *done = 0;
    const int rc = map_args_parse(spec, argc, argv, pos, npos, &err);
    if (rc == MAP_ARGS_HELP) {
        map_args_help(spec, stdout);
        *done = 1;
        return MAP_OK;
    }
    if (rc) {
        *done = 1;
        return map_cli_fail(&err, spec->name);
    }
    return MAP_OK;
}

/* Writes a JSON document from map_output (NULL: out of memory) to stdout. */
static int emit_json(char *text)
{
    if (!text) {
        fputs("mapsolve: out of memory writing JSON\n", stderr);
        return MAP_ENOMEM;
    }
    fputs(text, stdout);
    map_free(text);
    return MAP_OK;
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* Opens the store read-only for a command that reads dataset `name` (NULL:
 * a listing). A missing database file is reported, without creating it, as
 * an unknown dataset (usage error); *st stays NULL for a listing. */
static int open_for_read(const char *db, const char *name, map_store **st, map_error *err)
{
    *st = NULL;
    if (!file_exists(db)) {
        if (!name)
            return MAP_OK;
        return map_error_set(err, MAP_EUSAGE, "no dataset named '%s' in %s (no such database)",
                             name, db);
    }
    return map_store_open_readonly(db, st, err);
}

/* ---- ingest ------------------------------------------------------------- */

static int cmd_ingest(int argc, char **argv)
{
    const char *db = NULL, *name = NULL, *values = NULL, *prompt = NULL, *texts = NULL;
    const char *format = NULL, *precision = NULL;
    int replace = 0, json = 0;
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
        {"json", MAP_OPT_FLAG, NULL, "print a JSON summary on stdout", NULL, 0, &json, 0, 0, 0,
         0, 0},
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
        {"db", MAP_OPT_STRING, "PATH", DB_HELP, NULL, 0, &db, 0, 0, 0, 0, 0},
    };
    const map_cmd_spec spec = {
        "ingest", "ingest FILE --name NAME [options]",
        "Reads reward samples from FILE (CSV with a header row, a JSON array of objects,\n"
        "or JSON Lines; '-' reads standard input) and stores them as dataset NAME.\n"
        "Nothing is stored unless the whole file is valid. Prints a summary on stderr.",
        1, 1, opts, sizeof opts / sizeof opts[0],
        "Without --values every column whose cells are all numbers is a value, except\n"
        "the prompt and text columns; any other non-numeric column is an error.\n"
        "--json prints {name, n, m, values, source, hash, same_content_as, replaced,\n"
        "precision}."};
    const char *pos[1];
    size_t npos = 0;
    int done = 0;
    int rc = map_cli_parse(&spec, argc, argv, pos, &npos, &done);
    if (done)
        return rc;

    map_error err;
    map_error_clear(&err);
    map_ingest_opts io;
    memset(&io, 0, sizeof io);
    io.path = pos[0];
    io.limits.max_field_bytes = (size_t)max_field;
    io.limits.max_columns = (size_t)max_cols;
    io.limits.max_rows = (size_t)max_rows;
    io.limits.max_values = (size_t)max_values;
    io.limits.max_json_bytes = (size_t)max_json;
    if (format && map_format_parse(format, &io.format) != 0) {
        map_error_set(&err, MAP_EUSAGE,
                      "ingest: unknown format '%s' for --format (auto, csv, json, jsonl)", format);
        return map_cli_fail(&err, spec.name);
    }
    map_precision prec = MAP_PRECISION_DOUBLE;
    if (precision && map_precision_parse(precision, &prec) != 0) {
        map_error_set(&err, MAP_EUSAGE,
                      "ingest: unknown precision '%s' for --precision (single, double)", precision);
        return map_cli_fail(&err, spec.name);
    }
    if (map_app_check_name(name, &err))
        return map_cli_fail(&err, spec.name);
    if (prompt && !*prompt) {
        map_error_set(&err, MAP_EUSAGE, "ingest: --prompt-column is empty");
        return map_cli_fail(&err, spec.name);
    }
    char **vlist = NULL, **tlist = NULL;
    size_t nv = 0, nt = 0;
    rc = values ? map_args_split_list(values, "--values", &vlist, &nv, &err) : MAP_OK;
    if (!rc && texts)
        rc = map_args_split_list(texts, "--text-columns", &tlist, &nt, &err);
    map_store *st = NULL;
    map_dataset *ds = NULL;
    map_ingest_report rep;
    memset(&rep, 0, sizeof rep);
    if (!rc) {
        io.values = (const char *const *)vlist;
        io.nvalues = nv;
        io.prompt_column = prompt;
        io.text_columns = (const char *const *)tlist;
        io.ntext = nt;
        /* Read and validate the whole file before the store is opened (and
         * perhaps created): bad input leaves no trace. */
        rc = map_app_ingest_read(&io, name, &ds, &err);
        if (!rc)
            ds->precision = prec;
        if (!rc)
            rc = map_store_open(map_store_default_path(db), &st, &err);
        if (!rc)
            rc = map_app_ingest_store(st, ds, replace, &rep, &err);
    }
    map_store_close(st);
    map_dataset_free(ds);
    map_args_list_free(vlist);
    map_args_list_free(tlist);
    if (rc)
        return map_cli_fail(&err, spec.name);
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
    rc = json ? emit_json(map_json_ingest(&rep)) : MAP_OK;
    map_ingest_report_free(&rep);
    return rc;
}

/* ---- datasets ----------------------------------------------------------- */

static int cmd_datasets(int argc, char **argv)
{
    const char *db = NULL;
    int json = 0;
    const map_opt opts[] = {
        {"json", MAP_OPT_FLAG, NULL, "print a JSON array instead of a table", NULL, 0, &json, 0,
         0, 0, 0, 0},
        {"db", MAP_OPT_STRING, "PATH", DB_HELP, NULL, 0, &db, 0, 0, 0, 0, 0},
    };
    const map_cmd_spec spec = {
        "datasets", "datasets [--json] [--db PATH]",
        "Lists the stored datasets: name, samples (n), values (m), value names, source\n"
        "file and creation time (ISO 8601, UTC).",
        0, 0, opts, sizeof opts / sizeof opts[0],
        "--json prints [{name, n, m, values, source, hash, created, prompt_column,\n"
        "text_columns, precision}, ...]. Datasets of single precision are named on a\n"
        "line after the table."};
    size_t npos = 0;
    int done = 0;
    int rc = map_cli_parse(&spec, argc, argv, NULL, &npos, &done);
    if (done)
        return rc;
    map_error err;
    map_error_clear(&err);
    const char *path = map_store_default_path(db);
    map_store *st = NULL;
    map_dataset_info *info = NULL;
    size_t count = 0;
    rc = open_for_read(path, NULL, &st, &err);
    if (!rc && st)
        rc = map_store_list(st, &info, &count, &err);
    map_store_close(st);
    if (rc)
        return map_cli_fail(&err, spec.name);
    if (json)
        rc = emit_json(map_json_datasets(info, count));
    else if (count == 0)
        fprintf(stderr, "mapsolve: no datasets in %s\n", path);
    else
        rc = map_print_datasets(stdout, info, count);
    map_dataset_info_free(info, count);
    if (rc == MAP_ENOMEM)
        fputs("mapsolve: out of memory\n", stderr);
    return rc;
}

/* ---- describe ----------------------------------------------------------- */

static int cmd_describe(int argc, char **argv)
{
    const char *db = NULL;
    int json = 0;
    const map_opt opts[] = {
        {"json", MAP_OPT_FLAG, NULL, "print a JSON object instead of a table", NULL, 0, &json, 0,
         0, 0, 0, 0},
        {"db", MAP_OPT_STRING, "PATH", DB_HELP, NULL, 0, &db, 0, 0, 0, 0, 0},
    };
    const map_cmd_spec spec = {
        "describe", "describe NAME [--json] [--db PATH]",
        "Summarises each value of dataset NAME over its samples: n, mean, sd (divisor n),\n"
        "min, the 10/25/50/75/90th percentiles (type 7) and max.",
        1, 1, opts, sizeof opts / sizeof opts[0],
        "--json prints {dataset, n, precision, values: [{name, n, mean, sd, min, q10, q25,\n"
        "q50, q75, q90, max}, ...]}. The table is followed by a line 'precision: single'\n"
        "for a dataset stored in single precision."};
    const char *pos[1];
    size_t npos = 0;
    int done = 0;
    int rc = map_cli_parse(&spec, argc, argv, pos, &npos, &done);
    if (done)
        return rc;
    map_error err;
    map_error_clear(&err);
    map_store *st = NULL;
    map_dataset *ds = NULL;
    map_value_summary *sum = NULL;
    rc = open_for_read(map_store_default_path(db), pos[0], &st, &err);
    if (!rc)
        rc = map_store_get_dataset(st, pos[0], MAP_LOAD_NO_MATRIX, &ds, &err);
    map_store_close(st);
    if (!rc)
        rc = map_app_describe(ds, &sum, &err);
    if (rc) {
        map_dataset_free(ds);
        return map_cli_fail(&err, spec.name);
    }
    if (json)
        rc = emit_json(map_json_describe_prec(ds->name, ds->n, ds->precision, sum, ds->m));
    else if ((rc = map_print_describe(stdout, sum, ds->m)) != 0)
        fputs("mapsolve: out of memory\n", stderr);
    else if (ds->precision == MAP_PRECISION_SINGLE)
        fputs("precision: single (float32)\n", stdout);
    map_free(sum);
    map_dataset_free(ds);
    return rc;
}

/* ---- remove ------------------------------------------------------------- */

static int cmd_remove(int argc, char **argv)
{
    const char *db = NULL;
    const map_opt opts[] = {
        {"db", MAP_OPT_STRING, "PATH", DB_HELP, NULL, 0, &db, 0, 0, 0, 0, 0},
    };
    const map_cmd_spec spec = {"remove", "remove NAME [--db PATH]",
                               "Deletes dataset NAME from the database (one transaction).", 1, 1,
                               opts, sizeof opts / sizeof opts[0], NULL};
    const char *pos[1];
    size_t npos = 0;
    int done = 0;
    int rc = map_cli_parse(&spec, argc, argv, pos, &npos, &done);
    if (done)
        return rc;
    map_error err;
    map_error_clear(&err);
    const char *path = map_store_default_path(db);
    map_store *st = NULL;
    if (!file_exists(path))
        rc = map_error_set(&err, MAP_EUSAGE, "no dataset named '%s' in %s (no such database)",
                           pos[0], path);
    if (!rc)
        rc = map_store_open(path, &st, &err);
    if (!rc)
        rc = map_store_remove_dataset(st, pos[0], &err);
    map_store_close(st);
    if (rc)
        return map_cli_fail(&err, spec.name);
    fprintf(stderr, "removed %s from %s\n", pos[0], path);
    return MAP_OK;
}

/* ---- options shared by solve, feasible and adjust ----------------------- */

/* The raw option values of the solve options (map_solve_opts). */
typedef struct solve_args {
    const char *normalize, *method, *init;
    int sensitivity;
    long bootstrap, seed;
    double holdout;
    char **init_list;           /* split --init (owned) */
    double init_buf[MAP_MAX_K]; /* parsed --init */
} solve_args;

#define SOLVE_ARGS_INIT {NULL, NULL, NULL, 0, 0, 1, 0.0, NULL, {0}}

#define NORMALIZE_OPT(a)                                                                        \
    {"normalize", MAP_OPT_STRING, "MODE",                                                      \
     "global, or prompt: per-prompt normalisation on the prompt column", "global", 0,          \
     &(a).normalize, 0, 0, 0, 0, 0}

/* The options of a solve (solve and adjust), after NORMALIZE_OPT. */
#define SOLVE_OPTS(a)                                                                           \
    {"method", MAP_OPT_STRING, "M", "newton, lbfgs or mma (NLopt, for cross-checking)",        \
     "newton", 0, &(a).method, 0, 0, 0, 0, 0},                                                  \
    {"init", MAP_OPT_STRING, "L1,L2,...", "warm start: lambda per palette value, in order",     \
     "0", 0, &(a).init, 0, 0, 0, 0, 0},                                                         \
    {"sensitivity", MAP_OPT_FLAG, NULL, "shadow prices and dlambda/dc on the free set", NULL,  \
     0, &(a).sensitivity, 0, 0, 0, 0, 0},                                                       \
    {"bootstrap", MAP_OPT_LONG, "B", "B bootstrap resamples: SEs and 95% intervals", NULL, 0,  \
     &(a).bootstrap, 0, 0, 0, 1, 100000},                                                       \
    {"holdout", MAP_OPT_DOUBLE, "F", "solve on 1-F of the samples, check on the held-out F",   \
     NULL, 0, &(a).holdout, 0.0, 1.0, 1, 0, 0},                                                 \
    {"seed", MAP_OPT_LONG, "S", "seed of --bootstrap and --holdout (GSL mt19937)", "1", 0,     \
     &(a).seed, 0, 0, 0, 0, LONG_MAX}

#define SOLVE_NOTES                                                                             \
    "--normalize prompt solves the per-prompt problem (MATH.md 9) on the dataset's prompt\n"   \
    "column (exit 3 without one); prompts with one sample cannot be tilted and are counted.\n" \
    "--bootstrap and --holdout resample prompts under --normalize prompt. --method lbfgs\n"    \
    "or mma: NLopt on the same dual; optimal only when the KKT test passes at 1e-7."

/* Turns a's raw values into so; MAP_EUSAGE naming the option at fault. */
static int solve_args_finish(solve_args *a, map_solve_opts *so, int with_solve, map_error *err)
{
    map_solve_opts_default(so);
    if (a->normalize && map_normalize_parse(a->normalize, &so->normalize) != 0)
        return map_error_set(err, MAP_EUSAGE,
                             "unknown value '%s' for --normalize (global, prompt)", a->normalize);
    if (!with_solve)
        return MAP_OK;
    if (a->method && map_method_parse(a->method, &so->method) != 0)
        return map_error_set(err, MAP_EUSAGE, "unknown value '%s' for --method (newton, lbfgs, mma)",
                             a->method);
    if (a->holdout != 0.0 && !(a->holdout > 0.0 && a->holdout < 1.0))
        return map_error_set(err, MAP_EUSAGE, "--holdout %g is not in (0, 1)", a->holdout);
    so->sensitivity = a->sensitivity;
    so->bootstrap = (size_t)a->bootstrap;
    so->holdout = a->holdout;
    so->seed = (unsigned long)a->seed;
    if (a->init) {
        size_t count = 0;
        int rc = map_args_split_list(a->init, "--init", &a->init_list, &count, err);
        if (rc)
            return rc;
        if (count > MAP_MAX_K)
            return map_error_set(err, MAP_EUSAGE, "--init gives %zu values; at most %d", count,
                                 MAP_MAX_K);
        for (size_t i = 0; i < count; i++)
            if (map_parse_double(a->init_list[i], &a->init_buf[i]) != 0 ||
                !(a->init_buf[i] >= 0.0))
                return map_error_set(err, MAP_EUSAGE,
                                     "invalid value '%s' in --init: expected a number >= 0",
                                     a->init_list[i]);
        so->init = a->init_buf;
        so->ninit = count;
    }
    return MAP_OK;
}

/* Loads dataset `name` from db for a solve-like command. */
static int load_for(const char *db, const char *name, const map_solve_opts *so, map_dataset **ds,
                    map_error *err)
{
    *ds = NULL;
    map_store *st = NULL;
    int rc = open_for_read(map_store_default_path(db), name, &st, err);
    if (!rc)
        rc = map_app_load(st, name, so, ds, err);
    map_store_close(st);
    return rc;
}

/* Notes on stderr about a solve: constant values, prompts that cannot be
 * tilted, an ill-conditioned final Hessian, a missing sensitivity and
 * excluded bootstrap replicates. */
static void solve_notes(const map_solve_report *rep)
{
    for (size_t i = 0; i < rep->k; i++)
        if (rep->items[i].constant)
            fprintf(stderr,
                    "mapsolve: note: value '%s' is constant and meets its target; left out "
                    "with lambda 0 (its lambda is not identifiable)\n", rep->items[i].name);
    if (rep->singletons)
        fprintf(stderr, "mapsolve: note: %zu of %zu prompts have a single sample and cannot be "
                        "tilted\n", rep->singletons, rep->prompts);
    for (size_t i = 0; i < rep->ncollinear; i++) {
        const map_collinear *c = &rep->collinear[i];
        fprintf(stderr, "mapsolve: note: values '%s' and '%s' are exactly collinear on the samples "
                        "(%s = %.6g·%s %+.6g): only a combination of their lambdas is determined\n",
                c->a, c->b, c->b, c->slope, c->a, c->intercept);
    }
    if (rep->ill_conditioned)
        fprintf(stderr, "mapsolve: warning: the final Hessian is ill-conditioned (condition "
                        "%.3g): some values are (nearly) collinear, so their lambdas are poorly "
                        "determined\n", rep->result.diag.cond);
    if (rep->sens_note[0])
        fprintf(stderr, "mapsolve: note: %s\n", rep->sens_note);
    if (rep->has_bootstrap && rep->boot.excluded)
        fprintf(stderr, "mapsolve: note: %zu of %zu bootstrap replicates were not optimal and "
                        "are excluded\n", rep->boot.excluded, rep->boot.replicates);
}

/* ---- solve -------------------------------------------------------------- */

static int cmd_solve(int argc, char **argv)
{
    solve_args sa = SOLVE_ARGS_INIT;
    map_solver_params par;
    map_solver_params_default(&par);
    const char *db = NULL, *palette = NULL;
    int json = 0, want_margin = 0;
    double tol = par.tol;
    long max_iter = par.max_iter;
    char tol_def[32], iter_def[32];
    snprintf(tol_def, sizeof tol_def, "%g", par.tol);
    snprintf(iter_def, sizeof iter_def, "%d", par.max_iter);
    const map_opt opts[] = {
        {"palette", MAP_OPT_STRING, "SPEC", "targets, VALUE=TARGET,... (see below)", NULL, 1,
         &palette, 0, 0, 0, 0, 0},
        {"json", MAP_OPT_FLAG, NULL, "print one JSON object instead of a table", NULL, 0, &json,
         0, 0, 0, 0, 0},
        {"margin", MAP_OPT_FLAG, NULL, "also compute the scaled margin v* (an LP; as feasible)",
         NULL, 0, &want_margin, 0, 0, 0, 0, 0},
        {"tol", MAP_OPT_DOUBLE, "T", "KKT tolerance relative to each value's sd", tol_def, 0,
         &tol, 0.0, 1.0, 1, 0, 0},
        {"max-iter", MAP_OPT_LONG, "N", "Newton iteration limit", iter_def, 0, &max_iter, 0, 0, 0,
         1, 1000000},
        {"db", MAP_OPT_STRING, "PATH", DB_HELP, NULL, 0, &db, 0, 0, 0, 0, 0},
        NORMALIZE_OPT(sa),
        SOLVE_OPTS(sa),
    };
    const map_cmd_spec spec = {
        "solve",
        "solve NAME --palette SPEC [--json] [--margin] [--tol T] [--max-iter N] [--db PATH]\n"
        "                     [--normalize global|prompt] [--method newton|lbfgs|mma]\n"
        "                     [--init L1,...] [--sensitivity] [--bootstrap B] [--holdout F]\n"
        "                     [--seed S]",
        "Finds the least-KL reweighting of dataset NAME's samples whose expected values\n"
        "reach the palette's targets (the MAP problem), with a verdict: optimal (the\n"
        "weights lambda >= 0 of the combined reward), infeasible (with a certificate d:\n"
        "no reweighting reaches d.c) or boundary (reachable only in the limit).",
        1, 1, opts, sizeof opts / sizeof opts[0],
        "Palette: comma-separated VALUE=TARGET, TARGET a number, 'mean' (the value's mean)\n"
        "or qNN (its NN-th percentile, type 7, NN in [0, 100], e.g. q50, q97.5).\n"
        "Example: --palette humor=q90,gpt2-helpful=mean,coherence=0.45\n"
        "A constant value whose target is at most its value is left out with lambda 0;\n"
        "above its value the palette is infeasible with the certificate d = e_i.\n"
        "--json prints {dataset, n, status, values: [{name, spec, target, lambda, level,\n"
        "constant}], levels: {VALUE: level, for every value}, kl, ess, max_weight, dual,\n"
        "kkt, gap, violation, condition, iterations, margin, normalize, prompts,\n"
        "singleton_prompts, method, ill_conditioned, collinear: [{values: [A, B], slope,\n"
        "intercept}]}, plus certificate: {direction: {VALUE: d}, gap} when\n"
        "infeasible, boundary_values: [...] when boundary, sensitivity: {shadow_prices,\n"
        "free, dlambda_dc: {VALUE: {VALUE: d}}, condition}, bootstrap: {replicates, used,\n"
        "excluded, seed, lambda: {VALUE: {estimate, mean, se, lo, hi}}, levels: {...}} and\n"
        "holdout: {fraction, seed, n_train, n_test, prompts_train, prompts_test, status,\n"
        "kl_train, kl_test, ess_test, levels: {VALUE: {train, test}}} when asked for.\n"
        "margin (the scaled margin v*, as feasible computes it) is null unless --margin\n"
        "is given or the verdict needed it (a boundary palette): an optimal Newton run\n"
        "is the evidence of attainability, an infeasible one carries its certificate.\n"
        SOLVE_NOTES};
    const char *pos[1];
    size_t npos = 0;
    int done = 0;
    int rc = map_cli_parse(&spec, argc, argv, pos, &npos, &done);
    if (done)
        return rc;
    par.tol = tol;
    par.max_iter = (int)max_iter;
    map_feas_params fp;
    map_feas_params_default(&fp);
    fp.want_margin = want_margin;
    map_error err;
    map_error_clear(&err);
    map_solve_opts so;
    map_solve_report *rep = NULL;
    map_dataset *ds = NULL;
    rc = solve_args_finish(&sa, &so, 1, &err);
    if (!rc)
        rc = load_for(db, pos[0], &so, &ds, &err);
    if (!rc)
        rc = map_app_solve_dataset_opts(ds, palette, &so, &par, &fp, &rep, &err);
    map_dataset_free(ds);
    map_args_list_free(sa.init_list);
    if (rc)
        return map_cli_fail(&err, spec.name);
    solve_notes(rep);
    if (json)
        rc = emit_json(map_json_solve(rep));
    else if ((rc = map_print_solve(stdout, rep)) != 0)
        fputs("mapsolve: out of memory\n", stderr);
    if (!rc)
        rc = map_app_solve_code(rep);
    if (rc == MAP_NOT_ATTAINED)
        fprintf(stderr, "mapsolve: the palette is not attained (status %s)\n",
                map_solve_status_name(rep->result.status));
    map_solve_report_free(rep);
    return rc;
}

/* ---- feasible ----------------------------------------------------------- */

static int cmd_feasible(int argc, char **argv)
{
    solve_args sa = SOLVE_ARGS_INIT;
    const char *db = NULL, *palette = NULL;
    int json = 0;
    const map_opt opts[] = {
        {"palette", MAP_OPT_STRING, "SPEC", "targets, VALUE=TARGET,... (as for solve)", NULL, 1,
         &palette, 0, 0, 0, 0, 0},
        {"json", MAP_OPT_FLAG, NULL, "print one JSON object instead of a table", NULL, 0, &json,
         0, 0, 0, 0, 0},
        {"db", MAP_OPT_STRING, "PATH", DB_HELP, NULL, 0, &db, 0, 0, 0, 0, 0},
        NORMALIZE_OPT(sa),
    };
    const map_cmd_spec spec = {
        "feasible",
        "feasible NAME --palette SPEC [--json] [--db PATH] [--normalize global|prompt]",
        "Decides whether some reweighting of dataset NAME's samples reaches the palette,\n"
        "without solving for lambda: the verdict, the scaled margin v* (> 0: attainable;\n"
        "|v*| <= 1e-9: boundary, reachable only in the limit; < 0: infeasible) and its\n"
        "evidence: for infeasible a certificate d >= 0 with d.c > d.r for every sample,\n"
        "checked on the data; for boundary the values that drive it.",
        1, 1, opts, sizeof opts / sizeof opts[0],
        "Palette: as for solve (VALUE=TARGET with TARGET a number, 'mean' or qNN).\n"
        "Exit status 0 only for attainable; 1 for boundary (attainable only as lambda\n"
        "grows without bound) and for infeasible.\n"
        "--json prints {dataset, n, verdict, margin, values: [{name, spec, target,\n"
        "constant}], normalize, prompts, singleton_prompts}, plus certificate: {direction:\n"
        "{VALUE: d}, gap} when infeasible and boundary_values: [...] when boundary.\n"
        "--normalize prompt: the verdict on the per-prompt attainable set (the average of\n"
        "the prompts' hulls); exit 3 when the dataset has no prompt column."};
    const char *pos[1];
    size_t npos = 0;
    int done = 0;
    int rc = map_cli_parse(&spec, argc, argv, pos, &npos, &done);
    if (done)
        return rc;
    map_error err;
    map_error_clear(&err);
    map_solve_opts so;
    map_feasible_report *rep = NULL;
    map_dataset *ds = NULL;
    rc = solve_args_finish(&sa, &so, 0, &err);
    if (!rc)
        rc = load_for(db, pos[0], &so, &ds, &err);
    if (!rc)
        rc = map_app_feasible_dataset_opts(ds, palette, &so, NULL, &rep, &err);
    map_dataset_free(ds);
    if (rc)
        return map_cli_fail(&err, spec.name);
    if (rep->singletons)
        fprintf(stderr, "mapsolve: note: %zu of %zu prompts have a single sample and cannot be "
                        "tilted\n", rep->singletons, rep->prompts);
    if (json)
        rc = emit_json(map_json_feasible(rep));
    else if ((rc = map_print_feasible(stdout, rep)) != 0)
        fputs("mapsolve: out of memory\n", stderr);
    if (!rc)
        rc = map_app_feasible_code(rep);
    if (rc == MAP_NOT_ATTAINED)
        fprintf(stderr, "mapsolve: the palette is not attainable (%s)\n",
                map_verdict_name(rep->verdict));
    map_feasible_report_free(rep);
    return rc;
}

/* ---- adjust ------------------------------------------------------------- */

static int cmd_adjust(int argc, char **argv)
{
    solve_args sa = SOLVE_ARGS_INIT;
    map_solver_params par;
    map_solver_params_default(&par);
    map_adjust_opts ao;
    map_adjust_opts_default(&ao);
    const char *db = NULL, *palette = NULL, *mode = NULL, *priority = NULL;
    int json = 0;
    const char *inset_text = NULL;
    char inset_def[32];
    snprintf(inset_def, sizeof inset_def, "%g", ao.inset);
    const map_opt opts[] = {
        {"palette", MAP_OPT_STRING, "SPEC", "targets, VALUE=TARGET,... (as for solve)", NULL, 1,
         &palette, 0, 0, 0, 0, 0},
        {"mode", MAP_OPT_STRING, "MODE", "ray or greedy", "ray", 0, &mode, 0, 0, 0, 0, 0},
        {"priority", MAP_OPT_STRING, "A,B,...", "greedy: values to adjust first, in this order",
         "palette order", 0, &priority, 0, 0, 0, 0, 0},
        {"inset", MAP_OPT_STRING, "F", "step inside the boundary, in [0, 1)", inset_def, 0,
         &inset_text, 0, 0, 0, 0, 0},
        {"json", MAP_OPT_FLAG, NULL, "print one JSON object instead of a table", NULL, 0, &json,
         0, 0, 0, 0, 0},
        {"db", MAP_OPT_STRING, "PATH", DB_HELP, NULL, 0, &db, 0, 0, 0, 0, 0},
        NORMALIZE_OPT(sa),
        SOLVE_OPTS(sa),
    };
    const map_cmd_spec spec = {
        "adjust",
        "adjust NAME --palette SPEC [--mode ray|greedy] [--priority A,B,...] [--inset F]\n"
        "                      [--json] [--db PATH] [--normalize global|prompt]\n"
        "                      [solve options: --method, --init, --sensitivity, ...]",
        "Lowers an unattainable palette onto the attainable set of dataset NAME and\n"
        "solves it (MATH.md 7). ray: the largest rho in [0, 1] with mean + rho (c - mean)\n"
        "attainable (mean: the reference means). greedy: in priority order, each target\n"
        "becomes the most that stays attainable with the ones before it.",
        1, 1, opts, sizeof opts / sizeof opts[0],
        "The adjusted palette lies on the boundary, where lambda is infinite, so the\n"
        "palette solved is stepped inside: target = mean + (1 - inset)(adjusted - mean).\n"
        "A strictly attainable palette is solved unchanged (rho 1, inset 0); a palette\n"
        "on the boundary keeps its targets as adjusted ones and is inset.\n"
        "--priority names values of the palette (unknown or repeated names: exit 3);\n"
        "the others follow in palette order. Exit status 0 when the final solve is\n"
        "optimal.\n"
        "--json prints {dataset, n, mode, rho (ray), inset, unchanged, requested_margin,\n"
        "status, values: [{name, spec, requested, adjusted, target, lambda, level,\n"
        "constant}], levels, kl, ess, max_weight, dual, kkt, gap, violation, condition,\n"
        "iterations, margin, normalize, prompts, singleton_prompts, method}; margin is that\n"
        "of the palette solved; sensitivity, bootstrap, holdout as for solve.\n"
        SOLVE_NOTES};
    const char *pos[1];
    size_t npos = 0;
    int done = 0;
    int rc = map_cli_parse(&spec, argc, argv, pos, &npos, &done);
    if (done)
        return rc;
    map_error err;
    map_error_clear(&err);
    if (mode && map_adjust_mode_parse(mode, &ao.mode) != 0) {
        map_error_set(&err, MAP_EUSAGE, "adjust: unknown mode '%s' for --mode (ray, greedy)",
                      mode);
        return map_cli_fail(&err, spec.name);
    }
    /* [0, 1) is half-open, which the option table cannot say: checked here. */
    double inset = ao.inset;
    if (inset_text &&
        (map_parse_double(inset_text, &inset) != 0 || !(inset >= 0.0 && inset < 1.0))) {
        map_error_set(&err, MAP_EUSAGE,
                      "adjust: invalid value '%s' for --inset: expected a number in [0, 1)",
                      inset_text);
        return map_cli_fail(&err, spec.name);
    }
    if (priority && ao.mode != MAP_ADJUST_GREEDY) {
        map_error_set(&err, MAP_EUSAGE, "adjust: --priority applies to --mode greedy only");
        return map_cli_fail(&err, spec.name);
    }
    ao.inset = inset;
    char **plist = NULL;
    size_t np = 0;
    rc = priority ? map_args_split_list(priority, "--priority", &plist, &np, &err) : MAP_OK;
    if (rc)
        return map_cli_fail(&err, spec.name);
    ao.priority = (const char *const *)plist;
    ao.npriority = np;
    map_solve_opts so;
    map_adjust_report *rep = NULL;
    map_dataset *ds = NULL;
    rc = solve_args_finish(&sa, &so, 1, &err);
    if (!rc)
        rc = load_for(db, pos[0], &so, &ds, &err);
    if (!rc)
        rc = map_app_adjust_dataset_opts(ds, palette, &ao, &so, &par, NULL, &rep, &err);
    map_dataset_free(ds);
    map_args_list_free(plist);
    map_args_list_free(sa.init_list);
    if (rc)
        return map_cli_fail(&err, spec.name);
    const map_solve_report *s = rep->solve;
    solve_notes(s);
    if (json)
        rc = emit_json(map_json_adjust(rep));
    else if ((rc = map_print_adjust(stdout, rep)) != 0)
        fputs("mapsolve: out of memory\n", stderr);
    if (!rc)
        rc = map_app_adjust_code(rep);
    if (rc == MAP_NOT_ATTAINED)
        fprintf(stderr, "mapsolve: the adjusted palette is not attained (status %s)\n",
                map_solve_status_name(s->result.status));
    map_adjust_report_free(rep);
    return rc;
}

/* ---- frontier and region ------------------------------------------------ */

/* Loads dataset `name` (values only) for a table command. */
static int load_dataset(const char *db, const char *name, unsigned flags, map_dataset **ds,
                        map_error *err)
{
    *ds = NULL;
    map_store *st = NULL;
    int rc = open_for_read(map_store_default_path(db), name, &st, err);
    if (!rc)
        rc = map_store_get_dataset(st, name, flags, ds, err);
    map_store_close(st);
    return rc;
}

/* A table command's output: --out PATH (created or truncated) or stdout. */
typedef struct table_out {
    FILE *file;
    map_table_writer *w;
} table_out;

static int table_open(const char *path, int json, table_out *t, map_error *err)
{
    t->file = stdout;
    t->w = NULL;
    if (path && !(t->file = fopen(path, "w")))
        return map_error_set(err, MAP_EUSAGE, "cannot open '%s' for --out: %s", path,
                             strerror(errno));
    if (!(t->w = map_table_writer_new(t->file, json)))
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    return MAP_OK;
}

/* Finishes the table (when rc is MAP_OK) and closes --out. */
static int table_close(table_out *t, int rc, map_error *err)
{
    if (!rc && t->w)
        rc = map_table_writer_finish(t->w, err);
    map_table_writer_free(t->w);
    if (t->file && t->file != stdout && fclose(t->file) != 0 && !rc)
        rc = map_error_set(err, MAP_ENOMEM, "cannot write --out: %s", strerror(errno));
    return rc;
}

static int cmd_frontier(int argc, char **argv)
{
    const char *normalize = NULL;
    const char *db = NULL, *values = NULL, *kl = NULL, *direction = NULL, *out = NULL;
    int json = 0;
    long points = 21;
    double kl_max = NAN;
    const map_opt opts[] = {
        {"values", MAP_OPT_STRING, "A,B,...", "the chosen values (two or more without --direction)",
         NULL, 1, &values, 0, 0, 0, 0, 0},
        {"kl", MAP_OPT_STRING, "EPS,...", "KL budgets in nats: a frontier per budget", NULL, 0,
         &kl, 0, 0, 0, 0, 0},
        {"direction", MAP_OPT_STRING, "A=W,...", "one direction: weights >= 0 of chosen values",
         NULL, 0, &direction, 0, 0, 0, 0, 0},
        {"points", MAP_OPT_LONG, "N", "directions per budget, or points along --direction", "21",
         0, &points, 0, 0, 0, 1, 1000000},
        {"kl-max", MAP_OPT_DOUBLE, "K", "--direction: the largest KL (nats)",
         "90% of the direction's supremum", 0, &kl_max, 0.0, INFINITY, 1, 0, 0},
        {"out", MAP_OPT_STRING, "FILE", "write the table to FILE", "standard output", 0, &out, 0,
         0, 0, 0, 0},
        {"json", MAP_OPT_FLAG, NULL, "a JSON array of row objects instead of CSV", NULL, 0, &json,
         0, 0, 0, 0, 0},
        {"db", MAP_OPT_STRING, "PATH", DB_HELP, NULL, 0, &db, 0, 0, 0, 0, 0},
        {"normalize", MAP_OPT_STRING, "MODE", "global or prompt (per-prompt normalisation)", "global",
         0, &normalize, 0, 0, 0, 0, 0},
    };
    const map_cmd_spec spec = {
        "frontier",
        "frontier NAME --values A,B[,...] [--kl EPS[,...] | --direction A=W,...]\n"
        "                        [--points N] [--kl-max K] [--out FILE] [--json] [--db PATH]",
        "Pareto frontiers of dataset NAME over the chosen values (MATH.md 8): the levels\n"
        "that tilts lambda = t u reach. --kl: for each budget, directions u spread over\n"
        "the simplex of the chosen values (in sd units), each with the t whose KL is the\n"
        "budget. --direction: N points along one u with KL evenly spaced in [0, K].\n"
        "Neither: the unbounded-budget limit, the faces of the samples' hull (for two\n"
        "values followed by the upper hull's vertices).",
        1, 1, opts, sizeof opts / sizeof opts[0],
        "CSV columns, in this order: point (0, 1, ... over the table), budget,\n"
        "u_<v> for each chosen value, t, lambda_<v> for each chosen value, level_<v>\n"
        "for every value of the dataset, kl, ess, status. Numbers have 17 significant\n"
        "digits. status: converged, rounding, max_iter; saturated when the budget is\n"
        "at or above the supremum KL of the direction (no finite t): t and the\n"
        "lambdas where u > 0 are inf, the levels are the limit point and kl the\n"
        "supremum (a note on stderr counts them); vertex for a hull vertex row (u, t\n"
        "and lambda empty, the sample's levels, kl = log n, ess 1).\n"
        "--json prints the same rows as an array of objects keyed by the column\n"
        "names (inf and empty cells as null). --values names cannot contain a comma."};
    const char *pos[1];
    size_t npos = 0;
    int done = 0;
    int rc = map_cli_parse(&spec, argc, argv, pos, &npos, &done);
    if (done)
        return rc;
    map_normalize norm = MAP_NORMALIZE_GLOBAL;
    if (normalize && map_normalize_parse(normalize, &norm) != 0) {
        map_error nerr;
        map_error_set(&nerr, MAP_EUSAGE, "%s: --normalize must be global or prompt, not '%s'",
                      spec.name, normalize);
        return map_cli_fail(&nerr, spec.name);
    }
    const unsigned load_flags = norm == MAP_NORMALIZE_PROMPT ? MAP_LOAD_PROMPTS : 0;
    map_error err;
    map_error_clear(&err);
    if (kl && direction)
        map_error_set(&err, MAP_EUSAGE, "frontier: --kl and --direction exclude each other");
    else if (!isnan(kl_max) && !direction)
        map_error_set(&err, MAP_EUSAGE, "frontier: --kl-max applies to --direction only");
    if (err.code)
        return map_cli_fail(&err, spec.name);
    char **vlist = NULL, **klist = NULL;
    size_t nv = 0, nk = 0;
    double *budgets = NULL;
    rc = map_args_split_list(values, "--values", &vlist, &nv, &err);
    if (!rc && kl)
        rc = map_args_split_list(kl, "--kl", &klist, &nk, &err);
    if (!rc && nk && !(budgets = map_mallocarray(nk, sizeof *budgets)))
        rc = map_error_set(&err, MAP_ENOMEM, "out of memory");
    for (size_t b = 0; !rc && b < nk; b++)
        if (map_parse_double(klist[b], &budgets[b]) != 0 || !(budgets[b] >= 0.0))
            rc = map_error_set(&err, MAP_EUSAGE,
                               "frontier: invalid budget '%s' in --kl: expected numbers >= 0",
                               klist[b]);
    map_dataset *ds = NULL;
    if (!rc)
        rc = load_dataset(db, pos[0], load_flags, &ds, &err);
    table_out t = {NULL, NULL};
    if (!rc)
        rc = table_open(out, json, &t, &err);
    map_frontier_summary sum;
    memset(&sum, 0, sizeof sum);
    if (!rc) {
        const map_frontier_opts fo = {(const char *const *)vlist, nv, budgets, nk, direction,
                                      (size_t)points, kl_max, norm};
        const map_table_sink sink = map_table_writer_sink(t.w);
        rc = map_app_frontier(ds, &fo, &sink, &sum, &err);
    }
    rc = table_close(&t, rc, &err);
    map_dataset_free(ds);
    map_free(budgets);
    map_args_list_free(vlist);
    map_args_list_free(klist);
    if (rc)
        return map_cli_fail(&err, spec.name);
    if (sum.saturated && (nk > 0 || direction))
        fprintf(stderr,
                "mapsolve: note: %zu of %zu rows are saturated: their budget is at or above "
                "the supremum KL of their direction (status saturated: the limit point)\n",
                sum.saturated, sum.rows);
    return MAP_OK;
}

static int cmd_region(int argc, char **argv)
{
    const char *normalize = NULL;
    const char *db = NULL, *values = NULL, *from = NULL, *out = NULL;
    int json = 0, polygon = 0;
    long points = 36;
    const map_opt opts[] = {
        {"values", MAP_OPT_STRING, "A,B[,C]", "two or three chosen values", NULL, 1, &values, 0,
         0, 0, 0, 0},
        {"points", MAP_OPT_LONG, "N", "directions", "36", 0, &points, 0, 0, 0, 1, 1000000},
        {"from", MAP_OPT_STRING, "SPEC", "base palette c0 over the chosen values",
         "the reference means", 0, &from, 0, 0, 0, 0, 0},
        {"polygon", MAP_OPT_FLAG, NULL, "two values: the boundary polygon only, closed", NULL, 0,
         &polygon, 0, 0, 0, 0, 0},
        {"out", MAP_OPT_STRING, "FILE", "write the table to FILE", "standard output", 0, &out, 0,
         0, 0, 0, 0},
        {"json", MAP_OPT_FLAG, NULL, "a JSON array of row objects instead of CSV", NULL, 0, &json,
         0, 0, 0, 0, 0},
        {"db", MAP_OPT_STRING, "PATH", DB_HELP, NULL, 0, &db, 0, 0, 0, 0, 0},
        {"normalize", MAP_OPT_STRING, "MODE", "global or prompt (per-prompt normalisation)", "global",
         0, &normalize, 0, 0, 0, 0, 0},
    };
    const map_cmd_spec spec = {
        "region",
        "region NAME --values A,B[,C] [--points N] [--from SPEC] [--polygon]\n"
        "                      [--out FILE] [--json] [--db PATH]",
        "The attainable palettes of dataset NAME around a base palette c0: for each of\n"
        "N directions (evenly spaced in angle for two values, a Fibonacci lattice on\n"
        "the sphere for three, in sd units) the largest step s with c0 + s dir\n"
        "attainable; c0 + s dir lies on the boundary (exact: the certified margin).",
        1, 1, opts, sizeof opts / sizeof opts[0],
        "CSV columns, in this order: point, dir_<v> for each chosen value (in the\n"
        "values' own units), step, target_<v> for each chosen value (c0 + step dir).\n"
        "A direction with no positive component leaves the whole ray attainable: its\n"
        "step and targets are empty. --from takes the palette syntax (VALUE=TARGET,\n"
        "values not named at their mean) and must be attainable. --polygon keeps the\n"
        "bounded rows only, in angular order, and repeats the first to close the\n"
        "polygon. Numbers have 17 significant digits. --json prints the same rows as\n"
        "an array of objects keyed by the column names (empty cells as null)."};
    const char *pos[1];
    size_t npos = 0;
    int done = 0;
    int rc = map_cli_parse(&spec, argc, argv, pos, &npos, &done);
    if (done)
        return rc;
    map_normalize norm = MAP_NORMALIZE_GLOBAL;
    if (normalize && map_normalize_parse(normalize, &norm) != 0) {
        map_error nerr;
        map_error_set(&nerr, MAP_EUSAGE, "%s: --normalize must be global or prompt, not '%s'",
                      spec.name, normalize);
        return map_cli_fail(&nerr, spec.name);
    }
    const unsigned load_flags = norm == MAP_NORMALIZE_PROMPT ? MAP_LOAD_PROMPTS : 0;
    map_error err;
    map_error_clear(&err);
    char **vlist = NULL;
    size_t nv = 0;
    rc = map_args_split_list(values, "--values", &vlist, &nv, &err);
    map_dataset *ds = NULL;
    if (!rc)
        rc = load_dataset(db, pos[0], load_flags, &ds, &err);
    table_out t = {NULL, NULL};
    if (!rc)
        rc = table_open(out, json, &t, &err);
    map_region_summary sum;
    memset(&sum, 0, sizeof sum);
    if (!rc) {
        const map_region_opts ro = {(const char *const *)vlist, nv, (size_t)points, from,
                                    polygon, norm};
        const map_table_sink sink = map_table_writer_sink(t.w);
        rc = map_app_region(ds, &ro, &sink, &sum, &err);
    }
    rc = table_close(&t, rc, &err);
    map_dataset_free(ds);
    map_args_list_free(vlist);
    if (rc)
        return map_cli_fail(&err, spec.name);
    return MAP_OK;
}

/* ---- dispatch ----------------------------------------------------------- */

typedef struct map_subcommand {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv: the words after the name */
} map_subcommand;

static int cmd_help(int argc, char **argv);

static const map_subcommand commands[] = {
    {"ingest", "read reward samples (CSV, JSON, JSONL) into the database", cmd_ingest},
    {"datasets", "list the stored datasets", cmd_datasets},
    {"describe", "per-value statistics of a dataset", cmd_describe},
    {"solve", "solve a MAP value palette on a dataset", cmd_solve},
    {"feasible", "decide whether a palette is attainable, with evidence", cmd_feasible},
    {"adjust", "lower an unattainable palette onto the attainable set and solve it", cmd_adjust},
    {"frontier", "Pareto frontiers of chosen values (CSV or JSON table)", cmd_frontier},
    {"region", "the attainable palettes around a base palette (CSV or JSON table)", cmd_region},
    {"sweep", "solve many palettes in parallel: grids, random palettes, files, lambda clouds",
     map_cli_sweep},
    {"sweeps", "list the stored sweeps", map_cli_sweeps},
    {"export", "write a stored dataset or sweep as CSV", map_cli_export},
    {"remove", "delete a dataset", cmd_remove},
    {"help", "show help for mapsolve or one subcommand", cmd_help},
};
static const size_t ncommands = sizeof commands / sizeof commands[0];

static void usage(FILE *out)
{
    fputs("Usage: mapsolve COMMAND [options]\n"
          "       mapsolve COMMAND --help\n"
          "       mapsolve --version\n\n"
          "Solves MAP value palettes (least-KL reweightings of reward samples that reach\n"
          "target value levels) on datasets kept in a SQLite database.\n\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < ncommands; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fputs("\nEvery command takes --db PATH (else $MAPSOLVE_DB, else ./mapsolve.db).\n\n", out);
    map_args_exit_codes(out);
}

static const map_subcommand *find_command(const char *name)
{
    for (size_t i = 0; i < ncommands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    if (argc == 0) {
        usage(stdout);
        return MAP_OK;
    }
    if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
        strcmp(argv[0], "help") == 0) {
        usage(stdout);
        return MAP_OK;
    }
    const map_subcommand *c = find_command(argv[0]);
    if (!c || argc > 1) {
        if (c)
            fprintf(stderr, "mapsolve: help: unexpected argument '%s'\n", argv[1]);
        else
            fprintf(stderr, "mapsolve: help: unknown command '%s'\n", argv[0]);
        fputs("Try 'mapsolve --help'.\n", stderr);
        return MAP_EUSAGE;
    }
    char help[] = "--help";
    char *args[] = {help, NULL};
    return c->run(1, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MAP_EUSAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return MAP_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("mapsolve %s\n", MAPSOLVE_VERSION);
        return MAP_OK;
    }
    const map_subcommand *c = find_command(name);
    if (!c) {
        if (name[0] == '-')
            fprintf(stderr, "mapsolve: unknown option '%s'\n", name);
        else
            fprintf(stderr, "mapsolve: unknown command '%s'\n", name);
        fputs("Try 'mapsolve --help'.\n", stderr);
        return MAP_EUSAGE;
    }
    int rc = c->run(argc - 2, argv + 2);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("mapsolve: cannot write to standard output\n", stderr);
        if (rc == MAP_OK || rc == MAP_NOT_ATTAINED)
            rc = MAP_ENOMEM;
    }
    return rc;
}
