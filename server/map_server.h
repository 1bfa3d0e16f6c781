/* map_server.h — `mapsolve serve`: the HTTP service over the application
 * layer (libmicrohttpd). JSON in and out, documents byte-identical to the
 * CLI's --json; RFC 9457 problem details for errors; datasets loaded once
 * and shared read-only by the request threads (map_dataset_cache.h).
 * Endpoints and their fields: README "HTTP service" and openapi.json.
 */
#ifndef MAP_SERVER_H
#define MAP_SERVER_H

#include <stddef.h>

#include "map_common.h"

#define MAP_SERVER_MAX_BODY_DEFAULT (1024 * 1024)
#define MAP_SERVER_TIMEOUT_DEFAULT 30

typedef struct map_server_config {
    const char *db_path;  /* the store (borrowed; created when missing) */
    const char *bind;     /* numeric IPv4 or IPv6 address, or "localhost"; NULL: 127.0.0.1 */
    unsigned port;        /* 0: a free port (map_server_port tells which) */
    unsigned threads;     /* request threads, ≥ 1 */
    const char *token;    /* bearer token every request must carry (borrowed), or NULL;
                             required unless bind is a loopback address */
    size_t max_body;      /* largest request body in bytes (413 beyond) */
    unsigned timeout;     /* seconds: a connection idle this long is closed, a request
                             whose body takes longer gets 408 */
} map_server_config;

/* Fills *cfg with the defaults: 127.0.0.1, port 8080, 2 threads, no token,
 * MAP_SERVER_MAX_BODY_DEFAULT, MAP_SERVER_TIMEOUT_DEFAULT. */
void map_server_config_default(map_server_config *cfg);

typedef struct map_server map_server;

/* Opens (creating and migrating when missing) the store, binds and starts
 * answering on cfg->threads threads. Errors: MAP_EUSAGE for a bad address, a
 * non-loopback address without a token, threads or max_body of 0; MAP_ESTORE
 * for the store; MAP_EIO-like failures to bind as MAP_EUSAGE with the
 * reason. On success *out runs until map_server_stop. cfg's strings must
 * outlive the server. */
int map_server_start(const map_server_config *cfg, map_server **out, map_error *err);

/* The port the server listens on. */
unsigned map_server_port(const map_server *s);

/* Stops answering: cancels running sweeps, closes every connection, waits
 * for the sweep workers, frees the datasets and closes the store. NULL is
 * a no-op. */
void map_server_stop(map_server *s);

#endif
