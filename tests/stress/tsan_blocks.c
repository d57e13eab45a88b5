/*
 * tsan_blocks.c - libtrack's live-block table (libtrack/blocks.c) and
 * quarantine (libtrack/quarantine.c) hammered from many threads, compiled
 * from their sources with -fsanitize=thread: the preloaded library itself
 * cannot run under a sanitizer, so its shared tables are checked here.
 *
 *   tsan_blocks [THREADS [OPERATIONS]]
 *
 * Each thread inserts and removes blocks at made-up addresses in a range of
 * its own (the tables never touch the memory), sometimes hands a live block
 * to the next thread to remove, has the quarantine remember every removed
 * block (a ring all threads share) and hold every other one (in the thread's
 * own hold), and looks addresses up there and by interior pointer.  Every
 * answer is checked, and at the end the table must hold exactly the blocks
 * still live.  Exit status 0 when all was as expected, 1 otherwise.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MAX_THREADS 64
#define WINDOW 65536          /* block addresses per thread; about half are live */
#define SPACING 4096          /* bytes between two of a thread's addresses; sizes stay below */
#define HANDOFF_EVERY 64      /* operations between two hand-offs to the next thread */
#define CONTAINING_EVERY 8192 /* find_containing scans the whole table: rarely */

/* live_ids value of an address whose block was handed to the next thread:
 * never reused, since the old block may still be in the table. */
#define HANDED_OVER UINT64_MAX

struct mt_options mt_options; /* quarantine.c reads the hold's byte budget here */

struct worker {
    unsigned index;
    unsigned long operations;
    uint64_t *live_ids;          /* per address: block id while live and ours, HANDED_OVER, or 0 */
    _Atomic uintptr_t *mailbox;  /* ours: an address handed over by the previous thread, or 0 */
    _Atomic uintptr_t *next_box; /* the next thread's */
    struct mt_thread *thread;    /* its state, for the quarantine's hold */
    unsigned long failures;
};

/* xorshift64*: each thread its own deterministic sequence. */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545f4914f6cdd1dull;
}

/* The made-up address of a thread's slot: ranges of different threads never meet. */
static uintptr_t address_of(unsigned thread, size_t slot)
{
    return ((uintptr_t)(thread + 1) << 40) + (uintptr_t)slot * SPACING;
}

/* A block's size follows from its address, so any thread can check it. */
static uint64_t size_of(uintptr_t address)
{
    return 1 + (address / SPACING * 2654435761u) % (SPACING - 1);
}

/* Every other address is held by the quarantine (and later given back). */
static int holds_memory(uintptr_t address)
{
    return (address / SPACING) % 2;
}

/* Counts and prints a wrong answer from the tables. */
static void fail(struct worker *w, const char *what, uintptr_t address)
{
    if (w->failures++ < 10)
        fprintf(stderr, "tsan_blocks: thread %u: %s (address %#lx)\n", w->index, what, (unsigned long)address);
}

/* Removes a block that must be live, checks it, and quarantines it. */
static void remove_live(struct worker *w, uintptr_t address, uint64_t expected_id)
{
    struct mt_block out;
    if (!mt_blocks_remove(address, &out)) {
        fail(w, "a live block was not found", address);
        return;
    }
    if (out.address != address || out.size != size_of(address) || (expected_id && out.id != expected_id))
        fail(w, "a removed block came back with other contents", address);
    struct mt_freed freed = {.address = address, .size = out.size, .alloc_stack = (uint32_t)out.id};
    mt_quarantine_remember(&freed);
    if (!holds_memory(address))
        return;
    void *evicted[MT_HOLD_MAX];
    size_t n;
    if (mt_quarantine_hold(w->thread, (void *)address, out.size, evicted, &n))
        fail(w, "the quarantine refused a block within its budget", address);
    for (size_t i = 0; i < n; i++)
        if ((uintptr_t)evicted[i] % SPACING || !holds_memory((uintptr_t)evicted[i]))
            fail(w, "the quarantine gave back a block it never held", (uintptr_t)evicted[i]);
}

/* Looks an address up in the quarantine: what it answers must be consistent. */
static void check_quarantine(struct worker *w, uintptr_t address)
{
    struct mt_freed found;
    if (mt_quarantine_find(address, &found) && (found.address != address || found.size != size_of(address)))
        fail(w, "the quarantine returned a torn entry", address);
}

/* A pointer inside a live block must lead back to that block. */
static void check_containing(struct worker *w, uintptr_t address)
{
    struct mt_block out;
    uintptr_t inside = address + size_of(address) / 2;
    if (inside == address)
        return; /* a 1-byte block has no interior */
    if (!mt_blocks_find_containing(inside, &out) || out.address != address)
        fail(w, "an interior pointer did not lead to its block", inside);
}

/* Takes the block the previous thread handed over, if any, and removes it. */
static void take_handoff(struct worker *w)
{
    uintptr_t address = atomic_exchange(w->mailbox, 0);
    if (address)
        remove_live(w, address, 0);
}

/* One thread's share of insertions, removals, hand-offs and look-ups. */
static void *run_worker(void *argument)
{
    struct worker *w = argument;
    uint64_t state = 0x9e3779b97f4a7c15ull * (w->index + 1);
    uint64_t next_id = (uint64_t)(w->index + 1) << 40;
    for (unsigned long i = 0; i < w->operations; i++) {
        size_t slot = next_random(&state) % WINDOW;
        uintptr_t address = address_of(w->index, slot);
        if (w->live_ids[slot] == HANDED_OVER) {
            check_quarantine(w, address);
        } else if (w->live_ids[slot]) {
            if (i % HANDOFF_EVERY == 0) {
                uintptr_t empty = 0;
                if (atomic_compare_exchange_strong(w->next_box, &empty, address))
                    w->live_ids[slot] = HANDED_OVER; /* the next thread removes it */
            } else if (i % CONTAINING_EVERY == 1) {
                check_containing(w, address);
            } else {
                remove_live(w, address, w->live_ids[slot]);
                w->live_ids[slot] = 0;
            }
        } else {
            check_quarantine(w, address);
            struct mt_block b = {.address = address, .size = size_of(address), .id = ++next_id,
                                 .function = MT_FN_MALLOC};
            mt_blocks_insert(&b);
            w->live_ids[slot] = b.id;
        }
        take_handoff(w);
    }
    return NULL;
}

/* mt_blocks_for_each callback: counts the blocks listed. */
static void count_block(const struct mt_block *b, void *count)
{
    ++*(size_t *)count;
}

/* After the threads: the table holds exactly the live blocks, and empties. */
static unsigned long check_final_table(struct worker *workers, unsigned threads)
{
    unsigned long failures = 0;
    for (unsigned t = 0; t < threads; t++)
        take_handoff(&workers[t]);
    size_t live = 0, listed = 0;
    for (unsigned t = 0; t < threads; t++)
        for (size_t slot = 0; slot < WINDOW; slot++)
            live += workers[t].live_ids[slot] && workers[t].live_ids[slot] != HANDED_OVER;
    mt_blocks_for_each(count_block, &listed);
    if (mt_blocks_count() != live || listed != live) {
        fprintf(stderr, "tsan_blocks: %zu blocks live, the table counts %zu and lists %zu\n", live,
                mt_blocks_count(), listed);
        failures++;
    }
    for (unsigned t = 0; t < threads; t++)
        for (size_t slot = 0; slot < WINDOW; slot++)
            if (workers[t].live_ids[slot] && workers[t].live_ids[slot] != HANDED_OVER)
                remove_live(&workers[t], address_of(t, slot), workers[t].live_ids[slot]);
    if (mt_blocks_count() != 0) {
        fprintf(stderr, "tsan_blocks: %zu blocks left after removing every one\n", mt_blocks_count());
        failures++;
    }
    for (unsigned t = 0; t < threads; t++)
        failures += workers[t].failures;
    return failures;
}

/* Starts the threads, waits for them, and checks what the table holds. */
int main(int argc, char **argv)
{
    unsigned threads = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 8;
    unsigned long operations = argc > 2 ? strtoul(argv[2], NULL, 10) : 300000;
    if (threads == 0 || threads > MAX_THREADS || argc > 3) {
        fputs("usage: tsan_blocks [THREADS (1-64) [OPERATIONS]]\n", stderr);
        return 2;
    }
    mt_options.quarantine_bytes = 1 << 20;
    static struct worker workers[MAX_THREADS];
    static _Atomic uintptr_t mailboxes[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    for (unsigned t = 0; t < threads; t++) {
        workers[t] = (struct worker){.index = t, .operations = operations, .mailbox = &mailboxes[t],
                                     .next_box = &mailboxes[(t + 1) % threads],
                                     .live_ids = calloc(WINDOW, sizeof(uint64_t)),
                                     .thread = calloc(1, sizeof(struct mt_thread))};
        if (!workers[t].live_ids || !workers[t].thread)
            return 1;
    }
    for (unsigned t = 0; t < threads; t++)
        if (pthread_create(&ids[t], NULL, run_worker, &workers[t]) != 0)
            return 1;
    for (unsigned t = 0; t < threads; t++)
        pthread_join(ids[t], NULL);
    unsigned long failures = check_final_table(workers, threads);
    for (unsigned t = 0; t < threads; t++) {
        free(workers[t].live_ids);
        free(workers[t].thread);
    }
    printf("tsan_blocks: %u threads x %lu operations, %lu wrong answers\n", threads, operations, failures);
    return failures ? 1 : 0;
}
