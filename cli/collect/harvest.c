/*
 * harvest.c - the batches a process committed to its shared-memory slots but
 * never sent: after a crash, SIGKILL, the OOM killer, _exit or exec, this is
 * what heaptrack-style tracers lose.  Each slot's header says how many bytes of
 * its current batch are whole records; a batch whose sequence number already
 * arrived over the socket is skipped, so nothing is counted twice.
 *
 * The segments are the dead process's memory and may hold anything: every
 * batch is copied out and goes through the same decoder as the socket's.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "collect/decoder.h"
#include "collect/process.h"

void process_add_segment(struct mt_process *p, const struct mt_rec_segment *rec, int fd)
{
    struct stat st;
    size_t size = (size_t)MT_SLOTS_PER_SEGMENT * MT_SLOT_SIZE;
    if (rec->slots != MT_SLOTS_PER_SEGMENT || rec->slot_size != MT_SLOT_SIZE || rec->index > 4096 ||
        fstat(fd, &st) < 0 || (size_t)st.st_size < size) {
        close(fd);
        return;
    }
    /* an unsealed segment could be shrunk under the mapping, and reading it would kill the collector */
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || (seals & MT_SEGMENT_SEALS) != MT_SEGMENT_SEALS) {
        process_add_note(p, "a shared-memory segment came without its seals and was not used: records not sent "
                            "over the socket before the process ended are lost");
        close(fd);
        return;
    }
    if (rec->index >= p->n_segments) {
        struct mt_segment *grown = realloc(p->segments, (rec->index + 1) * sizeof *grown);
        if (!grown) {
            close(fd);
            return;
        }
        for (size_t i = p->n_segments; i <= rec->index; i++)
            grown[i] = (struct mt_segment){.fd = -1};
        p->segments = grown;
        p->n_segments = rec->index + 1;
    }
    struct mt_segment *s = &p->segments[rec->index];
    if (s->fd >= 0) { /* announced again after a reconnection: keep the first */
        close(fd);
        return;
    }
    void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        close(fd);
        return;
    }
    *s = (struct mt_segment){.fd = fd, .base = m, .size = size};
}

void process_note_batch(struct mt_process *p, uint32_t slot, uint32_t seq)
{
    if (slot == MT_NO_SLOT)
        return;
    uint32_t *next = u64map_put(&p->next_seq, (uint64_t)slot + 1, NULL);
    if (next && seq + 1 > *next)
        *next = seq + 1;
}

static int apply(void *ctx, uint32_t tid, const struct mt_record_header *rec)
{
    if (rec->type != MT_REC_HELLO && rec->type != MT_REC_SEGMENT)
        process_apply(ctx, rec);
    return 0;
}

/* Decodes one slot's batch with `fn(ctx, …)` if it holds records that never
 * arrived.  The process may still be writing (a raw fork's parent): the copy
 * counts only if the slot still holds the same batch after it. */
static void read_slot(const struct mt_process *p, uint32_t slot_id, const unsigned char *slot, unsigned char *copy,
                      mt_record_fn fn, void *ctx)
{
    struct mt_slot_header h, after;
    memcpy(&h, slot, sizeof h);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (h.used <= sizeof(struct mt_batch_header) || h.used > MT_BATCH_MAX)
        return;
    uint32_t *next = u64map_get(&p->next_seq, (uint64_t)slot_id + 1);
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

/* Calls read_slot on every slot of p's segments. */
static void read_slots(const struct mt_process *p, mt_record_fn fn, void *ctx)
{
    unsigned char *copy = malloc(MT_BATCH_MAX);
    for (size_t s = 0; copy && s < p->n_segments; s++) {
        if (!p->segments[s].base)
            continue;
        for (uint32_t i = 0; i < MT_SLOTS_PER_SEGMENT; i++)
            read_slot(p, (uint32_t)s << 16 | i, p->segments[s].base + (size_t)i * MT_SLOT_SIZE, copy, fn, ctx);
    }
    free(copy);
}

void process_harvest(struct mt_process *p)
{
    if (p->harvested)
        return;
    p->harvested = 1;
    read_slots(p, apply, p);
    process_drop_segments(p);
}

static int apply_stack(void *ctx, uint32_t tid, const struct mt_record_header *rec)
{
    if (rec->type == MT_REC_STACK)
        process_apply(ctx, rec);
    return 0;
}

void process_take_unsent_stacks(struct mt_process *child, const struct mt_process *parent)
{
    read_slots(parent, apply_stack, child);
}

void process_drop_segments(struct mt_process *p)
{
    for (size_t s = 0; s < p->n_segments; s++) {
        if (p->segments[s].base)
            munmap((void *)p->segments[s].base, p->segments[s].size);
        if (p->segments[s].fd >= 0)
            close(p->segments[s].fd);
    }
    free(p->segments);
    p->segments = NULL;
    p->n_segments = 0;
}
