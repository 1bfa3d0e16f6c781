/* map_args.h — the one command-line parser every mapsolve subcommand uses.
 *
 * A subcommand describes itself with a map_cmd_spec: a usage line, a short
 * description, its positional arguments and a table of long options. The
 * parser accepts `--opt VALUE`, `--opt=VALUE`, flags (`--json`), `-h` and
 * `--help`, positionals anywhere, and `--` to end the options. Numbers go
 * through map_parse_double / map_parse_long with the range in the table; every
 * error names the option or argument at fault. The same table prints --help,
 * so the help always matches what is parsed.
 */
#ifndef MAP_ARGS_H
#define MAP_ARGS_H

#include <stddef.h>
#include <stdio.h>

#include "map_common.h"

typedef enum map_opt_type {
    MAP_OPT_FLAG,   /* no value; dest is int*, set to 1 */
    MAP_OPT_STRING, /* dest is const char** (borrowed from argv) */
    MAP_OPT_DOUBLE, /* dest is double*; finite, within [dmin, dmax] (dmin exclusive if min_open) */
    MAP_OPT_LONG    /* dest is long*; within [lmin, lmax] */
} map_opt_type;

typedef struct map_opt {
    const char *name;    /* long name without the leading "--" */
    map_opt_type type;
    const char *metavar; /* placeholder in --help ("PATH"); NULL for flags */
    const char *help;    /* one line for --help */
    const char *defval;  /* default shown in --help, or NULL */
    int required;        /* missing → usage error */
    void *dest;          /* where the value goes (see map_opt_type) */
    double dmin, dmax;   /* MAP_OPT_DOUBLE range */
    int min_open;        /* MAP_OPT_DOUBLE: dmin itself is excluded */
    long lmin, lmax;     /* MAP_OPT_LONG range */
} map_opt;

/* mapsolve's own commands give name, the positionals and the options
 * (MAP_CLI_SPEC); map_cli fills in the text from cli/help/NAME.txt. */
typedef struct map_cmd_spec {
    const char *name;        /* subcommand name ("solve") */
    size_t min_pos, max_pos; /* allowed number of positional arguments */
    const map_opt *opts;     /* option table */
    size_t nopts;
    const char *usage;       /* after "mapsolve ": "solve NAME --palette SPEC [options]" */
    const char *description; /* a few lines printed under the usage line */
    const char *notes;       /* extra help text after the options (may be NULL) */
} map_cmd_spec;

/* Returned by map_args_parse when -h/--help was given (not a map_code). */
#define MAP_ARGS_HELP (-1)

/* Parses argv[0..argc) (the words after the subcommand name). Positionals
 * are written, in order, to pos (room for spec->max_pos pointers borrowed
 * from argv) and counted in *npos. Flags and options not given keep the
 * values their dest already holds (callers preset the defaults). Returns
 * MAP_OK, MAP_ARGS_HELP, or MAP_EUSAGE with a message naming the culprit. */
int map_args_parse(const map_cmd_spec *spec, int argc, char *const *argv, const char **pos,
                   size_t *npos, map_error *err);

/* Prints the subcommand's help (usage, description, options with their
 * defaults, exit codes) to out. */
void map_args_help(const map_cmd_spec *spec, FILE *out);

/* The exit-code table printed at the end of every --help. */
void map_args_exit_codes(FILE *out);

/* Splits a comma-separated list of names (--values a,b,c) into a new array
 * of *count pointers into a new copy of s. Free with map_args_list_free.
 * Empty names (",," or a leading/trailing comma, or an empty s) are
 * MAP_EUSAGE naming the option `what`; MAP_ENOMEM on allocation failure. */
int map_args_split_list(const char *s, const char *what, char ***out, size_t *count,
                        map_error *err);
void map_args_list_free(char **list);

#endif
