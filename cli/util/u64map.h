/*
 * u64map.h - an open-addressing hash map from nonzero 64-bit keys to
 * fixed-size values stored inline.  Block ids, stack ids and addresses all are
 * 64-bit keys: the collector's live blocks and stacks, the trace writer's
 * stack trie, the stacks analyse loads and the page's frames all map them.
 */
#ifndef MEMTRACK_U64MAP_H
#define MEMTRACK_U64MAP_H

#include <stddef.h>
#include <stdint.h>

/* One open-addressing table. */
struct u64table {
    size_t capacity;        /* entries, a power of two, or 0 */
    size_t count;
    unsigned char *entries; /* key 0 = empty */
    size_t mapped;          /* bytes mapped for entries (mt_map_table), 0 when they came from calloc */
};

struct u64map {
    size_t value_size;
    size_t stride;          /* bytes per entry: the key, then the value, 8-aligned */
    size_t count;           /* keys in the map */
    struct u64table now;    /* where new keys go */
    struct u64table old;    /* while the map grows: the table being emptied into `now` */
    size_t moved;           /* old's slots below this are empty */
};

void u64map_init(struct u64map *m, size_t value_size);
void u64map_free(struct u64map *m);
/* The value for key, or NULL. */
void *u64map_get(const struct u64map *m, uint64_t key);
/* The value for key, inserted zero-filled when absent (*created = 1 then). NULL when out of memory. */
void *u64map_put(struct u64map *m, uint64_t key, int *created);
/* Makes room for COUNT keys in all at once, so that puts up to them move
 * no entry (a map whose size is known beforehand); 0, or -1 when memory
 * runs out. */
int u64map_reserve(struct u64map *m, size_t count);
/* Starts loading the entry where key lives or would go (a hint: no effect on the map). */
void u64map_prefetch(const struct u64map *m, uint64_t key);
/* Removes every key, keeping the room. */
void u64map_clear(struct u64map *m);
/* Removes key; returns 1 when it was present.  Any change (put, remove) may
 * move other entries: values found before it are not to be used after it. */
int u64map_remove(struct u64map *m, uint64_t key);
/* Removes the entry of `value`, which u64map_get or u64map_put returned with
 * no change to the map since: u64map_remove without looking the key up again. */
void u64map_remove_value(struct u64map *m, void *value);
/* Iteration: for (size_t i = 0; u64map_next(m, &i, &key, &value);) */
int u64map_next(const struct u64map *m, size_t *cursor, uint64_t *key, void **value);

#endif
