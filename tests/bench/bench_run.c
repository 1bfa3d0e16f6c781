/* bench_run.c — runs a command R times as a child process, the way a user
 * runs it, and reports the best wall time and the peak resident memory of
 * the child (ru_maxrss from wait4, which counts the child alone).
 *   bench_run [-r R] -o RESULT -- COMMAND [ARG...]
 * The child inherits stdin, stdout and stderr. RESULT receives one line
 * "WALL_S MAXRSS_KB EXIT CPU_S": the smallest wall time over the R runs, the
 * largest ru_maxrss, the exit status of the last run (128 + signal when
 * killed) and the smallest CPU time (user + system) of a run: on a machine
 * shared with other work the CPU time is the steadier figure. Exit 0 when the figures were written, 2 on misuse, 1 when the
 * command could not be started or RESULT not written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

static int usage(void)
{
    fputs("usage: bench_run [-r R] -o RESULT -- COMMAND [ARG...]\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    size_t r = 1;
    const char *result = NULL;
    int a = 1;
    for (; a < argc && strcmp(argv[a], "--") != 0; a++) {
        if (strcmp(argv[a], "-r") == 0 && a + 1 < argc) {
            if (bench_parse_size(argv[++a], 1, 1000, &r))
                return usage();
        } else if (strcmp(argv[a], "-o") == 0 && a + 1 < argc) {
            result = argv[++a];
        } else {
            return usage();
        }
    }
    if (!result || a + 1 >= argc)
        return usage();
    char **cmd = argv + a + 1;
    double best = 1e300, best_cpu = 1e300;
    long maxrss = 0;
    int status = 0;
    for (size_t i = 0; i < r; i++) {
        fflush(NULL);
        double t0 = bench_now();
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "bench_run: fork: %s\n", strerror(errno));
            return 1;
        }
        if (pid == 0) {
            execvp(cmd[0], cmd);
            fprintf(stderr, "bench_run: %s: %s\n", cmd[0], strerror(errno));
            _exit(127);
        }
        int ws;
        struct rusage ru;
        pid_t w;
        do
            w = wait4(pid, &ws, 0, &ru);
        while (w < 0 && errno == EINTR);
        double t = bench_now() - t0;
        if (w < 0) {
            fprintf(stderr, "bench_run: wait4: %s\n", strerror(errno));
            return 1;
        }
        if (t < best)
            best = t;
        double cpu = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
                     (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
        if (cpu < best_cpu)
            best_cpu = cpu;
        if (ru.ru_maxrss > maxrss)
            maxrss = ru.ru_maxrss;
        status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        if (status == 127)
            return 1;
    }
    FILE *f = fopen(result, "w");
    if (!f || fprintf(f, "%.6f %ld %d %.6f\n", best, maxrss, status, best_cpu) < 0 || fclose(f)) {
        fprintf(stderr, "bench_run: cannot write %s\n", result);
        return 1;
    }
    return 0;
}
