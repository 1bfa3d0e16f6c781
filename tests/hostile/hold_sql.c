/* hold_sql.c — a test-only LD_PRELOAD module that stops mapsolve at a chosen
 * SQL statement, so that crash_test.sh can kill it, or read the store,
 * at a point that does not depend on the machine's speed.
 *
 * It interposes sqlite3_exec and sqlite3_step, so it needs SQLite as a
 * shared library (Debian's libsqlite3), and reads the transaction state with
 * sqlite3_txn_state (SQLite 3.34 or later). When the environment names a
 * statement (MAPSOLVE_HOLD_SQL, a prefix of its text) the process raises
 * SIGSTOP on itself just before the MAPSOLVE_HOLD_NTH-th (default 1st)
 * matching statement that runs inside a write transaction. The test waits
 * until the kernel reports the process stopped ('T' in /proc/PID/stat) and
 * then knows exactly where it is: for "COMMIT", inside its write transaction
 * with every row written and nothing committed. SIGCONT lets it go on;
 * SIGKILL kills it there.
 *
 * Built as a shared module by tests/hostile/meson.build; never linked into
 * mapsolve.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

typedef int (*exec_fn)(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *,
                       char **);
typedef int (*step_fn)(sqlite3_stmt *);

static atomic_long matches;

/* The next definition of NAME after this module's. POSIX: dlsym's object
 * pointer converts to a function pointer of the same representation. */
static void next_symbol(const char *name, void *fn, size_t size)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (p == NULL || size != sizeof p)
        abort();
    memcpy(fn, &p, size);
}
/* sqlite3_exec may run its statements through sqlite3_step: those are the
 * exec's, already counted. */
static _Thread_local int in_exec;

static void hold_if_due(sqlite3 *db, const char *sql)
{
    const char *want = getenv("MAPSOLVE_HOLD_SQL");
    if (want == NULL || *want == '\0' || sql == NULL)
        return;
    /* Only statements of a write transaction count (a read transaction
     * also ends with COMMIT). */
    if (sqlite3_txn_state(db, NULL) != SQLITE_TXN_WRITE)
        return;
    while (*sql == ' ' || *sql == '\n' || *sql == '\t')
        sql++;
    if (strncmp(sql, want, strlen(want)) != 0)
        return;
    const char *nth_s = getenv("MAPSOLVE_HOLD_NTH");
    const long nth = nth_s != NULL ? strtol(nth_s, NULL, 10) : 1;
    if (atomic_fetch_add(&matches, 1) + 1 == nth)
        raise(SIGSTOP);
}

int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                 void *arg, char **errmsg)
{
    static exec_fn real;
    if (real == NULL)
        next_symbol("sqlite3_exec", &real, sizeof real);
    hold_if_due(db, sql);
    in_exec++;
    const int rc = real(db, sql, cb, arg, errmsg);
    in_exec--;
    return rc;
}

int sqlite3_step(sqlite3_stmt *stmt)
{
    static step_fn real;
    if (real == NULL)
        next_symbol("sqlite3_step", &real, sizeof real);
    if (in_exec == 0)
        hold_if_due(sqlite3_db_handle(stmt), sqlite3_sql(stmt));
    return real(stmt);
}
