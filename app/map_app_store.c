/* map_app_store.c — the store as the front ends use it: the one policy for
 * opening the database, loading a dataset for a request, and the commands
 * datasets, remove and sweeps. */
#include "map_app.h"

#include <string.h>
#include <unistd.h>

int map_app_store_open(const char *db, map_store_access how, const char *name, map_store **st,
                       map_error *err)
{
    *st = NULL;
    const char *path = map_store_default_path(db);
    if (how != MAP_STORE_CREATE && access(path, F_OK) != 0) {
        if (!name)
            return MAP_OK;
        return map_error_set(err, MAP_EUSAGE, "no dataset named '%s' in %s (no such database)",
                             name, path);
    }
    if (how == MAP_STORE_READ)
        return map_store_open_readonly(path, st, err);
    return map_store_open(path, st, err);
}

int map_app_load(map_store *st, const char *name, unsigned flags, map_dataset **ds,
                 map_error *err)
{
    *ds = NULL;
    return map_store_get_dataset(st, name, flags, ds, err);
}

int map_app_datasets(map_store *st, map_datasets_result *res, map_error *err)
{
    memset(res, 0, sizeof *res);
    return st ? map_store_list(st, &res->info, &res->count, err) : MAP_OK;
}

void map_datasets_result_free(map_datasets_result *res)
{
    map_dataset_info_free(res->info, res->count);
    memset(res, 0, sizeof *res);
}

int map_app_remove(map_store *st, const map_remove_request *rq, map_error *err)
{
    return map_store_remove_dataset(st, rq->name, err);
}

int map_app_sweeps(map_store *st, const map_sweeps_request *rq, map_sweeps_result *res,
                   map_error *err)
{
    memset(res, 0, sizeof *res);
    return st ? map_store_sweep_list(st, rq->dataset, &res->info, &res->count, err) : MAP_OK;
}

void map_sweeps_result_free(map_sweeps_result *res)
{
    map_store_sweep_info_free(res->info, res->count);
    memset(res, 0, sizeof *res);
}
