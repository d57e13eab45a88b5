/*
 * rss.c - reading the traced processes' resident set size from outside
 * (/proc/PID/statm), at most once per timeline interval each, and putting the
 * readings on their timelines (process_sample_from_outside).  Called from the
 * collector's loop and after each batch of a long drain, so a busy program is
 * sampled as often as a quiet one.
 */
#include "collect/rss.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "collect/process.h"

uint64_t rss_read(uint32_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%" PRIu32 "/statm", pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    unsigned long long size_pages, resident_pages;
    int read = fscanf(f, "%llu %llu", &size_pages, &resident_pages);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return read == 2 && page > 0 ? (uint64_t)resident_pages * (uint64_t)page : 0;
}

/* CLOCK_MONOTONIC, the clock of the records' times. */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Its pid still names this image: it said hello, has not ended, exec'd away
 * or been handed to the storer, and still speaks to the collector. */
static int alive(const struct mt_process *p)
{
    return !p->stand_in && !p->exited && !p->replaced_by_exec && !p->storing.handed_over && p->connections > 0;
}

void rss_sample_processes(struct mt_process *processes)
{
    uint64_t now = now_ns();
    for (struct mt_process *p = processes; p != NULL; p = p->next) {
        if (p->exited && !p->rss.exit_sampled && !p->storing.handed_over) {
            process_sample_from_outside(p, now, 0);
            p->rss.exit_sampled = 1;
            continue;
        }
        if (!alive(p))
            continue;
        uint64_t interval = now / MT_TIMELINE_INTERVAL_NS + 1;
        if (p->rss.interval == interval)
            continue;
        p->rss.interval = interval;
        uint64_t rss = rss_read(p->pid);
        if (rss != 0)
            process_sample_from_outside(p, now, rss);
    }
}
