/* fuzz_args.c — fuzz target for the command-line parser (map_args_parse,
 * map_args_split_list, map_args_help).
 *
 * The input is split at newlines into at most 64 words (a NUL inside a word
 * ends it, as in a real argv) and parsed against two option tables that use
 * every option type: one like `solve` (one positional, a required option)
 * and one with no positionals. Each word also goes through the list
 * splitter.
 *
 * Invariants:
 *   - MAP_OK: the positional count is within the table's bounds, each
 *     positional is a word of argv that is not an option (or came after
 *     `--`, or is "-"), every required option was given, and every number
 *     stored is finite and within its option's range;
 *   - MAP_ARGS_HELP only when -h or --help is one of the words;
 *   - MAP_EUSAGE with a message that starts with the subcommand's name;
 *   - the list splitter returns the comma-separated items, none empty, that
 *     join back to the word, or MAP_EUSAGE exactly when an item is empty;
 *     with an allocation failure injected, MAP_ENOMEM and nothing leaked.
 */
#include <math.h>

#include "fuzz_common.h"
#include "map_args.h"

#define FUZZ_MAX_WORDS 64

typedef struct fuzz_dest {
    int flag;
    const char *name, *db, *palette;
    double tol, inset;
    long iter, points;
} fuzz_dest;

static void preset(fuzz_dest *d)
{
    memset(d, 0, sizeof *d);
    d->tol = 1e-10;
    d->inset = 1e-3;
    d->iter = 100;
    d->points = 0;
}

static int is_word(const char *p, char *const *argv, int argc)
{
    for (int i = 0; i < argc; i++)
        if (argv[i] == p)
            return 1;
    return 0;
}

static void check_parse(const map_cmd_spec *spec, int argc, char *const *argv)
{
    const char *pos[4] = {NULL, NULL, NULL, NULL};
    size_t npos = 99;
    map_error err;
    map_error_clear(&err);
    const int rc = map_args_parse(spec, argc, argv, pos, &npos, &err);
    /* Whether -h/--help or `--` occur at all (either may also be an
     * option's value). */
    int help_seen = 0, dashdash = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            dashdash = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            help_seen = 1;
    }
    if (rc == MAP_ARGS_HELP) {
        FUZZ_ASSERT(help_seen, "help without -h or --help");
        return;
    }
    if (rc != MAP_OK) {
        const size_t nl = strlen(spec->name);
        FUZZ_ASSERT(rc == MAP_EUSAGE && err.code == rc && strncmp(err.msg, spec->name, nl) == 0 &&
                        strncmp(err.msg + nl, ": ", 2) == 0,
                    "status %d, message '%s'", rc, err.msg);
        return;
    }
    FUZZ_ASSERT(npos >= spec->min_pos && npos <= spec->max_pos, "%zu positionals", npos);
    for (size_t i = 0; i < npos; i++)
        FUZZ_ASSERT(is_word(pos[i], argv, argc) &&
                        (pos[i][0] != '-' || pos[i][1] == '\0' || dashdash),
                    "positional '%s'", pos[i]);
    for (size_t i = 0; i < spec->nopts; i++) {
        const map_opt *o = &spec->opts[i];
        if (o->type == MAP_OPT_STRING) {
            const char *v = *(const char *const *)o->dest;
            FUZZ_ASSERT(!o->required || v != NULL, "--%s required", o->name);
            int inside = v == NULL;
            for (int a = 0; a < argc && !inside; a++)
                inside = v >= argv[a] && v <= argv[a] + strlen(argv[a]);
            FUZZ_ASSERT(inside, "--%s does not point into argv", o->name);
        } else if (o->type == MAP_OPT_DOUBLE) {
            const double v = *(const double *)o->dest;
            FUZZ_ASSERT(isfinite(v) && v >= o->dmin && v <= o->dmax &&
                            !(o->min_open && v == o->dmin),
                        "--%s = %g", o->name, v);
        } else if (o->type == MAP_OPT_LONG) {
            const long v = *(const long *)o->dest;
            FUZZ_ASSERT(v >= o->lmin && v <= o->lmax, "--%s = %ld", o->name, v);
        }
    }
}

static void check_split(const char *word, long budget)
{
    char **list = NULL;
    size_t count = 0;
    map_error err;
    map_error_clear(&err);
    const int rc = map_args_split_list(word, "--values", &list, &count, &err);
    const size_t len = strlen(word);
    size_t commas = 0;
    int empty_item = len == 0 || word[0] == ',' || word[len - 1] == ',';
    for (const char *p = word; *p; p++) {
        commas += *p == ',';
        if (p[0] == ',' && p[1] == ',')
            empty_item = 1;
    }
    if (rc == MAP_OK) {
        FUZZ_ASSERT(!empty_item && count == commas + 1 && list[count] == NULL, "split '%s': %zu",
                    word, count);
        size_t off = 0;
        for (size_t i = 0; i < count; i++) {
            const size_t l = strlen(list[i]);
            FUZZ_ASSERT(l > 0 && strncmp(word + off, list[i], l) == 0 &&
                            word[off + l] == (i + 1 < count ? ',' : '\0'),
                        "split '%s': item %zu '%s'", word, i, list[i]);
            off += l + 1;
        }
    } else {
        FUZZ_ASSERT(rc == MAP_EUSAGE && empty_item && list == NULL &&
                        strncmp(err.msg, "--values: ", 10) == 0,
                    "split '%s': status %d '%s'", word, rc, err.msg);
    }
    map_args_list_free(list);

    map_alloc_fail_after(budget);
    list = NULL;
    const int orc = map_args_split_list(word, "--values", &list, &count, &err);
    map_alloc_fail_after(-1);
    FUZZ_ASSERT(orc == rc || (orc == MAP_ENOMEM && list == NULL), "split '%s' injected: %d vs %d",
                word, orc, rc);
    map_args_list_free(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char *buf = malloc(size + 1);
    FUZZ_ASSERT(buf != NULL, "out of memory");
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[FUZZ_MAX_WORDS + 1];
    int argc = 0;
    for (char *p = buf; argc < FUZZ_MAX_WORDS && p <= buf + size;) {
        char *nl = memchr(p, '\n', (size_t)(buf + size - p));
        if (nl)
            *nl = '\0';
        argv[argc++] = p;
        if (!nl)
            break;
        p = nl + 1;
    }
    if (size == 0)
        argc = 0;
    argv[argc] = NULL;

    fuzz_dest d;
    const map_opt opts[] = {
        {"palette", MAP_OPT_STRING, "SPEC", "targets", NULL, 1, &d.palette, 0, 0, 0, 0, 0},
        {"name", MAP_OPT_STRING, "NAME", "a name", NULL, 0, &d.name, 0, 0, 0, 0, 0},
        {"json", MAP_OPT_FLAG, NULL, "JSON output", NULL, 0, &d.flag, 0, 0, 0, 0, 0},
        {"tol", MAP_OPT_DOUBLE, "T", "tolerance", "1e-10", 0, &d.tol, 0.0, 1.0, 1, 0, 0},
        {"inset", MAP_OPT_DOUBLE, "F", "inset", "0.001", 0, &d.inset, 0.0, 0.999999, 0, 0, 0},
        {"max-iter", MAP_OPT_LONG, "N", "iterations", "100", 0, &d.iter, 0, 0, 0, 1, 1000000},
        {"points", MAP_OPT_LONG, "N", "points", "0", 0, &d.points, 0, 0, 0, -5, 9},
        {"db", MAP_OPT_STRING, "PATH", "database", NULL, 0, &d.db, 0, 0, 0, 0, 0},
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    const map_cmd_spec solve = {"solve", 1, 1, opts, nopts, "solve NAME --palette SPEC",
                                "Fuzzed.", "notes"};
    const map_cmd_spec list = {"datasets", 0, 0, opts + 1, nopts - 1, "datasets", "Fuzzed.",
                               NULL};
    const map_cmd_spec many = {"frontier", 2, 3, opts + 1, nopts - 1, "frontier A B C",
                               "Fuzzed.", NULL};
    const map_cmd_spec *specs[] = {&solve, &list, &many};
    for (size_t s = 0; s < 3; s++) {
        preset(&d);
        check_parse(specs[s], argc, argv);
    }
    const long budget = (long)(fuzz_hash(data, size) % 3u);
    for (int i = 0; i < argc; i++)
        check_split(argv[i], budget);

    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    if (sink && argc > 0 && argv[0][0] == 'h')
        map_args_help(&solve, sink);
    free(buf);
    return 0;
}
