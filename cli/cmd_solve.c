/* cmd_solve.c — the palette subcommands solve, feasible and adjust: their
 * shared solve options, the notes they print on stderr, and each command's
 * option table and body. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "map_cli.h"
#include "map_output.h"

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

/* --json as all three word it (c: the map_cli_cmd). */
#define JSON_OPT(c) MAP_CLI_OPT_JSON("print one JSON object instead of a table", &(c).json)

/* --normalize as all three word it (dest: its variable). */
#define NORMALIZE_OPT(dest)                                                                     \
    MAP_CLI_OPT_NORMALIZE("global, or prompt: per-prompt normalisation on the prompt column",  \
                          dest)

/* The options solve and adjust end with: --db, --normalize and those of a
 * solve. */
#define SOLVE_OPTS(c, a)                                                                        \
    MAP_CLI_OPT_DB(&(c).db), NORMALIZE_OPT(&(a).normalize),                                     \
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

/* Turns a's raw values into so (--normalize aside); MAP_EUSAGE naming the
 * option at fault. */
static int solve_args_finish(solve_args *a, map_solve_opts *so, map_error *err)
{
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
    map_cli_note_singletons(rep->singletons, rep->prompts);
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
    map_print_warnings(stderr, rep, rep->has_holdout ? NULL : MAP_CLI_HOLDOUT_HINT);
}

/* The request of solve, feasible and adjust: rq for palette with c's
 * --normalize and (a; NULL for feasible, which takes none) the solve
 * options, then the positional dataset loaded as --normalize needs. */
static int palette_request(map_cli_cmd *c, const char *palette, solve_args *a,
                           map_solve_request *rq, map_dataset **ds)
{
    map_solve_request_init(rq, palette);
    rq->opts.normalize = c->norm; /* checked by map_cli_begin */
    int rc = a ? solve_args_finish(a, &rq->opts, &c->err) : MAP_OK;
    if (!rc)
        rc = map_cli_load(c->db, c->pos[0], c->load_flags, ds, &c->err);
    return rc;
}

/* The exit status of a solve whose report is printed (rc: the printing's):
 * not attained unless optimal, said on stderr of `what`. */
static int solve_status(int rc, const map_solve_report *s, const char *what)
{
    if (!rc)
        rc = map_app_solve_code(s);
    if (rc == MAP_NOT_ATTAINED)
        fprintf(stderr, "mapsolve: %s is not attained (status %s)\n", what,
                map_solve_status_name(s->result.status));
    return rc;
}

/* ---- solve -------------------------------------------------------------- */

int map_cli_solve(int argc, char **argv)
{
    map_cli_cmd c = {0};
    solve_args sa = SOLVE_ARGS_INIT;
    map_solver_params par;
    map_solver_params_default(&par);
    const char *palette = NULL;
    int want_margin = 0;
    double tol = par.tol;
    long max_iter = par.max_iter;
    char tol_def[32], iter_def[32];
    snprintf(tol_def, sizeof tol_def, "%g", par.tol);
    snprintf(iter_def, sizeof iter_def, "%d", par.max_iter);
    const map_opt opts[] = {
        MAP_CLI_OPT_PALETTE("targets, VALUE=TARGET,... (see below)", &palette),
        JSON_OPT(c),
        {"margin", MAP_OPT_FLAG, NULL, "also compute the scaled margin v* (an LP; as feasible)",
         NULL, 0, &want_margin, 0, 0, 0, 0, 0},
        {"tol", MAP_OPT_DOUBLE, "T", "KKT tolerance relative to each value's sd", tol_def, 0,
         &tol, 0.0, 1.0, 1, 0, 0},
        {"max-iter", MAP_OPT_LONG, "N", "Newton iteration limit", iter_def, 0, &max_iter, 0, 0, 0,
         1, 1000000},
        SOLVE_OPTS(c, sa),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("solve", 1, 1, opts);
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    par.tol = tol;
    par.max_iter = (int)max_iter;
    map_feas_params fp;
    map_feas_params_default(&fp);
    fp.want_margin = want_margin;
    map_solve_request rq;
    map_solve_report *rep = NULL;
    map_dataset *ds = NULL;
    int rc = palette_request(&c, palette, &sa, &rq, &ds);
    rq.params = &par;
    rq.feas = &fp;
    if (!rc)
        rc = map_app_solve(ds, &rq, &rep, &c.err);
    map_dataset_free(ds);
    map_args_list_free(sa.init_list);
    if (rc)
        return map_cli_fail(&c.err, spec.name);
    solve_notes(rep);
    rc = c.json ? map_cli_emit_json(map_json_solve(rep))
                : map_cli_printed(map_print_solve(stdout, rep));
    rc = solve_status(rc, rep, "the palette");
    map_solve_report_free(rep);
    return rc;
}

/* ---- feasible ----------------------------------------------------------- */

int map_cli_feasible(int argc, char **argv)
{
    map_cli_cmd c = {0};
    const char *palette = NULL, *normalize = NULL;
    const map_opt opts[] = {
        MAP_CLI_OPT_PALETTE(MAP_CLI_PALETTE_HELP, &palette),
        JSON_OPT(c),
        MAP_CLI_OPT_DB(&c.db),
        NORMALIZE_OPT(&normalize),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("feasible", 1, 1, opts);
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    map_solve_request rq;
    map_feasible_report *rep = NULL;
    map_dataset *ds = NULL;
    int rc = palette_request(&c, palette, NULL, &rq, &ds);
    if (!rc)
        rc = map_app_feasible(ds, &rq, &rep, &c.err);
    map_dataset_free(ds);
    if (rc)
        return map_cli_fail(&c.err, spec.name);
    map_cli_note_singletons(rep->singletons, rep->prompts);
    rc = c.json ? map_cli_emit_json(map_json_feasible(rep))
                : map_cli_printed(map_print_feasible(stdout, rep));
    if (!rc)
        rc = map_app_feasible_code(rep);
    if (rc == MAP_NOT_ATTAINED)
        fprintf(stderr, "mapsolve: the palette is not attainable (%s)\n",
                map_verdict_name(rep->verdict));
    map_feasible_report_free(rep);
    return rc;
}

/* ---- adjust ------------------------------------------------------------- */

int map_cli_adjust(int argc, char **argv)
{
    map_cli_cmd c = {0};
    solve_args sa = SOLVE_ARGS_INIT;
    map_adjust_opts ao;
    map_adjust_opts_default(&ao);
    const char *palette = NULL, *mode = NULL, *priority = NULL;
    const char *inset_text = NULL;
    char inset_def[32];
    snprintf(inset_def, sizeof inset_def, "%g", ao.inset);
    const map_opt opts[] = {
        MAP_CLI_OPT_PALETTE(MAP_CLI_PALETTE_HELP, &palette),
        {"mode", MAP_OPT_STRING, "MODE", "ray or greedy", "ray", 0, &mode, 0, 0, 0, 0, 0},
        {"priority", MAP_OPT_STRING, "A,B,...", "greedy: values to adjust first, in this order",
         "palette order", 0, &priority, 0, 0, 0, 0, 0},
        {"inset", MAP_OPT_STRING, "F", "step inside the boundary, in [0, 1)", inset_def, 0,
         &inset_text, 0, 0, 0, 0, 0},
        JSON_OPT(c),
        SOLVE_OPTS(c, sa),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("adjust", 1, 1, opts);
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    if (mode && map_adjust_mode_parse(mode, &ao.mode) != 0) {
        map_error_set(&c.err, MAP_EUSAGE, "adjust: unknown mode '%s' for --mode (ray, greedy)",
                      mode);
        return map_cli_fail(&c.err, spec.name);
    }
    /* [0, 1) is half-open, which the option table cannot say: checked here. */
    double inset = ao.inset;
    if (inset_text &&
        (map_parse_double(inset_text, &inset) != 0 || !(inset >= 0.0 && inset < 1.0))) {
        map_error_set(&c.err, MAP_EUSAGE,
                      "adjust: invalid value '%s' for --inset: expected a number in [0, 1)",
                      inset_text);
        return map_cli_fail(&c.err, spec.name);
    }
    if (priority && ao.mode != MAP_ADJUST_GREEDY) {
        map_error_set(&c.err, MAP_EUSAGE, "adjust: --priority applies to --mode greedy only");
        return map_cli_fail(&c.err, spec.name);
    }
    ao.inset = inset;
    char **plist = NULL;
    size_t np = 0;
    int rc = priority ? map_args_split_list(priority, "--priority", &plist, &np, &c.err) : MAP_OK;
    if (rc)
        return map_cli_fail(&c.err, spec.name);
    ao.priority = (const char *const *)plist;
    ao.npriority = np;
    map_adjust_request rq = {.adjust = ao};
    map_adjust_report *rep = NULL;
    map_dataset *ds = NULL;
    rc = palette_request(&c, palette, &sa, &rq.solve, &ds);
    if (!rc)
        rc = map_app_adjust(ds, &rq, &rep, &c.err);
    map_dataset_free(ds);
    map_args_list_free(plist);
    map_args_list_free(sa.init_list);
    if (rc)
        return map_cli_fail(&c.err, spec.name);
    const map_solve_report *s = rep->solve;
    solve_notes(s);
    rc = c.json ? map_cli_emit_json(map_json_adjust(rep))
                : map_cli_printed(map_print_adjust(stdout, rep));
    rc = solve_status(rc, s, "the adjusted palette");
    map_adjust_report_free(rep);
    return rc;
}
