/* map_dataset.c — ownership and small queries of the in-memory dataset. */
#include "map_dataset.h"

#include <string.h>

#include "map_common.h"

map_dataset *map_dataset_new(void) { return map_calloc(1, sizeof(map_dataset)); }

static void free_strings(char **v, size_t count)
{
    if (!v)
        return;
    for (size_t i = 0; i < count; i++)
        map_free(v[i]);
    map_free(v);
}

void map_dataset_free(map_dataset *ds)
{
    if (!ds)
        return;
    map_free(ds->name);
    map_free(ds->source);
    map_free(ds->hash);
    free_strings(ds->values, ds->m);
    map_free(ds->x);
    map_free(ds->prompt_name);
    free_strings(ds->prompts, ds->prompts ? ds->n : 0);
    free_strings(ds->text_names, ds->ntext);
    free_strings(ds->text, ds->text ? ds->n * ds->ntext : 0);
    map_free(ds);
}

map_matrix map_dataset_matrix(const map_dataset *ds)
{
    map_matrix mx = {ds->n, ds->m, ds->m, ds->x};
    return mx;
}

long map_dataset_value_index(const map_dataset *ds, const char *name)
{
    for (size_t i = 0; i < ds->m; i++)
        if (strcmp(ds->values[i], name) == 0)
            return (long)i;
    return -1;
}
