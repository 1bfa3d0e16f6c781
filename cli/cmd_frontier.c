/* cmd_frontier.c — the table subcommands frontier and region: option
 * tables, the CSV/JSON table on --out or stdout, and the notes on stderr. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "map_cli.h"
#include "map_output.h"

/* ---- frontier and region ------------------------------------------------ */

/* A table command's dataset and output (--out PATH, created or truncated,
 * or stdout). */
typedef struct table_cmd {
    map_dataset *ds;
    FILE *file;
    map_table_writer *w;
    map_table_sink sink; /* feeds w */
} table_cmd;

/* Loads dataset c->pos[0] (as c's --normalize needs) from c's --db and
 * opens the table on its --out (JSON with --json); t starts zeroed
 * (table_end frees what was made). */
static int table_begin(map_cli_cmd *c, table_cmd *t)
{
    int rc = map_cli_load(c->db, c->pos[0], c->load_flags, &t->ds, &c->err);
    if (!rc)
        rc = map_cli_out_open(c->out, &t->file, &c->err);
    if (!rc && !(t->w = map_table_writer_new(t->file, c->json)))
        rc = map_error_set(&c->err, MAP_ENOMEM, "out of memory");
    if (!rc)
        t->sink = map_table_writer_sink(t->w);
    return rc;
}

/* Finishes the table (when rc is MAP_OK), closes --out and frees the
 * dataset; returns the resulting status. */
static int table_end(table_cmd *t, int rc, map_error *err)
{
    if (!rc && t->w)
        rc = map_table_writer_finish(t->w, err);
    map_table_writer_free(t->w);
    map_dataset_free(t->ds);
    return map_cli_out_close(t->file, rc, err);
}

int map_cli_frontier(int argc, char **argv)
{
    map_cli_cmd c = {0};
    const char *normalize = NULL;
    const char *values = NULL, *kl = NULL, *direction = NULL;
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
        MAP_CLI_OPT_OUT("write the table to FILE", "standard output", &c.out),
        MAP_CLI_OPT_JSON("a JSON array of row objects instead of CSV", &c.json),
        MAP_CLI_OPT_DB(&c.db),
        MAP_CLI_OPT_NORMALIZE(&normalize),
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
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    if (kl && direction)
        map_error_set(&c.err, MAP_EUSAGE, "frontier: --kl and --direction exclude each other");
    else if (!isnan(kl_max) && !direction)
        map_error_set(&c.err, MAP_EUSAGE, "frontier: --kl-max applies to --direction only");
    if (c.err.code)
        return map_cli_fail(&c.err, spec.name);
    char **vlist = NULL, **klist = NULL;
    size_t nv = 0, nk = 0;
    double *budgets = NULL;
    int rc = map_args_split_list(values, "--values", &vlist, &nv, &c.err);
    if (!rc && kl)
        rc = map_args_split_list(kl, "--kl", &klist, &nk, &c.err);
    if (!rc && nk && !(budgets = map_mallocarray(nk, sizeof *budgets)))
        rc = map_error_set(&c.err, MAP_ENOMEM, "out of memory");
    for (size_t b = 0; !rc && b < nk; b++)
        if (map_parse_double(klist[b], &budgets[b]) != 0 || !(budgets[b] >= 0.0))
            rc = map_error_set(&c.err, MAP_EUSAGE,
                               "frontier: invalid budget '%s' in --kl: expected numbers >= 0",
                               klist[b]);
    table_cmd t = {0};
    if (!rc)
        rc = table_begin(&c, &t);
    map_frontier_summary sum;
    memset(&sum, 0, sizeof sum);
    if (!rc) {
        const map_frontier_opts fo = {(const char *const *)vlist, nv, budgets, nk, direction,
                                      (size_t)points, kl_max, c.norm};
        rc = map_app_frontier(t.ds, &fo, &t.sink, &sum, &c.err);
    }
    rc = table_end(&t, rc, &c.err);
    map_free(budgets);
    map_args_list_free(vlist);
    map_args_list_free(klist);
    if (rc)
        return map_cli_fail(&c.err, spec.name);
    if (sum.saturated && (nk > 0 || direction))
        fprintf(stderr,
                "mapsolve: note: %zu of %zu rows are saturated: their budget is at or above "
                "the supremum KL of their direction (status saturated: the limit point)\n",
                sum.saturated, sum.rows);
    return MAP_OK;
}

int map_cli_region(int argc, char **argv)
{
    map_cli_cmd c = {0};
    const char *normalize = NULL;
    const char *values = NULL, *from = NULL;
    int polygon = 0;
    long points = 36;
    const map_opt opts[] = {
        {"values", MAP_OPT_STRING, "A,B[,C]", "two or three chosen values", NULL, 1, &values, 0,
         0, 0, 0, 0},
        {"points", MAP_OPT_LONG, "N", "directions", "36", 0, &points, 0, 0, 0, 1, 1000000},
        {"from", MAP_OPT_STRING, "SPEC", "base palette c0 over the chosen values",
         "the reference means", 0, &from, 0, 0, 0, 0, 0},
        {"polygon", MAP_OPT_FLAG, NULL, "two values: the boundary polygon only, closed", NULL, 0,
         &polygon, 0, 0, 0, 0, 0},
        MAP_CLI_OPT_OUT("write the table to FILE", "standard output", &c.out),
        MAP_CLI_OPT_JSON("a JSON array of row objects instead of CSV", &c.json),
        MAP_CLI_OPT_DB(&c.db),
        MAP_CLI_OPT_NORMALIZE(&normalize),
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
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    char **vlist = NULL;
    size_t nv = 0;
    int rc = map_args_split_list(values, "--values", &vlist, &nv, &c.err);
    table_cmd t = {0};
    if (!rc)
        rc = table_begin(&c, &t);
    map_region_summary sum;
    memset(&sum, 0, sizeof sum);
    if (!rc) {
        const map_region_opts ro = {(const char *const *)vlist, nv, (size_t)points, from,
                                    polygon, c.norm};
        rc = map_app_region(t.ds, &ro, &t.sink, &sum, &c.err);
    }
    rc = table_end(&t, rc, &c.err);
    map_args_list_free(vlist);
    if (rc)
        return map_cli_fail(&c.err, spec.name);
    return MAP_OK;
}
