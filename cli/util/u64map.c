/*
 * u64map.c - linear probing with backward-shift deletion (no tombstones, so a
 * map with heavy churn, like the live-block map, never degrades).
 *
 * Each entry holds its key and value together, so a lookup touches one cache
 * line.  The hash must spread every bit: block ids are (thread << 40 |
 * sequence), and a hash that kept sequences in order made long runs of
 * long-lived blocks that every later probe had to walk.
 *
 * Growth is incremental.  Doubling a map of hundreds of thousands of blocks
 * at once took the collector tens of milliseconds, during which the traced
 * program waited.  Instead the full table becomes `old`, a table twice its
 * size becomes `now`, and every later change moves a few of old's entries
 * into now, so old is empty long before now fills.
 *
 * A new table of 16 KiB or more is faulted in writable at once
 * (MADV_POPULATE_WRITE) instead of page by page: a probe reads a slot before
 * it writes one, so each page's first read mapped the zero page and the write
 * then replaced it, a copy-on-write fault and a TLB flush sent to every CPU
 * the collector's threads ran on; on Python holding three million blocks
 * that was a fifth of all the run's samples, and on clang --version, whose
 * tables are small, a tenth of the collector's CPU.  A table of 2 MiB or more
 * is on huge pages (huge_pages.h), as libtrack's live-block table is: on 4 KiB
 * pages nearly every probe of a map of hundreds of MiB also missed the TLB,
 * and the collector's prefetches and probes were a quarter of Python's run
 * holding four million blocks.  (Faulted in at once, the huge pages cost
 * what the small ones did: their zeroing.)
 *
 * Invariants: a key is in at most one of the two tables; `old` is a valid
 * table at all times (entries leave it by backward-shift deletion), and its
 * slots below `moved` are empty (deletion only pulls entries back to the
 * slot being emptied, never below it); count = now.count + old.count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "huge_pages.h"
#include "util/u64map.h"

#define POPULATE_FROM ((size_t)16 << 10) /* bytes: a smaller table lies within a few pages */
#define HUGE_TABLE_FROM ((size_t)2 << 20) /* bytes: one huge page */
#define MOVES_PER_CHANGE 8 /* old slots emptied per put or remove: > 2 finishes before now fills */

static size_t slot_of(uint64_t key, size_t capacity)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & (capacity - 1);
}

static uint64_t *key_at(const struct u64map *m, const struct u64table *t, size_t i)
{
    return (uint64_t *)(t->entries + i * m->stride);
}

static void *value_at(const struct u64map *m, const struct u64table *t, size_t i)
{
    return t->entries + i * m->stride + sizeof(uint64_t);
}

void u64map_init(struct u64map *m, size_t value_size)
{
    memset(m, 0, sizeof *m);
    m->value_size = value_size;
    m->stride = sizeof(uint64_t) + ((value_size + 7) & ~(size_t)7);
}

/* Frees t's entries and leaves t empty. */
static void table_release(struct u64table *t)
{
    if (t->mapped)
        munmap(t->entries, t->mapped);
    else
        free(t->entries);
    *t = (struct u64table){0};
}

void u64map_free(struct u64map *m)
{
    table_release(&m->now);
    table_release(&m->old);
    u64map_init(m, m->value_size);
}

void u64map_clear(struct u64map *m)
{
    if (m->now.count)
        memset(m->now.entries, 0, m->now.capacity * m->stride);
    table_release(&m->old);
    m->now.count = m->count = 0;
}

/* The slot holding key in t, or the empty slot where key would go; t has room. */
static size_t probe(const struct u64map *m, const struct u64table *t, uint64_t key)
{
    size_t i = slot_of(key, t->capacity);
    for (uint64_t k; (k = *key_at(m, t, i)) != 0 && k != key;)
        i = (i + 1) & (t->capacity - 1);
    return i;
}

/* The slot of key in t, or SIZE_MAX. */
static size_t find(const struct u64map *m, const struct u64table *t, uint64_t key)
{
    if (!t->count)
        return SIZE_MAX;
    size_t i = probe(m, t, key);
    return *key_at(m, t, i) == key ? i : SIZE_MAX;
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
    if (!key)
        return NULL;
    size_t i = find(m, &m->now, key);
    if (i != SIZE_MAX)
        return value_at(m, &m->now, i);
    i = find(m, &m->old, key);
    return i == SIZE_MAX ? NULL : value_at(m, &m->old, i);
}

void u64map_prefetch(const struct u64map *m, uint64_t key)
{
    if (m->now.capacity)
        __builtin_prefetch(key_at(m, &m->now, slot_of(key, m->now.capacity)), 1, 2);
}

/* Empties slot i of t, shifting later members of its probe run back. */
static void erase(struct u64map *m, struct u64table *t, size_t i)
{
    size_t mask = t->capacity - 1;
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        uint64_t k = *key_at(m, t, j);
        if (!k)
            break;
        size_t home = slot_of(k, t->capacity);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            memcpy(key_at(m, t, i), key_at(m, t, j), m->stride);
            i = j;
        }
    }
    *key_at(m, t, i) = 0;
    t->count--;
}

/* Moves up to `slots` of old's slots' entries into now; frees old once empty. */
static void move_some(struct u64map *m, size_t slots)
{
    while (m->old.entries && slots--) {
        if (m->moved < m->old.capacity && *key_at(m, &m->old, m->moved)) {
            uint64_t key = *key_at(m, &m->old, m->moved);
            memcpy(key_at(m, &m->now, probe(m, &m->now, key)), key_at(m, &m->old, m->moved), m->stride);
            m->now.count++;
            erase(m, &m->old, m->moved); /* may pull a later entry into this slot: look again */
            continue;
        }
        if (++m->moved >= m->old.capacity || !m->old.count)
            table_release(&m->old);
    }
}

/* Faults in the whole pages of a large new table, writable (see the top of
 * this file).  Advice only: where the kernel refuses, the pages come one by
 * one as before. */
static void populate(unsigned char *entries, size_t bytes)
{
    const uintptr_t page = 4096;
    if (bytes < POPULATE_FROM)
        return;
    uintptr_t lo = ((uintptr_t)entries + page - 1) & ~(page - 1), hi = ((uintptr_t)entries + bytes) & ~(page - 1);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
}

/* Starts moving the map into a new table of CAPACITY entries; 0 on success. */
static int grow(struct u64map *m, size_t capacity)
{
    move_some(m, SIZE_MAX); /* a doubling still under way ends now (cannot happen with enough moves) */
    size_t mapped = 0;
    if (capacity > SIZE_MAX / 2 / m->stride)
        return -1;
    unsigned char *entries = capacity * m->stride >= HUGE_TABLE_FROM ? mt_map_table(capacity * m->stride, &mapped)
                                                                     : calloc(capacity, m->stride);
    if (!entries)
        return -1;
    populate(entries, capacity * m->stride);
    m->old = m->now;
    m->now = (struct u64table){.capacity = capacity, .entries = entries, .mapped = mapped};
    m->moved = 0;
    if (!m->old.count)
        table_release(&m->old);
    return 0;
}

/* Makes room for one more entry; 0 on success. */
static int reserve(struct u64map *m)
{
    if ((m->count + 1) * 4 <= m->now.capacity * 3)
        return 0;
    return grow(m, m->now.capacity ? m->now.capacity * 2 : 64);
}

int u64map_reserve(struct u64map *m, size_t count)
{
    size_t capacity = m->now.capacity ? m->now.capacity : 64;
    while (count > capacity / 4 * 3) {
        if (capacity > SIZE_MAX / 4)
            return -1;
        capacity *= 2;
    }
    if (capacity == m->now.capacity)
        return 0;
    if (grow(m, capacity) != 0)
        return -1;
    move_some(m, SIZE_MAX);
    return 0;
}

void *u64map_put(struct u64map *m, uint64_t key, int *created)
{
    int dummy;
    if (!created)
        created = &dummy;
    *created = 0;
    if (!key || reserve(m) < 0)
        return NULL;
    move_some(m, MOVES_PER_CHANGE);
    size_t i = probe(m, &m->now, key);
    if (*key_at(m, &m->now, i) == key)
        return value_at(m, &m->now, i);
    size_t in_old = find(m, &m->old, key);
    if (in_old != SIZE_MAX)
        return value_at(m, &m->old, in_old);
    *key_at(m, &m->now, i) = key;
    memset(value_at(m, &m->now, i), 0, m->value_size);
    m->now.count++;
    m->count++;
    *created = 1;
    return value_at(m, &m->now, i);
}

int u64map_remove(struct u64map *m, uint64_t key)
{
    if (!key)
        return 0;
    struct u64table *t = &m->now;
    size_t i = find(m, t, key);
    if (i == SIZE_MAX && (i = find(m, t = &m->old, key)) == SIZE_MAX)
        return 0;
    erase(m, t, i);
    m->count--;
    move_some(m, MOVES_PER_CHANGE);
    return 1;
}

void u64map_remove_value(struct u64map *m, void *value)
{
    uintptr_t entry = (uintptr_t)value - sizeof(uint64_t), start = (uintptr_t)m->now.entries;
    struct u64table *t = entry >= start && entry < start + m->now.capacity * m->stride ? &m->now : &m->old;
    erase(m, t, (entry - (uintptr_t)t->entries) / m->stride);
    m->count--;
    move_some(m, MOVES_PER_CHANGE);
}

/* Iteration runs over now's slots, then old's: cursor counts through both. */
int u64map_next(const struct u64map *m, size_t *cursor, uint64_t *key, void **value)
{
    for (size_t c = *cursor; c < m->now.capacity + m->old.capacity; c++) {
        const struct u64table *t = c < m->now.capacity ? &m->now : &m->old;
        size_t i = c < m->now.capacity ? c : c - m->now.capacity;
        if (*key_at(m, t, i)) {
            *cursor = c + 1;
            if (key)
                *key = *key_at(m, t, i);
            if (value)
                *value = value_at(m, t, i);
            return 1;
        }
    }
    *cursor = m->now.capacity + m->old.capacity;
    return 0;
}
