/* test_app_store.c — the application layer's store commands
 * (map_app_store.c): the one store-open policy (a read or an update never
 * creates the database; a listing of a missing database is empty, a named
 * dataset in it is "no such database"), datasets, remove and sweeps, and a
 * stored sweep's owner check (map_sweep_app.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_app.h"
#include "map_sweep_app.h"
#include "map_test.h"

static char dir[] = "/tmp/mapsolve-app-store-XXXXXX";
static char db[sizeof dir + 16], db2[sizeof dir + 16];

static int exists(const char *path) { return access(path, F_OK) == 0; }

static void test_open_policy(void)
{
    map_error err;
    map_store *st = (map_store *)1;
    MAP_CHECK(map_app_store_open(db, MAP_STORE_READ, NULL, &st, &err) == MAP_OK && st == NULL,
              "a listing of a missing database: MAP_OK, no store");
    MAP_CHECK(!exists(db), "READ created nothing");
    MAP_CHECK(map_app_store_open(db, MAP_STORE_READ, "x", &st, &err) == MAP_EUSAGE &&
                  strstr(err.msg, "no dataset named 'x'") && strstr(err.msg, "no such database"),
              "READ of a dataset of a missing database: %s", err.msg);
    MAP_CHECK(map_app_store_open(db, MAP_STORE_UPDATE, "x", &st, &err) == MAP_EUSAGE && st == NULL,
              "UPDATE of a missing database: MAP_EUSAGE");
    MAP_CHECK(!exists(db), "UPDATE created nothing");
    MAP_CHECK(map_app_store_open(db, MAP_STORE_CREATE, "x", &st, &err) == MAP_OK && st, "CREATE: %s",
              err.msg);
    map_store_close(st);
    MAP_CHECK(exists(db), "CREATE created the database");
}

static void test_commands(void)
{
    map_error err;
    map_store *st = NULL;
    MAP_CHECK(map_app_store_open(db, MAP_STORE_CREATE, NULL, &st, &err) == MAP_OK, "%s", err.msg);
    char csv[sizeof dir + 16];
    snprintf(csv, sizeof csv, "%s/d1.csv", dir);
    FILE *f = fopen(csv, "w");
    MAP_CHECK(f && fputs("a,b\n1,2\n3,1\n2,5\n0,4\n", f) >= 0 && fclose(f) == 0, "write %s", csv);
    map_ingest_request rq_in;
    memset(&rq_in, 0, sizeof rq_in);
    rq_in.read.path = csv;
    rq_in.name = "d1";
    rq_in.db = db;
    map_ingest_report rep = {0};
    MAP_CHECK(map_app_ingest(&rq_in, &rep, &err) == MAP_OK && rep.n == 4 && rep.m == 2,
              "ingest: %s", err.msg);
    map_ingest_report_free(&rep);
    rq_in.read.path = "/nonexistent/d2.csv";
    rq_in.name = "d2";
    rq_in.db = db2;
    MAP_CHECK(map_app_ingest(&rq_in, &rep, &err) != MAP_OK && !exists(db2),
              "a file that cannot be read creates no database");
    map_dataset *ds = NULL;
    MAP_CHECK(map_app_load(st, "d1", 0, &ds, &err) == MAP_OK && ds && ds->n == 4,
              "load: %s", err.msg);

    map_datasets_result dr;
    MAP_CHECK(map_app_datasets(st, &dr, &err) == MAP_OK && dr.count == 1 &&
                  strcmp(dr.info[0].name, "d1") == 0 && dr.info[0].n == 4 && dr.info[0].m == 2,
              "datasets lists d1");
    map_datasets_result_free(&dr);
    MAP_CHECK(map_app_datasets(NULL, &dr, &err) == MAP_OK && dr.count == 0 && !dr.info,
              "datasets of no database: none");

    map_sweeps_result sr;
    const map_sweeps_request all = {NULL}, of_d1 = {"d1"}, of_zz = {"zz"};
    MAP_CHECK(map_app_sweeps(st, &all, &sr, &err) == MAP_OK && sr.count == 0, "no sweeps yet");
    map_sweeps_result_free(&sr);

    map_sweep_request rq = {0};
    rq.source = MAP_SOURCE_LAMBDAS;
    rq.count = 3;
    rq.scale = 1.0;
    rq.seed = 1;
    const char *const chosen[] = {"a", "b"};
    rq.values = chosen;
    rq.k = 2;
    int64_t id = 0;
    MAP_CHECK(ds && map_app_sweep_record(st, ds, &rq, "sweep d1", &id, &err) == MAP_OK && id > 0,
              "record: %s", err.msg);
    MAP_CHECK(map_app_sweeps(st, &of_d1, &sr, &err) == MAP_OK && sr.count == 1 && sr.info[0].id == id,
              "sweeps of d1: the one recorded");
    map_sweeps_result_free(&sr);
    MAP_CHECK(map_app_sweeps(st, &of_zz, &sr, &err) == MAP_OK && sr.count == 0,
              "sweeps of an unknown dataset: none");
    map_sweeps_result_free(&sr);
    MAP_CHECK(map_app_sweep_check_owner(st, id, "d1", &err) == MAP_OK, "d1 owns its sweep");
    MAP_CHECK(map_app_sweep_check_owner(st, id, "other", &err) == MAP_EUSAGE &&
                  strstr(err.msg, "belongs to dataset 'd1', not 'other'"),
              "another dataset's sweep: %s", err.msg);
    MAP_CHECK(map_app_sweep_check_owner(st, id + 1, "d1", &err) == MAP_EUSAGE, "unknown sweep");

    const map_remove_request rm = {"d1"}, rm_zz = {"zz"};
    MAP_CHECK(map_app_remove(st, &rm_zz, &err) == MAP_EUSAGE, "remove of an unknown dataset");
    MAP_CHECK(map_app_remove(st, &rm, &err) == MAP_OK, "remove: %s", err.msg);
    MAP_CHECK(map_app_datasets(st, &dr, &err) == MAP_OK && dr.count == 0, "removed");
    map_datasets_result_free(&dr);
    MAP_CHECK(map_app_sweeps(st, &all, &sr, &err) == MAP_OK && sr.count == 0,
              "its sweeps went with it");
    map_sweeps_result_free(&sr);
    map_dataset_free(ds);
    map_store_close(st);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(db, sizeof db, "%s/m.db", dir);
    snprintf(db2, sizeof db2, "%s/never.db", dir);
    MAP_RUN(test_open_policy);
    MAP_RUN(test_commands);
    char cmd[sizeof dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return map_test_finish();
}
