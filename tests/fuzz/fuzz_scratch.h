/* fuzz_scratch.h — scratch files for fuzz targets whose code under test
 * reads a path (the ingest readers): created once per process in $TMPDIR
 * (else /dev/shm, else /tmp), rewritten for each input, removed at exit.
 */
#ifndef MAP_FUZZ_SCRATCH_H
#define MAP_FUZZ_SCRATCH_H

#include "fuzz_common.h"

/* A scratch file named `<dir>/mapsolve-fuzz-XXXXXX<suffix>` in $TMPDIR (else
 * /dev/shm, else /tmp), created once per process and removed at exit; each
 * call to fuzz_scratch_write replaces its contents. */
typedef struct fuzz_scratch {
    char path[512];
    int ready;
} fuzz_scratch;

/* The scratch files made so far, removed at exit. */
static fuzz_scratch *fuzz_scratch_all[8];
static size_t fuzz_scratch_count;

static void fuzz_scratch_cleanup(void)
{
    for (size_t i = 0; i < fuzz_scratch_count; i++)
        if (fuzz_scratch_all[i]->ready)
            unlink(fuzz_scratch_all[i]->path);
}

/* Writes size bytes to s (creating it with suffix on first use); returns the
 * path. Aborts when the scratch file cannot be written: that is the harness
 * failing, not the code under test. */
static const char *fuzz_scratch_write(fuzz_scratch *s, const char *suffix, const uint8_t *data,
                                      size_t size)
{
    if (!s->ready) {
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir)
            dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(s->path, sizeof s->path, "%s/mapsolve-fuzz-XXXXXX%s", dir, suffix);
        const int fd = mkstemps(s->path, (int)strlen(suffix));
        FUZZ_ASSERT(fd >= 0, "cannot create a scratch file in %s", dir);
        close(fd);
        s->ready = 1;
        FUZZ_ASSERT(fuzz_scratch_count < sizeof fuzz_scratch_all / sizeof fuzz_scratch_all[0],
                    "too many scratch files");
        if (fuzz_scratch_count == 0)
            atexit(fuzz_scratch_cleanup);
        fuzz_scratch_all[fuzz_scratch_count++] = s;
    }
    FILE *f = fopen(s->path, "wb");
    FUZZ_ASSERT(f != NULL, "cannot open %s", s->path);
    FUZZ_ASSERT(size == 0 || fwrite(data, 1, size, f) == size, "cannot write %s", s->path);
    FUZZ_ASSERT(fclose(f) == 0, "cannot close %s", s->path);
    return s->path;
}

#endif
