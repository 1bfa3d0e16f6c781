/* cmd_decode.c — the subcommands that turn a solved palette into what a MAP
 * user uses: weights (the tilted distribution as a table), decode (the
 * levels that keeping one of k candidates reaches, best-of-k and SIR) and
 * select (one kept generation, or a DPO preference pair, per prompt, as
 * JSON Lines). Option tables, the table on --out or stdout, the notes and
 * warnings on stderr. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "map_cli.h"
#include "map_output.h"
#include "map_plot.h"

/* The largest k and replicate count the command line accepts (SIR costs
 * R·k candidate draws per k). */
#define DECODE_K_MAX 1000000L
#define DECODE_R_MAX 100000000L

/* ---- shared ------------------------------------------------------------------- */

/* After an unattained solve: its report (verdict and certificate) on
 * stderr, the reason no table is written, and exit 1. */
static int not_attained(const map_solve_report *solve, const char *what)
{
    map_cli_printed(map_print_solve(stderr, solve));
    fprintf(stderr, "mapsolve: the palette is not attained (status %s): no %s written\n",
            map_solve_status_name(solve->result.status), what);
    return MAP_NOT_ATTAINED;
}

/* Notes and warnings on stderr about the solve behind a table. */
static void solve_notes(const map_solve_report *solve)
{
    map_cli_note_singletons(solve->singletons, solve->prompts);
    map_print_warnings(stderr, solve, MAP_CLI_HOLDOUT_SOLVE_HINT);
}

/* Writes a table with fill (through a writer of --out, CSV or JSON as
 * json) and closes --out; returns the status. The file is opened only
 * here, after the solve, so that no table is written for an unattained
 * palette. */
typedef int (*table_fill)(const void *rep, const map_table_sink *sink, map_error *err);

static int write_table(map_cli_cmd *c, int json, table_fill fill, const void *rep)
{
    FILE *file = NULL;
    map_table_writer *w = NULL;
    int rc = map_cli_out_open(c->out, &file, &c->err);
    if (!rc && !(w = map_table_writer_new(file, json)))
        rc = map_error_set(&c->err, MAP_ENOMEM, "out of memory");
    if (!rc) {
        const map_table_sink sink = map_table_writer_sink(w);
        rc = fill(rep, &sink, &c->err);
    }
    if (!rc)
        rc = map_table_writer_finish(w, &c->err);
    map_table_writer_free(w);
    return map_cli_out_close(file, rc, &c->err);
}

/* The table of a solved palette: the solve's notes, then, when it is
 * attained, the table (write_table, a failure reported as cmd's); when it
 * is not, its report and MAP_NOT_ATTAINED, with no `what` written. */
static int solved_table(map_cli_cmd *c, const char *cmd, const map_solve_report *solve,
                        const char *what, int json, table_fill fill, const void *rep)
{
    solve_notes(solve);
    if (map_app_solve_code(solve) != MAP_OK)
        return not_attained(solve, what);
    return write_table(c, json, fill, rep) ? map_cli_fail(&c->err, cmd) : MAP_OK;
}

static int fill_weights(const void *rep, const map_table_sink *sink, map_error *err)
{
    return map_weights_table(rep, sink, err);
}

static int fill_decode(const void *rep, const map_table_sink *sink, map_error *err)
{
    return map_decode_table(rep, sink, err);
}

static int fill_select(const void *rep, const map_table_sink *sink, map_error *err)
{
    return map_select_table(rep, sink, err);
}

/* ---- weights ------------------------------------------------------------------ */

int map_cli_weights(int argc, char **argv)
{
    map_cli_cmd c = {0};
    const char *palette = NULL, *normalize = NULL;
    const map_opt opts[] = {
        MAP_CLI_OPT_PALETTE(MAP_CLI_PALETTE_HELP, &palette),
        MAP_CLI_OPT_NORMALIZE(MAP_CLI_NORMALIZE_HELP, &normalize),
        MAP_CLI_OPT_OUT("write the table to FILE", "standard output", &c.out),
        MAP_CLI_OPT_JSON("a JSON array of row objects instead of CSV", &c.json),
        MAP_CLI_OPT_DB(&c.db),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("weights", 1, 1, opts);
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    map_dataset *ds = NULL;
    map_weights_report *rep = NULL;
    const map_weights_request req = {palette, c.norm};
    int rc = map_cli_load(c.db, c.pos[0], MAP_LOAD_PROMPTS, &ds, &c.err);
    if (!rc)
        rc = map_app_weights(ds, &req, &rep, &c.err);
    rc = rc ? map_cli_fail(&c.err, spec.name)
            : solved_table(&c, spec.name, rep->solve, "weights", c.json, fill_weights, rep);
    map_weights_report_free(rep);
    map_dataset_free(ds);
    return rc;
}

/* ---- decode ------------------------------------------------------------------- */

/* Parses --k (a comma-separated list of integers in 1 .. DECODE_K_MAX) into
 * a new array *ks of *nks entries (map_free). */
static int parse_ks(const char *text, size_t **ks, size_t *nks, map_error *err)
{
    *ks = NULL;
    *nks = 0;
    char **list = NULL;
    size_t count = 0;
    int rc = map_args_split_list(text, "--k", &list, &count, err);
    if (!rc && !(*ks = map_mallocarray(count, sizeof **ks)))
        rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    for (size_t t = 0; !rc && t < count; t++) {
        long k = 0;
        if (map_parse_long(list[t], 1, DECODE_K_MAX, &k) != 0)
            rc = map_error_set(err, MAP_EUSAGE,
                               "decode: invalid value '%s' in --k: expected integers from 1 to "
                               "%ld", list[t], DECODE_K_MAX);
        else
            (*ks)[t] = (size_t)k;
    }
    map_args_list_free(list);
    if (rc) {
        map_free(*ks);
        *ks = NULL;
        return rc;
    }
    *nks = count;
    return MAP_OK;
}

int map_cli_decode(int argc, char **argv)
{
    map_cli_cmd c = {0};
    const char *palette = NULL, *normalize = NULL, *ktext = NULL, *method = NULL, *plot = NULL;
    long replicates = MAP_DECODE_REPLICATES_DEFAULT, seed = 1;
    char rdef[32];
    snprintf(rdef, sizeof rdef, "%d", MAP_DECODE_REPLICATES_DEFAULT);
    const map_opt opts[] = {
        MAP_CLI_OPT_PALETTE(MAP_CLI_PALETTE_HELP, &palette),
        {"k", MAP_OPT_STRING, "K1,K2,...", "candidate counts, integers >= 1", NULL, 1, &ktext, 0,
         0, 0, 0, 0},
        {"method", MAP_OPT_STRING, "M", "best, sir or both", "both", 0, &method, 0, 0, 0, 0, 0},
        {"replicates", MAP_OPT_LONG, "R", "sir: Monte Carlo replicates per k", rdef, 0,
         &replicates, 0, 0, 0, 1, DECODE_R_MAX},
        {"seed", MAP_OPT_LONG, "S", "sir: seed (GSL mt19937, set afresh for each k)", "1", 0,
         &seed, 0, 0, 0, 0, LONG_MAX},
        MAP_CLI_OPT_NORMALIZE(MAP_CLI_NORMALIZE_HELP, &normalize),
        MAP_CLI_OPT_OUT("write the table to FILE", "standard output", &c.out),
        MAP_CLI_OPT_JSON("a JSON array of row objects instead of CSV", &c.json),
        MAP_CLI_OPT_PLOT("also draw the levels against k: FILE.svg or FILE.png", &plot),
        MAP_CLI_OPT_DB(&c.db),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("decode", 1, 1, opts);
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    map_decode_request req;
    map_decode_request_default(&req);
    req.palette = palette;
    req.replicates = (size_t)replicates;
    req.seed = (unsigned long)seed;
    req.normalize = c.norm;
    if (method && strcmp(method, "both") != 0) {
        map_decode_method mm;
        if (map_decode_method_parse(method, &mm) != 0) {
            map_error_set(&c.err, MAP_EUSAGE,
                          "decode: unknown value '%s' for --method (best, sir, both)", method);
            return map_cli_fail(&c.err, spec.name);
        }
        req.best = mm == MAP_DECODE_BEST;
        req.sir = mm == MAP_DECODE_SIR;
    }
    size_t *ks = NULL;
    int rc = parse_ks(ktext, &ks, &req.nks, &c.err);
    if (!rc && plot)
        rc = map_plot_check_path(plot, &c.err);
    if (rc) {
        map_free(ks);
        return map_cli_fail(&c.err, spec.name);
    }
    req.ks = ks;
    map_dataset *ds = NULL;
    map_decode_report *rep = NULL;
    rc = map_cli_load(c.db, c.pos[0], c.load_flags, &ds, &c.err);
    if (!rc)
        rc = map_app_decode(ds, &req, &rep, &c.err);
    rc = rc ? map_cli_fail(&c.err, spec.name)
            : solved_table(&c, spec.name, rep->solve, "table", c.json, fill_decode, rep);
    if (!rc && plot && map_plot_decode_save(rep, c.pos[0], plot, &c.err) != 0)
        rc = map_cli_fail(&c.err, spec.name);
    else if (!rc)
        map_print_decode_summary(stderr, rep);
    map_decode_report_free(rep);
    map_dataset_free(ds);
    map_free(ks);
    return rc;
}

/* ---- select ------------------------------------------------------------------- */

int map_cli_select(int argc, char **argv)
{
    map_cli_cmd c = {0};
    const char *palette = NULL, *normalize = NULL, *method = NULL, *text_column = NULL;
    long seed = 1;
    int pairs = 0;
    const map_opt opts[] = {
        MAP_CLI_OPT_PALETTE(MAP_CLI_PALETTE_HELP, &palette),
        {"method", MAP_OPT_STRING, "M", "best or sir: the kept sample of each prompt", "best", 0,
         &method, 0, 0, 0, 0, 0},
        {"seed", MAP_OPT_LONG, "S", "sir: seed (GSL mt19937)", "1", 0, &seed, 0, 0, 0, 0,
         LONG_MAX},
        {"pairs", MAP_OPT_FLAG, NULL, "DPO preference pairs: highest against lowest score", NULL,
         0, &pairs, 0, 0, 0, 0, 0},
        {"text-column", MAP_OPT_STRING, "C", "--pairs: the text column of chosen and rejected",
         "the first", 0, &text_column, 0, 0, 0, 0, 0},
        MAP_CLI_OPT_NORMALIZE(MAP_CLI_NORMALIZE_HELP, &normalize),
        MAP_CLI_OPT_OUT("write the records to FILE", "standard output", &c.out),
        MAP_CLI_OPT_DB(&c.db),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("select", 1, 1, opts);
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    map_select_request req = {palette, MAP_DECODE_BEST, (unsigned long)seed, pairs, text_column,
                              c.norm};
    if (method && map_decode_method_parse(method, &req.method) != 0) {
        map_error_set(&c.err, MAP_EUSAGE, "select: unknown value '%s' for --method (best, sir)",
                      method);
        return map_cli_fail(&c.err, spec.name);
    }
    if (text_column && !pairs) {
        map_error_set(&c.err, MAP_EUSAGE, "select: --text-column applies to --pairs only");
        return map_cli_fail(&c.err, spec.name);
    }
    if (pairs && method) {
        map_error_set(&c.err, MAP_EUSAGE,
                      "select: --method does not apply to --pairs (chosen is the highest score, "
                      "rejected the lowest)");
        return map_cli_fail(&c.err, spec.name);
    }
    map_dataset *ds = NULL;
    map_select_report *rep = NULL;
    int rc = map_cli_load(c.db, c.pos[0], MAP_LOAD_PROMPTS | MAP_LOAD_TEXT, &ds, &c.err);
    if (!rc)
        rc = map_app_select(ds, &req, &rep, &c.err);
    rc = rc ? map_cli_fail(&c.err, spec.name)
            : solved_table(&c, spec.name, rep->solve, "records", 2, fill_select, rep);
    if (!rc && pairs && (rep->singletons || rep->ties))
        fprintf(stderr, "mapsolve: note: %zu pairs from %zu prompts; skipped %zu prompts "
                        "with a single sample and %zu whose samples all score the same\n",
                rep->nrecords, rep->prompts, rep->singletons, rep->ties);
    map_select_report_free(rep);
    map_dataset_free(ds);
    return rc;
}
