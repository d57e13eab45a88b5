/*
 * u64map.c - linear probing with backward-shift deletion (no tombstones, so a
 * map with heavy churn, like the live-block map, never degrades).
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

void u64map_init(struct u64map *m, size_t value_size)
{
    memset(m, 0, sizeof *m);
    m->value_size = value_size;
}

void u64map_free(struct u64map *m)
{
    free(m->keys);
    free(m->values);
    u64map_init(m, m->value_size);
}

static unsigned char *value_at(const struct u64map *m, size_t i)
{
    return m->values + i * m->value_size;
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
    if (!m->capacity || !key)
        return NULL;
    for (size_t i = slot_of(key, m->capacity);; i = (i + 1) & (m->capacity - 1)) {
        if (m->keys[i] == key)
            return value_at(m, i);
        if (!m->keys[i])
            return NULL;
    }
}

/* Doubles the table; 0 on success. */
static int grow(struct u64map *m)
{
    size_t capacity = m->capacity ? m->capacity * 2 : 64;
    uint64_t *keys = calloc(capacity, sizeof *keys);
    unsigned char *values = calloc(capacity, m->value_size);
    if (!keys || !values) {
        free(keys);
        free(values);
        return -1;
    }
    for (size_t i = 0; i < m->capacity; i++) {
        if (!m->keys[i])
            continue;
        size_t j = slot_of(m->keys[i], capacity);
        while (keys[j])
            j = (j + 1) & (capacity - 1);
        keys[j] = m->keys[i];
        memcpy(values + j * m->value_size, value_at(m, i), m->value_size);
    }
    free(m->keys);
    free(m->values);
    m->keys = keys;
    m->values = values;
    m->capacity = capacity;
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
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->capacity - 1);
    if (!m->keys[i]) {
        m->keys[i] = key;
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
    while (m->keys[i] != key) {
        if (!m->keys[i])
            return 0;
        i = (i + 1) & mask;
    }
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        if (!m->keys[j])
            break;
        size_t home = slot_of(m->keys[j], m->capacity);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->keys[i] = m->keys[j];
            memcpy(value_at(m, i), value_at(m, j), m->value_size);
            i = j;
        }
    }
    m->keys[i] = 0;
    m->count--;
    return 1;
}

int u64map_next(const struct u64map *m, size_t *cursor, uint64_t *key, void **value)
{
    for (size_t i = *cursor; i < m->capacity; i++) {
        if (m->keys[i]) {
            *cursor = i + 1;
            if (key)
                *key = m->keys[i];
            if (value)
                *value = value_at(m, i);
            return 1;
        }
    }
    *cursor = m->capacity;
    return 0;
}
