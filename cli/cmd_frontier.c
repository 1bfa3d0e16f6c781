/* cmd_frontier.c — the table subcommands frontier and region: option
 * tables, the CSV/JSON table on --out or stdout, the chart of the same rows
 * on --plot, and the notes on stderr. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "map_cli.h"
#include "map_output.h"
#include "map_plot.h"

/* The options frontier and region end with, in this order: the table's
 * destination and format, the chart, the database and the normalisation. */
#define TABLE_OPTS(c, plot_help, plot, normalize)                                                \
    MAP_CLI_OPT_OUT("write the table to FILE", "standard output", &(c).out),                     \
    MAP_CLI_OPT_JSON("a JSON array of row objects instead of CSV", &(c).json),                   \
    MAP_CLI_OPT_PLOT(plot_help, &(plot)),                                                       \
    MAP_CLI_OPT_DB(&(c).db),                                                                    \
    MAP_CLI_OPT_NORMALIZE(MAP_CLI_NORMALIZE_HELP, &(normalize))

/* ---- frontier and region ------------------------------------------------ */

/* A table command's dataset and output (--out PATH, created or truncated,
 * or stdout). */
typedef struct table_cmd {
    map_dataset *ds;
    FILE *file;
    map_table_writer *w;
    map_table_sink sink;  /* feeds w, through plot when there is one */
    map_plot_table *plot; /* --plot: collects the rows for the chart */
} table_cmd;

/* Loads dataset c->pos[0] (as c's --normalize needs) from c's --db and
 * opens the table on its --out (JSON with --json); with po (--plot) the
 * rows also go to a chart collector for po (its dataset and n filled in
 * here). t starts zeroed (table_end frees what was made). */
static int table_begin(map_cli_cmd *c, table_cmd *t, map_plot_table_opts *po)
{
    int rc = map_cli_load(c->db, c->pos[0], c->load_flags, &t->ds, &c->err);
    if (!rc)
        rc = map_cli_out_open(c->out, &t->file, &c->err);
    if (!rc && !(t->w = map_table_writer_new(t->file, c->json)))
        rc = map_error_set(&c->err, MAP_ENOMEM, "out of memory");
    if (!rc)
        t->sink = map_table_writer_sink(t->w);
    if (!rc && po) {
        po->dataset = t->ds->name ? t->ds->name : c->pos[0];
        po->n = t->ds->n;
        po->prompt = c->norm == MAP_NORMALIZE_PROMPT;
        if (!(t->plot = map_plot_table_new(po, &t->sink)))
            rc = map_error_set(&c->err, MAP_ENOMEM, "out of memory");
        else
            t->sink = map_plot_table_sink(t->plot);
    }
    return rc;
}

/* Finishes the table (when rc is MAP_OK), closes --out and frees the
 * dataset; then, when the table is complete, draws the chart on --plot
 * (plot; NULL for none) with the reference levels the command's summary
 * gave (reference). Returns the resulting status. */
static int table_end(table_cmd *t, int rc, const char *plot, const double *reference,
                     map_error *err)
{
    if (!rc && t->w)
        rc = map_table_writer_finish(t->w, err);
    map_table_writer_free(t->w);
    map_dataset_free(t->ds);
    rc = map_cli_out_close(t->file, rc, err);
    if (!rc && t->plot && map_plot_table_set_reference(t->plot, reference))
        rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    if (!rc && t->plot)
        rc = map_plot_table_save(t->plot, plot, err);
    map_plot_table_free(t->plot);
    return rc;
}

/* --plot's checks before any work: the extension and a writable place. */
static int plot_check(const char *plot, map_error *err)
{
    return plot ? map_plot_check_path(plot, err) : MAP_OK;
}

/* --plot draws two values: a frontier or region over more is a surface, and
 * its points projected on two axes would mislead (a region's projection is
 * just the region of the two). A path (--direction) is a curve, so it may
 * run over more values: the chart shows the first two (note on stderr). */
static int plot_values(const char *cmd, const char *plot, size_t nv, int path, map_error *err)
{
    if (!plot || nv <= 2 || path)
        return MAP_OK;
    return map_error_set(err, MAP_EUSAGE,
                         "%s: --plot draws two values, and --values names %zu: choose two "
                         "(--values A,B)%s",
                         cmd, nv,
                         strcmp(cmd, "frontier") == 0 ? ", or draw one path with --direction" : "");
}

/* The note on stderr when the chart of a path shows two of its values. */
static void plot_note(const char *plot, char **vlist, size_t nv)
{
    if (plot && nv > 2)
        fprintf(stderr,
                "mapsolve: note: --plot draws the levels of the first two chosen values "
                "(%s, %s) along the path\n",
                vlist[0], vlist[1]);
}

int map_cli_frontier(int argc, char **argv)
{
    map_cli_cmd c = {0};
    const char *normalize = NULL;
    const char *values = NULL, *kl = NULL, *direction = NULL;
    const char *plot = NULL;
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
        TABLE_OPTS(c, "also draw the frontier: FILE.svg or FILE.png", plot, normalize),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("frontier", 1, 1, opts);
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    if (kl && direction)
        map_error_set(&c.err, MAP_EUSAGE, "frontier: --kl and --direction exclude each other");
    else if (!isnan(kl_max) && !direction)
        map_error_set(&c.err, MAP_EUSAGE, "frontier: --kl-max applies to --direction only");
    else
        plot_check(plot, &c.err);
    if (c.err.code)
        return map_cli_fail(&c.err, spec.name);
    char **vlist = NULL, **klist = NULL;
    size_t nv = 0, nk = 0;
    double *budgets = NULL;
    int rc = map_args_split_list(values, "--values", &vlist, &nv, &c.err);
    if (!rc)
        rc = plot_values(spec.name, plot, nv, direction != NULL, &c.err);
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
    map_plot_table_opts po = {MAP_PLOT_FRONTIER, NULL, 0, (const char *const *)vlist, nv,
                              direction != NULL, 0};
    if (!rc)
        rc = table_begin(&c, &t, plot ? &po : NULL);
    map_frontier_summary sum;
    memset(&sum, 0, sizeof sum);
    if (!rc) {
        const map_frontier_opts fo = {(const char *const *)vlist, nv, budgets, nk, direction,
                                      (size_t)points, kl_max, c.norm};
        rc = map_app_frontier(t.ds, &fo, &t.sink, &sum, &c.err);
    }
    rc = table_end(&t, rc, plot, sum.reference, &c.err);
    if (!rc)
        plot_note(plot, vlist, nv);
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
    const char *plot = NULL;
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
        TABLE_OPTS(c, "also draw the region: FILE.svg or FILE.png", plot, normalize),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("region", 1, 1, opts);
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    char **vlist = NULL;
    size_t nv = 0;
    int rc = plot_check(plot, &c.err);
    if (!rc)
        rc = map_args_split_list(values, "--values", &vlist, &nv, &c.err);
    if (!rc)
        rc = plot_values(spec.name, plot, nv, 0, &c.err);
    table_cmd t = {0};
    map_plot_table_opts po = {MAP_PLOT_REGION, NULL, 0, (const char *const *)vlist, nv, 0, 0};
    if (!rc)
        rc = table_begin(&c, &t, plot ? &po : NULL);
    map_region_summary sum;
    memset(&sum, 0, sizeof sum);
    if (!rc) {
        const map_region_opts ro = {(const char *const *)vlist, nv, (size_t)points, from,
                                    polygon, c.norm};
        rc = map_app_region(t.ds, &ro, &t.sink, &sum, &c.err);
    }
    rc = table_end(&t, rc, plot, sum.reference, &c.err);
    if (!rc)
        plot_note(plot, vlist, nv);
    map_args_list_free(vlist);
    if (rc)
        return map_cli_fail(&c.err, spec.name);
    return MAP_OK;
}
