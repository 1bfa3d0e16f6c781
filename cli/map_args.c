/* map_args.c — the shared subcommand option parser and its --help printer. */
#include "map_args.h"

#include <assert.h>
#include <math.h>
#include <string.h>

static const map_opt *find_opt(const map_cmd_spec *spec, const char *name, size_t len)
{
    for (size_t i = 0; i < spec->nopts; i++)
        if (strlen(spec->opts[i].name) == len && strncmp(spec->opts[i].name, name, len) == 0)
            return &spec->opts[i];
    return NULL;
}

static void range_text(const map_opt *o, char *buf, size_t size)
{
    if (o->type == MAP_OPT_LONG)
        snprintf(buf, size, "an integer in [%ld, %ld]", o->lmin, o->lmax);
    else
        snprintf(buf, size, "a number in %c%g, %g]", o->min_open ? '(' : '[', o->dmin, o->dmax);
}

/* Stores the value text of option o; the range check names the option. */
static int set_value(const map_cmd_spec *spec, const map_opt *o, const char *text, map_error *err)
{
    char range[96];
    switch (o->type) {
    case MAP_OPT_FLAG:
        *(int *)o->dest = 1;
        return MAP_OK;
    case MAP_OPT_STRING:
        *(const char **)o->dest = text;
        return MAP_OK;
    case MAP_OPT_DOUBLE: {
        double v = 0.0;
        const int bad = map_parse_double(text, &v) != 0 || v > o->dmax || v < o->dmin ||
                        (o->min_open && v == o->dmin);
        if (bad) {
            range_text(o, range, sizeof range);
            return map_error_set(err, MAP_EUSAGE, "%s: invalid value '%s' for --%s: expected %s",
                                 spec->name, text, o->name, range);
        }
        *(double *)o->dest = v;
        return MAP_OK;
    }
    case MAP_OPT_LONG: {
        long v = 0;
        if (map_parse_long(text, o->lmin, o->lmax, &v) != 0) {
            range_text(o, range, sizeof range);
            return map_error_set(err, MAP_EUSAGE, "%s: invalid value '%s' for --%s: expected %s",
                                 spec->name, text, o->name, range);
        }
        *(long *)o->dest = v;
        return MAP_OK;
    }
    }
    return map_error_set(err, MAP_ENOMEM, "%s: option --%s has an unknown type", spec->name,
                         o->name);
}

int map_args_parse(const map_cmd_spec *spec, int argc, char *const *argv, const char **pos,
                   size_t *npos, map_error *err)
{
    assert(spec->nopts <= 64);
    unsigned long long seen = 0;
    int only_pos = 0;
    *npos = 0;
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a];
        const int is_option = !only_pos && arg[0] == '-' && arg[1] != '\0';
        if (!is_option) {
            if (*npos >= spec->max_pos)
                return map_error_set(err, MAP_EUSAGE, "%s: unexpected argument '%s'", spec->name,
                                     arg);
            pos[(*npos)++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return MAP_ARGS_HELP;
        if (arg[1] != '-')
            return map_error_set(err, MAP_EUSAGE, "%s: unknown option '%s'", spec->name, arg);
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        const size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const map_opt *o = find_opt(spec, name, len);
        if (!o)
            return map_error_set(err, MAP_EUSAGE, "%s: unknown option '--%.*s'", spec->name,
                                 (int)len, name);
        seen |= 1ull << (size_t)(o - spec->opts);
        const char *value = NULL;
        if (o->type == MAP_OPT_FLAG) {
            if (eq)
                return map_error_set(err, MAP_EUSAGE, "%s: option --%s takes no value",
                                     spec->name, o->name);
        } else if (eq) {
            value = eq + 1;
        } else {
            if (a + 1 >= argc)
                return map_error_set(err, MAP_EUSAGE, "%s: option --%s needs a value (%s)",
                                     spec->name, o->name, o->metavar ? o->metavar : "VALUE");
            value = argv[++a];
        }
        const int rc = set_value(spec, o, value, err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < spec->nopts; i++)
        if (spec->opts[i].required && !(seen & (1ull << i)))
            return map_error_set(err, MAP_EUSAGE, "%s: missing required option --%s %s",
                                 spec->name, spec->opts[i].name,
                                 spec->opts[i].metavar ? spec->opts[i].metavar : "");
    if (*npos < spec->min_pos)
        return map_error_set(err, MAP_EUSAGE, "%s: missing argument (usage: mapsolve %s)",
                             spec->name, spec->usage);
    return MAP_OK;
}

void map_args_exit_codes(FILE *out)
{
    fputs("Exit status:\n"
          "  0  success (solve, adjust: the final solve is optimal; feasible: attainable)\n"
          "  1  the palette is not attained (solve, adjust: infeasible, boundary,\n"
          "     not_converged, stalled; feasible: boundary or infeasible)\n"
          "  2  usage error: unknown subcommand or option, missing argument, unknown dataset\n"
          "  3  bad input data or palette\n"
          "  4  the SQLite store failed or is unusable\n"
          "  5  out of memory or another internal failure\n",
          out);
}

void map_args_help(const map_cmd_spec *spec, FILE *out)
{
    fprintf(out, "Usage: mapsolve %s\n", spec->usage);
    if (spec->description)
        fprintf(out, "\n%s\n", spec->description);
    size_t width = 0;
    char left[128];
    for (size_t i = 0; i <= spec->nopts; i++) {
        const map_opt *o = i < spec->nopts ? &spec->opts[i] : NULL;
        const int len = o ? snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "",
                                     o->metavar ? o->metavar : "")
                          : (int)strlen("-h, --help");
        if (len > 0 && (size_t)len > width)
            width = (size_t)len;
    }
    fputs("\nOptions:\n", out);
    for (size_t i = 0; i < spec->nopts; i++) {
        const map_opt *o = &spec->opts[i];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        fprintf(out, "  %-*s  %s", (int)width, left, o->help);
        if (o->required)
            fputs(" (required)", out);
        if (o->defval)
            fprintf(out, " (default: %s)", o->defval);
        fputc('\n', out);
    }
    fprintf(out, "  %-*s  %s\n", (int)width, "-h, --help", "print this help and exit");
    if (spec->notes)
        fprintf(out, "\n%s\n", spec->notes);
    fputc('\n', out);
    map_args_exit_codes(out);
}

int map_args_split_list(const char *s, const char *what, char ***out, size_t *count,
                        map_error *err)
{
    *out = NULL;
    *count = 0;
    size_t k = 1;
    for (const char *p = s; *p; p++)
        k += *p == ',';
    const size_t len = strlen(s);
    /* One block: k + 1 pointers, then a copy of s cut at the commas. */
    char **list = map_malloc((k + 1) * sizeof *list + len + 1);
    if (!list)
        return map_error_set(err, MAP_ENOMEM, "out of memory reading %s", what);
    char *copy = (char *)(list + k + 1);
    memcpy(copy, s, len + 1);
    size_t i = 0;
    for (char *start = copy;;) {
        char *comma = strchr(start, ',');
        if (comma)
            *comma = '\0';
        if (*start == '\0') {
            map_free(list);
            return map_error_set(err, MAP_EUSAGE, "%s: empty name in the list '%s' (item %zu)",
                                 what, s, i + 1);
        }
        list[i++] = start;
        if (!comma)
            break;
        start = comma + 1;
    }
    assert(i == k);
    list[k] = NULL;
    *out = list;
    *count = k;
    return MAP_OK;
}

void map_args_list_free(char **list) { map_free(list); }
