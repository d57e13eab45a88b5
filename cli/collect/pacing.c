/*
 * pacing.c - the collector's nap between drains (see pacing.h).
 */
#include "collect/pacing.h"

#define NAP_MIN_US 100u
#define NAP_MAX_US 2000u /* the longest a batch waits in the queue for us */

/* Adjusts the nap to what the turn read: one batch means we are waking for
 * each send; PACING_BUSY_TURN or more mean the producer outruns the nap and
 * would fill its queue if it went on.  A turn that read nothing (the poll
 * timed out or woke for something else) says nothing about the rate and
 * changes nothing. */
unsigned pacing_after_drain(struct pacing *p, uint64_t batches)
{
    if (batches >= PACING_BUSY_TURN)
        p->nap_us = p->nap_us / 2 >= NAP_MIN_US ? p->nap_us / 2 : 0;
    else if (batches == 1)
        p->nap_us = p->nap_us ? (p->nap_us * 2 < NAP_MAX_US ? p->nap_us * 2 : NAP_MAX_US) : NAP_MIN_US;
    return p->nap_us;
}
