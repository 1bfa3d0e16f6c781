/* map_server.c — the HTTP service's lifecycle and its libmicrohttpd glue:
 * binding (loopback unless a token is set; poll(), whose reading of a
 * half-closed connection ends it at once, where epoll waited for the
 * timeout in libmicrohttpd 0.9.75), the bearer token (compared in
 * constant time), request bodies (limited to max_body: 413; too slow:
 * 408, or closed while still arriving), routing to the endpoints (404, 405 with Allow) and the answers. */
#include "map_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "map_mhd.h"
#include "map_server_internal.h"
#include "map_static.h"
#include "map_vec.h"

void map_server_config_default(map_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->bind = "127.0.0.1";
    cfg->port = 8080;
    cfg->threads = 2;
    cfg->max_body = MAP_SERVER_MAX_BODY_DEFAULT;
    cfg->timeout = MAP_SERVER_TIMEOUT_DEFAULT;
}

unsigned map_server_port(const map_server *s) { return s->port; }

/* ---- one request -------------------------------------------------------- */

/* What a request accumulates between the access handler's calls. */
typedef struct request_ctx {
    map_vec body;       /* the body kept (bytes, then a NUL not counted in len) */
    size_t got;         /* body bytes received (kept or discarded) */
    int too_large;      /* the body passed max_body: the rest is discarded */
    int too_slow;       /* the body took longer than the timeout */
    int has_length;     /* a Content-Length header with a number came */
    unsigned long long length; /* that number (strtoull's reading) */
    struct timespec t0; /* when the headers were complete */
} request_ctx;

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    request_ctx *r = *con_cls;
    if (r) {
        map_vec_free(&r->body);
        map_free(r);
        *con_cls = NULL;
    }
}

/* Queues a (whole-body) answer and frees what it owns. */
static enum MHD_Result send_answer(struct MHD_Connection *conn, map_http_answer *a)
{
    static const char bare[] = "{\"type\":\"urn:mapsolve:problem:internal\",\"title\":"
                               "\"Internal server error\",\"status\":500,\"detail\":\"out of "
                               "memory\",\"field\":null}\n";
    struct MHD_Response *resp =
        a->body ? map_mhd.MHD_create_response_from_buffer_with_free_callback(a->len, a->body, map_free)
                : map_mhd.MHD_create_response_from_buffer(sizeof bare - 1, (void *)bare,
                                                  MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        map_free(a->body);
        return MHD_NO;
    }
    a->body = NULL;
    map_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            a->content_type ? a->content_type : "application/problem+json");
    map_mhd.MHD_add_response_header(resp, "Cache-Control", "no-store");
    map_mhd.MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (a->allow)
        map_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, a->allow);
    if (a->status == 401)
        map_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (a->header_name[0])
        map_mhd.MHD_add_response_header(resp, a->header_name, a->header_value);
    const enum MHD_Result ok = map_mhd.MHD_queue_response(conn, a->status, resp);
    map_mhd.MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result send_problem(struct MHD_Connection *conn, map_problem_type t,
                                   const char *detail, const char *field, const char *allow)
{
    map_http_answer a;
    memset(&a, 0, sizeof a);
    map_http_problem_answer(&a, t, detail, field);
    a.allow = allow;
    return send_answer(conn, &a);
}

/* 413: the body is over max_body. */
static enum MHD_Result send_too_large(const map_server *s, struct MHD_Connection *conn)
{
    char msg[128];
    snprintf(msg, sizeof msg, "the body is over the limit of %zu bytes", s->cfg.max_body);
    return send_problem(conn, MAP_PROBLEM_TOO_LARGE, msg, NULL, NULL);
}

static enum MHD_Result send_static(struct MHD_Connection *conn, const map_static_file *f)
{
    struct MHD_Response *resp =
        map_mhd.MHD_create_response_from_buffer(f->size, (void *)f->data, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    map_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, f->content_type);
    map_mhd.MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* Nothing but this server: the page may use inline script and style,
     * data: and blob: URLs, but no other origin. */
    map_mhd.MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self' 'unsafe-inline' data: blob:");
    const enum MHD_Result ok = map_mhd.MHD_queue_response(conn, MHD_HTTP_OK, resp);
    map_mhd.MHD_destroy_response(resp);
    return ok;
}

/* 1 when the Authorization header carries the token: "Bearer " (the
 * scheme in any case, RFC 7235) then the token, compared in time that
 * depends on the lengths only. */
static int authorised(const map_server *s, struct MHD_Connection *conn)
{
    if (!s->cfg.token)
        return 1;
    const char *h = map_mhd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    const char *given = h + 7;
    const size_t gl = strlen(given), tl = strlen(s->cfg.token);
    unsigned char diff = (unsigned char)(gl != tl);
    for (size_t i = 0; i < tl; i++)
        diff |= (unsigned char)(s->cfg.token[i] ^ (i < gl ? given[i] : 0));
    return diff == 0;
}

/* 1 when the client asks for CSV (Accept: text/csv before application/json). */
static int wants_csv(struct MHD_Connection *conn)
{
    const char *acc = map_mhd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    if (!acc)
        return 0;
    const char *csv = strstr(acc, "text/csv"), *json = strstr(acc, "application/json");
    return csv && (!json || csv < json);
}

/* The POST endpoints by path. */
static const struct {
    const char *path;
    map_http_kind kind;
} posts[] = {
    {"/api/solve", MAP_HTTP_SOLVE},         {"/api/feasible", MAP_HTTP_FEASIBLE},
    {"/api/adjust", MAP_HTTP_ADJUST},       {"/api/frontier", MAP_HTTP_FRONTIER},
    {"/api/region", MAP_HTTP_REGION},       {"/api/sweep", MAP_HTTP_SWEEP},
    {"/api/histogram", MAP_HTTP_HISTOGRAM},
};

static enum MHD_Result route(map_server *s, struct MHD_Connection *conn, const char *url,
                             const char *method, const request_ctx *r)
{
    const int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    const int post = strcmp(method, "POST") == 0;
    map_http_answer a;
    memset(&a, 0, sizeof a);
    for (size_t i = 0; i < sizeof posts / sizeof posts[0]; i++) {
        if (strcmp(url, posts[i].path) != 0)
            continue;
        if (!post)
            return send_problem(conn, MAP_PROBLEM_METHOD_NOT_ALLOWED,
                                "this endpoint takes POST with a JSON body", NULL, "POST");
        if (posts[i].kind == MAP_HTTP_SWEEP) {
            struct MHD_Response *resp = NULL;
            map_api_sweep(s, conn, (const char *)r->body.data, r->body.len, &resp, &a);
            if (!resp)
                return send_answer(conn, &a);
            const enum MHD_Result ok = map_mhd.MHD_queue_response(conn, MHD_HTTP_OK, resp);
            map_mhd.MHD_destroy_response(resp);
            return ok;
        }
        map_api_post(s, posts[i].kind, (const char *)r->body.data, r->body.len, wants_csv(conn),
                     &a);
        return send_answer(conn, &a);
    }
    const map_static_file *f = map_static_find(url);
    const int is_health = strcmp(url, "/api/health") == 0;
    const int is_list = strcmp(url, "/api/datasets") == 0;
    const int is_describe = strncmp(url, "/api/datasets/", 14) == 0 && url[14] != '\0';
    if (!f && !is_health && !is_list && !is_describe)
        return send_problem(conn, MAP_PROBLEM_NOT_FOUND, "no such path", NULL, NULL);
    if (!get)
        return send_problem(conn, MAP_PROBLEM_METHOD_NOT_ALLOWED, "this path takes GET", NULL,
                            "GET, HEAD");
    if (f)
        return send_static(conn, f);
    if (is_health)
        map_api_health(s, &a);
    else if (is_list)
        map_api_datasets(s, &a);
    else
        map_api_describe(s, url + 14, &a);
    return send_answer(conn, &a);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    map_server *s = cls;
    request_ctx *r = *con_cls;
    if (!r) {
        /* Headers complete: the first call of this request. */
        atomic_fetch_add(&s->requests, 1);
        if (!(r = map_calloc(1, sizeof *r)))
            return MHD_NO;
        *con_cls = r;
        map_vec_init(&r->body, 1, 1024);
        clock_gettime(CLOCK_MONOTONIC, &r->t0);
        const char *cl = map_mhd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end = NULL;
            r->length = strtoull(cl, &end, 10);
            r->has_length = end != cl;
        }
        /* The page's own files hold no data and a browser cannot send a
         * token to fetch them; everything under /api/ needs it. */
        const int page = (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
                         strncmp(url, "/api/", 5) != 0 && map_static_find(url) != NULL;
        if (!page && !authorised(s, conn))
            return send_problem(conn, MAP_PROBLEM_UNAUTHORIZED,
                                "this server needs 'Authorization: Bearer <token>'", NULL, NULL);
        if (r->has_length && r->length > s->cfg.max_body)
            return send_too_large(s, conn);
        return MHD_YES;
    }
    if (*upload_data_size) {
        const size_t n = *upload_data_size;
        *upload_data_size = 0;
        r->got += n;
        /* libmicrohttpd cannot queue an answer while the body arrives: a
         * body still arriving after the timeout (each byte would restart
         * the idle timeout), or a chunked body that passes twice the limit,
         * closes the connection. Its last piece (Content-Length reached)
         * goes on to the 408 or 413 answer below. */
        const int last = r->has_length && r->length == (unsigned long long)r->got;
        if (!r->too_slow && seconds_since(&r->t0) > (double)s->cfg.timeout)
            r->too_slow = 1;
        if (!last && (r->too_slow || (r->too_large && r->got - r->body.len > s->cfg.max_body)))
            return MHD_NO;
        if (r->too_large || r->too_slow)
            return MHD_YES;
        if (n > s->cfg.max_body - r->body.len) {
            r->too_large = 1;
            return MHD_YES;
        }
        return map_vec_append(&r->body, upload_data, n) == MAP_OK ? MHD_YES : MHD_NO;
    }
    /* The whole request is in. */
    if (r->too_large)
        return send_too_large(s, conn);
    if (r->too_slow || seconds_since(&r->t0) > (double)s->cfg.timeout) {
        char msg[128];
        snprintf(msg, sizeof msg, "the request took longer than %u s to arrive", s->cfg.timeout);
        return send_problem(conn, MAP_PROBLEM_TIMEOUT, msg, NULL, NULL);
    }
    return route(s, conn, url, method, r);
}

/* ---- lifecycle ---------------------------------------------------------- */

/* Parses cfg->bind into addr (port set); *loopback tells whether it is
 * one. */
static int parse_bind(const char *bind, unsigned port, struct sockaddr_storage *addr,
                      socklen_t *alen, int *loopback, map_error *err)
{
    memset(addr, 0, sizeof *addr);
    if (!bind || strcmp(bind, "localhost") == 0)
        bind = "127.0.0.1";
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
    if (inet_pton(AF_INET, bind, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *alen = sizeof *a4;
        *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
        return MAP_OK;
    }
    const char *b6 = bind;
    char buf[INET6_ADDRSTRLEN + 2];
    if (bind[0] == '[') { /* [::1] */
        snprintf(buf, sizeof buf, "%s", bind + 1);
        char *close = strchr(buf, ']');
        if (close)
            *close = '\0';
        b6 = buf;
    }
    if (inet_pton(AF_INET6, b6, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *alen = sizeof *a6;
        *loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
        return MAP_OK;
    }
    return map_error_set(err, MAP_EUSAGE,
                         "bind: '%s' is not a numeric IPv4 or IPv6 address (or localhost)", bind);
}

int map_server_start(const map_server_config *cfg, map_server **out, map_error *err)
{
    *out = NULL;
    if (cfg->threads < 1 || cfg->threads > 1024)
        return map_error_set_field(err, MAP_EUSAGE, "threads", "must be in [1, 1024]");
    if (cfg->max_body < 1)
        return map_error_set_field(err, MAP_EUSAGE, "max_body", "must be at least 1 byte");
    if (cfg->timeout < 1)
        return map_error_set_field(err, MAP_EUSAGE, "timeout", "must be at least 1 second");
    if (cfg->port > 65535)
        return map_error_set_field(err, MAP_EUSAGE, "port", "%u is not in [0, 65535]",
                                   cfg->port);
    const int lrc = map_mhd_load(err);
    if (lrc)
        return lrc;
    struct sockaddr_storage addr;
    socklen_t alen = 0;
    int loopback = 0;
    int rc = parse_bind(cfg->bind, cfg->port, &addr, &alen, &loopback, err);
    if (rc)
        return rc;
    if (!loopback && !cfg->token)
        return map_error_set(err, MAP_EUSAGE,
                             "binding to %s (not a loopback address) needs a token (--token-file)",
                             cfg->bind);
    /* Create (and migrate) the store once, so that every request thread can
     * open it read-only. */
    map_store *st = NULL;
    if (access(cfg->db_path, F_OK) != 0) {
        if ((rc = map_store_open(cfg->db_path, &st, err)))
            return rc;
    } else if ((rc = map_store_open_readonly(cfg->db_path, &st, err))) {
        return rc;
    }
    map_store_close(st);

    map_server *s = map_calloc(1, sizeof *s);
    if (!s)
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    s->cfg = *cfg;
    pthread_mutex_init(&s->sweep_lock, NULL);
    pthread_cond_init(&s->sweep_idle, NULL);
    if (!(s->cache = map_dataset_cache_new(cfg->db_path))) {
        map_server_stop(s);
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem opts[8];
    size_t no = 0;
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &addr};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->timeout,
                                         NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_done,
                                         NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL};
    if (cfg->threads > 1)
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)cfg->threads,
                                             NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    s->daemon = map_mhd.MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, s,
                                 MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!s->daemon) {
        map_server_stop(s);
        return map_error_set(err, MAP_EUSAGE, "cannot listen on %s port %u (in use, or not an "
                                              "address of this machine?)",
                             cfg->bind ? cfg->bind : "127.0.0.1", cfg->port);
    }
    const union MHD_DaemonInfo *info = map_mhd.MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    *out = s;
    return MAP_OK;
}

void map_server_stop(map_server *s)
{
    if (!s)
        return;
    /* Cancels the running sweeps and waits for their workers. Once it has
     * set stopping no sweep takes a slot, and one being set up gives its
     * slot back (map_api_sweep), so none runs after it: once is enough,
     * before the daemon stops (the workers resume its connections). */
    map_api_sweep_shutdown(s);
    if (s->daemon)
        map_mhd.MHD_stop_daemon(s->daemon);
    map_dataset_cache_free(s->cache);
    pthread_cond_destroy(&s->sweep_idle);
    pthread_mutex_destroy(&s->sweep_lock);
    map_free(s);
}
