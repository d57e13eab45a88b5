/*
 * churn.c - allocation-heavy benchmark workload: N DEPTH THREADS.
 *
 * Each thread first recurses to call depth DEPTH through non-inlined frames
 * (so a tracer has real stacks to unwind), then performs N/THREADS allocation
 * operations on a working set of 1024 slots: each operation picks a slot,
 * releases its previous block and puts a new one there, with a random size
 * (16 to 4096 bytes) and a random call among malloc, calloc, realloc and
 * posix_memalign.  The PRNG is seeded per thread, so every run does the same
 * work.  Everything is freed at the end: no leaks.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 1024
#define MIN_SIZE 16
#define MAX_SIZE 4096

struct worker {
    unsigned long operations;
    unsigned depth;
    uint64_t seed;
    uint64_t checksum; /* keeps the stores observable */
};

/* xorshift64*: a fast deterministic PRNG, good enough to spread sizes and calls. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* One slot replacement; the call mix is 40% malloc, 20% calloc, 25% realloc
 * (which releases the old block itself) and 15% posix_memalign. */
static __attribute__((noinline)) void replace_slot(void **slot, uint64_t *rng, uint64_t *checksum)
{
    uint64_t r = next_random(rng);
    size_t size = MIN_SIZE + (size_t)(r % (MAX_SIZE - MIN_SIZE + 1));
    unsigned call = (unsigned)((r >> 32) % 20);
    char *block;
    if (call < 8) {
        free(*slot);
        block = malloc(size);
    } else if (call < 12) {
        free(*slot);
        block = calloc(1, size);
    } else if (call < 17) {
        block = realloc(*slot, size);
    } else {
        free(*slot);
        void *aligned = NULL;
        size_t alignment = (size_t)64 << ((r >> 40) % 4); /* 64 to 512 */
        block = posix_memalign(&aligned, alignment, size) == 0 ? aligned : NULL;
    }
    if (!block) {
        fprintf(stderr, "churn: out of memory\n");
        exit(1);
    }
    block[0] = (char)r;
    block[size - 1] = (char)(r >> 8);
    *checksum += (unsigned char)block[0];
    *slot = block;
}

/* The allocation loop, run at the bottom of the recursion. */
static __attribute__((noinline)) void churn_loop(struct worker *w)
{
    void *slots[SLOTS] = {0};
    uint64_t rng = w->seed;
    for (unsigned long i = 0; i < w->operations; i++)
        replace_slot(&slots[next_random(&rng) % SLOTS], &rng, &w->checksum);
    for (unsigned i = 0; i < SLOTS; i++)
        free(slots[i]);
}

/* Recurses DEPTH times; the work after the call keeps it from becoming a tail call. */
static __attribute__((noinline)) unsigned descend(struct worker *w, unsigned level)
{
    if (level >= w->depth) {
        churn_loop(w);
        return 0;
    }
    unsigned below = descend(w, level + 1);
    __asm__ volatile("" ::: "memory");
    return below + 1;
}

/* Thread entry: the recursion, then the loop at its bottom. */
static void *run_worker(void *arg)
{
    struct worker *w = arg;
    descend(w, 1);
    return NULL;
}

/* Parses a positive integer argument or exits with a usage message. */
static unsigned long positive_argument(const char *text, const char *name)
{
    char *end = NULL;
    unsigned long v = strtoul(text, &end, 10);
    if (!*text || *end || v == 0) {
        fprintf(stderr, "churn: %s must be a positive integer, not '%s'\n", name, text);
        exit(2);
    }
    return v;
}

/* Starts THREADS workers, waits for them and prints a checksum of what they wrote. */
int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: churn N DEPTH THREADS\n");
        return 2;
    }
    unsigned long n = positive_argument(argv[1], "N");
    unsigned depth = (unsigned)positive_argument(argv[2], "DEPTH");
    unsigned threads = (unsigned)positive_argument(argv[3], "THREADS");
    struct worker *workers = calloc(threads, sizeof *workers);
    pthread_t *ids = calloc(threads, sizeof *ids);
    if (!workers || !ids)
        return 1;
    for (unsigned t = 0; t < threads; t++) {
        workers[t] = (struct worker){.operations = n / threads, .depth = depth, .seed = 0x9E3779B97F4A7C15ULL + t};
        if (pthread_create(&ids[t], NULL, run_worker, &workers[t]) != 0) {
            fprintf(stderr, "churn: cannot start thread %u\n", t);
            return 1;
        }
    }
    uint64_t checksum = 0;
    for (unsigned t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        checksum += workers[t].checksum;
    }
    printf("churn: %lu operations, depth %u, %u threads, checksum %llu\n", n, depth, threads,
           (unsigned long long)checksum);
    free(workers);
    free(ids);
    return 0;
}
