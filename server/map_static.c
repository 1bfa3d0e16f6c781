/* map_static.c — lookup of the embedded static files (map_static.h); the
 * files themselves are in the generated map_static_data.c. */
#include "map_static.h"

#include <string.h>

const map_static_file *map_static_find(const char *path)
{
    for (size_t i = 0; i < map_static_nfiles; i++)
        if (strcmp(map_static_files[i].path, path) == 0)
            return &map_static_files[i];
    return NULL;
}
