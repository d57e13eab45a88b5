/*
 * pacing.h - how long the collector naps between drains of its connections.
 *
 * A send that finds the collector asleep in poll() wakes it, and on a
 * virtual machine that wake-up (an inter-processor interrupt) cost the
 * sending thread about 7% of a Python workload's time: one wake-up per
 * 64 KiB batch.  A collector napping in usleep() is not waiting on the
 * socket, so sends made meanwhile wake nobody; the batches queue in the
 * socket (room for MT_SEND_QUEUE_BATCHES) and the next drain takes them
 * all.  The nap adapts: it doubles while a turn of the collector's loop reads
 * one batch and halves once a turn reads PACING_BUSY_TURN, so that a fast
 * producer does not fill the queue and wait.
 */
#ifndef MEMTRACK_PACING_H
#define MEMTRACK_PACING_H

#include <stdint.h>

/* Batches read in one turn that say the producer outruns the nap: half the
 * smallest queue it may have (7 batches under Debian's default wmem_max). */
#define PACING_BUSY_TURN 4u

struct pacing {
    unsigned nap_us; /* 0: poll again at once */
};

/* Given how many batches the last turn of the loop read, the nap to take
 * before the next poll, in microseconds (0 for none). */
unsigned pacing_after_drain(struct pacing *p, uint64_t batches);

#endif
