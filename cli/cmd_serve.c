/* cmd_serve.c — the `serve` subcommand: its options into the server's
 * configuration (the token read from --token-file), then the HTTP service
 * (server/map_server.h) runs until SIGINT or SIGTERM. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "map_cli.h"
#include "map_server.h"

/* Reads the token: the file's first line without its line end and
 * surrounding blanks; empty, unreadable or with control characters:
 * MAP_EUSAGE. *out is a new string (map_free). */
static int read_token(const char *path, char **out, map_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return map_error_set(err, MAP_EUSAGE, "cannot read --token-file '%s': %s", path,
                             strerror(errno));
    char line[1024];
    const char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (!got)
        return map_error_set(err, MAP_EUSAGE, "--token-file '%s' is empty", path);
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                   line[len - 1] == '\t'))
        line[--len] = '\0';
    const char *t = line;
    while (*t == ' ' || *t == '\t')
        t++;
    if (!*t)
        return map_error_set(err, MAP_EUSAGE, "--token-file '%s' holds no token", path);
    if (strlen(t) < 16)
        return map_error_set(err, MAP_EUSAGE,
                             "the token in --token-file '%s' is shorter than 16 characters", path);
    for (const char *p = t; *p; p++)
        if ((unsigned char)*p < 0x21 || *p == 0x7f)
            return map_error_set(err, MAP_EUSAGE,
                                 "the token in --token-file '%s' has blanks or control characters",
                                 path);
    if (!(*out = map_strdup(t)))
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    return MAP_OK;
}

int map_cli_serve(int argc, char **argv)
{
    map_cli_cmd c = {0};
    map_server_config cfg;
    map_server_config_default(&cfg);
    const char *bind = NULL, *token_file = NULL;
    long port = cfg.port, threads = cfg.threads, max_body = (long)cfg.max_body;
    long timeout = cfg.timeout;
    const map_opt opts[] = {
        {"bind", MAP_OPT_STRING, "ADDR", "address to listen on (numeric IPv4/IPv6)", "127.0.0.1",
         0, &bind, 0, 0, 0, 0, 0},
        {"port", MAP_OPT_LONG, "N", "TCP port (0: a free one, printed on stderr)", "8080", 0,
         &port, 0, 0, 0, 0, 65535},
        {"threads", MAP_OPT_LONG, "T", "request threads", "2", 0, &threads, 0, 0, 0, 1, 1024},
        {"token-file", MAP_OPT_STRING, "F",
         "file holding the bearer token every request must carry", "none (loopback only)", 0,
         &token_file, 0, 0, 0, 0, 0},
        {"max-body", MAP_OPT_LONG, "BYTES", "largest request body (413 beyond)", "1048576", 0,
         &max_body, 0, 0, 0, 1, 1L << 30},
        {"timeout", MAP_OPT_LONG, "S",
         "seconds before an idle connection is closed, or a slow request gets 408", "30", 0,
         &timeout, 0, 0, 0, 1, 86400},
        MAP_CLI_OPT_DB(&c.db),
    };
    const map_cmd_spec spec = MAP_CLI_SPEC("serve", 0, 0, opts);
    if (map_cli_begin(&spec, argc, argv, &c))
        return c.rc;
    char *token = NULL;
    if (token_file && read_token(token_file, &token, &c.err))
        return map_cli_fail(&c.err, spec.name);
    cfg.db_path = map_store_default_path(c.db);
    cfg.bind = bind ? bind : cfg.bind;
    cfg.port = (unsigned)port;
    cfg.threads = (unsigned)threads;
    cfg.token = token;
    cfg.max_body = (size_t)max_body;
    cfg.timeout = (unsigned)timeout;
    /* SIGINT and SIGTERM are taken by sigwait below: blocked before any
     * thread starts so that every thread inherits the mask. A client that
     * goes away must not kill the process. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    map_server *srv = NULL;
    int rc = map_server_start(&cfg, &srv, &c.err);
    if (rc) {
        map_free(token);
        return map_cli_fail(&c.err, spec.name);
    }
    const int v6 = strchr(cfg.bind, ':') != NULL && cfg.bind[0] != '[';
    fprintf(stderr, "listening on http://%s%s%s:%u\n", v6 ? "[" : "", cfg.bind, v6 ? "]" : "",
            map_server_port(srv));
    fflush(stderr);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    fprintf(stderr, "mapsolve: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    map_server_stop(srv);
    map_free(token);
    return MAP_OK;
}
