/*
 * test_u64map.c - the CLI's hash map (cli/util/u64map.c): the basic
 * operations, growth, and backward-shift deletion checked against a plain
 * array under long random churn at high load, where probe runs are long and a
 * wrong shift loses keys; and the same while the map grows, caught half-way
 * through moving its entries from the old table to the new one (there, every
 * other removal goes through the value u64map_get found, in either table).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/u64map.h"

/* What the tests store: the key itself, and a version that changes on update. */
struct entry {
    uint64_t key;
    uint64_t version;
};

/* splitmix64: a fixed sequence of well-mixed keys, the same on every run. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void test_put_get_remove(void **state)
{
    struct u64map m;
    u64map_init(&m, sizeof(struct entry));
    assert_null(u64map_get(&m, 42));
    assert_int_equal(u64map_remove(&m, 42), 0);

    int created = -1;
    struct entry *e = u64map_put(&m, 42, &created);
    assert_non_null(e);
    assert_int_equal(created, 1);
    assert_int_equal(e->key, 0); /* zero-filled */
    assert_int_equal(e->version, 0);
    e->key = 42;
    e->version = 7;
    assert_int_equal(m.count, 1);

    struct entry *again = u64map_put(&m, 42, &created);
    assert_ptr_equal(again, e);
    assert_int_equal(created, 0);
    assert_int_equal(again->version, 7);
    assert_int_equal(m.count, 1);
    assert_ptr_equal(u64map_get(&m, 42), e);
    assert_null(u64map_get(&m, 43));

    assert_non_null(u64map_put(&m, 43, NULL)); /* `created` may be left out */
    assert_int_equal(m.count, 2);
    assert_int_equal(u64map_remove(&m, 42), 1);
    assert_int_equal(u64map_remove(&m, 42), 0);
    assert_null(u64map_get(&m, 42));
    assert_non_null(u64map_get(&m, 43));
    assert_int_equal(m.count, 1);
    u64map_free(&m);
    assert_int_equal(m.count, 0);
    assert_null(u64map_get(&m, 43));
}

/* 0 marks an empty slot, so it cannot be a key. */
static void test_key_zero_is_refused(void **state)
{
    struct u64map m;
    u64map_init(&m, sizeof(struct entry));
    int created = -1;
    assert_null(u64map_put(&m, 0, &created));
    assert_int_equal(created, 0);
    assert_non_null(u64map_put(&m, 1, NULL));
    assert_null(u64map_get(&m, 0));
    assert_int_equal(u64map_remove(&m, 0), 0);
    assert_int_equal(m.count, 1);
    u64map_free(&m);
}

static void test_growth_keeps_every_value(void **state)
{
    const uint64_t n = 100000;
    struct u64map m;
    u64map_init(&m, sizeof(struct entry));
    for (uint64_t key = 1; key <= n; key++) {
        struct entry *e = u64map_put(&m, key, NULL);
        assert_non_null(e);
        *e = (struct entry){.key = key, .version = key * 3};
        assert_true(m.count * 4 <= m.now.capacity * 3);
        assert_true(m.old.count == 0 || m.old.capacity * 2 == m.now.capacity);
    }
    assert_int_equal(m.count, n);
    assert_int_equal(m.now.capacity & (m.now.capacity - 1), 0);
    for (uint64_t key = 1; key <= n; key++) {
        const struct entry *e = u64map_get(&m, key);
        assert_non_null(e);
        assert_int_equal(e->key, key);
        assert_int_equal(e->version, key * 3);
    }
    assert_null(u64map_get(&m, n + 1));
    u64map_free(&m);
}

#define UNIVERSE 2450 /* about 4/7 of them live (1400): load near 0.7 in 2048 slots */
#define CHURN_STEPS 300000

/* The reference: for each key of the universe, its version when present, else 0. */
struct reference {
    uint64_t keys[UNIVERSE];
    uint64_t versions[UNIVERSE];
    size_t live;
};

/* The map holds exactly the reference's keys with their versions, and
 * iteration visits each of them once. */
static void assert_map_matches(const struct u64map *m, const struct reference *ref)
{
    assert_int_equal(m->count, ref->live);
    for (size_t i = 0; i < UNIVERSE; i++) {
        const struct entry *e = u64map_get(m, ref->keys[i]);
        if (!ref->versions[i]) {
            assert_null(e);
            continue;
        }
        assert_non_null(e);
        assert_int_equal(e->key, ref->keys[i]);
        assert_int_equal(e->version, ref->versions[i]);
    }
    static unsigned char visited[UNIVERSE];
    memset(visited, 0, sizeof visited);
    size_t visits = 0;
    uint64_t key;
    void *value;
    for (size_t cursor = 0; u64map_next(m, &cursor, &key, &value); visits++) {
        const struct entry *e = value;
        assert_int_equal(e->key, key);
        size_t i = e->version % UNIVERSE; /* versions encode their key's index */
        assert_int_equal(ref->keys[i], key);
        assert_int_equal(ref->versions[i], e->version);
        assert_int_equal(visited[i], 0);
        visited[i] = 1;
    }
    assert_int_equal(visits, ref->live);
}

static void test_random_churn_matches_a_reference(void **state)
{
    static struct reference ref;
    uint64_t rng = 12345;
    for (size_t i = 0; i < UNIVERSE; i++)
        ref.keys[i] = next_random(&rng) | 1; /* never 0 */
    struct u64map m;
    u64map_init(&m, sizeof(struct entry));
    uint64_t version = 0;
    for (long step = 0; step < CHURN_STEPS; step++) {
        size_t i = next_random(&rng) % UNIVERSE;
        uint64_t key = ref.keys[i];
        if (ref.versions[i] && next_random(&rng) % 4) {
            assert_int_equal(u64map_remove(&m, key), 1);
            ref.versions[i] = 0;
            ref.live--;
        } else {
            int created;
            struct entry *e = u64map_put(&m, key, &created);
            assert_non_null(e);
            assert_int_equal(created, ref.versions[i] == 0);
            ref.live += created;
            version += UNIVERSE;
            *e = (struct entry){.key = key, .version = version + i};
            ref.versions[i] = version + i;
        }
        assert_int_equal(m.count, ref.live);
        if (step % 5000 == 0)
            assert_map_matches(&m, &ref);
    }
    /* never more than 1536 live keys (3/4 of 2048) on this sequence: churn alone must not grow the table */
    assert_true(m.now.capacity <= 2048);
    assert_map_matches(&m, &ref);
    for (size_t i = 0; i < UNIVERSE; i++)
        if (ref.versions[i]) {
            assert_int_equal(u64map_remove(&m, ref.keys[i]), 1);
            ref.versions[i] = 0;
            ref.live--;
        }
    assert_map_matches(&m, &ref);
    u64map_free(&m);
}

#define GROWING_KEYS 60000

/* Keys come and go while the map keeps growing: checked against the
 * reference whenever a doubling is half done (both tables hold keys), and
 * every doubling ends before the next one starts. */
static void test_growth_under_churn_loses_nothing_midway(void **state)
{
    static uint64_t versions[GROWING_KEYS];
    uint64_t rng = 777, live = 0;
    unsigned midway_checks = 0;
    struct u64map m;
    u64map_init(&m, sizeof(struct entry));
    for (long step = 0; step < 4 * GROWING_KEYS; step++) {
        size_t i = next_random(&rng) % GROWING_KEYS;
        uint64_t key = i + 1;
        size_t capacity_before = m.now.capacity, old_before = m.old.count;
        if (versions[i] && next_random(&rng) % 3 == 0) {
            if (step % 2)
                assert_int_equal(u64map_remove(&m, key), 1);
            else
                u64map_remove_value(&m, u64map_get(&m, key));
            versions[i] = 0;
            live--;
        } else {
            int created;
            struct entry *e = u64map_put(&m, key, &created);
            assert_non_null(e);
            live += created;
            *e = (struct entry){.key = key, .version = (uint64_t)step * GROWING_KEYS + i};
            versions[i] = e->version;
        }
        if (m.now.capacity != capacity_before && capacity_before)
            assert_int_equal(old_before, 0); /* the previous doubling had ended */
        assert_int_equal(m.count, live);
        assert_int_equal(m.count, m.now.count + m.old.count);
        if (m.old.count && step % 97 == 0) {
            midway_checks++;
            for (size_t k = 0; k < GROWING_KEYS; k += 7) {
                const struct entry *e = u64map_get(&m, k + 1);
                if (!versions[k]) {
                    assert_null(e);
                } else {
                    assert_non_null(e);
                    assert_int_equal(e->version, versions[k]);
                }
            }
            size_t visits = 0;
            for (size_t cursor = 0; u64map_next(&m, &cursor, NULL, NULL);)
                visits++;
            assert_int_equal(visits, live);
        }
    }
    assert_true(midway_checks > 10);
    for (size_t k = 0; k < GROWING_KEYS; k++) {
        const struct entry *e = u64map_get(&m, k + 1);
        if (versions[k])
            assert_true(e && e->version == versions[k]);
        else
            assert_null(e);
    }
    u64map_free(&m);
}

static void test_iteration_of_an_empty_map_visits_nothing(void **state)
{
    struct u64map m;
    u64map_init(&m, sizeof(struct entry));
    size_t cursor = 0;
    assert_int_equal(u64map_next(&m, &cursor, NULL, NULL), 0);
    assert_non_null(u64map_put(&m, 5, NULL));
    assert_int_equal(u64map_remove(&m, 5), 1);
    cursor = 0;
    assert_int_equal(u64map_next(&m, &cursor, NULL, NULL), 0);
    u64map_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_remove),
        cmocka_unit_test(test_key_zero_is_refused),
        cmocka_unit_test(test_growth_keeps_every_value),
        cmocka_unit_test(test_random_churn_matches_a_reference),
        cmocka_unit_test(test_growth_under_churn_loses_nothing_midway),
        cmocka_unit_test(test_iteration_of_an_empty_map_visits_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
