/* map_help.c — finds a command's help prose in the embedded table
 * (map_help.h; the table itself is generated from cli/help/). */
#include "map_help.h"

#include <stdlib.h>
#include <string.h>

static int by_name(const void *key, const void *entry)
{
    return strcmp((const char *)key, ((const map_help_text *)entry)->name);
}

const map_help_text *map_help_find(const char *name)
{
    return bsearch(name, map_help_texts, map_help_ntexts, sizeof map_help_texts[0], by_name);
}
