/*
 * table_arena.c - memory for the live-block table's shards: tables from
 * 128 KiB on are carved one after another out of arenas on transparent huge
 * pages, so that neighbouring shards share huge pages.
 *
 * Why: a program holding millions of blocks has a table of 100 MiB and more,
 * probed at random addresses.  On 4 KiB pages nearly every probe misses the
 * TLB as well as the cache.  A shard in a mapping of its own gets huge pages
 * only for the whole 2 MiB it spans, and a Python holding four million
 * blocks has 64 shards of 1.3 to 2 MiB each: 10 MiB of its 149 MiB table
 * were on huge pages (AnonHugePages in /proc/PID/smaps_rollup during
 * bench/workloads/pylive.py 250000).  From arenas, the whole table is.
 *
 * An arena is a bump allocator.  A shard takes a table when it grows and
 * gives the old one back once it has moved; a range given back is returned
 * to the kernel (MADV_DONTNEED) and never handed out again, and an arena all
 * of whose tables came back is unmapped.  What is spent that way is address
 * space, not memory: over a run, about three times the table's largest size
 * (a shard grows by half each time, so its earlier tables together are twice
 * its last).  Memory beyond the tables: the huge pages that straddle the
 * end of the last table taken (under 2 MiB), and those that straddle a range
 * given back (the kernel keeps the rest of such a page).
 *
 * Invariants: `arenas`, `current` and every arena's `used` and `live` change
 * only under `lock`, and the lock is never held across a system call (mmap,
 * madvise and munmap happen before it is taken or after it is dropped).  A
 * range is in at most one arena; `live` counts the bytes of an arena taken
 * and not given back.  The lock is taken with no other libtrack lock held,
 * except by mt_table_arenas_lock (fork), after every shard's.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include "huge_pages.h"
#include "internal.h"

#define POOLED_MIN ((size_t)128 << 10) /* smaller tables: a mapping each, on small pages */
#define ARENA_MIN ((size_t)64 << 20)
#define MAX_ARENAS 64

struct arena {
    char *base; /* NULL: this entry is free */
    size_t size, used, live;
};

static mt_spinlock lock;
static struct arena arenas[MAX_ARENAS];
static struct arena *current; /* where tables are carved; NULL before the first */

/* Carves `bytes` from the current arena; NULL when it has no room.  Under lock. */
static void *carve(size_t bytes)
{
    if (!current || current->size - current->used < bytes)
        return NULL;
    char *p = current->base + current->used;
    current->used += bytes;
    current->live += bytes;
    return p;
}

/* The arena holding p, or NULL.  Under lock. */
static struct arena *arena_of(const void *p)
{
    for (int i = 0; i < MAX_ARENAS; i++)
        if (arenas[i].base && (const char *)p >= arenas[i].base && (const char *)p < arenas[i].base + arenas[i].size)
            return &arenas[i];
    return NULL;
}

/* Maps an arena of at least `bytes`, whole huge pages starting on one
 * (mt_map_table); NULL when the system refuses.  Called holding no lock. */
static char *map_arena(size_t bytes, size_t *size)
{
    size_t want = ((bytes > ARENA_MIN ? bytes : ARENA_MIN) + MT_HUGE_PAGE - 1) & ~(MT_HUGE_PAGE - 1);
    return mt_map_table(want, size);
}

void *mt_table_take(size_t bytes, size_t *mapped)
{
    bytes = (bytes + 4095) & ~(size_t)4095;
    if (bytes < POOLED_MIN)
        return mt_map_table(bytes, mapped);
    *mapped = bytes;
    mt_spin_lock(&lock);
    void *p = carve(bytes);
    mt_spin_unlock(&lock);
    if (p)
        return p;
    size_t size;
    char *base = map_arena(bytes, &size);
    if (!base)
        return mt_map_table(bytes, mapped);
    struct arena *slot = NULL, gone = {0};
    mt_spin_lock(&lock);
    for (int i = 0; i < MAX_ARENAS && !slot; i++)
        if (!arenas[i].base)
            slot = &arenas[i];
    if (slot) {
        if (current && !current->live) { /* every table it gave came back while it was current */
            gone = *current;
            current->base = NULL;
        }
        *slot = (struct arena){.base = base, .size = size};
        current = slot;
        p = carve(bytes);
    }
    mt_spin_unlock(&lock);
    if (gone.base)
        munmap(gone.base, gone.size);
    if (!slot) { /* every entry in use: this table gets a mapping of its own */
        munmap(base, size);
        return mt_map_table(bytes, mapped);
    }
    return p;
}

void mt_table_give_back(void *p, size_t mapped)
{
    mt_spin_lock(&lock);
    struct arena *a = arena_of(p);
    struct arena gone = {0};
    if (a) {
        a->live -= mapped;
        if (!a->live && a != current) {
            gone = *a;
            a->base = NULL;
        }
    }
    mt_spin_unlock(&lock);
    if (!a)
        munmap(p, mapped);
    else if (gone.base)
        munmap(gone.base, gone.size);
    else
        madvise(p, mapped, MADV_DONTNEED);
}

void mt_table_arenas_own_ranges(mt_range_fn fn, void *arg)
{
    for (int i = 0; i < MAX_ARENAS; i++)
        if (arenas[i].base)
            fn((uintptr_t)arenas[i].base, (uintptr_t)arenas[i].base + arenas[i].size, arg);
}

void mt_table_arenas_lock(void)
{
    mt_spin_lock(&lock);
}

void mt_table_arenas_unlock(void)
{
    mt_spin_unlock(&lock);
}
