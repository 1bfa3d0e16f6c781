/* map_http_sweep.c — POST /api/sweep: the sweep runs on a worker thread and
 * its rows stream to the client as JSON Lines (the CLI's `sweep --json`
 * rows) as they are solved. The response reads from a buffer the worker
 * fills; when the buffer is empty the connection is suspended and the
 * worker resumes it with the next row (libmicrohttpd's suspend/resume), so
 * that no request thread waits on a sweep. A client that disconnects ends
 * the response, which sets the sweep's cancel flag: the engine stops after
 * the rows in flight (and a stored sweep keeps the rows committed). The
 * worker waits while SWEEP_BUFFER_MAX bytes are unsent; the buffer holds
 * at most that plus one row. At most SWEEPS_PER_THREAD sweeps per request
 * thread run at once (503 beyond), each on at most as many threads as the
 * machine has CPUs. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "map_mhd.h"
#include "map_output.h"
#include "map_server_internal.h"
#include "map_solver.h"

#define SWEEP_BUFFER_MAX (1024 * 1024)
/* At most this many sweeps per request thread run at once (503 beyond). */
#define SWEEPS_PER_THREAD 4

typedef struct map_sweep_job {
    map_server *srv;
    map_http_request rq;
    map_cached_dataset *h;
    map_store *wst;           /* read-write store of a stored sweep, else NULL */
    int64_t store_id;
    struct MHD_Connection *conn; /* NULL once the response is gone */
    pthread_mutex_t mu;
    pthread_cond_t cv;        /* the buffer drained, or the response is gone */
    char *buf;
    size_t len, cap, off;
    int done;                 /* the worker wrote its last byte */
    int suspended;            /* the connection waits for data */
    int response_gone;
    atomic_int cancel;
    int refs;                 /* worker + response */
    char **names;             /* the table's column names (header) */
    size_t ncols;
    struct map_sweep_job *next; /* on the server's list of running jobs */
} map_sweep_job;

static void job_unref(map_sweep_job *j)
{
    pthread_mutex_lock(&j->mu);
    const int last = --j->refs == 0;
    pthread_mutex_unlock(&j->mu);
    if (!last)
        return;
    map_free(j->buf);
    map_free_strings(j->names, j->ncols);
    map_http_request_free(&j->rq);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    map_free(j);
}

/* Appends text to the buffer (waiting while SWEEP_BUFFER_MAX bytes are
 * unsent and the response still reads it) and wakes the connection. The
 * sent head is dropped (the unsent tail moved to the front) before the
 * buffer grows, so that it never holds more than SWEEP_BUFFER_MAX + n
 * bytes however slowly the client reads. Returns 0, or −1 when the
 * response is gone (the sweep is then being cancelled) or out of memory. */
static int job_write(map_sweep_job *j, const char *text, size_t n)
{
    map_server *s = j->srv;
    pthread_mutex_lock(&j->mu);
    if (!j->response_gone && j->len - j->off >= SWEEP_BUFFER_MAX) {
        atomic_fetch_add(&s->sweeps_blocked, 1);
        while (!j->response_gone && j->len - j->off >= SWEEP_BUFFER_MAX)
            pthread_cond_wait(&j->cv, &j->mu);
        atomic_fetch_sub(&s->sweeps_blocked, 1);
    }
    if (j->response_gone) {
        pthread_mutex_unlock(&j->mu);
        return -1;
    }
    if (j->len + n > j->cap && j->off > 0) {
        memmove(j->buf, j->buf + j->off, j->len - j->off);
        j->len -= j->off;
        j->off = 0;
    }
    if (j->len + n > j->cap) {
        const size_t need = j->len + n; /* < SWEEP_BUFFER_MAX + n */
        size_t cap = j->cap ? j->cap : 4096;
        while (cap < need)
            cap *= 2;
        if (cap > SWEEP_BUFFER_MAX)
            cap = need > SWEEP_BUFFER_MAX ? need : SWEEP_BUFFER_MAX;
        char *nb = map_realloc(j->buf, cap);
        if (!nb) {
            pthread_mutex_unlock(&j->mu);
            return -1;
        }
        j->buf = nb;
        j->cap = cap;
        size_t peak = atomic_load(&s->sweep_buffer_peak);
        while (cap > peak && !atomic_compare_exchange_weak(&s->sweep_buffer_peak, &peak, cap))
            ;
    }
    memcpy(j->buf + j->len, text, n);
    j->len += n;
    if (j->suspended) {
        j->suspended = 0;
        map_mhd.MHD_resume_connection(j->conn);
    }
    pthread_mutex_unlock(&j->mu);
    return 0;
}

static int sink_header(void *ctx, size_t ncols, const char *const *names, map_error *err)
{
    map_sweep_job *j = ctx;
    if (!(j->names = map_strdup_all(names, ncols)))
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    j->ncols = ncols;
    return MAP_OK;
}

static int sink_row(void *ctx, const map_cell *cells, map_error *err)
{
    map_sweep_job *j = ctx;
    char *text = map_json_row((const char *const *)j->names, cells, j->ncols);
    if (!text)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    const size_t n = strlen(text);
    text[n] = '\n'; /* replaces the NUL: the line is written by length */
    const int rc = job_write(j, text, n + 1);
    map_free(text);
    if (rc) {
        /* The client is gone: stop; not an error of the sweep. */
        atomic_store(&j->cancel, 1);
    }
    return MAP_OK;
}

/* Takes j off the server's list of running jobs (wherever it is: others
 * come and go while the lock is released; j may not be on it yet), gives
 * back its slot (sweeps_active) and wakes a waiting stop. */
static void unlink_job(map_server *s, map_sweep_job *j)
{
    pthread_mutex_lock(&s->sweep_lock);
    for (map_sweep_job **pp = &s->jobs; *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    s->sweeps_active--;
    pthread_cond_broadcast(&s->sweep_idle);
    pthread_mutex_unlock(&s->sweep_lock);
}

static void *worker(void *arg)
{
    map_sweep_job *j = arg;
    map_server *s = j->srv;
    map_error err;
    map_error_clear(&err);
    const map_table_sink sink = {sink_header, sink_row, j};
    map_sweep_outcome oc;
    memset(&oc, 0, sizeof oc);
    j->rq.sweep.cancel = &j->cancel; /* store and store_id: set by map_app_sweep_record */
    int rc = map_app_sweep(j->h->ds, &j->rq.sweep, &sink, &oc, &err);
    const int cancelled = oc.summary.cancelled || atomic_load(&j->cancel);
    if (!rc && !cancelled)
        rc = map_app_sweep_finish(&j->rq.sweep, &oc, &err);
    if (rc && !cancelled) {
        /* A failure mid-stream: one last line saying why. */
        char *problem = map_problem_json(MAP_PROBLEM_INTERNAL, err.msg, NULL);
        if (problem)
            job_write(j, problem, strlen(problem));
        map_free(problem);
    }
    map_sweep_outcome_free(&oc);
    map_lp_thread_done(); /* this thread's LP state, when the engine ran rows on it */
    map_store_close(j->wst);
    j->wst = NULL;
    map_dataset_cache_release(s->cache, j->h);
    j->h = NULL;
    pthread_mutex_lock(&j->mu);
    j->done = 1;
    if (j->suspended) {
        j->suspended = 0;
        map_mhd.MHD_resume_connection(j->conn);
    }
    pthread_mutex_unlock(&j->mu);
    atomic_fetch_add(cancelled ? &s->sweeps_cancelled : &s->sweeps_completed, 1);
    unlink_job(s, j);
    job_unref(j);
    return NULL;
}

/* Undoes a job that never reached its worker: closes its store, releases
 * its dataset, gives back its slot and drops the last reference. */
static void job_abandon(map_server *s, map_sweep_job *j)
{
    map_store_close(j->wst);
    j->wst = NULL;
    map_dataset_cache_release(s->cache, j->h);
    j->h = NULL;
    unlink_job(s, j);
    job_unref(j);
}

/* The response's reader (an MHD request thread). */
static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    map_sweep_job *j = cls;
    pthread_mutex_lock(&j->mu);
    if (j->off < j->len) {
        size_t n = j->len - j->off;
        if (n > max)
            n = max;
        memcpy(buf, j->buf + j->off, n);
        j->off += n;
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
        return (ssize_t)n;
    }
    if (j->done) {
        pthread_mutex_unlock(&j->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    j->suspended = 1;
    map_mhd.MHD_suspend_connection(j->conn);
    pthread_mutex_unlock(&j->mu);
    return 0;
}

/* The response is gone (sent, or the client disconnected): cancel. */
static void reader_free(void *cls)
{
    map_sweep_job *j = cls;
    pthread_mutex_lock(&j->mu);
    j->response_gone = 1;
    j->conn = NULL;
    j->suspended = 0;
    atomic_store(&j->cancel, 1);
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    job_unref(j);
}

int map_api_sweep(map_server *s, struct MHD_Connection *conn, const char *body, size_t len,
                  struct MHD_Response **resp, map_http_answer *a)
{
    *resp = NULL;
    map_sweep_job *j = map_calloc(1, sizeof *j);
    if (!j)
        return map_http_problem_answer(a, MAP_PROBLEM_INTERNAL, "out of memory", NULL);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->srv = s;
    j->conn = conn;
    j->refs = 1;
    map_http_fail fail;
    map_error err;
    map_error_clear(&err);
    if (map_http_request_parse(MAP_HTTP_SWEEP, body, len, &j->rq, &fail)) {
        map_http_fail_answer(a, &fail);
        job_unref(j);
        return 0;
    }
    /* More threads than CPUs only slow each other down. */
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus > 0 && j->rq.sweep.threads > (unsigned long)cpus)
        j->rq.sweep.threads = (unsigned)cpus;
    /* A slot among the sweeps allowed to run, taken before anything is
     * loaded or recorded (given back by unlink_job). */
    const size_t max_active = SWEEPS_PER_THREAD * s->cfg.threads;
    pthread_mutex_lock(&s->sweep_lock);
    const int stopping = s->stopping, busy = stopping || s->sweeps_active >= max_active;
    if (!busy)
        s->sweeps_active++;
    pthread_mutex_unlock(&s->sweep_lock);
    if (busy) {
        char msg[128];
        if (stopping)
            snprintf(msg, sizeof msg, "the server is stopping");
        else
            snprintf(msg, sizeof msg, "%zu sweeps are running, the most allowed at once (%d per "
                     "request thread): try again later", max_active, SWEEPS_PER_THREAD);
        map_http_problem_answer(a, MAP_PROBLEM_BUSY, msg, NULL);
        snprintf(a->header_name, sizeof a->header_name, "Retry-After");
        snprintf(a->header_value, sizeof a->header_value, "5");
        job_unref(j);
        return 0;
    }
    if (map_api_acquire(s, j->rq.dataset, j->rq.sweep.per_prompt, &j->h, a)) {
        job_abandon(s, j);
        return 0;
    }
    /* Check the request before answering 200: a bad grid or value is a 400.
     * A stored sweep is recorded as `mapsolve sweep --store` records it (its
     * request as JSON: resumable with `mapsolve sweep --resume ID`). */
    int rc = MAP_OK;
    if (!j->rq.store) {
        map_sweep_outcome oc;
        memset(&oc, 0, sizeof oc);
        rc = map_app_sweep_shape(j->h->ds, &j->rq.sweep, &oc, &err);
        map_sweep_outcome_free(&oc);
    }
    if (!rc && j->rq.store) {
        rc = map_store_open(s->cfg.db_path, &j->wst, &err);
        if (!rc)
            rc = map_app_sweep_record(j->wst, j->h->ds, &j->rq.sweep, "serve: POST /api/sweep",
                                      &j->store_id, &err);
    }
    if (rc) {
        /* A message naming no field is about the source: its grid, or the
         * values of a random or lambdas sweep. */
        map_api_error(a, &err, j->rq.sweep.source == MAP_SOURCE_GRID ? "/grid" : "/values");
        job_abandon(s, j);
        return 0;
    }
    *resp = map_mhd.MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, reader, j, reader_free);
    if (!*resp) {
        job_abandon(s, j);
        return map_http_problem_answer(a, MAP_PROBLEM_INTERNAL, "out of memory", NULL);
    }
    map_mhd.MHD_add_response_header(*resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/jsonl");
    map_mhd.MHD_add_response_header(*resp, "Cache-Control", "no-store");
    if (j->store_id) {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)j->store_id);
        map_mhd.MHD_add_response_header(*resp, "X-Mapsolve-Sweep-Id", id);
    }
    j->refs = 2; /* the worker's and the response's */
    pthread_mutex_lock(&s->sweep_lock);
    const int now_stopping = s->stopping;
    if (!now_stopping) {
        j->next = s->jobs;
        s->jobs = j;
    }
    pthread_mutex_unlock(&s->sweep_lock);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (now_stopping || pthread_create(&t, &attr, worker, j) != 0) {
        pthread_attr_destroy(&attr);
        const long long store_id = (long long)j->store_id;
        map_mhd.MHD_destroy_response(*resp); /* drops the response's reference */
        *resp = NULL;
        job_abandon(s, j); /* drops the worker's, which never started */
        /* A stored sweep is already recorded (with no rows): say so, as
         * the CLI's interrupted sweep is resumed. */
        char msg[256];
        int at = snprintf(msg, sizeof msg, "%s",
                          now_stopping ? "the server is stopping" : "cannot start the sweep");
        if (store_id && at > 0 && (size_t)at < sizeof msg)
            snprintf(msg + at, sizeof msg - (size_t)at,
                     "; stored sweep %lld is recorded with no rows: `mapsolve sweep --resume "
                     "%lld` runs it",
                     store_id, store_id);
        return map_http_problem_answer(a, now_stopping ? MAP_PROBLEM_BUSY : MAP_PROBLEM_INTERNAL,
                                       msg, NULL);
    }
    pthread_attr_destroy(&attr);
    atomic_fetch_add(&s->sweeps_started, 1);
    return 0;
}

void map_api_sweep_shutdown(map_server *s)
{
    pthread_mutex_lock(&s->sweep_lock);
    s->stopping = 1;
    for (map_sweep_job *j = s->jobs; j; j = j->next) {
        atomic_store(&j->cancel, 1);
        pthread_mutex_lock(&j->mu);
        j->response_gone = 1; /* nothing more is sent; wake a waiting worker */
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
    }
    while (s->sweeps_active > 0)
        pthread_cond_wait(&s->sweep_idle, &s->sweep_lock);
    pthread_mutex_unlock(&s->sweep_lock);
}
