/* main.c — the mapsolve command line: the table of subcommands (name,
 * summary, and either run, for a command that parses its own options, or
 * run_plain, for one whose options are --json and --db only, which the
 * dispatcher begins) and main, which reads the global options given before
 * the command (--db, --json) and dispatches. The commands live in cmd_*.c
 * and share their prologue through map_cli.h. Data goes to stdout, messages to
 * stderr ("mapsolve: ..."), and the exit status is the map_code of the
 * outcome (see map_args_exit_codes).
 */
#include <stdio.h>
#include <string.h>

#include "map_args.h"
#include "map_cli.h"

#ifndef MAPSOLVE_VERSION
#define MAPSOLVE_VERSION "unknown"
#endif

/* ---- dispatch ----------------------------------------------------------- */

/* A command with options of its own parses them itself (run); one whose
 * only options are --json and --db (run_plain) is begun here
 * (map_cli_begin_plain: min_pos to max_pos positionals, --json described by
 * json_help, NULL: no --json) and handed its parsed state. */
typedef struct map_subcommand {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv: the words after the name */
    int (*run_plain)(map_cli_cmd *c);
    size_t min_pos, max_pos;
    const char *json_help;
} map_subcommand;

static int cmd_help(int argc, char **argv);

static const map_subcommand commands[] = {
    {"ingest", "read reward samples (CSV, JSON, JSONL) into the database", .run = map_cli_ingest},
    {"datasets", "list the stored datasets", .run_plain = map_cli_datasets, .min_pos = 0,
     .max_pos = 0, .json_help = "print a JSON array instead of a table"},
    {"describe", "per-value statistics of a dataset", .run_plain = map_cli_describe, .min_pos = 1,
     .max_pos = 1, .json_help = "print a JSON object instead of a table"},
    {"solve", "solve a MAP value palette on a dataset", .run = map_cli_solve},
    {"feasible", "decide whether a palette is attainable, with evidence", .run = map_cli_feasible},
    {"adjust", "lower an unattainable palette onto the attainable set and solve it",
     .run = map_cli_adjust},
    {"frontier", "Pareto frontiers of chosen values (CSV or JSON table)", .run = map_cli_frontier},
    {"region", "the attainable palettes around a base palette (CSV or JSON table)",
     .run = map_cli_region},
    {"sweep", "solve many palettes in parallel: grids, random palettes, files, lambda clouds",
     .run = map_cli_sweep},
    {"sweeps", "list the stored sweeps", .run_plain = map_cli_sweeps, .min_pos = 0, .max_pos = 1,
     .json_help = "a JSON array instead of a table"},
    {"weights", "the tilted distribution of a solved palette: a weight per sample",
     .run = map_cli_weights},
    {"decode", "levels reached when decoding keeps one of k candidates (best-of-k, SIR)",
     .run = map_cli_decode},
    {"select", "one kept generation or a DPO preference pair per prompt (JSON Lines)",
     .run = map_cli_select},
    {"export", "write a stored dataset or sweep as CSV", .run = map_cli_export},
    {"remove", "delete a dataset", .run_plain = map_cli_remove, .min_pos = 1, .max_pos = 1},
    {"serve", "answer the commands over HTTP (JSON API and the palette explorer page)",
     .run = map_cli_serve},
    {"help", "show help for mapsolve or one subcommand", .run = cmd_help},
};
static const size_t ncommands = sizeof commands / sizeof commands[0];

/* Runs c on argv[0..argc). */
static int run_words(const map_subcommand *c, int argc, char **argv)
{
    if (c->run)
        return c->run(argc, argv);
    map_cli_cmd cmd = {0};
    if (map_cli_begin_plain(c->name, c->min_pos, c->max_pos, c->json_help, argc, argv, &cmd))
        return cmd.rc;
    return c->run_plain(&cmd);
}

static void usage(FILE *out)
{
    fputs("Usage: mapsolve [--db PATH] [--json] COMMAND [options]\n"
          "       mapsolve COMMAND --help\n"
          "       mapsolve --version\n\n"
          "Solves MAP value palettes (least-KL reweightings of reward samples that reach\n"
          "target value levels) on datasets kept in a SQLite database.\n\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < ncommands; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fputs("\nEvery command takes --db PATH (else $MAPSOLVE_DB, else ./mapsolve.db).\n"
          "--db and --json may also come before the command: 'mapsolve --db PATH solve ...'\n"
          "is 'mapsolve solve ... --db PATH' (exit 2 if the command does not take it).\n\n",
          out);
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
    return run_words(c, 1, args);
}

/* The options main accepts before the command: they are handed to the
 * command as if given after its name. */
typedef struct global_opt {
    const char *name; /* with the leading "--" */
    int has_value;
} global_opt;

static const global_opt globals[] = {{"--db", 1}, {"--json", 0}};

/* The global option that arg (a word before the command) is, or NULL. */
static const global_opt *find_global(const char *arg)
{
    for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++) {
        const size_t len = strlen(globals[i].name);
        if (strncmp(arg, globals[i].name, len) == 0 &&
            (arg[len] == '\0' || (globals[i].has_value && arg[len] == '=')))
            return &globals[i];
    }
    return NULL;
}

/* Runs c with the global words glob[0..nglob) before the command's own
 * words rest[0..nrest). */
static int run_command(const map_subcommand *c, char **glob, int nglob, char **rest, int nrest)
{
    if (nglob == 0)
        return run_words(c, nrest, rest);
    if (c->run == cmd_help) {
        fprintf(stderr, "mapsolve: help: unknown option '%s'\n", glob[0]);
        fputs("Try 'mapsolve --help'.\n", stderr);
        return MAP_EUSAGE;
    }
    char **args = map_calloc((size_t)nglob + (size_t)nrest + 1, sizeof *args);
    if (!args) {
        fputs("mapsolve: out of memory\n", stderr);
        return MAP_ENOMEM;
    }
    memcpy(args, glob, (size_t)nglob * sizeof *args);
    memcpy(args + nglob, rest, (size_t)nrest * sizeof *args);
    const int rc = run_words(c, nglob + nrest, args);
    map_free(args);
    return rc;
}

int main(int argc, char **argv)
{
    int a = 1;
    for (; a < argc && argv[a][0] == '-'; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return MAP_OK;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("mapsolve %s\n", MAPSOLVE_VERSION);
            return MAP_OK;
        }
        const global_opt *g = find_global(arg);
        if (!g) {
            fprintf(stderr, "mapsolve: unknown option '%s'\n", arg);
            fputs("Try 'mapsolve --help'.\n", stderr);
            return MAP_EUSAGE;
        }
        if (g->has_value && !strchr(arg, '=') && ++a >= argc) {
            fprintf(stderr, "mapsolve: option %s needs a value\n", g->name);
            fputs("Try 'mapsolve --help'.\n", stderr);
            return MAP_EUSAGE;
        }
    }
    if (a >= argc) {
        usage(stderr);
        return MAP_EUSAGE;
    }
    const char *name = argv[a];
    const map_subcommand *c = find_command(name);
    if (!c) {
        fprintf(stderr, "mapsolve: unknown command '%s'\n", name);
        fputs("Try 'mapsolve --help'.\n", stderr);
        return MAP_EUSAGE;
    }
    int rc = run_command(c, argv + 1, a - 1, argv + a + 1, argc - a - 1);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("mapsolve: cannot write to standard output\n", stderr);
        if (rc == MAP_OK || rc == MAP_NOT_ATTAINED)
            rc = MAP_ENOMEM;
    }
    return map_cli_exit_code(rc);
}
