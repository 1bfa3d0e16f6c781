/* test_store.c — unit tests of the SQLite store: round trips (bit-exact),
 * awkward names, chunking, replace/remove, listing, refusal of bad files,
 * concurrent reading in WAL mode and allocation-failure injection; sweeps:
 * round trips, batch atomicity (also under SIGKILL), the v1 → v2 migration
 * and the cascade from datasets; the per-value statistics (schema 3): stored
 * exactly, loaded without the matrix, tampering found, and the v2 → v3
 * migration that computes them; the sweep's request (schema 4) and the
 * v3 → v4 migration that keeps the older sweeps' command lines.
 *
 * Each test works in a fresh temporary directory under $TMPDIR (or /tmp)
 * that is removed at the end. Raw sqlite3 calls are used only to inspect or
 * tamper with the file behind the store's back.
 */
#include <dirent.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "map_test.h"
#include "map_stats.h"
#include "map_store.h"

/* ------------------------------------------------------------- fixtures */

static char tmp_dir[1024]; /* short enough that every path below fits */

static void tmp_setup(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    const int len = snprintf(tmp_dir, sizeof tmp_dir, "%s/mapsolve-store-XXXXXX", base);
    if (len < 0 || (size_t)len >= sizeof tmp_dir || !mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        exit(EXIT_FAILURE);
    }
}

static void remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    if (dir) {
        const struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[PATH_MAX];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            struct stat sb;
            if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                chmod(sub, 0700);
                remove_tree(sub);
            } else {
                unlink(sub);
            }
        }
        closedir(dir);
    }
    rmdir(path);
}

static void tmp_teardown(void) { remove_tree(tmp_dir); }

/* A path in the temporary directory (static buffer per slot). */
static const char *tmp_path(const char *name)
{
    static char buf[4][sizeof tmp_dir + 256];
    static int slot;
    slot = (slot + 1) % 4;
    snprintf(buf[slot], sizeof buf[slot], "%s/%s", tmp_dir, name);
    return buf[slot];
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Builds a dataset through the map_ allocator; NULL only on out-of-memory,
 * which does not happen while building fixtures (injection is off). */
static map_dataset *make_dataset(const char *name, size_t n, size_t m, int prompts, size_t ntext)
{
    map_dataset *ds = map_dataset_new();
    ds->name = map_strdup(name);
    ds->source = map_strdup("input.csv");
    ds->hash = map_strdup("0123456789abcdef0123456789abcdef");
    ds->created = 1700000000;
    ds->n = n;
    ds->m = m;
    ds->values = map_calloc(m, sizeof *ds->values);
    for (size_t i = 0; i < m; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "value_%zu", i);
        ds->values[i] = map_strdup(buf);
    }
    ds->x = map_mallocarray(n * m, sizeof *ds->x);
    for (size_t k = 0; k < n * m; k++)
        ds->x[k] = (double)(int64_t)(rng_next() % 2000001) / 1000.0 - 1000.0;
    if (prompts) {
        ds->prompt_name = map_strdup("prompt");
        ds->prompts = map_calloc(n, sizeof *ds->prompts);
        for (size_t j = 0; j < n; j++) {
            char buf[48];
            snprintf(buf, sizeof buf, "p%zu-%llu", j, (unsigned long long)(rng_next() % 1000));
            ds->prompts[j] = map_strdup(buf);
        }
    }
    if (ntext) {
        ds->ntext = ntext;
        ds->text_names = map_calloc(ntext, sizeof *ds->text_names);
        for (size_t c = 0; c < ntext; c++) {
            char buf[32];
            snprintf(buf, sizeof buf, "text_%zu", c);
            ds->text_names[c] = map_strdup(buf);
        }
        ds->text = map_calloc(n * ntext, sizeof *ds->text);
        for (size_t k = 0; k < n * ntext; k++) {
            char buf[48];
            snprintf(buf, sizeof buf, "cell %zu", k);
            ds->text[k] = map_strdup(k % 7 == 3 ? "" : buf);
        }
    }
    return ds;
}

static void set_string(char **slot, const char *s)
{
    map_free(*slot);
    *slot = map_strdup(s);
}

static int str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* Compares metadata, names and the matrix bit for bit; prompts and text
 * only where the loaded dataset b has them. Returns 1 when equal. */
static int same_dataset(const map_dataset *a, const map_dataset *b)
{
    int ok = a && b;
    if (!ok)
        return 0;
    ok = ok && str_eq(a->name, b->name) && str_eq(a->source, b->source)
         && str_eq(a->hash, b->hash) && a->created == b->created && a->n == b->n
         && a->m == b->m && str_eq(a->prompt_name, b->prompt_name) && a->ntext == b->ntext;
    for (size_t i = 0; ok && i < a->m; i++)
        ok = str_eq(a->values[i], b->values[i]);
    ok = ok && memcmp(a->x, b->x, a->n * a->m * sizeof(double)) == 0;
    for (size_t c = 0; ok && c < a->ntext; c++)
        ok = b->text_names && str_eq(a->text_names[c], b->text_names[c]);
    for (size_t j = 0; ok && b->prompts && j < a->n; j++)
        ok = str_eq(a->prompts[j] ? a->prompts[j] : "", b->prompts[j]);
    for (size_t k = 0; ok && b->text && k < a->n * a->ntext; k++)
        ok = str_eq(a->text[k] ? a->text[k] : "", b->text[k]);
    return ok;
}

static int contains(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

static int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK
        && sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

static int raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static map_store *open_ok(const char *path)
{
    map_store *st = NULL;
    map_error err;
    map_error_clear(&err);
    const int rc = map_store_open(path, &st, &err);
    MAP_CHECK(rc == MAP_OK && st, "open %s: %d %s", path, rc, err.msg);
    return st;
}

static void put_ok(map_store *st, const map_dataset *ds, int replace)
{
    map_error err;
    map_error_clear(&err);
    const int rc = map_store_put_dataset(st, ds, replace, &err);
    MAP_CHECK(rc == MAP_OK, "put %s: %d %s", ds->name, rc, err.msg);
}

static map_dataset *get_ok(map_store *st, const char *name, unsigned flags)
{
    map_dataset *ds = NULL;
    map_error err;
    map_error_clear(&err);
    const int rc = map_store_get_dataset(st, name, flags, &ds, &err);
    MAP_CHECK(rc == MAP_OK && ds, "get %s: %d %s", name, rc, err.msg);
    return ds;
}

/* Whether the dataset called name is absent (MAP_EUSAGE on get). */
static int absent(map_store *st, const char *name)
{
    map_dataset *ds = NULL;
    map_error err;
    const int rc = map_store_get_dataset(st, name, 0, &ds, &err);
    map_dataset_free(ds);
    return rc == MAP_EUSAGE && ds == NULL;
}

/* ---------------------------------------------------------------- tests */

static void test_round_trip(void)
{
    const char *path = tmp_path("rt.db");
    map_store *st = open_ok(path);
    map_dataset *ds = make_dataset("round", 9, 4, 1, 2);
    const double special[] = {-0.0, 0.0, DBL_TRUE_MIN, -DBL_TRUE_MIN, DBL_MIN / 3, 1e308,
                              -1e308, DBL_MAX, 0.1, -1.0 / 3.0, DBL_EPSILON, NAN};
    for (size_t k = 0; k < sizeof special / sizeof special[0]; k++)
        ds->x[k] = special[k];
    set_string(&ds->prompts[0], "prompt with 'quote', \"dq\", ; and\nnewline");
    set_string(&ds->prompts[1], "");
    set_string(&ds->prompts[2], "Grüße, 世界 🌍");
    set_string(&ds->text[5], "multi\nline\ttext; DROP TABLE dataset; --");
    map_free(ds->source);
    ds->source = NULL; /* NULL metadata round-trips as NULL */
    put_ok(st, ds, 0);

    map_dataset *all = get_ok(st, "round", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(all && all->prompts && all->text, "prompts and text loaded");
    MAP_CHECK(same_dataset(ds, all), "full round trip is exact");
    if (all) {
        uint64_t a, b;
        memcpy(&a, &all->x[0], sizeof a);
        memcpy(&b, &special[0], sizeof b);
        MAP_CHECK(a == b && signbit(all->x[0]), "-0.0 keeps its sign");
        MAP_CHECK(all->x[2] == DBL_TRUE_MIN, "subnormal kept");
        MAP_CHECK(all->x[5] == 1e308, "1e308 kept");
        MAP_CHECK(all->source == NULL, "NULL source stays NULL");
    }

    map_dataset *bare = get_ok(st, "round", 0);
    MAP_CHECK(bare && !bare->prompts && !bare->text, "nothing extra loaded without flags");
    MAP_CHECK(bare && bare->text_names && bare->prompt_name, "names still loaded");
    MAP_CHECK(same_dataset(ds, bare), "matrix round trip without extras");

    map_dataset *pr = get_ok(st, "round", MAP_LOAD_PROMPTS);
    MAP_CHECK(pr && pr->prompts && !pr->text, "only prompts loaded");
    MAP_CHECK(same_dataset(ds, pr), "prompts round trip");

    /* Without a prompt column or text the flags are harmless. */
    map_dataset *plain = make_dataset("plain", 3, 2, 0, 0);
    put_ok(st, plain, 0);
    map_dataset *plain2 = get_ok(st, "plain", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(plain2 && !plain2->prompts && !plain2->text && !plain2->prompt_name
                  && plain2->ntext == 0,
              "plain dataset has no extras");
    MAP_CHECK(same_dataset(plain, plain2), "plain round trip");

    map_error err;
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check: %s", err.msg);
    map_store_close(st);

    /* Reopening finds everything and does not migrate again. */
    MAP_CHECK(raw_int(path, "PRAGMA user_version") == MAP_STORE_SCHEMA_VERSION, "user_version");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM dataset") == 2, "two datasets");
    st = open_ok(path);
    map_dataset *again = get_ok(st, "round", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(same_dataset(ds, again), "round trip after reopen");
    map_store_close(st);

    map_dataset_free(again);
    map_dataset_free(plain2);
    map_dataset_free(plain);
    map_dataset_free(pr);
    map_dataset_free(bare);
    map_dataset_free(all);
    map_dataset_free(ds);
}

static void test_odd_names(void)
{
    static const char *const names[] = {
        "it's",
        "semi;colon",
        "x'); DROP TABLE dataset; --",
        "two\nlines",
        "naïve 数据 ✓ Ω",
        "\"double\" quotes",
        "%s %n %d",
        "SELECT * FROM dataset",
    };
    const size_t count = sizeof names / sizeof names[0];
    map_store *st = open_ok(tmp_path("names.db"));
    for (size_t k = 0; k < count; k++) {
        map_dataset *ds = make_dataset(names[k], 4, 3, 1, 1);
        set_string(&ds->values[0], names[k]);
        set_string(&ds->values[1], names[(k + 1) % count]);
        set_string(&ds->prompt_name, names[(k + 2) % count]);
        set_string(&ds->text_names[0], names[(k + 3) % count]);
        put_ok(st, ds, 0);
        map_dataset_free(ds);
    }
    map_dataset_info *info = NULL;
    size_t n = 0;
    map_error err;
    MAP_CHECK(map_store_list(st, &info, &n, &err) == MAP_OK, "list: %s", err.msg);
    MAP_CHECK(n == count, "all %zu stored, got %zu", count, n);
    for (size_t k = 1; k < n; k++)
        MAP_CHECK(strcmp(info[k - 1].name, info[k].name) < 0, "list ordered by name");
    map_dataset_info_free(info, n);

    for (size_t k = 0; k < count; k++) {
        map_dataset *ds = get_ok(st, names[k], MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
        MAP_CHECK(ds && str_eq(ds->name, names[k]) && str_eq(ds->values[0], names[k])
                      && str_eq(ds->values[1], names[(k + 1) % count])
                      && str_eq(ds->prompt_name, names[(k + 2) % count])
                      && str_eq(ds->text_names[0], names[(k + 3) % count]),
                  "names of '%s' round trip", names[k]);
        map_dataset_free(ds);
    }
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check after odd names: %s", err.msg);
    map_store_close(st);
}

static void test_chunks(void)
{
    const char *path = tmp_path("chunks.db");
    map_store *st = open_ok(path);
    map_dataset *tall = make_dataset("tall", 200000, 3, 1, 1);
    put_ok(st, tall, 0);
    /* 65536 rows a chunk: 3 full chunks and one of 3392 rows. */
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM matrix_chunk") == 4, "4 matrix chunks");
    MAP_CHECK(raw_int(path, "SELECT nrows FROM matrix_chunk WHERE chunk = 3") == 200000 - 3 * 65536,
              "last chunk holds the rest");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM string_chunk WHERE col = -1") == 4,
              "4 prompt chunks");
    map_dataset *back = get_ok(st, "tall", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(back && back->prompts && back->text, "tall extras loaded");
    MAP_CHECK(same_dataset(tall, back), "multi-chunk round trip");
    map_dataset_free(back);

    /* Exactly one full chunk, and a wide matrix with fewer rows a chunk. */
    map_dataset *exact = make_dataset("exact", 65536, 2, 0, 0);
    put_ok(st, exact, 0);
    back = get_ok(st, "exact", 0);
    MAP_CHECK(same_dataset(exact, back), "exact chunk round trip");
    map_dataset_free(back);

    map_dataset *wide = make_dataset("wide", 20000, 300, 0, 0);
    put_ok(st, wide, 0);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM matrix_chunk m JOIN dataset d "
                            "ON m.dataset_id = d.id WHERE d.name = 'wide'") == 3,
              "wide matrix: 6990 rows a chunk");
    back = get_ok(st, "wide", 0);
    MAP_CHECK(same_dataset(wide, back), "wide round trip");
    map_dataset_free(back);

    /* Long strings close string chunks by size. */
    map_dataset *longs = make_dataset("longs", 5, 1, 1, 0);
    char *big = map_malloc((5u << 20) + 1);
    memset(big, 'y', 5u << 20);
    big[5u << 20] = '\0';
    map_free(longs->prompts[1]);
    longs->prompts[1] = big;
    put_ok(st, longs, 0);
    back = get_ok(st, "longs", MAP_LOAD_PROMPTS);
    MAP_CHECK(same_dataset(longs, back), "long strings round trip");
    map_dataset_free(back);

    map_dataset_free(longs);
    map_dataset_free(wide);
    map_dataset_free(exact);
    map_dataset_free(tall);
    map_store_close(st);
}

static void test_duplicate_and_replace(void)
{
    const char *path = tmp_path("dup.db");
    map_store *st = open_ok(path);
    map_dataset *a = make_dataset("same", 5, 2, 1, 1);
    map_dataset *b = make_dataset("same", 70000, 3, 0, 0);
    put_ok(st, a, 0);
    const int64_t chunks = raw_int(path, "SELECT count(*) FROM matrix_chunk");

    map_error err;
    map_error_clear(&err);
    int rc = map_store_put_dataset(st, b, 0, &err);
    MAP_CHECK(rc == MAP_EDATA, "duplicate refused: %d", rc);
    MAP_CHECK(contains(err.msg, "a dataset named 'same' already exists") &&
                  strcmp(err.field, "replace") == 0,
              "message: %s", err.msg);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM matrix_chunk") == chunks, "nothing added");
    map_dataset *back = get_ok(st, "same", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(same_dataset(a, back), "old dataset unchanged");
    map_dataset_free(back);

    put_ok(st, b, 1);
    back = get_ok(st, "same", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(same_dataset(b, back), "replaced");
    map_dataset_free(back);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM dataset") == 1, "one dataset left");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM matrix_chunk") == 2, "old chunks gone");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM string_chunk") == 0, "old strings gone");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM text_column") == 0, "old text columns gone");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM dataset_value") == 3, "new values only");

    /* replace of a name not yet taken simply stores. */
    map_dataset *c = make_dataset("fresh", 2, 2, 0, 0);
    put_ok(st, c, 1);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM dataset") == 2, "fresh stored");
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check: %s", err.msg);
    map_dataset_free(c);
    map_dataset_free(b);
    map_dataset_free(a);
    map_store_close(st);
}

static void test_remove(void)
{
    const char *path = tmp_path("rm.db");
    map_store *st = open_ok(path);
    map_dataset *a = make_dataset("gone", 100, 3, 1, 2);
    map_dataset *b = make_dataset("kept", 10, 2, 1, 1);
    put_ok(st, a, 0);
    put_ok(st, b, 0);
    map_error err;
    map_error_clear(&err);
    MAP_CHECK(map_store_remove_dataset(st, "gone", &err) == MAP_OK, "remove: %s", err.msg);

    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "no dataset named 'gone' in %s", path);
    map_dataset *ds = NULL;
    int rc = map_store_get_dataset(st, "gone", 0, &ds, &err);
    MAP_CHECK(rc == MAP_EUSAGE && !ds, "removed dataset is gone: %d", rc);
    MAP_CHECK(strcmp(err.msg, want) == 0, "message: %s", err.msg);
    rc = map_store_remove_dataset(st, "gone", &err);
    MAP_CHECK(rc == MAP_EUSAGE && strcmp(err.msg, want) == 0, "second remove: %d %s", rc,
              err.msg);

    /* The cascade left only b's rows. */
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM dataset_value") == 2, "values cascaded");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM text_column") == 1, "text columns cascaded");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM matrix_chunk") == 1, "chunks cascaded");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM string_chunk") == 2, "strings cascaded");
    ds = get_ok(st, "kept", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(same_dataset(b, ds), "other dataset intact");
    map_dataset_free(ds);
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check: %s", err.msg);
    map_dataset_free(b);
    map_dataset_free(a);
    map_store_close(st);
}

static void test_find_hash_and_list(void)
{
    map_store *st = open_ok(tmp_path("list.db"));
    map_error err;
    map_dataset_info *info = NULL;
    size_t n = 99;
    MAP_CHECK(map_store_list(st, &info, &n, &err) == MAP_OK && n == 0, "empty list: %s",
              err.msg);
    map_dataset_info_free(info, n);

    static const char *const order[] = {"beta", "alpha", "gamma"};
    for (size_t k = 0; k < 3; k++) {
        map_dataset *ds = make_dataset(order[k], 3 + k, 2 + k, k == 0, k);
        char hash[40];
        snprintf(hash, sizeof hash, "hash-%s", order[k]);
        set_string(&ds->hash, hash);
        ds->created = 1000 + (int64_t)k;
        put_ok(st, ds, 0);
        map_dataset_free(ds);
    }

    char *name = NULL;
    MAP_CHECK(map_store_find_hash(st, "hash-gamma", &name, &err) == MAP_OK
                  && str_eq(name, "gamma"),
              "find_hash: %s", name ? name : "(null)");
    map_free(name);
    name = (char *)"junk";
    MAP_CHECK(map_store_find_hash(st, "no-such-hash", &name, &err) == MAP_OK && name == NULL,
              "unknown hash gives NULL");

    MAP_CHECK(map_store_list(st, &info, &n, &err) == MAP_OK, "list: %s", err.msg);
    MAP_CHECK(n == 3, "3 datasets listed");
    if (n == 3) {
        MAP_CHECK(str_eq(info[0].name, "alpha") && str_eq(info[1].name, "beta")
                      && str_eq(info[2].name, "gamma"),
                  "ordered by name");
        MAP_CHECK(info[0].n == 4 && info[0].m == 3 && info[0].ntext == 1
                      && info[0].created == 1001 && str_eq(info[0].hash, "hash-alpha")
                      && str_eq(info[0].source, "input.csv") && info[0].prompt_name == NULL,
                  "alpha's fields");
        MAP_CHECK(str_eq(info[1].prompt_name, "prompt") && info[1].ntext == 0,
                  "beta's prompt column");
        MAP_CHECK(info[2].m == 4 && str_eq(info[2].values[0], "value_0")
                      && str_eq(info[2].values[3], "value_3"),
                  "gamma's value names");
    }
    map_dataset_info_free(info, n);
    map_store_close(st);
}

static void test_validation(void)
{
    const char *path = tmp_path("valid.db");
    map_store *st = open_ok(path);
    map_error err;
    map_dataset *ds = make_dataset("v", 3, 2, 1, 1);

    ds->n = 0;
    MAP_CHECK(map_store_put_dataset(st, ds, 0, &err) == MAP_EDATA, "n = 0 refused");
    ds->n = 3;
    ds->m = 0;
    MAP_CHECK(map_store_put_dataset(st, ds, 0, &err) == MAP_EDATA, "m = 0 refused");
    ds->m = 2;
    char *name = ds->name;
    ds->name = NULL;
    MAP_CHECK(map_store_put_dataset(st, ds, 0, &err) == MAP_EDATA, "no name refused");
    ds->name = name;
    char *v1 = ds->values[1];
    ds->values[1] = NULL;
    MAP_CHECK(map_store_put_dataset(st, ds, 0, &err) == MAP_EDATA, "NULL value name refused");
    ds->values[1] = v1;
    char **prompts = ds->prompts;
    ds->prompts = NULL;
    MAP_CHECK(map_store_put_dataset(st, ds, 0, &err) == MAP_EDATA, "prompt column w/o prompts");
    ds->prompts = prompts;
    MAP_CHECK(map_store_put_dataset(st, NULL, 0, &err) != MAP_OK, "NULL dataset refused");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM dataset") == 0, "nothing stored");

    /* NULL cells are stored as empty strings. */
    map_free(ds->text[1]);
    ds->text[1] = NULL;
    put_ok(st, ds, 0);
    map_dataset *back = get_ok(st, "v", MAP_LOAD_TEXT);
    MAP_CHECK(back && str_eq(back->text[1], ""), "NULL cell reads back as empty");
    map_dataset_free(back);

    map_dataset *out = ds; /* must be reset to NULL */
    MAP_CHECK(map_store_get_dataset(st, "nope", 0, &out, &err) == MAP_EUSAGE && out == NULL,
              "unknown dataset");
    map_dataset_free(ds);
    map_store_close(st);
}

static void test_refused_files(void)
{
    map_store *st = NULL;
    map_error err;

    /* A schema newer than this binary. */
    const char *newer = tmp_path("newer.db");
    st = open_ok(newer);
    map_store_close(st);
    MAP_CHECK(raw_exec(newer, "PRAGMA user_version = 99") == SQLITE_OK, "set user_version");
    st = NULL;
    int rc = map_store_open(newer, &st, &err);
    MAP_CHECK(rc == MAP_ESTORE && !st, "newer schema refused: %d", rc);
    char ours[16];
    snprintf(ours, sizeof ours, "(%d)", MAP_STORE_SCHEMA_VERSION);
    MAP_CHECK(contains(err.msg, newer) && contains(err.msg, "99") && contains(err.msg, ours),
              "message names the path and both versions: %s", err.msg);
    rc = map_store_open_readonly(newer, &st, &err);
    MAP_CHECK(rc == MAP_ESTORE && !st, "newer schema refused read-only: %d", rc);

    /* Not a database at all. */
    const char *junk = tmp_path("junk.db");
    FILE *f = fopen(junk, "w");
    for (int k = 0; f && k < 200; k++)
        fputs("this is not a database, just text\n", f);
    if (f)
        fclose(f);
    rc = map_store_open(junk, &st, &err);
    MAP_CHECK(rc == MAP_ESTORE && !st, "junk refused: %d", rc);
    MAP_CHECK(contains(err.msg, junk) && contains(err.msg, "not a SQLite database"),
              "message: %s", err.msg);
    rc = map_store_open_readonly(junk, &st, &err);
    MAP_CHECK(rc == MAP_ESTORE && !st, "junk refused read-only: %d", rc);

    /* Another application's SQLite database. */
    const char *other = tmp_path("other.db");
    MAP_CHECK(raw_exec(other, "CREATE TABLE t (a); PRAGMA user_version = 3") == SQLITE_OK,
              "make foreign db");
    rc = map_store_open(other, &st, &err);
    MAP_CHECK(rc == MAP_ESTORE && contains(err.msg, "not a mapsolve database"),
              "foreign db refused: %d %s", rc, err.msg);
    MAP_CHECK(raw_int(other, "SELECT count(*) FROM sqlite_master") == 1, "foreign db untouched");

    /* A missing directory. */
    const char *missing = tmp_path("no/such/dir/x.db");
    rc = map_store_open(missing, &st, &err);
    MAP_CHECK(rc == MAP_ESTORE && !st && contains(err.msg, missing), "missing dir: %d %s", rc,
              err.msg);

    /* Read-only open of a missing file neither succeeds nor creates it. */
    const char *nofile = tmp_path("nofile.db");
    rc = map_store_open_readonly(nofile, &st, &err);
    MAP_CHECK(rc == MAP_ESTORE && !st && contains(err.msg, nofile), "readonly missing: %d %s", rc,
              err.msg);
    MAP_CHECK(access(nofile, F_OK) != 0, "readonly open created no file");

    rc = map_store_open("", &st, &err);
    MAP_CHECK(rc != MAP_OK && !st, "empty path refused");

    /* A read-only directory (root bypasses permissions, so only as a user). */
    if (geteuid() != 0) {
        const char *rodir = tmp_path("rodir");
        mkdir(rodir, 0500);
        char ropath[PATH_MAX];
        snprintf(ropath, sizeof ropath, "%s/x.db", rodir);
        rc = map_store_open(ropath, &st, &err);
        MAP_CHECK(rc == MAP_ESTORE && !st && contains(err.msg, ropath), "read-only dir: %d %s",
                  rc, err.msg);

        const char *rofile = tmp_path("rofile.db");
        st = open_ok(rofile);
        map_store_close(st);
        st = NULL;
        chmod(rofile, 0400);
        rc = map_store_open(rofile, &st, &err);
        MAP_CHECK(rc == MAP_ESTORE && !st && contains(err.msg, rofile), "read-only file: %d %s",
                  rc, err.msg);
        rc = map_store_open_readonly(rofile, &st, &err);
        MAP_CHECK(rc == MAP_OK && st, "read-only file opens read-only: %d %s", rc, err.msg);
        map_store_close(st);
    }
}

static void test_readonly(void)
{
    const char *path = tmp_path("ro.db");
    map_store *st = open_ok(path);
    map_dataset *ds = make_dataset("r", 6, 2, 1, 0);
    put_ok(st, ds, 0);
    map_store_close(st);

    map_error err;
    map_store *ro = NULL;
    MAP_CHECK(map_store_open_readonly(path, &ro, &err) == MAP_OK, "readonly open: %s", err.msg);
    if (ro) {
        map_dataset *back = get_ok(ro, "r", MAP_LOAD_PROMPTS);
        MAP_CHECK(same_dataset(ds, back), "read through a read-only handle");
        map_dataset_free(back);
        MAP_CHECK(map_store_put_dataset(ro, ds, 1, &err) != MAP_OK, "put refused read-only");
        MAP_CHECK(map_store_remove_dataset(ro, "r", &err) != MAP_OK, "remove refused read-only");
        MAP_CHECK(map_store_check(ro, &err) == MAP_OK, "check read-only: %s", err.msg);
        map_store_close(ro);
    }
    map_dataset_free(ds);
}

static void test_corruption(void)
{
    const char *path = tmp_path("corrupt.db");
    map_store *st = open_ok(path);
    map_dataset *ds = make_dataset("c", 70000, 2, 1, 0);
    put_ok(st, ds, 0);
    map_error err;
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "integrity ok: %s", err.msg);

    MAP_CHECK(raw_exec(path, "UPDATE matrix_chunk SET data = X'0001' WHERE chunk = 1")
                  == SQLITE_OK, "tamper");
    map_dataset *out = NULL;
    int rc = map_store_get_dataset(st, "c", 0, &out, &err);
    MAP_CHECK(rc == MAP_ESTORE && !out && contains(err.msg, "corrupt"), "short chunk: %d %s", rc,
              err.msg);

    put_ok(st, ds, 1);
    MAP_CHECK(raw_exec(path, "DELETE FROM matrix_chunk WHERE chunk = 0") == SQLITE_OK, "tamper");
    rc = map_store_get_dataset(st, "c", 0, &out, &err);
    MAP_CHECK(rc == MAP_ESTORE && !out, "missing chunk: %d %s", rc, err.msg);

    put_ok(st, ds, 1);
    MAP_CHECK(raw_exec(path, "UPDATE string_chunk SET data = substr(data, 1, length(data) - 1) "
                             "WHERE chunk = 0") == SQLITE_OK, "tamper");
    out = get_ok(st, "c", 0);
    MAP_CHECK(same_dataset(ds, out), "matrix still loads without prompts");
    map_dataset_free(out);
    out = NULL;
    rc = map_store_get_dataset(st, "c", MAP_LOAD_PROMPTS, &out, &err);
    MAP_CHECK(rc == MAP_ESTORE && !out, "truncated strings: %d %s", rc, err.msg);

    put_ok(st, ds, 1);
    MAP_CHECK(raw_exec(path, "UPDATE dataset SET n = 69999") == SQLITE_OK, "tamper");
    rc = map_store_get_dataset(st, "c", 0, &out, &err);
    MAP_CHECK(rc == MAP_ESTORE && !out, "wrong row count: %d %s", rc, err.msg);

    MAP_CHECK(raw_exec(path, "PRAGMA foreign_keys = OFF; DELETE FROM dataset") == SQLITE_OK,
              "orphan the children");
    rc = map_store_check(st, &err);
    MAP_CHECK(rc == MAP_ESTORE && contains(err.msg, "integrity"), "orphans found: %d %s", rc,
              err.msg);
    map_dataset_free(ds);
    map_store_close(st);
}

/* A reader is not blocked by another connection's open write transaction
 * and sees the last committed state. */
static void test_concurrent_read(void)
{
    const char *path = tmp_path("wal.db");
    map_store *st = open_ok(path);
    map_dataset *ds = make_dataset("shared", 1000, 3, 1, 1);
    put_ok(st, ds, 0);
    MAP_CHECK(raw_int(path, "PRAGMA journal_mode") >= 0, "journal mode readable");

    sqlite3 *w = NULL;
    int rc = sqlite3_open_v2(path, &w, SQLITE_OPEN_READWRITE, NULL);
    MAP_CHECK(rc == SQLITE_OK, "writer open");
    rc = sqlite3_exec(w, "BEGIN IMMEDIATE; DELETE FROM dataset WHERE name = 'shared';", NULL, NULL,
                      NULL);
    MAP_CHECK(rc == SQLITE_OK, "writer holds a write transaction: %s", sqlite3_errmsg(w));

    map_store *reader = open_ok(path); /* opening needs no write lock */
    if (reader) {
        map_dataset *back = get_ok(reader, "shared", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
        MAP_CHECK(same_dataset(ds, back), "reader sees the committed dataset");
        map_dataset_free(back);
        map_dataset_info *info = NULL;
        size_t n = 0;
        map_error err;
        MAP_CHECK(map_store_list(reader, &info, &n, &err) == MAP_OK && n == 1, "list: %s",
                  err.msg);
        map_dataset_info_free(info, n);
        map_store_close(reader);
    }
    rc = sqlite3_exec(w, "ROLLBACK", NULL, NULL, NULL);
    MAP_CHECK(rc == SQLITE_OK, "writer rollback");
    sqlite3_close(w);
    map_dataset_free(ds);
    map_store_close(st);
}

/* Every allocation of put, get, list, find and open failing in turn: an
 * error each time, never a crash or leak, and the store stays consistent. */
static void test_alloc_failures(void)
{
    const char *path = tmp_path("oom.db");
    map_store *st = open_ok(path);
    map_dataset *old = make_dataset("victim", 50, 3, 1, 2);
    map_dataset *ds = make_dataset("victim", 300, 4, 1, 2);
    map_dataset *other = make_dataset("other", 30, 2, 1, 1);
    put_ok(st, other, 0);
    map_error err;

    /* A fresh put: afterwards the dataset is absent or complete. */
    long k = 0;
    int rc = MAP_ENOMEM;
    for (; k < 1000 && rc != MAP_OK; k++) {
        map_alloc_fail_after(k);
        rc = map_store_put_dataset(st, ds, 0, &err);
        map_alloc_fail_after(-1);
        MAP_CHECK(rc == MAP_OK || rc == MAP_ENOMEM, "put with %ld allocations: %d %s", k, rc,
                  err.msg);
        if (rc != MAP_OK)
            MAP_CHECK(absent(st, "victim"), "failed put left nothing (k=%ld)", k);
    }
    MAP_CHECK(rc == MAP_OK, "put eventually succeeds");
    map_dataset *back = get_ok(st, "victim", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(same_dataset(ds, back), "dataset complete after injected put");
    map_dataset_free(back);

    /* A replacing put: afterwards the old or the new dataset, complete. */
    put_ok(st, old, 1);
    rc = MAP_ENOMEM;
    for (k = 0; k < 1000 && rc != MAP_OK; k++) {
        map_alloc_fail_after(k);
        rc = map_store_put_dataset(st, ds, 1, &err);
        map_alloc_fail_after(-1);
        MAP_CHECK(rc == MAP_OK || rc == MAP_ENOMEM, "replace with %ld allocations: %d", k, rc);
        back = get_ok(st, "victim", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
        MAP_CHECK(same_dataset(rc == MAP_OK ? ds : old, back), "old or new in full (k=%ld)", k);
        map_dataset_free(back);
    }

    /* get: an error and no output until enough allocations are allowed. */
    rc = MAP_ENOMEM;
    for (k = 0; k < 100000 && rc != MAP_OK; k++) {
        map_dataset *out = NULL;
        map_alloc_fail_after(k);
        rc = map_store_get_dataset(st, "victim", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT, &out, &err);
        map_alloc_fail_after(-1);
        MAP_CHECK(rc == MAP_OK ? out != NULL : (rc == MAP_ENOMEM && out == NULL),
                  "get with %ld allocations: %d %s", k, rc, err.msg);
        if (rc == MAP_OK)
            MAP_CHECK(same_dataset(ds, out), "get after injection is exact");
        map_dataset_free(out);
    }
    /* (the matrix, the names, one block per chunk of strings, statements) */
    MAP_CHECK(rc == MAP_OK && k > 10, "get needed %ld allocations", k);

    /* list and find_hash. */
    rc = MAP_ENOMEM;
    for (k = 0; k < 1000 && rc != MAP_OK; k++) {
        map_dataset_info *info = NULL;
        size_t n = 0;
        map_alloc_fail_after(k);
        rc = map_store_list(st, &info, &n, &err);
        map_alloc_fail_after(-1);
        MAP_CHECK(rc == MAP_OK ? n == 2 : (rc == MAP_ENOMEM && info == NULL && n == 0),
                  "list with %ld allocations: %d", k, rc);
        map_dataset_info_free(info, n);
    }
    MAP_CHECK(rc == MAP_OK, "list eventually succeeds");
    for (k = 0; k < 3; k++) {
        char *name = NULL;
        map_alloc_fail_after(k);
        rc = map_store_find_hash(st, "0123456789abcdef0123456789abcdef", &name, &err);
        map_alloc_fail_after(-1);
        MAP_CHECK(rc == MAP_OK ? name != NULL : (rc == MAP_ENOMEM && !name),
                  "find_hash with %ld allocations: %d", k, rc);
        map_free(name);
    }

    /* open, both on an existing store and on a fresh file. */
    for (int fresh = 0; fresh < 2; fresh++) {
        const char *p = fresh ? tmp_path("oom-fresh.db") : path;
        rc = MAP_ENOMEM;
        for (k = 0; k < 100 && rc != MAP_OK; k++) {
            map_store *s2 = NULL;
            map_alloc_fail_after(k);
            rc = map_store_open(p, &s2, &err);
            map_alloc_fail_after(-1);
            MAP_CHECK(rc == MAP_OK ? s2 != NULL : (rc == MAP_ENOMEM && !s2),
                      "open with %ld allocations: %d", k, rc);
            map_store_close(s2);
        }
        MAP_CHECK(rc == MAP_OK, "open eventually succeeds");
    }

    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check after injection: %s", err.msg);
    back = get_ok(st, "other", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(same_dataset(other, back), "untouched dataset intact");
    map_dataset_free(back);
    map_dataset_free(other);
    map_dataset_free(ds);
    map_dataset_free(old);
    map_store_close(st);
}

/* ------------------------------------------------------------ sweeps */

static const char *const SWEEP_VALUES[2] = {"value_0", "value, 1"};
static const char *const SWEEP_LEVELS[3] = {"value_0", "value, 1", "value_2"};

static int64_t sweep_create_ok(map_store *st, const char *dataset, size_t total)
{
    map_store_sweep_meta meta = {dataset, "mapsolve sweep x --grid 'a=1:2:3'", "grid",
                                 UINT64_C(0xFEDCBA9876543210), 1700000123, 2, SWEEP_VALUES, 3,
                                 SWEEP_LEVELS, total, NULL};
    int64_t id = 0;
    map_error err;
    map_error_clear(&err);
    const int rc = map_store_sweep_create(st, &meta, &id, &err);
    MAP_CHECK(rc == MAP_OK && id > 0, "sweep create: %d %s", rc, err.msg);
    return id;
}

/* Deterministic content of row r: NaN, infinities and NULL targets included. */
typedef struct sweep_fixture {
    double target[2], lambda[2], level[3];
    map_store_sweep_row row;
} sweep_fixture;

static void sweep_fill(sweep_fixture *f, size_t r)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < 2; i++) {
        f->target[i] = (double)r + 0.1 * (double)i + 1e-17 * (double)r;
        f->lambda[i] = r % 5 == 3 ? (i ? INFINITY : 0.0) : 1.0 / (double)(r + i + 1);
    }
    for (size_t i = 0; i < 3; i++)
        f->level[i] = r % 7 == 2 ? NAN : -(double)r / 3.0 + (double)i;
    f->row.row = r;
    f->row.status = r % 5 == 3 ? "boundary" : "optimal";
    f->row.improves = (int)(r % 3) - 1;
    f->row.target = r % 4 == 1 ? NULL : f->target;
    f->row.lambda = f->lambda;
    f->row.level = f->level;
    f->row.kl = r % 7 == 2 ? NAN : 0.5 * (double)r;
    f->row.ess = r % 6 == 0 ? INFINITY : 100.0 - (double)r;
    f->row.margin = r % 2 ? NAN : 1e-3 * (double)r;
    f->row.iterations = (int)r;
}

/* Appends rows [from, to) as one batch. */
static int sweep_append_range(map_store *st, int64_t id, size_t from, size_t to, map_error *err)
{
    sweep_fixture *f = calloc(to - from, sizeof *f);
    map_store_sweep_row *rows = calloc(to - from, sizeof *rows);
    for (size_t r = from; r < to; r++) {
        sweep_fill(&f[r - from], r);
        rows[r - from] = f[r - from].row;
    }
    const int rc = map_store_sweep_append(st, id, rows, to - from, err);
    free(rows);
    free(f);
    return rc;
}

static int same_bits(const double *a, const double *b, size_t n)
{
    if (!a || !b)
        return a == b;
    return memcmp(a, b, n * sizeof *a) == 0;
}

static int same_real(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

typedef struct sweep_reader {
    size_t next, count, stop_after;
    int bad;
} sweep_reader;

/* Checks each row read against sweep_fill and that rows come in order. */
static int sweep_check_row(void *ctx, const map_store_sweep_row *r)
{
    sweep_reader *rd = ctx;
    sweep_fixture f;
    sweep_fill(&f, r->row);
    const int ok = r->row >= rd->next && strcmp(r->status, f.row.status) == 0
                   && r->improves == f.row.improves && same_bits(r->target, f.row.target, 2)
                   && same_bits(r->lambda, f.lambda, 2) && same_bits(r->level, f.level, 3)
                   && same_real(r->kl, f.row.kl) && same_real(r->ess, f.row.ess)
                   && same_real(r->margin, f.row.margin) && r->iterations == f.row.iterations;
    if (!ok)
        rd->bad++;
    rd->next = r->row + 1;
    rd->count++;
    return rd->stop_after && rd->count == rd->stop_after ? 42 : 0;
}

static void test_sweep_round_trip(void)
{
    const char *path = tmp_path("sweep.db");
    map_store *st = open_ok(path);
    map_dataset *ds = make_dataset("sw", 20, 3, 0, 0);
    put_ok(st, ds, 0);
    map_error err;
    const int64_t id = sweep_create_ok(st, "sw", 100);

    MAP_CHECK(sweep_append_range(st, id, 0, 40, &err) == MAP_OK, "batch 1: %s", err.msg);
    MAP_CHECK(sweep_append_range(st, id, 40, 70, &err) == MAP_OK, "batch 2: %s", err.msg);

    map_store_sweep_info *info = NULL;
    MAP_CHECK(map_store_sweep_get(st, id, &info, &err) == MAP_OK && info, "get: %s", err.msg);
    if (info) {
        MAP_CHECK(info->id == id && str_eq(info->dataset, "sw") && info->created == 1700000123
                      && str_eq(info->command, "mapsolve sweep x --grid 'a=1:2:3'")
                      && str_eq(info->source, "grid")
                      && info->seed == UINT64_C(0xFEDCBA9876543210) && info->k == 2
                      && info->nlevel == 3 && info->total_rows == 100 && !info->complete,
                  "metadata");
        MAP_CHECK(info->stored_rows == 70 && info->next_row == 70, "stored %zu next %zu",
                  info->stored_rows, info->next_row);
        for (size_t i = 0; i < 2; i++)
            MAP_CHECK(str_eq(info->values[i], SWEEP_VALUES[i]), "value name %zu", i);
        for (size_t i = 0; i < 3; i++)
            MAP_CHECK(str_eq(info->level_names[i], SWEEP_LEVELS[i]), "level name %zu", i);
    }
    map_store_sweep_info_free(info, 1);

    sweep_reader rd = {0, 0, 0, 0};
    MAP_CHECK(map_store_sweep_read(st, id, 0, sweep_check_row, &rd, &err) == MAP_OK, "read: %s",
              err.msg);
    MAP_CHECK(rd.count == 70 && rd.bad == 0, "read back %zu rows, %d differ", rd.count, rd.bad);
    rd = (sweep_reader){0, 0, 0, 0};
    MAP_CHECK(map_store_sweep_read(st, id, 65, sweep_check_row, &rd, &err) == MAP_OK, "read from");
    MAP_CHECK(rd.count == 5 && rd.bad == 0, "from row 65: %zu rows", rd.count);
    rd = (sweep_reader){0, 0, 3, 0};
    MAP_CHECK(map_store_sweep_read(st, id, 0, sweep_check_row, &rd, &err) == 42 && rd.count == 3,
              "callback stops the read");

    /* A gap: next_row is the first missing row. */
    MAP_CHECK(sweep_append_range(st, id, 80, 85, &err) == MAP_OK, "batch after a gap");
    map_store_sweep_get(st, id, &info, &err);
    MAP_CHECK(info && info->stored_rows == 75 && info->next_row == 70, "gap: next row %zu",
              info ? info->next_row : 0);
    map_store_sweep_info_free(info, 1);

    /* Atomic batches: a batch with one bad row stores nothing. */
    int rc = sweep_append_range(st, id, 69, 72, &err); /* 69 is stored */
    MAP_CHECK(rc == MAP_EDATA && contains(err.msg, "69"), "duplicate refused: %d %s", rc, err.msg);
    rc = sweep_append_range(st, id, 95, 101, &err); /* 100 is past the end */
    MAP_CHECK(rc == MAP_EDATA && contains(err.msg, "100"), "row past the end: %d %s", rc, err.msg);
    map_store_sweep_get(st, id, &info, &err);
    MAP_CHECK(info && info->stored_rows == 75, "failed batches stored nothing: %zu",
              info ? info->stored_rows : 0);
    map_store_sweep_info_free(info, 1);

    MAP_CHECK(sweep_append_range(st, id, 70, 80, &err) == MAP_OK, "fill the gap");
    MAP_CHECK(sweep_append_range(st, id, 85, 100, &err) == MAP_OK, "the rest");
    MAP_CHECK(map_store_sweep_set_complete(st, id, 1, &err) == MAP_OK, "complete: %s", err.msg);
    map_store_sweep_get(st, id, &info, &err);
    MAP_CHECK(info && info->complete && info->next_row == 100 && info->stored_rows == 100,
              "complete sweep");
    map_store_sweep_info_free(info, 1);
    rd = (sweep_reader){0, 0, 0, 0};
    map_store_sweep_read(st, id, 0, sweep_check_row, &rd, &err);
    MAP_CHECK(rd.count == 100 && rd.bad == 0, "all rows back: %zu, %d differ", rd.count, rd.bad);

    /* Listing: all, by dataset, an unknown dataset. */
    map_dataset *ds2 = make_dataset("other", 5, 2, 0, 0);
    put_ok(st, ds2, 0);
    const int64_t id2 = sweep_create_ok(st, "other", 0);
    map_store_sweep_info *list = NULL;
    size_t n = 0;
    MAP_CHECK(map_store_sweep_list(st, NULL, &list, &n, &err) == MAP_OK && n == 2
                  && list[0].id == id && list[1].id == id2 && list[1].stored_rows == 0
                  && list[1].next_row == 0, "list all: %zu", n);
    map_store_sweep_info_free(list, n);
    MAP_CHECK(map_store_sweep_list(st, "other", &list, &n, &err) == MAP_OK && n == 1
                  && list[0].id == id2 && str_eq(list[0].dataset, "other"), "list one");
    map_store_sweep_info_free(list, n);
    MAP_CHECK(map_store_sweep_list(st, "nope", &list, &n, &err) == MAP_OK && n == 0 && !list,
              "list unknown");

    /* Unknown ids and bad metadata. */
    const int64_t bogus = id2 + 100;
    MAP_CHECK(map_store_sweep_get(st, bogus, &info, &err) == MAP_EUSAGE && !info
                  && contains(err.msg, "no sweep"), "get unknown: %s", err.msg);
    MAP_CHECK(sweep_append_range(st, bogus, 0, 1, &err) == MAP_EUSAGE, "append unknown");
    MAP_CHECK(map_store_sweep_set_complete(st, bogus, 1, &err) == MAP_EUSAGE, "complete unknown");
    MAP_CHECK(map_store_sweep_remove(st, bogus, &err) == MAP_EUSAGE, "remove unknown");
    rd = (sweep_reader){0, 0, 0, 0};
    MAP_CHECK(map_store_sweep_read(st, bogus, 0, sweep_check_row, &rd, &err) == MAP_EUSAGE,
              "read unknown");
    map_store_sweep_meta meta = {"nope", "cmd", "grid", 1, 0, 2, SWEEP_VALUES, 3, SWEEP_LEVELS, 1, NULL};
    int64_t idx = 0;
    MAP_CHECK(map_store_sweep_create(st, &meta, &idx, &err) == MAP_EUSAGE && idx == 0,
              "create on an unknown dataset: %s", err.msg);
    meta.dataset = "sw";
    meta.k = 0;
    MAP_CHECK(map_store_sweep_create(st, &meta, &idx, &err) == MAP_EDATA, "k = 0 refused");

    /* Remove one sweep: its rows go, the other stays. */
    MAP_CHECK(map_store_sweep_remove(st, id, &err) == MAP_OK, "remove: %s", err.msg);
    MAP_CHECK(map_store_sweep_get(st, id, &info, &err) == MAP_EUSAGE, "removed");
    MAP_CHECK(map_store_sweep_get(st, id2, &info, &err) == MAP_OK, "other stays");
    map_store_sweep_info_free(info, 1);
    map_store_close(st);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM sweep_row") == 0, "rows removed");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM sweep_name") == 5, "names of the other only");

    /* Read-only: reads work, writes are refused. */
    map_store *ro = NULL;
    MAP_CHECK(map_store_open_readonly(path, &ro, &err) == MAP_OK, "open ro: %s", err.msg);
    if (ro) {
        MAP_CHECK(map_store_sweep_list(ro, NULL, &list, &n, &err) == MAP_OK && n == 1, "ro list");
        map_store_sweep_info_free(list, n);
        MAP_CHECK(sweep_append_range(ro, id2, 0, 0, &err) == MAP_EUSAGE, "ro append refused");
        MAP_CHECK(map_store_sweep_remove(ro, id2, &err) == MAP_EUSAGE, "ro remove refused");
        map_store_close(ro);
    }
    map_dataset_free(ds);
    map_dataset_free(ds2);
}

/* A writer killed (SIGKILL) while appending batches leaves only whole
 * batches, contiguous from row 0, and a consistent file. */
static void test_sweep_kill(void)
{
    const char *path = tmp_path("kill.db");
    map_store *st = open_ok(path);
    map_dataset *ds = make_dataset("k", 10, 2, 0, 0);
    put_ok(st, ds, 0);
    const size_t batch = 37, total = 200000;
    const int64_t id = sweep_create_ok(st, "k", total);
    map_store_close(st);
    map_dataset_free(ds);

    fflush(NULL);
    const pid_t pid = fork();
    if (pid == 0) {
        map_store *cs = NULL;
        map_error e;
        if (map_store_open(path, &cs, &e) != MAP_OK)
            _exit(3);
        for (size_t r = 0; r + batch <= total; r += batch)
            if (sweep_append_range(cs, id, r, r + batch, &e) != MAP_OK)
                _exit(4);
        _exit(0);
    }
    MAP_CHECK(pid > 0, "fork");
    if (pid <= 0)
        return;
    /* Let it commit some batches, then kill it mid-flight. */
    for (int t = 0; t < 400 && raw_int(path, "SELECT count(*) FROM sweep_row") < 20 * (int64_t)batch;
         t++)
        usleep(5000);
    usleep(3000);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    MAP_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "writer was killed mid-run");

    st = open_ok(path);
    map_error err;
    map_store_sweep_info *info = NULL;
    MAP_CHECK(map_store_sweep_get(st, id, &info, &err) == MAP_OK, "get after kill: %s", err.msg);
    if (info) {
        MAP_CHECK(info->stored_rows > 0 && info->stored_rows % batch == 0
                      && info->next_row == info->stored_rows && !info->complete,
                  "whole batches only: %zu rows stored, next %zu", info->stored_rows,
                  info->next_row);
        sweep_reader rd = {0, 0, 0, 0};
        MAP_CHECK(map_store_sweep_read(st, id, 0, sweep_check_row, &rd, &err) == MAP_OK
                      && rd.count == info->stored_rows && rd.bad == 0, "rows intact");
    }
    map_store_sweep_info_free(info, 1);
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "integrity after kill: %s", err.msg);
    map_store_close(st);
}

/* Appending under allocation failure: the batch is all there or absent. */
static void test_sweep_alloc_failures(void)
{
    const char *path = tmp_path("sweep-oom.db");
    map_store *st = open_ok(path);
    map_dataset *ds = make_dataset("o", 10, 2, 0, 0);
    put_ok(st, ds, 0);
    const int64_t id = sweep_create_ok(st, "o", 50);
    map_error err;
    int rc = MAP_ENOMEM;
    for (long k = 0; k < 1000 && rc != MAP_OK; k++) {
        map_alloc_fail_after(k);
        rc = sweep_append_range(st, id, 0, 20, &err);
        map_alloc_fail_after(-1);
        map_store_sweep_info *info = NULL;
        MAP_CHECK(map_store_sweep_get(st, id, &info, &err) == MAP_OK, "get");
        MAP_CHECK(info && info->stored_rows == (rc == MAP_OK ? 20u : 0u),
                  "all or nothing (k=%ld, rc=%d)", k, rc);
        map_store_sweep_info_free(info, 1);
    }
    MAP_CHECK(rc == MAP_OK, "append eventually succeeds");
    for (long k = 0; k < 1000; k++) {
        map_store_sweep_info *list = NULL;
        size_t n = 0;
        map_alloc_fail_after(k);
        rc = map_store_sweep_list(st, NULL, &list, &n, &err);
        map_alloc_fail_after(-1);
        MAP_CHECK(rc == MAP_OK ? n == 1 : (rc == MAP_ENOMEM && !list && n == 0),
                  "list with %ld allocations: %d", k, rc);
        map_store_sweep_info_free(list, n);
        if (rc == MAP_OK)
            break;
    }
    map_dataset_free(ds);
    map_store_close(st);
}

/* A version-1 database (datasets only) opens, migrates to version 2 in
 * place with its datasets intact, and then stores sweeps. */
static void test_migration_v1(void)
{
    const char *path = tmp_path("v1.db");
    map_store *st = open_ok(path);
    map_dataset *ds = make_dataset("old", 300, 3, 1, 1);
    put_ok(st, ds, 0);
    map_store_close(st);
    /* Back to exactly the version-1 schema: migration 2 only adds tables. */
    MAP_CHECK(raw_exec(path, "DROP TABLE sweep_row; DROP TABLE sweep_name; DROP TABLE sweep; "
                             "PRAGMA user_version = 1") == SQLITE_OK, "downgrade to v1");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sweep%'") == 0,
              "no sweep tables in v1");

    map_store *ro = NULL;
    map_error err;
    int rc = map_store_open_readonly(path, &ro, &err);
    MAP_CHECK(rc == MAP_ESTORE && !ro && contains(err.msg, "migrating"),
              "read-only open of v1 refused: %d %s", rc, err.msg);

    st = open_ok(path);
    MAP_CHECK(raw_int(path, "PRAGMA user_version") == MAP_STORE_SCHEMA_VERSION,
              "migrated to the current version (2, then 3)");
    map_dataset *back = get_ok(st, "old", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(same_dataset(ds, back), "dataset intact after migration");
    map_dataset_free(back);
    const int64_t id = sweep_create_ok(st, "old", 10);
    MAP_CHECK(sweep_append_range(st, id, 0, 10, &err) == MAP_OK, "append after migration");
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check: %s", err.msg);
    map_store_close(st);
    st = open_ok(path); /* opening again does not migrate twice */
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM sweep_row") == 10, "rows kept on reopen");
    map_store_close(st);
    map_dataset_free(ds);
}

/* ------------------------------------------------------- statistics (v3) */

/* Whether vs (m entries) is bit for bit what map_value_stats computes from
 * ds's matrix: an independent computation of the same statistics. */
static int stats_match(const map_dataset *ds, const map_valstat *vs)
{
    if (!vs)
        return 0;
    map_valstat *ref = map_mallocarray(ds->m, sizeof *ref);
    const map_matrix X = map_dataset_matrix(ds);
    map_error err;
    int ok = ref && map_value_stats(&X, ref, &err) == MAP_OK
             && memcmp(ref, vs, ds->m * sizeof *ref) == 0;
    /* And the quantiles against sorting. */
    for (size_t i = 0; ok && i < ds->m; i++) {
        double *sorted = NULL;
        ok = map_column_sorted(&X, i, &sorted, &err) == MAP_OK;
        for (int k = 0; ok && k <= 100; k++) {
            const double q = map_quantile_sorted(sorted, ds->n, k / 100.0);
            ok = memcmp(&q, &vs[i].pct[k], sizeof q) == 0;
        }
        map_free(sorted);
    }
    map_free(ref);
    return ok;
}

/* put stores the statistics; get returns them, with or without the
 * matrix; tampered statistics are reported, missing ones found by check. */
static void test_stats_stored(void)
{
    const char *path = tmp_path("stats.db");
    map_store *st = open_ok(path);
    map_dataset *ds = make_dataset("s", 70001, 3, 1, 0);
    for (size_t j = 0; j < ds->n; j++)
        ds->x[j * 3 + 2] = (double)(j % 4); /* many ties */
    put_ok(st, ds, 0);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM value_stat") == 3, "3 statistics rows");
    MAP_CHECK(raw_int(path, "PRAGMA page_size") == 65536, "64 KiB pages in a new database");

    map_dataset *back = get_ok(st, "s", 0);
    MAP_CHECK(back && back->x && stats_match(ds, back->stats), "stored statistics exact");
    map_dataset_free(back);
    back = get_ok(st, "s", MAP_LOAD_NO_MATRIX | MAP_LOAD_PROMPTS);
    MAP_CHECK(back && !back->x && back->prompts && stats_match(ds, back->stats),
              "statistics without the matrix");
    MAP_CHECK(back && back->n == ds->n && back->m == 3 && strcmp(back->values[1], "value_1") == 0,
              "shape and names without the matrix");
    map_dataset_free(back);

    map_error err;
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check: %s", err.msg);
    MAP_CHECK(raw_exec(path, "UPDATE value_stat SET stats = X'00' WHERE idx = 1") == SQLITE_OK,
              "tamper");
    map_dataset *out = NULL;
    int rc = map_store_get_dataset(st, "s", 0, &out, &err);
    MAP_CHECK(rc == MAP_ESTORE && !out && contains(err.msg, "statistics"), "short stats: %d %s",
              rc, err.msg);
    MAP_CHECK(raw_exec(path, "DELETE FROM value_stat WHERE idx = 2") == SQLITE_OK, "tamper");
    rc = map_store_check(st, &err);
    MAP_CHECK(rc == MAP_ESTORE && contains(err.msg, "lacks statistics"), "check finds it: %d %s",
              rc, err.msg);
    /* Without any statistics rows the dataset loads, matrix and all. */
    MAP_CHECK(raw_exec(path, "DELETE FROM value_stat") == SQLITE_OK, "tamper");
    back = get_ok(st, "s", MAP_LOAD_NO_MATRIX);
    MAP_CHECK(back && !back->stats && back->x && same_dataset(ds, back),
              "no statistics: the matrix instead");
    map_dataset_free(back);
    /* Replacing the dataset stores them again. */
    put_ok(st, ds, 1);
    back = get_ok(st, "s", MAP_LOAD_NO_MATRIX);
    MAP_CHECK(back && !back->x && stats_match(ds, back->stats), "statistics after replace");
    map_dataset_free(back);
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check after replace: %s", err.msg);
    map_dataset_free(ds);
    map_store_close(st);
}

/* A version-2 database (as mapsolve 2 left it: no value_stat table) is read
 * as it is through a read-only handle (statistics computed from the
 * matrix), and opening it read-write migrates it to version 3, computing
 * the statistics of every dataset in the migration. */
static void test_migration_v2(void)
{
    const char *path = tmp_path("v2.db");
    map_store *st = open_ok(path);
    map_dataset *a = make_dataset("a", 1000, 2, 1, 1);
    map_dataset *b = make_dataset("b", 70000, 3, 0, 0);
    put_ok(st, a, 0);
    put_ok(st, b, 0);
    const int64_t id = sweep_create_ok(st, "a", 4);
    map_error err;
    MAP_CHECK(sweep_append_range(st, id, 0, 4, &err) == MAP_OK, "append: %s", err.msg);
    map_store_close(st);
    MAP_CHECK(raw_exec(path, "DROP TABLE value_stat; PRAGMA user_version = 2") == SQLITE_OK,
              "downgrade to v2");

    map_store *ro = NULL;
    MAP_CHECK(map_store_open_readonly(path, &ro, &err) == MAP_OK, "read-only open of v2: %s",
              err.msg);
    if (ro) {
        map_dataset *back = get_ok(ro, "b", MAP_LOAD_NO_MATRIX);
        MAP_CHECK(back && !back->stats && back->x && same_dataset(b, back),
                  "v2 read as it is: the matrix, no statistics");
        map_dataset_free(back);
        MAP_CHECK(map_store_check(ro, &err) == MAP_OK, "check v2: %s", err.msg);
        map_store_close(ro);
    }
    MAP_CHECK(raw_int(path, "PRAGMA user_version") == 2, "read-only open did not migrate");

    st = open_ok(path);
    MAP_CHECK(raw_int(path, "PRAGMA user_version") == MAP_STORE_SCHEMA_VERSION,
              "migrated to version 3 (and on)");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM value_stat") == 5, "statistics backfilled");
    map_dataset *back = get_ok(st, "a", MAP_LOAD_NO_MATRIX);
    MAP_CHECK(back && !back->x && stats_match(a, back->stats), "a's statistics");
    map_dataset_free(back);
    back = get_ok(st, "b", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(back && same_dataset(b, back) && stats_match(b, back->stats), "b intact, with stats");
    map_dataset_free(back);
    back = get_ok(st, "a", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(back && same_dataset(a, back), "a intact");
    map_dataset_free(back);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM sweep_row") == 4, "sweep rows kept");
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check: %s", err.msg);
    map_store_close(st);
    st = open_ok(path); /* no second migration */
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM value_stat") == 5, "still 5 rows");
    map_store_close(st);
    map_dataset_free(a);
    map_dataset_free(b);
}

/* A version-3 database (made by SQL in its shape: a sweep table with a
 * command line and no request column) is read as it is through a
 * read-only handle (no request), and opening it read-write migrates it to
 * version 4: the old sweep keeps its command line and rows with a NULL
 * request, which map_store_sweep_set_request fills once; new sweeps store
 * theirs. */
static void test_migration_v3(void)
{
    const char *path = tmp_path("v3.db");
    map_store *st = open_ok(path);
    map_dataset *a = make_dataset("a", 100, 2, 0, 0);
    put_ok(st, a, 0);
    const int64_t id = sweep_create_ok(st, "a", 6);
    map_error err;
    MAP_CHECK(sweep_append_range(st, id, 0, 4, &err) == MAP_OK, "append: %s", err.msg);
    map_store_close(st);
    MAP_CHECK(raw_exec(path, "ALTER TABLE sweep DROP COLUMN request; PRAGMA user_version = 3")
                  == SQLITE_OK, "downgrade to v3");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM pragma_table_info('sweep') WHERE name = 'request'")
                  == 0, "the v3 shape has no request column");

    map_store *ro = NULL;
    MAP_CHECK(map_store_open_readonly(path, &ro, &err) == MAP_OK, "read-only open of v3: %s",
              err.msg);
    if (ro) {
        map_store_sweep_info *info = NULL;
        size_t count = 0;
        MAP_CHECK(map_store_sweep_list(ro, NULL, &info, &count, &err) == MAP_OK && count == 1
                      && !info[0].request && info[0].stored_rows == 4 && info[0].next_row == 4
                      && strcmp(info[0].command, "mapsolve sweep x --grid 'a=1:2:3'") == 0,
                  "v3 sweep listed as it is: %s", err.msg);
        map_store_sweep_info_free(info, count);
        MAP_CHECK(map_store_sweep_set_request(ro, id, "{}", &err) != MAP_OK,
                  "no request written through a read-only v3 handle");
        map_store_close(ro);
    }
    MAP_CHECK(raw_int(path, "PRAGMA user_version") == 3, "read-only open did not migrate");

    st = open_ok(path);
    MAP_CHECK(raw_int(path, "PRAGMA user_version") == MAP_STORE_SCHEMA_VERSION, "migrated to v4");
    map_store_sweep_info *info = NULL;
    MAP_CHECK(map_store_sweep_get(st, id, &info, &err) == MAP_OK && info && !info->request
                  && info->stored_rows == 4 && info->total_rows == 6 && !info->complete
                  && info->seed == UINT64_C(0xFEDCBA9876543210)
                  && strcmp(info->command, "mapsolve sweep x --grid 'a=1:2:3'") == 0,
              "old sweep kept, without a request: %s", err.msg);
    map_store_sweep_info_free(info, 1);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM sweep_row") == 4, "sweep rows kept");

    const char *rq = "{\"dataset\":\"a\",\"source\":\"grid\",\"grid\":\"a=1:2:3\"}";
    MAP_CHECK(map_store_sweep_set_request(st, id, rq, &err) == MAP_OK, "set request: %s", err.msg);
    MAP_CHECK(map_store_sweep_set_request(st, id + 100, rq, &err) == MAP_EUSAGE,
              "set request of an unknown sweep");
    MAP_CHECK(map_store_sweep_get(st, id, &info, &err) == MAP_OK && info && info->request
                  && strcmp(info->request, rq) == 0, "converted request stored");
    map_store_sweep_info_free(info, 1);
    MAP_CHECK(sweep_append_range(st, id, 4, 6, &err) == MAP_OK, "finish after migration: %s",
              err.msg);

    const map_store_sweep_meta meta = {"a", "mapsolve sweep a --grid 'a=0:1:2'", "grid", 7, 1, 2,
                                       SWEEP_VALUES, 3, SWEEP_LEVELS, 2, "{\"x\":1}"};
    int64_t id2 = 0;
    MAP_CHECK(map_store_sweep_create(st, &meta, &id2, &err) == MAP_OK, "create: %s", err.msg);
    MAP_CHECK(map_store_sweep_get(st, id2, &info, &err) == MAP_OK && info && info->request
                  && strcmp(info->request, "{\"x\":1}") == 0, "a new sweep's request round trips");
    map_store_sweep_info_free(info, 1);
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check: %s", err.msg);
    map_store_close(st);
    st = open_ok(path); /* no second migration */
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM sweep") == 2, "both sweeps");
    map_store_close(st);
    map_dataset_free(a);
}

/* Removing or replacing a dataset removes its sweeps and their rows. */
static void test_sweep_cascade(void)
{
    const char *path = tmp_path("cascade.db");
    map_store *st = open_ok(path);
    map_dataset *a = make_dataset("a", 10, 2, 0, 0);
    map_dataset *b = make_dataset("b", 10, 2, 0, 0);
    put_ok(st, a, 0);
    put_ok(st, b, 0);
    map_error err;
    const int64_t ia = sweep_create_ok(st, "a", 10), ib = sweep_create_ok(st, "b", 10);
    sweep_append_range(st, ia, 0, 10, &err);
    sweep_append_range(st, ib, 0, 5, &err);

    MAP_CHECK(map_store_remove_dataset(st, "a", &err) == MAP_OK, "remove a");
    map_store_sweep_info *info = NULL;
    MAP_CHECK(map_store_sweep_get(st, ia, &info, &err) == MAP_EUSAGE, "a's sweep gone");
    MAP_CHECK(map_store_sweep_get(st, ib, &info, &err) == MAP_OK && info
                  && info->stored_rows == 5, "b's sweep stays");
    map_store_sweep_info_free(info, 1);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM sweep_row") == 5, "a's rows gone");

    put_ok(st, b, 1); /* replacing b: its sweeps were computed on the old samples */
    MAP_CHECK(map_store_sweep_get(st, ib, &info, &err) == MAP_EUSAGE, "b's sweep gone on replace");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM sweep_row") == 0, "no rows left");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM sweep_name") == 0, "no names left");
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check: %s", err.msg);
    map_store_close(st);
    map_dataset_free(a);
    map_dataset_free(b);
}

static void test_default_path(void)
{
    MAP_CHECK(str_eq(map_store_default_path("given.db"), "given.db"), "explicit path wins");
    setenv("MAPSOLVE_DB", "/env/path.db", 1);
    MAP_CHECK(str_eq(map_store_default_path(NULL), "/env/path.db"), "$MAPSOLVE_DB");
    MAP_CHECK(str_eq(map_store_default_path("given.db"), "given.db"), "explicit beats env");
    setenv("MAPSOLVE_DB", "", 1);
    MAP_CHECK(str_eq(map_store_default_path(NULL), "mapsolve.db"), "empty env ignored");
    unsetenv("MAPSOLVE_DB");
    MAP_CHECK(str_eq(map_store_default_path(NULL), "mapsolve.db"), "default");
    map_store_close(NULL);
    map_dataset_info_free(NULL, 0);
}

/* Single precision: the matrix is stored as 4-byte floats (half the BLOB
 * bytes) and loaded into ds->xf (no double copy), bit-exactly the floats
 * of the rounded values; the statistics are those of the floats; the
 * listing says the precision; a loaded single dataset stores again
 * unchanged; a value beyond float's range is refused; a version-3 database
 * without the precision column reads as double and gains the column on a
 * read-write open. */
static void test_single_precision(void)
{
    const char *path = tmp_path("single.db");
    map_store *st = open_ok(path);
    map_dataset *ds = make_dataset("f", 70001, 3, 1, 1);
    for (size_t k = 0; k < ds->n * ds->m; k += 7)
        ds->x[k] = 1.0 / 3.0 + (double)k; /* not representable in float */
    ds->x[1] = FLT_TRUE_MIN;
    ds->x[2] = -0.0;
    ds->precision = MAP_PRECISION_SINGLE;
    put_ok(st, ds, 0);
    map_dataset *dd = make_dataset("d", 10, 2, 0, 0);
    put_ok(st, dd, 0);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM dataset WHERE name = 'f' AND precision = "
                            "'single'") == 1, "precision column says single");
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM dataset WHERE name = 'd' AND precision = "
                            "'double'") == 1, "and double by default");
    MAP_CHECK(raw_int(path, "SELECT sum(length(data)) FROM matrix_chunk c JOIN dataset d ON "
                            "d.id = c.dataset_id WHERE d.name = 'f'")
                  == (int64_t)(ds->n * ds->m * sizeof(float)), "4 bytes a value");

    /* The reference: the values rounded to float here, and a double
     * dataset of them for the statistics. */
    float *want = malloc(ds->n * ds->m * sizeof *want);
    map_dataset *rd = make_dataset("r", ds->n, ds->m, 0, 0);
    for (size_t k = 0; want && k < ds->n * ds->m; k++) {
        want[k] = (float)ds->x[k];
        rd->x[k] = (double)want[k];
    }
    map_dataset *back = get_ok(st, "f", MAP_LOAD_PROMPTS | MAP_LOAD_TEXT);
    MAP_CHECK(back && !back->x && back->xf && back->precision == MAP_PRECISION_SINGLE,
              "loaded as floats only");
    MAP_CHECK(back && back->xf && want
                  && memcmp(back->xf, want, ds->n * ds->m * sizeof *want) == 0,
              "floats bit-exact");
    MAP_CHECK(back && back->xf && signbit(back->xf[2]) && back->xf[1] == FLT_TRUE_MIN,
              "-0 and the float subnormal kept");
    MAP_CHECK(back && stats_match(rd, back->stats), "statistics of the float values");
    MAP_CHECK(back && back->stats && back->stats[0].c.mean != 0.0, "statistics present");
    const map_matrix X = back ? map_dataset_matrix(back) : (map_matrix){0, 0, 0, NULL, NULL};
    MAP_CHECK(back && X.xf == back->xf && !X.x && map_matrix_at(&X, 5, 1) == rd->x[5 * 3 + 1],
              "matrix view of the floats");
    /* Stored again from the loaded floats (x NULL): the same BLOBs. */
    if (back) {
        set_string(&back->name, "f2");
        put_ok(st, back, 0);
    }
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM matrix_chunk a JOIN matrix_chunk b ON "
                            "a.chunk = b.chunk AND a.data = b.data WHERE a.dataset_id = "
                            "(SELECT id FROM dataset WHERE name = 'f') AND b.dataset_id = "
                            "(SELECT id FROM dataset WHERE name = 'f2')")
                  == raw_int(path, "SELECT count(*) FROM matrix_chunk WHERE dataset_id = "
                                   "(SELECT id FROM dataset WHERE name = 'f')"),
              "re-stored floats identical");
    map_dataset_free(back);
    back = get_ok(st, "f", MAP_LOAD_NO_MATRIX);
    MAP_CHECK(back && !back->x && !back->xf && back->precision == MAP_PRECISION_SINGLE,
              "no matrix: neither array, precision known");
    map_dataset_free(back);

    map_dataset_info *info = NULL;
    size_t count = 0;
    map_error err;
    MAP_CHECK(map_store_list(st, &info, &count, &err) == MAP_OK && count == 3, "list");
    for (size_t i = 0; info && i < count; i++)
        MAP_CHECK(info[i].precision
                      == (strcmp(info[i].name, "d") == 0 ? MAP_PRECISION_DOUBLE
                                                         : MAP_PRECISION_SINGLE),
                  "listed precision of %s", info[i].name);
    map_dataset_info_free(info, count);

    /* Beyond float's range: refused, nothing stored. */
    ds->x[4] = 1e300;
    set_string(&ds->name, "big");
    int rc = map_store_put_dataset(st, ds, 0, &err);
    MAP_CHECK(rc == MAP_EDATA && contains(err.msg, "single precision") && contains(err.msg, "value_1"),
              "out of range: %d %s", rc, err.msg);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM dataset WHERE name = 'big'") == 0,
              "nothing stored");
    MAP_CHECK(map_store_check(st, &err) == MAP_OK, "check: %s", err.msg);
    map_store_close(st);

    /* A version-3 database from before the column: double, then upgraded. */
    MAP_CHECK(raw_exec(path, "PRAGMA foreign_keys = ON; DELETE FROM dataset WHERE precision = 'single'; "
                             "ALTER TABLE dataset DROP COLUMN precision") == SQLITE_OK,
              "drop the column");
    map_store *ro = NULL;
    MAP_CHECK(map_store_open_readonly(path, &ro, &err) == MAP_OK, "read-only: %s", err.msg);
    if (ro) {
        back = get_ok(ro, "d", 0);
        MAP_CHECK(back && back->x && back->precision == MAP_PRECISION_DOUBLE
                      && same_dataset(dd, back), "read as double");
        map_dataset_free(back);
        map_store_close(ro);
    }
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM pragma_table_info('dataset') WHERE name = "
                            "'precision'") == 0, "read-only open added nothing");
    st = open_ok(path);
    MAP_CHECK(raw_int(path, "SELECT count(*) FROM pragma_table_info('dataset') WHERE name = "
                            "'precision'") == 1, "read-write open added the column");
    ds->x[4] = 1.0;
    set_string(&ds->name, "f");
    put_ok(st, ds, 0);
    back = get_ok(st, "f", 0);
    MAP_CHECK(back && back->xf && back->precision == MAP_PRECISION_SINGLE, "single after upgrade");
    map_dataset_free(back);
    back = get_ok(st, "d", 0);
    MAP_CHECK(back && back->x && same_dataset(dd, back), "double dataset intact");
    map_dataset_free(back);
    map_store_close(st);
    free(want);
    map_dataset_free(rd);
    map_dataset_free(dd);
    map_dataset_free(ds);
}

int main(void)
{
    tmp_setup();
    MAP_RUN(test_round_trip);
    MAP_RUN(test_odd_names);
    MAP_RUN(test_chunks);
    MAP_RUN(test_duplicate_and_replace);
    MAP_RUN(test_remove);
    MAP_RUN(test_find_hash_and_list);
    MAP_RUN(test_validation);
    MAP_RUN(test_refused_files);
    MAP_RUN(test_readonly);
    MAP_RUN(test_corruption);
    MAP_RUN(test_concurrent_read);
    MAP_RUN(test_alloc_failures);
    MAP_RUN(test_default_path);
    MAP_RUN(test_sweep_round_trip);
    MAP_RUN(test_sweep_kill);
    MAP_RUN(test_sweep_alloc_failures);
    MAP_RUN(test_migration_v1);
    MAP_RUN(test_sweep_cascade);
    MAP_RUN(test_stats_stored);
    MAP_RUN(test_migration_v2);
    MAP_RUN(test_migration_v3);
    MAP_RUN(test_single_precision);
    tmp_teardown();
    return map_test_finish();
}
