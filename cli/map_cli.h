/* map_cli.h — helpers shared by the subcommand files of the mapsolve
 * executable (main.c and cmd_sweep.c). Not part of the library. */
#ifndef MAP_CLI_H
#define MAP_CLI_H

#include <stddef.h>

#include "map_args.h"
#include "map_common.h"

#define MAP_CLI_DB_HELP "database file (else $MAPSOLVE_DB, else ./mapsolve.db)"

/* Prints err as "mapsolve: MSG" (plus a --help hint for usage errors) and
 * returns its code. */
int map_cli_fail(const map_error *err, const char *cmd);

/* Parses argv for spec; on --help prints it and sets *done (exit 0); on a
 * usage error prints it and sets *done with the code returned. */
int map_cli_parse(const map_cmd_spec *spec, int argc, char **argv, const char **pos, size_t *npos,
                  int *done);

/* The sweep subcommands (cmd_sweep.c). */
int map_cli_sweep(int argc, char **argv);
int map_cli_sweeps(int argc, char **argv);
int map_cli_export(int argc, char **argv);

#endif
