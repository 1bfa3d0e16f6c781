/* map_server_internal.h — what the files of server/ share: the server
 * handle, an answer (status, type, body) and the endpoint functions.
 *
 *   map_server.c        lifecycle, libmicrohttpd glue, routing, token, bodies
 *   map_http_api.c      the JSON endpoints (health, datasets, solve, ...)
 *   map_http_sweep.c    the streamed sweep (JSON Lines, cancelled on disconnect)
 *   map_http_request.c  request bodies → request structs
 *   map_http_problem.c  RFC 9457 problem documents
 *   map_dataset_cache.c the shared datasets
 *   map_static.c        the embedded files
 *   map_mhd.c           libmicrohttpd, loaded when the service starts
 */
#ifndef MAP_SERVER_INTERNAL_H
#define MAP_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "map_dataset_cache.h"
#include "map_http_problem.h"
#include "map_http_request.h"
#include "map_server.h"

struct MHD_Daemon;
struct MHD_Connection;
struct MHD_Response;

struct map_server {
    map_server_config cfg;
    struct MHD_Daemon *daemon;
    unsigned port;
    map_dataset_cache *cache;
    atomic_size_t requests;
    atomic_size_t sweeps_started, sweeps_completed, sweeps_cancelled;
    atomic_size_t sweeps_blocked;    /* workers waiting for their client to read */
    atomic_size_t sweep_buffer_peak; /* the largest sweep buffer allocated (bytes) */
    /* running sweep workers: map_server_stop cancels them and waits */
    pthread_mutex_t sweep_lock;
    pthread_cond_t sweep_idle;
    struct map_sweep_job *jobs;
    size_t sweeps_active; /* slots taken: the running sweeps and those being started */
    int stopping;
};

/* An answer with a whole body: body (owned, map_free) of len bytes. allow
 * is the Allow header of a 405 (static), else NULL. */
typedef struct map_http_answer {
    unsigned status;
    const char *content_type;
    char *body;
    size_t len;
    const char *allow;
    char header_name[48], header_value[48]; /* one extra header, or "" */
} map_http_answer;

/* Fills a with a problem document; returns 0 (out of memory: a bare 500). */
int map_http_problem_answer(map_http_answer *a, map_problem_type t, const char *detail,
                            const char *field);

/* Fills a with the problem answer to a refused body (malformed JSON, or a
 * bad field); returns 0. */
int map_http_fail_answer(map_http_answer *a, const map_http_fail *fail);

/* Fills a with a JSON document text (owned now; NULL: out of memory → 500). */
int map_http_json_answer(map_http_answer *a, unsigned status, char *text);

/* The endpoints (map_http_api.c). */
int map_api_health(map_server *s, map_http_answer *a);
int map_api_datasets(map_server *s, map_http_answer *a);
int map_api_describe(map_server *s, const char *name, map_http_answer *a);
/* POST solve, feasible, adjust, frontier, region, histogram; csv: the client
 * accepts text/csv (frontier and region answer CSV then). */
int map_api_post(map_server *s, map_http_kind kind, const char *body, size_t len, int csv,
                 map_http_answer *a);
/* Acquires dataset name from the cache (prompts: with its prompt column)
 * into *h; returns 0, or the cache's status with a filled: 404 for an
 * unknown name, else map_api_error's answer (the store's failures: 500). */
int map_api_acquire(map_server *s, const char *name, int prompts, map_cached_dataset **h,
                    map_http_answer *a);
/* Maps an application error (code, message) to a problem answer, naming
 * default_field when the message names no field. */
int map_api_error(map_http_answer *a, const map_error *err, const char *default_field);

/* The streamed sweep (map_http_sweep.c): on success *resp is the response
 * to queue with status 200; on failure a holds a problem answer and *resp
 * is NULL. */
int map_api_sweep(map_server *s, struct MHD_Connection *conn, const char *body, size_t len,
                  struct MHD_Response **resp, map_http_answer *a);
/* Cancels every running sweep and waits for their workers (stop). */
void map_api_sweep_shutdown(map_server *s);

#endif
