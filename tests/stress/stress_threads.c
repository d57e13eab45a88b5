/*
 * stress_threads.c - a traced program that hammers the allocator from many
 * threads, for the stress.threads test (run under `memtrack run`).
 *
 *   stress_threads THREADS PAIRS LEAKS
 *
 * Each of THREADS threads (main among them: it starts the others and goes on
 * allocating while they start) makes PAIRS allocate/free pairs with sizes
 * drawn from a per-thread generator with a fixed seed, so every run
 * allocates the same bytes.  One block in HANDOFF_EVERY is not freed by its
 * own thread but posted to the next thread's mailbox and freed there: the
 * tracker must match a free to an allocation made elsewhere.  After every
 * thread has joined, main leaks LEAKS blocks of sizes 1..LEAKS
 * (LEAKS*(LEAKS+1)/2 bytes).
 *
 * It prints on stdout the bytes its threads allocated, which the test compares
 * with the trace.  It uses no stdio and no other library call that allocates,
 * so the only other allocations in the trace are the C library's own (one per
 * thread created, for its thread-local storage).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HANDOFF_EVERY 16
#define MAILBOX_SIZE 64
#define MAX_THREADS 64

/* Blocks posted by the previous thread, freed by the owner of the mailbox. */
struct mailbox {
    pthread_mutex_t lock;
    size_t count;
    void *blocks[MAILBOX_SIZE];
};

struct worker {
    unsigned index;
    unsigned long pairs;
    unsigned long long bytes; /* allocated by this thread, for the test to compare */
    struct mailbox *own, *next;
    pthread_barrier_t *all_posted;
};

/* xorshift64*: a fixed sequence per seed, no libc state shared between threads. */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545f4914f6cdd1dull;
}

/* Mostly small blocks, now and then a large one, as real programs do. */
static size_t random_size(uint64_t *state)
{
    uint64_t r = next_random(state);
    if (r % 1024 == 0)
        return 65536 + (r >> 10) % 262144;
    return 1 + (r >> 10) % 2048;
}

/* Frees every block in BOX; they were allocated by another thread. */
static void drain_mailbox(struct mailbox *box)
{
    pthread_mutex_lock(&box->lock);
    for (size_t i = 0; i < box->count; i++)
        free(box->blocks[i]);
    box->count = 0;
    pthread_mutex_unlock(&box->lock);
}

/* Hands BLOCK to the next thread; when its mailbox is full, frees it here. */
static void post_block(struct mailbox *box, void *block)
{
    pthread_mutex_lock(&box->lock);
    int posted = box->count < MAILBOX_SIZE;
    if (posted)
        box->blocks[box->count++] = block;
    pthread_mutex_unlock(&box->lock);
    if (!posted)
        free(block);
}

/* Touches the block so that the allocation cannot be optimised away. */
static void use_block(unsigned char *block, size_t size)
{
    block[0] = (unsigned char)size;
    block[size - 1] = (unsigned char)(size >> 8);
}

/* One thread's share: PAIRS allocations, each freed here or by the next thread. */
static void *run_worker(void *argument)
{
    struct worker *w = argument;
    uint64_t state = 0x9e3779b97f4a7c15ull * (w->index + 1);
    for (unsigned long i = 0; i < w->pairs; i++) {
        size_t size = random_size(&state);
        unsigned char *block = malloc(size);
        if (!block)
            abort();
        use_block(block, size);
        w->bytes += size;
        if (i % HANDOFF_EVERY == HANDOFF_EVERY - 1)
            post_block(w->next, block);
        else
            free(block);
        if (i % MAILBOX_SIZE == 0)
            drain_mailbox(w->own);
    }
    /* nothing is posted after the barrier, so the last drain empties the mailbox */
    pthread_barrier_wait(w->all_posted);
    drain_mailbox(w->own);
    return NULL;
}

/* Leaks `count` blocks of sizes 1..count, kept nowhere. */
static void leak_known_blocks(unsigned count)
{
    for (unsigned size = 1; size <= count; size++) {
        unsigned char *block = malloc(size);
        if (!block)
            abort();
        memset(block, 0xa5, size);
    }
}

/* Writes VALUE and a newline on stdout, without stdio (which allocates). */
static void print_count(unsigned long long value)
{
    char text[24];
    char *at = text + sizeof text;
    *--at = '\n';
    do
        *--at = (char)('0' + value % 10);
    while ((value /= 10) != 0);
    (void)!write(1, at, (size_t)(text + sizeof text - at));
}

/* Parses a decimal argument; exits with status 2 when it is not one. */
static unsigned long parse_count(const char *text, unsigned long max)
{
    char *end;
    unsigned long value = strtoul(text, &end, 10);
    if (*text == '\0' || *end != '\0' || value > max)
        _exit(2);
    return value;
}

/* Runs the threads, then leaks the known blocks and prints the threads' bytes. */
int main(int argc, char **argv)
{
    static const char usage[] = "usage: stress_threads THREADS PAIRS LEAKS\n";
    if (argc != 4) {
        (void)!write(2, usage, sizeof usage - 1);
        return 2;
    }
    unsigned threads = (unsigned)parse_count(argv[1], MAX_THREADS);
    unsigned long pairs = parse_count(argv[2], 1ul << 40);
    unsigned leaks = (unsigned)parse_count(argv[3], 1u << 16);
    if (threads == 0)
        return 2;

    static struct mailbox boxes[MAX_THREADS];
    static struct worker workers[MAX_THREADS];
    static pthread_t ids[MAX_THREADS];
    pthread_barrier_t all_posted;
    pthread_barrier_init(&all_posted, NULL, threads);
    for (unsigned i = 0; i < threads; i++)
        pthread_mutex_init(&boxes[i].lock, NULL);
    for (unsigned i = 0; i < threads; i++)
        workers[i] = (struct worker){.index = i, .pairs = pairs, .own = &boxes[i],
                                     .next = &boxes[(i + 1) % threads], .all_posted = &all_posted};
    for (unsigned i = 1; i < threads; i++)
        if (pthread_create(&ids[i], NULL, run_worker, &workers[i]) != 0)
            return 1;
    run_worker(&workers[0]);
    unsigned long long bytes = workers[0].bytes;
    for (unsigned i = 1; i < threads; i++) {
        pthread_join(ids[i], NULL);
        bytes += workers[i].bytes;
    }
    leak_known_blocks(leaks);
    print_count(bytes);
    return 0;
}
