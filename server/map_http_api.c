/* map_http_api.c — the JSON endpoints of the HTTP service: each decodes
 * its body (map_http_request.h), acquires the dataset from the shared
 * cache, calls the application layer and renders the result with
 * render/map_output.h, so that the documents are the CLI's --json ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_output.h"
#include "map_server_internal.h"

#ifndef MAPSOLVE_VERSION
#define MAPSOLVE_VERSION "unknown"
#endif

int map_http_json_answer(map_http_answer *a, unsigned status, char *text)
{
    if (!text)
        return map_http_problem_answer(a, MAP_PROBLEM_INTERNAL, "out of memory", NULL);
    a->status = status;
    a->content_type = "application/json";
    a->body = text;
    a->len = strlen(text);
    return 0;
}

int map_http_problem_answer(map_http_answer *a, map_problem_type t, const char *detail,
                            const char *field)
{
    map_free(a->body);
    a->body = map_problem_json(t, detail, field);
    a->status = map_problem_status(t);
    a->content_type = "application/problem+json";
    a->len = a->body ? strlen(a->body) : 0;
    if (!a->body)
        a->status = 500;
    return 0;
}

int map_http_fail_answer(map_http_answer *a, const map_http_fail *fail)
{
    return map_http_problem_answer(
        a, fail->malformed ? MAP_PROBLEM_MALFORMED_JSON : MAP_PROBLEM_BAD_FIELD, fail->msg,
        fail->field);
}

int map_api_error(map_http_answer *a, const map_error *err, const char *default_field)
{
    const char *msg = err->msg[0] ? err->msg : "unknown error";
    char field[MAP_ERRFIELD_MAX + 1];
    snprintf(field, sizeof field, "/%s", err->field); /* the request's names are the library's */
    switch (err->code) {
    case MAP_EUSAGE:
    case MAP_EDATA:
        return map_http_problem_answer(a, MAP_PROBLEM_BAD_FIELD, msg,
                                       err->field[0] ? field : default_field);
    default:
        return map_http_problem_answer(a, MAP_PROBLEM_INTERNAL, msg, NULL);
    }
}

int map_api_health(map_server *s, map_http_answer *a)
{
    size_t held = 0, loads = 0, active = 0;
    map_dataset_cache_counts(s->cache, &held, &loads);
    pthread_mutex_lock(&s->sweep_lock);
    active = s->sweeps_active;
    pthread_mutex_unlock(&s->sweep_lock);
    char *text = map_malloc(512);
    if (text)
        snprintf(text, 512,
                 "{\"status\":\"ok\",\"version\":\"%s\",\"datasets_held\":%zu,"
                 "\"dataset_loads\":%zu,\"requests\":%zu,\"sweeps_active\":%zu,"
                 "\"sweeps_started\":%zu,\"sweeps_completed\":%zu,\"sweeps_cancelled\":%zu,"
                 "\"sweeps_blocked\":%zu,\"sweep_buffer_peak\":%zu}\n",
                 MAPSOLVE_VERSION, held, loads, atomic_load(&s->requests), active,
                 atomic_load(&s->sweeps_started), atomic_load(&s->sweeps_completed),
                 atomic_load(&s->sweeps_cancelled), atomic_load(&s->sweeps_blocked),
                 atomic_load(&s->sweep_buffer_peak));
    return map_http_json_answer(a, 200, text);
}

int map_api_datasets(map_server *s, map_http_answer *a)
{
    map_error err;
    map_error_clear(&err);
    map_store *st = NULL;
    map_datasets_result res = {0};
    int rc = map_dataset_cache_store(s->cache, &st, &err);
    if (!rc)
        rc = map_app_datasets(st, &res, &err);
    if (rc)
        return map_api_error(a, &err, NULL);
    map_http_json_answer(a, 200, map_json_datasets(res.info, res.count));
    map_datasets_result_free(&res);
    return 0;
}

int map_api_acquire(map_server *s, const char *name, int prompts, map_cached_dataset **h,
                    map_http_answer *a)
{
    map_error err;
    map_error_clear(&err);
    const int rc = map_dataset_cache_acquire(s->cache, name, prompts, h, &err);
    if (rc == MAP_EUSAGE)
        map_http_problem_answer(a, MAP_PROBLEM_UNKNOWN_DATASET, err.msg, "/dataset");
    else if (rc)
        map_api_error(a, &err, NULL);
    return rc;
}

int map_api_describe(map_server *s, const char *name, map_http_answer *a)
{
    map_cached_dataset *h = NULL;
    if (map_api_acquire(s, name, 0, &h, a))
        return 0;
    const map_dataset *ds = h->ds;
    map_error err;
    map_error_clear(&err);
    map_value_summary *sum = NULL;
    if (map_app_describe(ds, &sum, &err))
        map_api_error(a, &err, NULL);
    else
        map_http_json_answer(a, 200,
                             map_json_describe_prec(ds->name, ds->n, ds->precision, sum, ds->m));
    map_free(sum);
    map_dataset_cache_release(s->cache, h);
    return 0;
}

/* A table (frontier, region) rendered into memory as the CLI renders it to
 * a file: a JSON array of row objects, or CSV. */
typedef struct mem_table {
    char *buf;
    size_t len;
    FILE *f;
    map_table_writer *w;
    map_table_sink sink;
} mem_table;

static int table_open(mem_table *t, int csv)
{
    memset(t, 0, sizeof *t);
    if (!(t->f = open_memstream(&t->buf, &t->len)))
        return -1;
    if (!(t->w = map_table_writer_new(t->f, csv ? 0 : 1)))
        return -1;
    t->sink = map_table_writer_sink(t->w);
    return 0;
}

/* Finishes the table into an answer (rc: the app's status), frees it. */
static void table_close(mem_table *t, int rc, map_error *err, int csv, const char *field,
                        map_http_answer *a)
{
    if (!rc && t->w)
        rc = map_table_writer_finish(t->w, err);
    map_table_writer_free(t->w);
    if (t->f && fclose(t->f) != 0 && !rc)
        rc = map_error_set(err, MAP_ENOMEM, "out of memory");
    if (rc) {
        free(t->buf);
        map_api_error(a, err, field);
        return;
    }
    char *body = map_memstream_take(t->buf, t->len);
    if (!body) {
        map_http_problem_answer(a, MAP_PROBLEM_INTERNAL, "out of memory", NULL);
        return;
    }
    a->status = 200;
    a->content_type = csv ? "text/csv; charset=utf-8" : "application/json";
    a->body = body;
    a->len = t->len;
}

/* What solve, feasible, adjust and histogram ask the library: the solve's
 * own parameters, and the verdict's (margin) where verdict is set, else
 * the verdict's defaults. */
static map_solve_request solve_request(const map_http_request *rq, int verdict)
{
    const map_solve_request srq = {rq->palette, rq->so, &rq->par, verdict ? &rq->fp : NULL};
    return srq;
}

/* The endpoints answered with one document (doc_endpoints): each runs its
 * application function on rq and renders the report as the CLI's --json
 * does into *doc (NULL: out of memory). They return the application's
 * status, with err filled when it is not 0. */
typedef int doc_endpoint(const map_dataset *ds, const map_http_request *rq, char **doc,
                         map_error *err);

static int solve_doc(const map_dataset *ds, const map_http_request *rq, char **doc,
                     map_error *err)
{
    const map_solve_request srq = solve_request(rq, 1);
    map_solve_report *rep = NULL;
    const int rc = map_app_solve(ds, &srq, &rep, err);
    *doc = rc ? NULL : map_json_solve(rep);
    map_solve_report_free(rep);
    return rc;
}

static int feasible_doc(const map_dataset *ds, const map_http_request *rq, char **doc,
                        map_error *err)
{
    const map_solve_request srq = solve_request(rq, 0);
    map_feasible_report *rep = NULL;
    const int rc = map_app_feasible(ds, &srq, &rep, err);
    *doc = rc ? NULL : map_json_feasible(rep);
    map_feasible_report_free(rep);
    return rc;
}

static int adjust_doc(const map_dataset *ds, const map_http_request *rq, char **doc,
                      map_error *err)
{
    const map_adjust_request arq = {solve_request(rq, 0), rq->ao};
    map_adjust_report *rep = NULL;
    const int rc = map_app_adjust(ds, &arq, &rep, err);
    *doc = rc ? NULL : map_json_adjust(rep);
    map_adjust_report_free(rep);
    return rc;
}

/* value and bins errors name their field (err->field). */
static int histogram_doc(const map_dataset *ds, const map_http_request *rq, char **doc,
                         map_error *err)
{
    const map_solve_request srq = solve_request(rq, 1);
    map_histogram_report *rep = NULL;
    const int rc = map_app_histogram(ds, &srq, rq->value, rq->bins, &rep, err);
    *doc = rc ? NULL : map_json_histogram(rep);
    map_histogram_report_free(rep);
    return rc;
}

static doc_endpoint *const doc_endpoints[MAP_HTTP_NKINDS] = {
    [MAP_HTTP_SOLVE] = solve_doc,
    [MAP_HTTP_FEASIBLE] = feasible_doc,
    [MAP_HTTP_ADJUST] = adjust_doc,
    [MAP_HTTP_HISTOGRAM] = histogram_doc,
};

/* The endpoints answered with a table (frontier, region), as a JSON array
 * of row objects or, when csv, as CSV. */
static void table_endpoint(map_http_kind kind, const map_dataset *ds, const map_http_request *rq,
                           int csv, map_http_answer *a)
{
    map_error err;
    map_error_clear(&err);
    int rc = MAP_OK;
    mem_table t;
    if (table_open(&t, csv)) {
        rc = map_error_set(&err, MAP_ENOMEM, "out of memory");
    } else if (kind == MAP_HTTP_FRONTIER) {
        const map_frontier_opts fo = {(const char *const *)rq->values, rq->nvalues, rq->kl,
                                      rq->nkl, rq->direction, rq->points, rq->kl_max,
                                      rq->so.normalize};
        map_frontier_summary sum;
        rc = map_app_frontier(ds, &fo, &t.sink, &sum, &err);
    } else {
        const map_region_opts ro = {(const char *const *)rq->values, rq->nvalues, rq->points,
                                    rq->from, rq->polygon, rq->so.normalize};
        map_region_summary sum;
        rc = map_app_region(ds, &ro, &t.sink, &sum, &err);
    }
    table_close(&t, rc, &err, csv, "/values", a);
}

int map_api_post(map_server *s, map_http_kind kind, const char *body, size_t len, int csv,
                 map_http_answer *a)
{
    map_http_request rq;
    map_http_fail fail;
    if (map_http_request_parse(kind, body, len, &rq, &fail)) {
        map_http_fail_answer(a, &fail);
        map_http_request_free(&rq);
        return 0;
    }
    map_cached_dataset *h = NULL;
    if (map_api_acquire(s, rq.dataset, rq.so.normalize == MAP_NORMALIZE_PROMPT, &h, a)) {
        map_http_request_free(&rq);
        return 0;
    }
    if (kind < MAP_HTTP_NKINDS && doc_endpoints[kind]) {
        map_error err;
        map_error_clear(&err);
        char *doc = NULL;
        if (doc_endpoints[kind](h->ds, &rq, &doc, &err))
            map_api_error(a, &err, "/palette");
        else
            map_http_json_answer(a, 200, doc);
    } else if (kind == MAP_HTTP_FRONTIER || kind == MAP_HTTP_REGION) {
        table_endpoint(kind, h->ds, &rq, csv, a);
    } else {
        map_http_problem_answer(a, MAP_PROBLEM_NOT_FOUND, "no such endpoint", NULL);
    }
    map_dataset_cache_release(s->cache, h);
    map_http_request_free(&rq);
    return 0;
}
