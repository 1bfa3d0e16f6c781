/* test_args.c — the shared subcommand option parser: both option forms,
 * flags, positionals, "--", ranges, required options, --help, and the
 * comma-separated list splitter. */
#include <stdarg.h>
#include <string.h>

#include "map_args.h"
#include "map_test.h"

static const char *s_name;
static int s_flag;
static double s_tol;
static long s_iter;

static const map_opt OPTS[] = {
    {"name", MAP_OPT_STRING, "NAME", "a name", NULL, 1, &s_name, 0, 0, 0, 0, 0},
    {"json", MAP_OPT_FLAG, NULL, "a flag", NULL, 0, &s_flag, 0, 0, 0, 0, 0},
    {"tol", MAP_OPT_DOUBLE, "T", "a tolerance", "1e-10", 0, &s_tol, 0.0, 1.0, 1, 0, 0},
    {"max-iter", MAP_OPT_LONG, "N", "a count", "100", 0, &s_iter, 0, 0, 0, 1, 1000},
};
static const map_cmd_spec SPEC = {"demo", 1, 2, OPTS, sizeof OPTS / sizeof OPTS[0],
                                  "demo FILE [FILE] --name NAME", "A demo.", "Notes."};

/* Runs the parser on a NULL-terminated word list. */
static int run(const char **pos, size_t *npos, map_error *err, ...)
{
    char *words[16];
    int argc = 0;
    va_list ap;
    va_start(ap, err);
    for (const char *w; (w = va_arg(ap, const char *)) != NULL && argc < 16;)
        words[argc++] = (char *)w;
    va_end(ap);
    s_name = NULL;
    s_flag = 0;
    s_tol = 1e-10;
    s_iter = 100;
    map_error_clear(err);
    return map_args_parse(&SPEC, argc, words, pos, npos, err);
}

static void test_forms(void)
{
    const char *pos[2];
    size_t npos = 0;
    map_error err;
    int rc = run(pos, &npos, &err, "f.csv", "--name", "x", "--json", "--tol=1e-6", "--max-iter",
                 "7", "g.csv", NULL);
    MAP_CHECK(rc == MAP_OK, "rc %d: %s", rc, err.msg);
    MAP_CHECK(npos == 2 && strcmp(pos[0], "f.csv") == 0 && strcmp(pos[1], "g.csv") == 0, "pos");
    MAP_CHECK(s_name && strcmp(s_name, "x") == 0, "name");
    MAP_CHECK(s_flag == 1 && s_tol == 1e-6 && s_iter == 7, "values");

    rc = run(pos, &npos, &err, "--name=a=b", "--", "--json", NULL);
    MAP_CHECK(rc == MAP_OK && npos == 1 && strcmp(pos[0], "--json") == 0 && !s_flag, "--");
    MAP_CHECK(strcmp(s_name, "a=b") == 0, "value with '='");

    rc = run(pos, &npos, &err, "-", "--name", "-x", NULL);
    MAP_CHECK(rc == MAP_OK && npos == 1 && strcmp(pos[0], "-") == 0, "'-' is positional");
    MAP_CHECK(strcmp(s_name, "-x") == 0, "value may start with '-'");

    rc = run(pos, &npos, &err, "f", "--name", "", NULL);
    MAP_CHECK(rc == MAP_OK && s_name && *s_name == '\0', "empty value is the command's business");
}

static void expect(int rc, const map_error *err, int code, const char *frag)
{
    MAP_CHECK(rc == code, "rc %d, expected %d (%s)", rc, code, err->msg);
    if (frag)
        MAP_CHECK(strstr(err->msg, frag) != NULL, "message '%s' lacks '%s'", err->msg, frag);
}

static void test_errors(void)
{
    const char *pos[2];
    size_t npos = 0;
    map_error err;
    expect(run(pos, &npos, &err, "f", "--name", "x", "--bogus", NULL), &err, MAP_EUSAGE,
           "unknown option '--bogus'");
    expect(run(pos, &npos, &err, "f", "--name", "x", "--bogus=3", NULL), &err, MAP_EUSAGE,
           "'--bogus'");
    expect(run(pos, &npos, &err, "f", "--name", "x", "-q", NULL), &err, MAP_EUSAGE, "'-q'");
    expect(run(pos, &npos, &err, "f", "--name", NULL), &err, MAP_EUSAGE, "--name needs a value");
    expect(run(pos, &npos, &err, "f", NULL), &err, MAP_EUSAGE, "missing required option --name");
    expect(run(pos, &npos, &err, "--name", "x", NULL), &err, MAP_EUSAGE, "missing argument");
    expect(run(pos, &npos, &err, "a", "b", "c", "--name", "x", NULL), &err, MAP_EUSAGE,
           "unexpected argument 'c'");
    expect(run(pos, &npos, &err, "f", "--name", "x", "--json=1", NULL), &err, MAP_EUSAGE,
           "takes no value");
    expect(run(pos, &npos, &err, "f", "--name", "x", "--tol", "0", NULL), &err, MAP_EUSAGE,
           "--tol");
    expect(run(pos, &npos, &err, "f", "--name", "x", "--tol", "2", NULL), &err, MAP_EUSAGE,
           "(0, 1]");
    expect(run(pos, &npos, &err, "f", "--name", "x", "--tol", "abc", NULL), &err, MAP_EUSAGE,
           "'abc'");
    expect(run(pos, &npos, &err, "f", "--name", "x", "--tol=nan", NULL), &err, MAP_EUSAGE,
           "--tol");
    expect(run(pos, &npos, &err, "f", "--name", "x", "--max-iter", "0", NULL), &err, MAP_EUSAGE,
           "[1, 1000]");
    expect(run(pos, &npos, &err, "f", "--name", "x", "--max-iter", "2.5", NULL), &err,
           MAP_EUSAGE, "--max-iter");
    expect(run(pos, &npos, &err, "f", "--name", "x", "--max-iter=99999999999999999999", NULL),
           &err, MAP_EUSAGE, "--max-iter");
    expect(run(pos, &npos, &err, "f", "-h", "--bogus", NULL), &err, MAP_ARGS_HELP, NULL);
    expect(run(pos, &npos, &err, "--help", NULL), &err, MAP_ARGS_HELP, NULL);
}

static void test_help(void)
{
    FILE *f = tmpfile();
    if (!f)
        return;
    map_args_help(&SPEC, f);
    char buf[4096];
    rewind(f);
    const size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = '\0';
    fclose(f);
    MAP_CHECK(strstr(buf, "Usage: mapsolve demo FILE") != NULL, "usage line");
    MAP_CHECK(strstr(buf, "--tol T") != NULL && strstr(buf, "(default: 1e-10)") != NULL, "tol");
    MAP_CHECK(strstr(buf, "(required)") != NULL, "required");
    MAP_CHECK(strstr(buf, "Exit status") != NULL && strstr(buf, "  4  ") != NULL, "exit codes");
}

static void test_lists(void)
{
    map_error err;
    char **list = NULL;
    size_t count = 0;
    MAP_CHECK(map_args_split_list("a,b-c,d", "--values", &list, &count, &err) == MAP_OK, "split");
    MAP_CHECK(count == 3 && strcmp(list[0], "a") == 0 && strcmp(list[1], "b-c") == 0 &&
                  strcmp(list[2], "d") == 0 && list[3] == NULL,
              "items");
    map_args_list_free(list);
    MAP_CHECK(map_args_split_list("one", "--values", &list, &count, &err) == MAP_OK && count == 1,
              "single");
    map_args_list_free(list);
    static const char *const bad[] = {"", ",", "a,", ",a", "a,,b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        map_error_clear(&err);
        const int rc = map_args_split_list(bad[i], "--values", &list, &count, &err);
        MAP_CHECK(rc == MAP_EUSAGE && list == NULL && strstr(err.msg, "--values"),
                  "'%s': rc %d (%s)", bad[i], rc, err.msg);
    }
    map_args_list_free(NULL);
}

int main(void)
{
    MAP_RUN(test_forms);
    MAP_RUN(test_errors);
    MAP_RUN(test_help);
    MAP_RUN(test_lists);
    return map_test_finish();
}
