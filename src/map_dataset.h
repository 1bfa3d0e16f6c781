/* map_dataset.h — the in-memory reward dataset and the matrix view the solver
 * reads. A dataset owns all its memory; map_dataset_free releases it.
 */
#ifndef MAP_DATASET_H
#define MAP_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "map_common.h"

/* How a dataset's rewards are stored and held in memory: double (8 bytes)
 * or single (IEEE float32, 4 bytes: half the memory; sums over it are
 * still accumulated in double). */
typedef enum map_precision { MAP_PRECISION_DOUBLE = 0, MAP_PRECISION_SINGLE = 1 } map_precision;

/* "double" or "single". */
const char *map_precision_name(map_precision p);

/* Parses "double" or "single" into *out; 0 on success, -1 otherwise. */
int map_precision_parse(const char *s, map_precision *out);

/* A read-only, row-major view of an n x m reward matrix: reward of value i
 * for sample j is x[j * ld + i] (double) or xf[j * ld + i] (single).
 * Exactly one of x and xf is non-NULL in a view of data (both NULL only in
 * an empty view). The view borrows the array; it owns nothing. Hot loops
 * branch once on the element type; other code reads through
 * map_matrix_at. */
typedef struct map_matrix {
    size_t n;         /* samples */
    size_t m;         /* values (columns) */
    size_t ld;        /* row stride in elements, >= m */
    const double *x;  /* n * ld doubles, or NULL */
    const float *xf;  /* n * ld floats, or NULL */
} map_matrix;

/* The reward of value i for sample j, as a double. */
static inline double map_matrix_at(const map_matrix *X, size_t j, size_t i)
{
    return X->xf ? (double)X->xf[j * X->ld + i] : X->x[j * X->ld + i];
}

/* Nonzero when X holds data (either element type). */
static inline int map_matrix_has_data(const map_matrix *X) { return X->x != NULL || X->xf != NULL; }

/* Copies row j of X into out[0 .. m-1] as doubles. */
static inline void map_matrix_row(const map_matrix *X, size_t j, double *out)
{
    if (X->xf) {
        const float *r = X->xf + j * X->ld;
        for (size_t i = 0; i < X->m; i++)
            out[i] = (double)r[i];
    } else {
        const double *r = X->x + j * X->ld;
        for (size_t i = 0; i < X->m; i++)
            out[i] = r[i];
    }
}

typedef struct map_dataset {
    char *name;        /* dataset name (may be NULL before it is stored) */
    char *source;      /* source file name as given ("-" for stdin) */
    char *hash;        /* hex content hash of the source bytes (xxh128, 32 chars) */
    int64_t created;   /* Unix time of ingest, 0 if unknown */

    size_t n, m;       /* samples, values */
    char **values;     /* m value names, in column order */
    double *x;         /* n * m rewards, row-major (x[j*m + i]), or NULL when
                          the matrix is held in single precision (xf) */
    float *xf;         /* n * m rewards as float32 when the dataset was loaded
                          from a single-precision store entry, else NULL. At
                          most one of x and xf is set after a load. */
    map_precision precision; /* how the store keeps (or is to keep) the
                                matrix: map_store_put_dataset rounds x to
                                float32 when SINGLE */

    char *prompt_name; /* name of the prompt column, NULL when there is none */
    char **prompts;    /* n prompt keys, or NULL */

    size_t ntext;      /* number of kept text columns */
    char **text_names; /* ntext names, or NULL */
    char **text;       /* n * ntext cells row-major, or NULL (may be NULL even
                          when ntext > 0 if the store was asked not to load text) */
    void **arenas;     /* when the store loaded the prompts and texts: the blocks
                          holding their bytes (narenas, owned), into which prompts[j]
                          and text[...] point, so that they are not allocated (or
                          freed) one by one; NULL otherwise */
    size_t narenas;

    struct map_valstat *stats; /* m per-value statistics of the matrix (map_stats.h) as the
                                  store keeps them, or NULL: then they are computed
                                  from x when needed. Whoever changes x after
                                  setting them frees and clears them. */
} map_dataset;

/* Allocates an empty dataset (all fields zero). NULL on out-of-memory. */
map_dataset *map_dataset_new(void);

/* Frees the dataset and everything it owns. NULL is a no-op. */
void map_dataset_free(map_dataset *ds);

/* The matrix view of ds (borrows ds->xf when set, else ds->x). */
map_matrix map_dataset_matrix(const map_dataset *ds);

/* Index of the value called name, or -1. */
long map_dataset_value_index(const map_dataset *ds, const char *name);

/* Groups the samples by prompt key for per-prompt normalisation: groups in
 * order of first appearance, rows in file order within a group. On success
 * *order (n row indices) and *start (ngroups + 1 offsets) are new arrays
 * (free with map_free), *ngroups and *singletons (groups of one sample) are
 * set. MAP_EDATA when the dataset has no prompt column (or the prompts were
 * not loaded), MAP_ENOMEM on allocation failure. */
int map_dataset_group_rows(const map_dataset *ds, size_t **order, size_t **start, size_t *ngroups,
                           size_t *singletons, map_error *err);

#endif
