/* map_dataset_cache.c — the shared, reference-counted, stamp-checked
 * dataset copies of the HTTP service and its per-thread store handles
 * (map_dataset_cache.h). */
#include "map_dataset_cache.h"

#include <pthread.h>
#include <string.h>

#include "map_solver.h"

/* One held copy. refs counts the cache's own reference (while it is the
 * current copy of its name) plus one per request holding it. */
typedef struct entry {
    map_cached_dataset pub; /* pub.ds: the copy, owned (const to its holders) */
    char *name;
    map_dataset_stamp stamp;
    int prompts; /* loaded with MAP_LOAD_PROMPTS */
    size_t refs;
    struct entry *next; /* the cache's list of current copies */
} entry;

/* A thread's store handle, on the cache's list so that it can be closed. */
typedef struct handle {
    map_store *st;
    struct handle *next;
} handle;

struct map_dataset_cache {
    const char *path;
    pthread_mutex_t lock;
    pthread_key_t key; /* the calling thread's handle */
    entry *entries;
    handle *handles;
    size_t loads;
};

/* Runs when a thread that used the cache ends (the request threads, when
 * the server stops): frees what the solver keeps per thread. The handle
 * itself is closed by map_dataset_cache_free. */
static void thread_end(void *h)
{
    (void)h;
    map_lp_thread_done();
}

map_dataset_cache *map_dataset_cache_new(const char *path)
{
    map_dataset_cache *c = map_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->path = path;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        map_free(c);
        return NULL;
    }
    if (pthread_key_create(&c->key, thread_end) != 0) {
        pthread_mutex_destroy(&c->lock);
        map_free(c);
        return NULL;
    }
    return c;
}

static void entry_free(entry *e)
{
    map_dataset_free((map_dataset *)e->pub.ds);
    map_free(e->name);
    map_free(e);
}

void map_dataset_cache_free(map_dataset_cache *c)
{
    if (!c)
        return;
    for (entry *e = c->entries, *next; e; e = next) {
        next = e->next;
        entry_free(e);
    }
    for (handle *h = c->handles, *next; h; h = next) {
        next = h->next;
        map_store_close(h->st);
        map_free(h);
    }
    pthread_key_delete(c->key);
    pthread_mutex_destroy(&c->lock);
    map_free(c);
}

int map_dataset_cache_store(map_dataset_cache *c, map_store **st, map_error *err)
{
    handle *h = pthread_getspecific(c->key);
    if (h) {
        *st = h->st;
        return MAP_OK;
    }
    map_store *s = NULL;
    int rc = map_store_open_readonly(c->path, &s, err);
    if (rc)
        return rc;
    if (!(h = map_calloc(1, sizeof *h))) {
        map_store_close(s);
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    h->st = s;
    pthread_mutex_lock(&c->lock);
    h->next = c->handles;
    c->handles = h;
    pthread_mutex_unlock(&c->lock);
    pthread_setspecific(c->key, h);
    *st = s;
    return MAP_OK;
}

/* Drops one reference to e; frees it when it was the last. Called with the
 * lock held; the free itself happens after the caller unlocks (*dead). */
static void unref_locked(entry *e, entry **dead)
{
    if (--e->refs == 0)
        *dead = e;
}

/* Unlinks the current copy of name (if any), dropping the cache's
 * reference. Lock held. */
static void unlink_locked(map_dataset_cache *c, const char *name, entry **dead)
{
    for (entry **pp = &c->entries; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name) == 0) {
            entry *e = *pp;
            *pp = e->next;
            e->next = NULL;
            unref_locked(e, dead);
            return;
        }
    }
}

/* 1 when e is a usable copy of name with stamp (and prompts when asked). */
static int usable(const entry *e, const char *name, const map_dataset_stamp *stamp, int prompts)
{
    return strcmp(e->name, name) == 0 && map_store_stamp_equal(&e->stamp, stamp) &&
           (e->prompts || !prompts);
}

/* The usable copy of name (usable()) with one more reference, or NULL.
 * Lock held. */
static entry *find_locked(map_dataset_cache *c, const char *name, const map_dataset_stamp *stamp,
                          int prompts)
{
    for (entry *e = c->entries; e; e = e->next) {
        if (usable(e, name, stamp, prompts)) {
            e->refs++;
            return e;
        }
    }
    return NULL;
}

int map_dataset_cache_acquire(map_dataset_cache *c, const char *name, int prompts,
                              map_cached_dataset **out, map_error *err)
{
    *out = NULL;
    map_store *st = NULL;
    int rc = map_dataset_cache_store(c, &st, err);
    if (rc)
        return rc;
    map_dataset_stamp stamp;
    if ((rc = map_store_dataset_stamp(st, name, &stamp, err)))
        return rc;
    entry *dead = NULL;
    if (stamp.id == 0) {
        pthread_mutex_lock(&c->lock);
        unlink_locked(c, name, &dead);
        pthread_mutex_unlock(&c->lock);
        if (dead)
            entry_free(dead);
        return map_error_set(err, MAP_EUSAGE, "no dataset named '%s'", name);
    }
    pthread_mutex_lock(&c->lock);
    entry *held = find_locked(c, name, &stamp, prompts);
    pthread_mutex_unlock(&c->lock);
    if (held) {
        *out = &held->pub;
        return MAP_OK;
    }
    /* Load outside the lock (other datasets stay available). The load reads
     * one snapshot, which is at least as new as the stamp read above: a
     * newer one only makes the next request load again. */
    map_dataset *ds = NULL;
    if ((rc = map_store_get_dataset(st, name, prompts ? MAP_LOAD_PROMPTS : 0, &ds, err))) {
        if (rc == MAP_EUSAGE)
            map_error_set(err, MAP_EUSAGE, "no dataset named '%s'", name);
        return rc;
    }
    entry *e = map_calloc(1, sizeof *e);
    if (!e || !(e->name = map_strdup(name))) {
        map_free(e);
        map_dataset_free(ds);
        return map_error_set(err, MAP_ENOMEM, "out of memory");
    }
    e->pub.ds = ds;
    e->stamp = stamp;
    e->prompts = prompts;
    e->refs = 2; /* the cache's and the caller's */
    pthread_mutex_lock(&c->lock);
    /* Another thread may have loaded the same content meanwhile: keep the
     * first copy, drop ours. */
    if ((held = find_locked(c, name, &stamp, prompts))) {
        pthread_mutex_unlock(&c->lock);
        entry_free(e);
        *out = &held->pub;
        return MAP_OK;
    }
    unlink_locked(c, name, &dead);
    e->next = c->entries;
    c->entries = e;
    c->loads++;
    pthread_mutex_unlock(&c->lock);
    if (dead)
        entry_free(dead);
    *out = &e->pub;
    return MAP_OK;
}

void map_dataset_cache_release(map_dataset_cache *c, map_cached_dataset *h)
{
    if (!h)
        return;
    entry *e = (entry *)((char *)h - offsetof(entry, pub));
    entry *dead = NULL;
    pthread_mutex_lock(&c->lock);
    unref_locked(e, &dead);
    pthread_mutex_unlock(&c->lock);
    if (dead)
        entry_free(dead);
}

void map_dataset_cache_counts(map_dataset_cache *c, size_t *held, size_t *loads)
{
    pthread_mutex_lock(&c->lock);
    size_t n = 0;
    for (const entry *e = c->entries; e; e = e->next)
        n++;
    *held = n;
    *loads = c->loads;
    pthread_mutex_unlock(&c->lock);
}
