/* map_dataset.c — ownership and small queries of the in-memory dataset. */
#include "map_dataset.h"
#include "map_names.h"

#include <stdint.h>
#include <string.h>

#include "map_common.h"

map_dataset *map_dataset_new(void) { return map_calloc(1, sizeof(map_dataset)); }

void map_dataset_free(map_dataset *ds)
{
    if (!ds)
        return;
    map_free_strings(ds->values, ds->m);
    MAP_FREE_ALL(ds->name, ds->source, ds->hash, ds->x, ds->xf, ds->prompt_name);
    if (ds->arenas) { /* the strings live in the arenas */
        MAP_FREE_ALL(ds->prompts, ds->text);
        map_free_strings((char **)ds->arenas, ds->narenas);
    } else {
        map_free_strings(ds->prompts, ds->prompts ? ds->n : 0);
        map_free_strings(ds->text, ds->text ? ds->n * ds->ntext : 0);
    }
    map_free_strings(ds->text_names, ds->ntext);
    MAP_FREE_ALL(ds->stats, ds);
}

map_matrix map_dataset_matrix(const map_dataset *ds)
{
    map_matrix mx = {ds->n, ds->m, ds->m, ds->xf ? NULL : ds->x, ds->xf};
    return mx;
}

static const map_enum_entry precision_names[] = {{"double", MAP_PRECISION_DOUBLE},
                                                  {"single", MAP_PRECISION_SINGLE}};

MAP_ENUM_FUNCS(map_precision, map_precision, precision_names, "double")

long map_dataset_value_index(const map_dataset *ds, const char *name)
{
    for (size_t i = 0; i < ds->m; i++)
        if (strcmp(ds->values[i], name) == 0)
            return (long)i;
    return -1;
}

/* FNV-1a: the prompt table only needs a cheap, well-spread hash. */
static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int map_dataset_group_rows(const map_dataset *ds, size_t **order, size_t **start, size_t *ngroups,
                           size_t *singletons, map_error *err)
{
    if (!ds->prompt_name || !ds->prompts)
        return map_error_set_field(err, MAP_EDATA, "prompt_column",
                                   "dataset '%s' has no prompt column: per-prompt normalisation "
                                   "needs one", ds->name ? ds->name : "");
    const size_t n = ds->n;
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    /* Open addressing: slot -> group id + 1 (0 = empty); first row of each group. */
    size_t *slot = map_calloc(cap, sizeof *slot);
    size_t *first = map_mallocarray(n, sizeof *first);
    size_t *gid = map_mallocarray(n, sizeof *gid);
    size_t *count = map_calloc(n + 1, sizeof *count);
    size_t *ord = map_mallocarray(n, sizeof *ord);
    if (!slot || !first || !gid || !count || !ord) {
        MAP_FREE_ALL(slot, first, gid, count, ord);
        return map_error_set(err, MAP_ENOMEM, "out of memory grouping %zu samples by prompt", n);
    }
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        size_t h = (size_t)hash_key(ds->prompts[j]) & (cap - 1);
        while (slot[h] && strcmp(ds->prompts[first[slot[h] - 1]], ds->prompts[j]) != 0)
            h = (h + 1) & (cap - 1);
        if (!slot[h]) {
            first[k] = j;
            slot[h] = ++k;
        }
        gid[j] = slot[h] - 1;
        count[gid[j] + 1]++;
    }
    /* Counting sort by group: offsets, then rows in file order. */
    size_t single = 0;
    for (size_t g = 0; g < k; g++) {
        single += count[g + 1] == 1;
        count[g + 1] += count[g];
    }
    size_t *st = map_reallocarray(count, k + 1, sizeof *count);
    if (st)
        count = st;
    size_t *fill = first; /* reuse: next free position per group */
    for (size_t g = 0; g < k; g++)
        fill[g] = count[g];
    for (size_t j = 0; j < n; j++)
        ord[fill[gid[j]]++] = j;
    map_free(slot);
    map_free(first);
    map_free(gid);
    *order = ord;
    *start = count;
    *ngroups = k;
    *singletons = single;
    return MAP_OK;
}
