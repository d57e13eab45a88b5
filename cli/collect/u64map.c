/*
 * u64map.c - linear probing with backward-shift deletion (no tombstones, so a
 * map with heavy churn, like the live-block map, never degrades).
 *
 * Each entry holds its key and value together, so a lookup touches one cache
 * line.  The hash must spread every bit: block ids are (thread << 40 |
 * sequence), and a hash that kept sequences in order made long runs of
 * long-lived blocks that every later probe had to walk.
 */
#include <stdlib.h>
#include <string.h>
#include "collect/u64map.h"

static size_t slot_of(uint64_t key, size_t capacity)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & (capacity - 1);
}

static uint64_t *key_at(const struct u64map *m, size_t i)
{
    return (uint64_t *)(m->entries + i * m->stride);
}

static void *value_at(const struct u64map *m, size_t i)
{
    return m->entries + i * m->stride + sizeof(uint64_t);
}

void u64map_init(struct u64map *m, size_t value_size)
{
    memset(m, 0, sizeof *m);
    m->value_size = value_size;
    m->stride = sizeof(uint64_t) + ((value_size + 7) & ~(size_t)7);
}

void u64map_free(struct u64map *m)
{
    free(m->entries);
    u64map_init(m, m->value_size);
}

void u64map_clear(struct u64map *m)
{
    if (m->count)
        memset(m->entries, 0, m->capacity * m->stride);
    m->count = 0;
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
    if (!m->capacity || !key)
        return NULL;
    for (size_t i = slot_of(key, m->capacity);; i = (i + 1) & (m->capacity - 1)) {
        uint64_t k = *key_at(m, i);
        if (k == key)
            return value_at(m, i);
        if (!k)
            return NULL;
    }
}

void u64map_prefetch(const struct u64map *m, uint64_t key)
{
    if (m->capacity)
        __builtin_prefetch(key_at(m, slot_of(key, m->capacity)), 1, 2);
}

/* Doubles the table; 0 on success. */
static int grow(struct u64map *m)
{
    struct u64map bigger = *m;
    bigger.capacity = m->capacity ? m->capacity * 2 : 64;
    bigger.entries = calloc(bigger.capacity, m->stride);
    if (!bigger.entries)
        return -1;
    for (size_t i = 0; i < m->capacity; i++) {
        uint64_t key = *key_at(m, i);
        if (!key)
            continue;
        size_t j = slot_of(key, bigger.capacity);
        while (*key_at(&bigger, j))
            j = (j + 1) & (bigger.capacity - 1);
        memcpy(key_at(&bigger, j), key_at(m, i), m->stride);
    }
    free(m->entries);
    *m = bigger;
    return 0;
}

void *u64map_put(struct u64map *m, uint64_t key, int *created)
{
    int dummy;
    if (!created)
        created = &dummy;
    *created = 0;
    if (!key)
        return NULL;
    if ((m->count + 1) * 4 > m->capacity * 3 && grow(m) < 0)
        return NULL;
    size_t i = slot_of(key, m->capacity);
    for (uint64_t k; (k = *key_at(m, i)) && k != key;)
        i = (i + 1) & (m->capacity - 1);
    if (!*key_at(m, i)) {
        *key_at(m, i) = key;
        memset(value_at(m, i), 0, m->value_size);
        m->count++;
        *created = 1;
    }
    return value_at(m, i);
}

int u64map_remove(struct u64map *m, uint64_t key)
{
    if (!m->capacity || !key)
        return 0;
    size_t mask = m->capacity - 1, i = slot_of(key, m->capacity);
    while (*key_at(m, i) != key) {
        if (!*key_at(m, i))
            return 0;
        i = (i + 1) & mask;
    }
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        uint64_t k = *key_at(m, j);
        if (!k)
            break;
        size_t home = slot_of(k, m->capacity);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            memcpy(key_at(m, i), key_at(m, j), m->stride);
            i = j;
        }
    }
    *key_at(m, i) = 0;
    m->count--;
    return 1;
}

int u64map_next(const struct u64map *m, size_t *cursor, uint64_t *key, void **value)
{
    for (size_t i = *cursor; i < m->capacity; i++) {
        if (*key_at(m, i)) {
            *cursor = i + 1;
            if (key)
                *key = *key_at(m, i);
            if (value)
                *value = value_at(m, i);
            return 1;
        }
    }
    *cursor = m->capacity;
    return 0;
}
