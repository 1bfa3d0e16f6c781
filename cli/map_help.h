/* map_help.h — each command's help text: its usage, the description under
 * the usage line and the notes after its options, written in
 * cli/help/NAME.txt and embedded at build time by gen_help.py
 * (map_help_texts[], generated). The options stay beside the command's
 * code. */
#ifndef MAP_HELP_H
#define MAP_HELP_H

#include <stddef.h>

typedef struct map_help_text {
    const char *name;        /* the command ("solve") */
    const char *usage;       /* after "mapsolve " */
    const char *description; /* printed under the usage line */
    const char *notes;       /* printed after the options; NULL: none */
} map_help_text;

/* Sorted by name. */
extern const map_help_text map_help_texts[];
extern const size_t map_help_ntexts;

/* The help text of command name, or NULL when it has none. */
const map_help_text *map_help_find(const char *name);

#endif
