/*
 * harvest.c - the batches a process committed to its shared-memory slots but
 * never sent: after a crash, SIGKILL, the OOM killer, _exit or exec, this is
 * what heaptrack-style tracers lose.  Each slot's header says how many bytes of
 * its current batch are whole records; a batch whose sequence number already
 * arrived over the socket is skipped, so nothing is counted twice.
 *
 * The segments are the dead process's memory and may hold anything: every
 * batch is copied out and goes through the same decoder as the socket's.
 * What the records do to the process is the caller's (process.c): this file
 * only finds them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "collect/harvest.h"

void harvest_init(struct harvest *h)
{
    *h = (struct harvest){0};
    u64map_init(&h->next_seq, sizeof(uint32_t));
}

/* Unmaps and closes the segments. */
static void drop_segments(struct harvest *h)
{
    for (size_t s = 0; s < h->n_segments; s++) {
        if (h->segments[s].base)
            munmap((void *)h->segments[s].base, h->segments[s].size);
        if (h->segments[s].fd >= 0)
            close(h->segments[s].fd);
    }
    free(h->segments);
    h->segments = NULL;
    h->n_segments = 0;
}

void harvest_free(struct harvest *h)
{
    drop_segments(h);
    u64map_free(&h->next_seq);
}

const char *harvest_add_segment(struct harvest *h, const struct mt_rec_segment *rec, int fd)
{
    struct stat st;
    size_t size = (size_t)MT_SLOTS_PER_SEGMENT * MT_SLOT_SIZE;
    if (rec->slots != MT_SLOTS_PER_SEGMENT || rec->slot_size != MT_SLOT_SIZE || rec->index > 4096 ||
        fstat(fd, &st) < 0 || (size_t)st.st_size < size) {
        close(fd);
        return NULL;
    }
    /* an unsealed segment could be shrunk under the mapping, and reading it would kill the collector */
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || (seals & MT_SEGMENT_SEALS) != MT_SEGMENT_SEALS) {
        close(fd);
        return "a shared-memory segment came without its seals and was not used: records not sent "
               "over the socket before the process ended are lost";
    }
    if (rec->index >= h->n_segments) {
        struct mt_segment *grown = realloc(h->segments, (rec->index + 1) * sizeof *grown);
        if (!grown) {
            close(fd);
            return NULL;
        }
        for (size_t i = h->n_segments; i <= rec->index; i++)
            grown[i] = (struct mt_segment){.fd = -1};
        h->segments = grown;
        h->n_segments = rec->index + 1;
    }
    struct mt_segment *s = &h->segments[rec->index];
    if (s->fd >= 0) { /* announced again after a reconnection: keep the first */
        close(fd);
        return NULL;
    }
    void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        close(fd);
        return NULL;
    }
    *s = (struct mt_segment){.fd = fd, .base = m, .size = size};
    return NULL;
}

void harvest_note_batch(struct harvest *h, uint32_t slot, uint32_t seq)
{
    if (slot == MT_NO_SLOT)
        return;
    uint32_t *next = u64map_put(&h->next_seq, (uint64_t)slot + 1, NULL);
    if (next && seq + 1 > *next)
        *next = seq + 1;
}

/* Decodes one slot's batch with `fn(ctx, …)` if it holds records that never
 * arrived.  The process may still be writing (a raw fork's parent): the copy
 * counts only if the slot still holds the same batch after it. */
static void read_slot(const struct harvest *hv, uint32_t slot_id, const unsigned char *slot, unsigned char *copy,
                      mt_record_fn fn, void *ctx)
{
    struct mt_slot_header h, after;
    memcpy(&h, slot, sizeof h);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (h.used <= sizeof(struct mt_batch_header) || h.used > MT_BATCH_MAX)
        return;
    uint32_t *next = u64map_get(&hv->next_seq, (uint64_t)slot_id + 1);
    if (next && h.seq < *next)
        return; /* sent before the process died, header not yet reset */
    memcpy(copy, slot + sizeof h, h.used);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    memcpy(&after, slot, sizeof after);
    struct mt_batch_header bh;
    memcpy(&bh, copy, sizeof bh);
    if (bh.slot != slot_id || bh.seq != h.seq || after.seq != h.seq || after.used < h.used)
        return;
    const char *why;
    mt_decode_batch(copy, h.used, fn, ctx, &why);
}

/* Calls read_slot on every slot of the segments. */
void harvest_peek(const struct harvest *h, mt_record_fn fn, void *ctx)
{
    unsigned char *copy = malloc(MT_BATCH_MAX);
    for (size_t s = 0; copy && s < h->n_segments; s++) {
        if (!h->segments[s].base)
            continue;
        for (uint32_t i = 0; i < MT_SLOTS_PER_SEGMENT; i++)
            read_slot(h, (uint32_t)s << 16 | i, h->segments[s].base + (size_t)i * MT_SLOT_SIZE, copy, fn, ctx);
    }
    free(copy);
}

void harvest_take(struct harvest *h, mt_record_fn fn, void *ctx)
{
    if (h->harvested)
        return;
    h->harvested = 1;
    harvest_peek(h, fn, ctx);
    drop_segments(h);
}
