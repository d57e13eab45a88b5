/*
 * harvest.h - a process's shared-memory slots, kept while it runs and read
 * once it has ended: the batches it committed but never sent (see
 * harvest.c).  It knows nothing of processes: it hands what it reads to the
 * caller's record function, so that process.c calls it and it never calls
 * back.
 */
#ifndef MEMTRACK_HARVEST_H
#define MEMTRACK_HARVEST_H

#include <stddef.h>
#include <stdint.h>
#include "collect/decoder.h"
#include "protocol.h"
#include "util/u64map.h"

/* A shared-memory segment of the process's thread buffers (read-only here). */
struct mt_segment {
    int fd;
    const unsigned char *base;
    size_t size;
};

/* The harvest's state of one process: all of it written by harvest.c. */
struct harvest {
    struct mt_segment *segments; /* indexed by segment number */
    size_t n_segments;
    struct u64map next_seq;      /* slot id + 1 -> sequence number of the next batch expected */
    int harvested;               /* unsent batches were read from the segments */
};

void harvest_init(struct harvest *h);
/* Unmaps and closes the segments and forgets the batches seen. */
void harvest_free(struct harvest *h);
/* Takes ownership of a segment descriptor announced by a SEGMENT record.
 * NULL when it is kept or refused as malformed; a note for people (a static
 * string) when it was refused for a reason the trace should tell. */
const char *harvest_add_segment(struct harvest *h, const struct mt_rec_segment *rec, int fd);
/* Notes that the batch (slot, seq) arrived over the socket. */
void harvest_note_batch(struct harvest *h, uint32_t slot, uint32_t seq);
/* Hands FN every record of every committed batch that never arrived: what a
 * process that died (crash, SIGKILL, _exit, exec) could not send.  Once:
 * then unmaps the segments. */
void harvest_take(struct harvest *h, mt_record_fn fn, void *ctx);
/* Hands FN the records of the batches that never arrived, and keeps the
 * segments: the process may still be running. */
void harvest_peek(const struct harvest *h, mt_record_fn fn, void *ctx);

#endif
