/* map_cli.h — what the subcommand files of the mapsolve executable share:
 * the option-table entries every command spells the same way, the command
 * prologue (parse the options, load the dataset through the application
 * layer, open --out), the error printer, and the entry point of each
 * subcommand for main.c's table. Not part of the library. */
#ifndef MAP_CLI_H
#define MAP_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "map_app.h"
#include "map_args.h"
#include "map_common.h"

/* What the warnings of a solve (map_warning) suggest on the command line:
 * for solve and adjust, and for the commands without --holdout. */
#define MAP_CLI_HOLDOUT_HINT "try --holdout 0.3 to see how far the levels carry to held-out samples"
#define MAP_CLI_HOLDOUT_SOLVE_HINT                                                              \
    "try 'mapsolve solve' with this palette and --holdout 0.3 to see how far the levels "      \
    "carry to held-out samples"

#define MAP_CLI_DB_HELP "database file (else $MAPSOLVE_DB, else ./mapsolve.db)"

/* Option-table entries shared by the commands (dest: the variable's address). */
#define MAP_CLI_OPT_DB(dest)                                                                    \
    {"db", MAP_OPT_STRING, "PATH", MAP_CLI_DB_HELP, NULL, 0, (dest), 0, 0, 0, 0, 0}
#define MAP_CLI_OPT_JSON(help, dest)                                                            \
    {"json", MAP_OPT_FLAG, NULL, (help), NULL, 0, (dest), 0, 0, 0, 0, 0}
#define MAP_CLI_OPT_OUT(help, defval, dest)                                                     \
    {"out", MAP_OPT_STRING, "FILE", (help), (defval), 0, (dest), 0, 0, 0, 0, 0}
#define MAP_CLI_OPT_PLOT(help, dest)                                                            \
    {"plot", MAP_OPT_STRING, "FILE", (help), NULL, 0, (dest), 0, 0, 0, 0, 0}
#define MAP_CLI_OPT_PALETTE(help, dest)                                                         \
    {"palette", MAP_OPT_STRING, "SPEC", (help), NULL, 1, (dest), 0, 0, 0, 0, 0}
#define MAP_CLI_PALETTE_HELP "targets, VALUE=TARGET,... (as for solve)"
#define MAP_CLI_OPT_NORMALIZE(help, dest)                                                       \
    {"normalize", MAP_OPT_STRING, "MODE", (help), "global", 0, (dest), 0, 0, 0, 0, 0}
#define MAP_CLI_NORMALIZE_HELP "global or prompt (per-prompt normalisation)"

/* Parses --normalize (NULL: leaves *norm): MAP_EUSAGE "CMD: --normalize must
 * be global or prompt, not 'TEXT'" otherwise. load_flags (may be NULL) gets
 * the MAP_LOAD_* flags the mode needs (MAP_LOAD_PROMPTS for prompt). */
int map_cli_normalize(const char *text, const char *cmd, map_normalize *norm,
                      unsigned *load_flags, map_error *err);

/* The documented exit status for a library status code (map_code): 0
 * success, 1 not attained, 2 usage, 3 bad input data or palette, 4 store, 5
 * out of memory or another internal failure; any other code (the CLI's own
 * statuses, such as 130 after SIGINT) is returned as it is. */
int map_cli_exit_code(int code);

/* Prints err as "mapsolve: MSG", or "mapsolve: --FIELD: MSG" when it names
 * a request field (underscores as dashes: the option of that name), plus a
 * --help hint naming cmd for usage errors, and returns its code. */
int map_cli_fail(const map_error *err, const char *cmd);

/* The spec of command NAME taking MIN to MAX positionals and the options
 * of the array OPTS; its usage, description and notes come from
 * cli/help/NAME.txt (map_help.h). */
#define MAP_CLI_SPEC(name, min, max, opts)                                                      \
    {(name), (min), (max), (opts), sizeof(opts) / sizeof((opts)[0]), NULL, NULL, NULL}

/* Parses argv for spec (its text from the command's help file); on --help
 * prints it and sets *done (exit 0); on a usage error prints it and sets
 * *done with the code returned. */
int map_cli_parse(const map_cmd_spec *spec, int argc, char **argv, const char **pos, size_t *npos,
                  int *done);

/* A command's common options and the state its prologue leaves: declare it
 * zeroed (`map_cli_cmd c = {0};`), point the table's common entries at its
 * fields (MAP_CLI_OPT_DB(&c.db), ...), then call map_cli_begin. */
typedef struct map_cli_cmd {
    const char *db;     /* --db as given (NULL: $MAPSOLVE_DB, else ./mapsolve.db) */
    const char *out;    /* --out as given (NULL: stdout) */
    int json;           /* --json */
    const char *pos[1]; /* the positional argument (every command takes at most one) */
    size_t npos;
    map_error err;
    int rc; /* the exit status when map_cli_begin says the command is over */
    map_normalize norm;     /* --normalize, when the command takes it (else global) */
    unsigned load_flags;    /* the MAP_LOAD_* flags norm needs */
} map_cli_cmd;

/* The first step of every command: parses argv for spec into c (the option
 * values go where spec's table points; c's option fields are kept, the
 * rest is reset) and checks --normalize when spec
 * has it (MAP_OPT_STRING). Returns 1 when the command is over (--help
 * printed, or a usage error reported) with its exit status in c->rc; 0
 * when the command goes on. */
int map_cli_begin(const map_cmd_spec *spec, int argc, char **argv, map_cli_cmd *c);

/* map_cli_begin for command name taking min_pos to max_pos positionals and
 * only the options --json (described by json_help; NULL: no --json) and
 * --db, in that order. */
int map_cli_begin_plain(const char *name, size_t min_pos, size_t max_pos, const char *json_help,
                        int argc, char **argv, map_cli_cmd *c);

/* Loads dataset name read-only with the store's load flags (MAP_LOAD_*),
 * closing the store again. *ds is the caller's (map_dataset_free). */
int map_cli_load(const char *db_opt, const char *name, unsigned flags, map_dataset **ds,
                 map_error *err);


/* The one way to open --out: path NULL or "-" is stdout, else the file is
 * created or truncated (MAP_EUSAGE naming it when it cannot be). */
int map_cli_out_open(const char *path, FILE **out, map_error *err);

/* Closes what map_cli_out_open gave (stdout stays open; NULL is a no-op). A
 * write or close error becomes MAP_ENOMEM "cannot write --out" when rc is
 * MAP_OK; returns the resulting status. */
int map_cli_out_close(FILE *out, int rc, map_error *err);

/* Writes a JSON document from map_output (NULL: out of memory) to stdout and
 * frees it. */
int map_cli_emit_json(char *text);

/* Under per-prompt normalisation: a note on stderr when some of the prompts
 * have a single sample (nothing when singletons is 0). */
void map_cli_note_singletons(size_t singletons, size_t prompts);

/* The status of a table a map_print_* function wrote (rc, its
 * return): on failure says so on stderr (out of memory). */
int map_cli_printed(int rc);

/* The subcommands, for main.c's table: argv holds the words after the
 * command's name, or (the commands whose options are --json and --db only)
 * c the state map_cli_begin_plain left; each returns the exit status. */
int map_cli_ingest(int argc, char **argv);   /* cmd_data.c */
int map_cli_datasets(map_cli_cmd *c);
int map_cli_describe(map_cli_cmd *c);
int map_cli_remove(map_cli_cmd *c);
int map_cli_export(int argc, char **argv);
int map_cli_solve(int argc, char **argv);    /* cmd_solve.c */
int map_cli_feasible(int argc, char **argv);
int map_cli_adjust(int argc, char **argv);
int map_cli_frontier(int argc, char **argv); /* cmd_frontier.c */
int map_cli_region(int argc, char **argv);
int map_cli_sweep(int argc, char **argv);    /* cmd_sweep.c */
int map_cli_sweeps(map_cli_cmd *c);
int map_cli_weights(int argc, char **argv);  /* cmd_decode.c */
int map_cli_decode(int argc, char **argv);
int map_cli_select(int argc, char **argv);
int map_cli_serve(int argc, char **argv);    /* cmd_serve.c */

#endif
