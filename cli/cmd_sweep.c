/* cmd_sweep.c — the `sweep` and `sweeps` subcommands: option
 * parsing, signals, progress and the summary; the work is map_sweep_app.c's. */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "map_cli.h"
#include "map_export.h"
#include "map_output.h"
#include "map_sweep_app.h"

/* Exit status of a sweep stopped by SIGINT or SIGTERM (rows done are kept). */
#define MAP_EXIT_INTERRUPTED 130

static atomic_int cancel_flag;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&cancel_flag, 1);
}

/* ---- progress on a terminal -------------------------------------------- */

typedef struct progress {
    double t0, last;
    size_t first;
} progress;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void show_progress(void *ctx, size_t done, size_t total)
{
    progress *p = ctx;
    const double t = now();
    if (t - p->last < 0.1 && done < total)
        return;
    p->last = t;
    const double rate = (double)(done - p->first) / fmax(t - p->t0, 1e-9);
    const double eta = rate > 0.0 ? (double)(total - done) / rate : 0.0;
    const int width = 30, fill = total ? (int)((double)width * (double)done / (double)total) : width;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu  %.0f rows/s  ETA %.0f s ", fill,
            "==============================", width - fill, "", done, total, rate, eta);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ---- the command line as stored, and back ------------------------------ */

/* Appends word w to buf (after a space unless first), single-quoted unless
 * it is made only of [A-Za-z0-9_.,:=/+-]; a quote inside becomes '\''. */
static int quote_word(char *buf, size_t cap, size_t *len, const char *w)
{
    int plain = *w != '\0';
    size_t quotes = 0;
    for (const char *p = w; *p; p++) {
        plain &= strchr("_.,:=/+-", *p) != NULL || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                 (*p >= '0' && *p <= '9');
        quotes += *p == '\'';
    }
    const size_t need = strlen(w) + (plain ? 0 : 2 + 3 * quotes) + 1;
    if (*len + need + 1 > cap)
        return -1;
    if (*len)
        buf[(*len)++] = ' ';
    if (!plain)
        buf[(*len)++] = '\'';
    for (const char *p = w; *p; p++) {
        if (*p == '\'') {
            memcpy(buf + *len, "'\\''", 4);
            *len += 4;
        } else {
            buf[(*len)++] = *p;
        }
    }
    if (!plain)
        buf[(*len)++] = '\'';
    buf[*len] = '\0';
    return 0;
}

/* Splits a command stored by quote_word back into words, in place: *argv
 * gets up to cap pointers into s. Returns the count, or -1 if malformed. */
static int split_words(char *s, char **argv, int cap)
{
    int argc = 0;
    char *r = s, *w = s;
    while (*r) {
        while (*r == ' ')
            r++;
        if (!*r)
            break;
        if (argc == cap)
            return -1;
        argv[argc++] = w;
        while (*r && *r != ' ') {
            if (*r == '\'') {
                r++;
                while (*r && *r != '\'')
                    *w++ = *r++;
                if (*r != '\'')
                    return -1;
                r++;
            } else if (*r == '\\' && r[1]) {
                *w++ = r[1];
                r += 2;
            } else {
                *w++ = *r++;
            }
        }
        if (*r)
            r++;
        *w++ = '\0';
    }
    return argc;
}

/* ---- sweep -------------------------------------------------------------- */

typedef struct sweep_args {
    const char *db, *grid, *palettes, *kind, *values, *out, *normalize;
    long random, lambdas, threads, seed, resume;
    double scale;
    int json, store, margin;
} sweep_args;

/* Parses argv into *a; *done as map_cli_parse. pos[0] is the dataset name
 * (absent with --resume). */
static int parse_sweep(int argc, char **argv, sweep_args *a, const char **name, int *done)
{
    const map_opt opts[] = {
        {"grid", MAP_OPT_STRING, "SPEC", "grid VALUE=FROM:TO:STEPS,... (FROM/TO: number, mean, qNN)", NULL, 0,
         &a->grid, 0, 0, 0, 0, 0},
        {"random", MAP_OPT_LONG, "N", "N random palettes of --kind over --values", NULL, 0, &a->random, 0, 0, 0, 1,
         1000000000L},
        {"kind", MAP_OPT_STRING, "KIND", "aggressive (U(q80,max)) or conservative (U(mean,q70))",
         "conservative", 0, &a->kind, 0, 0, 0, 0, 0},
        {"values", MAP_OPT_STRING, "A,B,...", "the values of --random and --lambdas", NULL, 0, &a->values, 0, 0,
         0, 0, 0},
        {"palettes", MAP_OPT_STRING, "FILE", "CSV of palettes, one column per value ('-': stdin)", NULL, 0,
         &a->palettes, 0, 0, 0, 0, 0},
        {"lambdas", MAP_OPT_LONG, "N", "N random lambda = U(0,S)*Dirichlet(1,...,1) over --values", NULL, 0,
         &a->lambdas, 0, 0, 0, 1, 1000000000L},
        {"scale", MAP_OPT_DOUBLE, "S", "the S of --lambdas", "1", 0, &a->scale, 0.0, 1e300, 1, 0, 0},
        MAP_CLI_OPT_OUT("write the rows to FILE instead of stdout", NULL, &a->out),
        MAP_CLI_OPT_JSON("JSON Lines instead of CSV", &a->json),
        {"margin", MAP_OPT_FLAG, NULL, "compute each palette's scaled margin v* (an LP per palette)", NULL,
         0, &a->margin, 0, 0, 0, 0, 0},
        {"threads", MAP_OPT_LONG, "T", "worker threads (0: all cores)", "0", 0, &a->threads, 0, 0, 0, 0, 1024},
        {"seed", MAP_OPT_LONG, "S", "seed of --random and --lambdas", "1", 0, &a->seed, 0, 0, 0, 0, LONG_MAX},
        {"store", MAP_OPT_FLAG, NULL, "record the sweep in the database (see 'mapsolve sweeps')", NULL, 0,
         &a->store, 0, 0, 0, 0, 0},
        MAP_CLI_OPT_NORMALIZE(MAP_CLI_NORMALIZE_HELP, &a->normalize),
        {"resume", MAP_OPT_LONG, "ID", "finish the stored, interrupted sweep ID", NULL, 0, &a->resume, 0, 0, 0,
         1, LONG_MAX},
        MAP_CLI_OPT_DB(&a->db),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("sweep", 0, 1, opts);
    const char *pos[1] = {NULL};
    size_t npos = 0;
    const int rc = map_cli_parse(&spec, argc, argv, pos, &npos, done);
    *name = pos[0];
    return rc;
}

/* Fills *rq from the options of a new sweep (or of a stored command line)
 * on dataset name; *values (n names, free with map_args_list_free) holds
 * --values. Misuse: MAP_EUSAGE, naming the flag. */
static int request_from_args(const sweep_args *a, const char *name, map_sweep_request *rq,
                             char ***values, size_t *nvalues, map_error *err)
{
    if (!name)
        return map_error_set(err, MAP_EUSAGE, "missing the dataset NAME");
    const int nsources = !!a->grid + !!a->random + !!a->palettes + !!a->lambdas;
    if (nsources != 1)
        return map_error_set(err, MAP_EUSAGE, "give exactly one of --grid, --random, --palettes, --lambdas");
    memset(rq, 0, sizeof *rq);
    if (a->grid) {
        rq->source = MAP_SOURCE_GRID;
        rq->grid = a->grid;
    } else if (a->palettes) {
        rq->source = MAP_SOURCE_PALETTES;
        rq->palettes = a->palettes;
    } else {
        rq->source = a->random ? MAP_SOURCE_RANDOM : MAP_SOURCE_LAMBDAS;
        rq->count = (size_t)(a->random ? a->random : a->lambdas);
        if (!a->values)
            return map_error_set(err, MAP_EUSAGE, "--%s needs --values", a->random ? "random" : "lambdas");
        const int rc = map_args_split_list(a->values, "--values", values, nvalues, err);
        if (rc)
            return rc;
        rq->values = (const char *const *)*values;
        rq->k = *nvalues;
        rq->scale = a->scale;
        if (a->random) {
            const char *kind = a->kind ? a->kind : "conservative";
            if (map_sweep_kind_parse(kind, &rq->kind))
                return map_error_set(err, MAP_EUSAGE, "--kind must be aggressive or conservative, not '%s'",
                                     kind);
        }
    }
    map_normalize norm = MAP_NORMALIZE_GLOBAL;
    const int rc = map_cli_normalize(a->normalize, "sweep", &norm, NULL, err);
    if (rc)
        return rc;
    rq->per_prompt = norm == MAP_NORMALIZE_PROMPT;
    rq->want_margin = a->margin;
    rq->seed = (uint64_t)a->seed;
    return MAP_OK;
}

int map_cli_sweep(int argc, char **argv)
{
    sweep_args a = {0};
    a.scale = 1.0;
    a.seed = 1;
    const char *name = NULL;
    int done = 0;
    int rc = parse_sweep(argc, argv, &a, &name, &done);
    if (done)
        return rc;
    map_error err;
    map_error_clear(&err);
    map_store *st = NULL;
    map_store_sweep_info *info = NULL;
    char **words = NULL, *stored = NULL;
    char **values = NULL;
    size_t nvalues = 0;
    map_dataset *ds = NULL;
    FILE *out = NULL;
    map_table_writer *tw = NULL;
    map_sweep_outcome oc = {0};
    map_sweep_saved saved = {0};
    map_sweep_request rq = {0};
    int have_request = 0;
    int64_t id = 0;
    const sweep_args given = a; /* what this invocation itself asked for */

    if (a.resume) {
        /* Re-run the stored request, from the first missing row. */
        if (name || a.grid || a.random || a.palettes || a.lambdas || a.values) {
            rc = map_error_set(&err, MAP_EUSAGE, "--resume takes no dataset or source: they are the stored sweep's");
            goto end;
        }
        if ((rc = map_app_store_open(a.db, MAP_STORE_CREATE, NULL, &st, &err)) ||
            (rc = map_app_sweep_reopen(st, a.resume, &info, &saved, &have_request, &err)))
            goto end;
        if (info->complete) {
            fprintf(stderr, "mapsolve: sweep %" PRId64 " is already complete (%zu rows)\n", info->id,
                    info->total_rows);
            goto end;
        }
        id = info->id;
        if (have_request) {
            rq = saved.rq; /* continues from the first missing row, into the store */
            name = saved.dataset;
        } else {
            /* Stored before requests were (schema version 3): convert its
             * command line, parsed as it was run, into a request once. */
            stored = map_strdup(info->command);
            words = map_calloc(256, sizeof *words);
            if (!stored || !words) {
                rc = map_error_set(&err, MAP_ENOMEM, "out of memory");
                goto end;
            }
            const int nw = split_words(stored, words, 256);
            /* words[0] is "sweep": the stored command is the subcommand's argv. */
            if (nw < 1) {
                rc = map_error_set(&err, MAP_ESTORE, "sweep %" PRId64 " has an unreadable command line", info->id);
                goto end;
            }
            memset(&a, 0, sizeof a);
            a.scale = 1.0;
            a.seed = 1;
            rc = parse_sweep(nw - 1, words + 1, &a, &name, &done);
            if (done && rc)
                goto end_quiet; /* the parser said why */
            if (done || strcmp(words[0], "sweep") != 0) {
                rc = map_error_set(&err, MAP_ESTORE, "sweep %" PRId64 ": the stored command line is not a sweep",
                                   info->id);
                goto end;
            }
        }
        /* Output, threads and format are this invocation's. */
        a.out = given.out;
        a.json = given.json;
        a.threads = given.threads;
        a.db = given.db;
        a.resume = given.resume;
        a.store = 1;
    }
    if (!have_request && (rc = request_from_args(&a, name, &rq, &values, &nvalues, &err)))
        goto end;
    if (a.resume && rq.source == MAP_SOURCE_PALETTES && strcmp(rq.palettes, "-") == 0) {
        rc = map_error_set(&err, MAP_EUSAGE,
                           "sweep %" PRId64 " read its palettes from standard input: it cannot be resumed",
                           info->id);
        goto end;
    }
    rq.threads = (unsigned)a.threads;
    /* A sweep stored before requests were: record its request now, once. */
    if (a.resume && !have_request && (rc = map_app_sweep_set_request(st, id, &rq, name, &err)))
        goto end;
    /* The dataset: read-only unless the sweep is stored. */
    if (!st && (rc = map_app_store_open(a.db, a.store ? MAP_STORE_CREATE : MAP_STORE_READ, name, &st,
                                        &err)))
        goto end;
    if ((rc = map_app_load(st, name, rq.per_prompt ? MAP_LOAD_PROMPTS : 0, &ds, &err)))
        goto end;
    if (a.store && !a.resume) {
        /* Record the sweep before the first row: its request is what
         * --resume re-runs; its command line (this argv, quoted) is shown. */
        char cmd[8192];
        size_t len = 0;
        int ok = quote_word(cmd, sizeof cmd, &len, "sweep") == 0;
        for (int i = 0; i < argc && ok; i++)
            ok = quote_word(cmd, sizeof cmd, &len, argv[i]) == 0;
        if (!ok) {
            rc = map_error_set(&err, MAP_EUSAGE, "the command line is too long to store");
            goto end;
        }
        if ((rc = map_app_sweep_record(st, ds, &rq, cmd, &id, &err)))
            goto end;
        fprintf(stderr, "mapsolve: recording sweep %" PRId64 "\n", id);
    }
    if (a.resume && !have_request) {
        rq.start_row = info->next_row;
        rq.store = st;
        rq.store_id = id;
    }
    if ((rc = map_cli_out_open(a.out, &out, &err)))
        goto end;
    tw = map_table_writer_new(out, a.json ? 2 : 0);
    if (!tw) {
        rc = map_error_set(&err, MAP_ENOMEM, "out of memory");
        goto end;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    rq.cancel = &cancel_flag;
    progress pg = {now(), 0.0, rq.start_row};
    if (isatty(STDERR_FILENO)) {
        rq.on_progress = show_progress;
        rq.progress_ctx = &pg;
    }
    const map_table_sink sink = map_table_writer_sink(tw);
    rc = map_app_sweep(ds, &rq, &sink, &oc, &err);
    const int wrc = map_table_writer_finish(tw, rc ? NULL : &err);
    if (!rc)
        rc = wrc;
    if (rc)
        goto end;
    const map_sweep_summary *sm = &oc.summary;
    if ((rc = map_app_sweep_finish(&rq, &oc, &err)))
        goto end;
    /* Summary on stderr. */
    fprintf(stderr, "mapsolve: %zu rows in %.3f s (%.0f rows/s, %u threads)", sm->delivered, sm->seconds,
            sm->seconds > 0.0 ? (double)sm->delivered / sm->seconds : 0.0, sm->threads);
    if (rq.source == MAP_SOURCE_LAMBDAS) {
        fprintf(stderr, "; %zu improve on every chosen value\n", sm->improving);
    } else {
        static const map_solve_status order[] = {MAP_SOLVE_OPTIMAL, MAP_SOLVE_BOUNDARY, MAP_SOLVE_INFEASIBLE,
                                                 MAP_SOLVE_NOT_CONVERGED, MAP_SOLVE_STALLED};
        for (size_t i = 0; i < 5; i++)
            if (sm->status_count[order[i]])
                fprintf(stderr, "; %s %zu", map_solve_status_name(order[i]), sm->status_count[order[i]]);
        fprintf(stderr, "\nmapsolve: attainable with %zu values: %.4f of the palettes\n", oc.k,
                sm->delivered ? (double)sm->status_count[MAP_SOLVE_OPTIMAL] / (double)sm->delivered : 0.0);
    }
    if (sm->cancelled) {
        fprintf(stderr, "mapsolve: interrupted after row %zu of %zu", sm->next_row, oc.nrows);
        if (a.store)
            fprintf(stderr, "; resume with: mapsolve sweep --resume %" PRId64, id);
        fputc('\n', stderr);
        rc = MAP_EXIT_INTERRUPTED;
    }
    goto end_quiet;
end:
    if (rc)
        rc = map_cli_fail(&err, "sweep");
end_quiet:
    if (map_cli_out_close(out, rc, &err) != rc) /* a write error on --out */
        rc = map_cli_fail(&err, "sweep");
    map_table_writer_free(tw);
    map_sweep_outcome_free(&oc);
    map_dataset_free(ds);
    map_args_list_free(values);
    map_free(words);
    map_free(stored);
    map_sweep_saved_free(&saved);
    map_store_sweep_info_free(info, info ? 1 : 0);
    map_store_close(st);
    return rc;
}

/* ---- sweeps ------------------------------------------------------------- */

int map_cli_sweeps(map_cli_cmd *c)
{
    map_store *st = NULL;
    const map_sweeps_request rq = {c->pos[0]};
    map_sweeps_result res = {0};
    int rc = map_app_store_open(c->db, MAP_STORE_READ, NULL, &st, &c->err);
    if (!rc)
        rc = map_app_sweeps(st, &rq, &res, &c->err);
    const map_store_sweep_info *info = res.info;
    const size_t count = res.count;
    if (rc) {
        map_store_close(st);
        return map_cli_fail(&c->err, "sweeps");
    }
    map_table_writer *tw = c->json ? map_table_writer_new(stdout, 1) : NULL;
    if (c->json && !tw)
        rc = map_error_set(&c->err, MAP_ENOMEM, "out of memory");
    static const char *const names[] = {"id", "dataset", "source", "rows", "total_rows", "complete", "created",
                                        "seed", "command"};
    map_table_sink sink = tw ? map_table_writer_sink(tw) : (map_table_sink){0};
    if (!rc && tw)
        rc = sink.header(sink.ctx, 9, names, &c->err);
    if (!c->json && count)
        printf("%4s  %-16s  %-8s  %21s  %-8s  %-20s  %s\n", "id", "dataset", "source", "rows stored/total",
               "complete", "created", "command");
    for (size_t i = 0; i < count && !rc; i++) {
        char when[32];
        const time_t t = (time_t)info[i].created;
        struct tm tmv;
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tmv));
        if (!c->json) {
            printf("%4" PRId64 "  %-16s  %-8s  %10zu/%-10zu  %-8s  %-20s  mapsolve %s\n", info[i].id,
                   info[i].dataset, info[i].source, info[i].stored_rows, info[i].total_rows,
                   info[i].complete ? "yes" : "no", when, info[i].command);
            continue;
        }
        const map_cell cells[9] = {
            {MAP_CELL_COUNT, 0.0, (size_t)info[i].id, NULL},
            {MAP_CELL_TEXT, 0.0, 0, info[i].dataset},
            {MAP_CELL_TEXT, 0.0, 0, info[i].source},
            {MAP_CELL_COUNT, 0.0, info[i].stored_rows, NULL},
            {MAP_CELL_COUNT, 0.0, info[i].total_rows, NULL},
            {MAP_CELL_TEXT, 0.0, 0, info[i].complete ? "yes" : "no"},
            {MAP_CELL_TEXT, 0.0, 0, when},
            {MAP_CELL_COUNT, 0.0, (size_t)info[i].seed, NULL},
            {MAP_CELL_TEXT, 0.0, 0, info[i].command},
        };
        rc = sink.row(sink.ctx, cells, &c->err);
    }
    if (!c->json && count == 0)
        fputs("mapsolve: no sweeps stored\n", stderr);
    if (tw) {
        const int frc = map_table_writer_finish(tw, rc ? NULL : &c->err);
        if (!rc)
            rc = frc;
    }
    map_table_writer_free(tw);
    map_sweeps_result_free(&res);
    map_store_close(st);
    return rc ? map_cli_fail(&c->err, "sweeps") : MAP_OK;
}
