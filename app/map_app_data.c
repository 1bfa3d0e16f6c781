/* map_app_data.c — the commands that bring data in and summarise it:
 * ingest (read, check, store) and describe. */
#include "map_app.h"

#include <string.h>

#include "map_stats.h"

/* ---- ingest ------------------------------------------------------------- */

int map_app_check_name(const char *name, map_error *err)
{
    if (!name || !*name)
        return map_error_set(err, MAP_EUSAGE, "the dataset name is empty");
    const size_t len = strlen(name);
    if (len > 200)
        return map_error_set(err, MAP_EUSAGE, "the dataset name is %zu bytes long; at most 200",
                             len);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return map_error_set(err, MAP_EUSAGE,
                                 "the dataset name contains a control character (byte %zu)", i + 1);
    return MAP_OK;
}

void map_ingest_report_free(map_ingest_report *rep)
{
    if (!rep)
        return;
    map_free_strings(rep->values, rep->m);
    MAP_FREE_ALL(rep->name, rep->source, rep->hash, rep->same_as);
    memset(rep, 0, sizeof *rep);
}

/* Whether st holds a dataset called name (for the "replaced" note). */
static int name_exists(map_store *st, const char *name, int *exists, map_error *err)
{
    map_dataset_info *info = NULL;
    size_t count = 0;
    *exists = 0;
    const int rc = map_store_list(st, &info, &count, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < count; i++)
        if (strcmp(info[i].name, name) == 0)
            *exists = 1;
    map_dataset_info_free(info, count);
    return MAP_OK;
}

static int fill_ingest_report(const map_dataset *ds, map_ingest_report *rep, map_error *err)
{
    rep->name = map_strdup(ds->name);
    rep->source = map_strdup(ds->source ? ds->source : "");
    rep->hash = map_strdup(ds->hash ? ds->hash : "");
    rep->n = ds->n;
    rep->precision = ds->precision;
    if ((rep->values = map_strdup_all((const char *const *)ds->values, ds->m)) != NULL)
        rep->m = ds->m;
    return rep->name && rep->source && rep->hash && rep->values
               ? MAP_OK
               : map_error_set(err, MAP_ENOMEM, "out of memory");
}

/* map_app_ingest's first half: checks name, reads and validates opts->path
 * and names the dataset (*out: free with map_dataset_free). */
static int ingest_read(const map_ingest_opts *opts, const char *name, map_dataset **out,
                       map_error *err)
{
    *out = NULL;
    int rc = map_app_check_name(name, err);
    if (rc)
        return rc;
    map_dataset *ds = NULL;
    rc = map_ingest_read(opts, &ds, err);
    if (rc)
        return rc;
    map_free(ds->name);
    ds->name = map_strdup(name);
    if (!ds->name) {
        map_dataset_free(ds);
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    *out = ds;
    return MAP_OK;
}

/* map_app_ingest's second half: looks up the content hash and stores ds. */
static int ingest_store(map_store *st, const map_dataset *ds, int replace, map_ingest_report *rep,
                        map_error *err)
{
    memset(rep, 0, sizeof *rep);
    char *same = NULL;
    int rc = ds->hash ? map_store_find_hash(st, ds->hash, &same, err) : MAP_OK;
    int existed = 0;
    if (!rc && replace)
        rc = name_exists(st, ds->name, &existed, err);
    if (!rc)
        rc = map_store_put_dataset(st, ds, replace, err);
    if (!rc)
        rc = fill_ingest_report(ds, rep, err);
    if (!rc) {
        rep->replaced = existed;
        if (same && strcmp(same, ds->name) != 0) {
            rep->same_as = same;
            same = NULL;
        }
    }
    map_free(same);
    if (rc)
        map_ingest_report_free(rep);
    return rc;
}

int map_app_ingest(const map_ingest_request *rq, map_ingest_report *rep, map_error *err)
{
    memset(rep, 0, sizeof *rep);
    map_dataset *ds = NULL;
    map_store *st = NULL;
    int rc = ingest_read(&rq->read, rq->name, &ds, err);
    if (!rc) {
        ds->precision = rq->precision;
        rc = map_app_store_open(rq->db, MAP_STORE_CREATE, rq->name, &st, err);
    }
    if (!rc)
        rc = ingest_store(st, ds, rq->replace, rep, err);
    map_store_close(st);
    map_dataset_free(ds);
    return rc;
}

/* ---- describe ----------------------------------------------------------- */

int map_app_describe(const map_dataset *ds, map_value_summary **out, map_error *err)
{
    *out = NULL;
    if (ds->n == 0)
        return map_error_set(err, MAP_EDATA, "dataset '%s' has no samples",
                             ds->name ? ds->name : "?");
    /* The stored statistics when the store supplied them (the matrix need
     * not be loaded), else computed from ds->x by selection. */
    map_valstat *own = NULL;
    const map_valstat *vs = ds->stats;
    map_value_summary *sum = map_calloc(ds->m ? ds->m : 1, sizeof *sum);
    if (!sum)
        return map_error_set(err, MAP_ENOMEM, "out of memory describing '%s'", ds->name);
    if (!vs) {
        if (!ds->x && !ds->xf) {
            map_free(sum);
            return map_error_set(err, MAP_EUSAGE, "dataset '%s': neither its statistics nor "
                                 "its matrix are loaded", ds->name ? ds->name : "?");
        }
        own = map_mallocarray(ds->m ? ds->m : 1, sizeof *own);
        const map_matrix X = map_dataset_matrix(ds);
        const int rc = own ? map_value_stats(&X, own, err)
                           : map_error_set(err, MAP_ENOMEM, "out of memory describing '%s'",
                                           ds->name);
        if (rc) {
            map_free(own);
            map_free(sum);
            return rc;
        }
        vs = own;
    }
    /* The percentiles at p = NN / 100.0 are the ones at 0.10, 0.25, … (the
     * same doubles). */
    for (size_t i = 0; i < ds->m; i++) {
        map_value_summary *s = &sum[i];
        s->name = ds->values[i];
        s->n = ds->n;
        s->mean = vs[i].c.mean;
        s->sd = vs[i].c.sd;
        s->min = vs[i].c.min;
        s->max = vs[i].c.max;
        s->q10 = vs[i].pct[10];
        s->q25 = vs[i].pct[25];
        s->q50 = vs[i].pct[50];
        s->q75 = vs[i].pct[75];
        s->q90 = vs[i].pct[90];
    }
    map_free(own);
    *out = sum;
    return MAP_OK;
}
