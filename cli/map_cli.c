/* map_cli.c — the command prologue shared by every mapsolve subcommand:
 * option parsing with --help (the text from cli/help/) and usage errors,
 * loading the dataset through the application layer's store-open policy
 * (map_app_store_open), the --out file, the error printer and JSON output. */
#include "map_cli.h"
#include "map_help.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

int map_cli_exit_code(int code)
{
    switch (code) {
    case MAP_OK: return 0;
    case MAP_NOT_ATTAINED: return 1;
    case MAP_EUSAGE: return 2;
    case MAP_EDATA: return 3;
    case MAP_ESTORE: return 4;
    case MAP_ENOMEM: return 5;
    default: return code; /* the CLI's own statuses, such as 130 after SIGINT */
    }
}

int map_cli_fail(const map_error *err, const char *cmd)
{
    /* A request field is the command's option of that name. */
    char flag[MAP_ERRFIELD_MAX + 4] = "";
    if (err->field[0]) {
        snprintf(flag, sizeof flag, "--%s: ", err->field);
        for (char *p = flag + 2; *p; p++)
            if (*p == '_')
                *p = '-';
    }
    fprintf(stderr, "mapsolve: %s%s\n", flag, err->msg[0] ? err->msg : "unknown error");
    if (err->code == MAP_EUSAGE && cmd)
        fprintf(stderr, "Try 'mapsolve %s --help'.\n", cmd);
    return err->code ? err->code : MAP_ENOMEM;
}

int map_cli_parse(const map_cmd_spec *spec, int argc, char **argv, const char **pos, size_t *npos,
                  int *done)
{
    map_error err;
    map_error_clear(&err);
    *done = 0;
    /* The text comes from the command's help file. */
    map_cmd_spec full = *spec;
    const map_help_text *text = map_help_find(spec->name);
    assert(text != NULL && "every command has a file in cli/help/");
    full.usage = text ? text->usage : spec->name;
    full.description = text ? text->description : NULL;
    full.notes = text ? text->notes : NULL;
    spec = &full;
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

int map_cli_normalize(const char *text, const char *cmd, map_normalize *norm,
                      unsigned *load_flags, map_error *err)
{
    if (text && map_normalize_parse(text, norm) != 0)
        return map_error_set(err, MAP_EUSAGE, "%s: --normalize must be global or prompt, not '%s'",
                             cmd, text);
    if (load_flags)
        *load_flags = *norm == MAP_NORMALIZE_PROMPT ? MAP_LOAD_PROMPTS : 0;
    return MAP_OK;
}

int map_cli_begin(const map_cmd_spec *spec, int argc, char **argv, map_cli_cmd *c)
{
    c->pos[0] = NULL;
    c->npos = 0;
    map_error_clear(&c->err);
    c->norm = MAP_NORMALIZE_GLOBAL;
    c->load_flags = 0;
    int done = 0;
    c->rc = map_cli_parse(spec, argc, argv, c->pos, &c->npos, &done);
    if (done)
        return 1;
    for (size_t i = 0; i < spec->nopts; i++) {
        const map_opt *o = &spec->opts[i];
        if (strcmp(o->name, "normalize") != 0)
            continue;
        assert(o->type == MAP_OPT_STRING);
        if (map_cli_normalize(*(const char *const *)o->dest, spec->name, &c->norm,
                              &c->load_flags, &c->err)) {
            c->rc = map_cli_fail(&c->err, spec->name);
            return 1;
        }
    }
    return 0;
}

int map_cli_begin_plain(const char *name, size_t min_pos, size_t max_pos, const char *json_help,
                        int argc, char **argv, map_cli_cmd *c)
{
    const map_opt opts[] = {
        MAP_CLI_OPT_JSON(json_help, &c->json),
        MAP_CLI_OPT_DB(&c->db),
    };
    const size_t first = json_help ? 0 : 1;
    const map_cmd_spec spec = {name, min_pos, max_pos, opts + first, 2 - first, NULL, NULL, NULL};
    return map_cli_begin(&spec, argc, argv, c);
}

int map_cli_load(const char *db_opt, const char *name, unsigned flags, map_dataset **ds,
                 map_error *err)
{
    *ds = NULL;
    map_store *st = NULL;
    int rc = map_app_store_open(db_opt, MAP_STORE_READ, name, &st, err);
    if (!rc)
        rc = map_app_load(st, name, flags, ds, err);
    map_store_close(st);
    return rc;
}

int map_cli_out_open(const char *path, FILE **out, map_error *err)
{
    *out = stdout;
    if (!path || strcmp(path, "-") == 0)
        return MAP_OK;
    if (!(*out = fopen(path, "w")))
        return map_error_set(err, MAP_EUSAGE, "cannot open '%s' for --out: %s", path,
                             strerror(errno));
    return MAP_OK;
}

int map_cli_out_close(FILE *out, int rc, map_error *err)
{
    if (!out || out == stdout)
        return rc;
    const int bad = ferror(out);
    errno = 0;
    if ((fclose(out) != 0 || bad) && !rc)
        rc = map_error_set(err, MAP_ENOMEM, "cannot write --out: %s",
                           errno ? strerror(errno) : "write error");
    return rc;
}

void map_cli_note_singletons(size_t singletons, size_t prompts)
{
    if (singletons)
        fprintf(stderr, "mapsolve: note: %zu of %zu prompts have a single sample and cannot be "
                        "tilted\n", singletons, prompts);
}

int map_cli_printed(int rc)
{
    if (rc)
        fputs("mapsolve: out of memory\n", stderr);
    return rc;
}

int map_cli_emit_json(char *text)
{
    if (!text) {
        fputs("mapsolve: out of memory writing JSON\n", stderr);
        return MAP_ENOMEM;
    }
    fputs(text, stdout);
    map_free(text);
    return MAP_OK;
}
