/*
 * rss.h - the resident set size of the traced processes, read by the
 * collector from /proc (never from inside the traced program, which would
 * add its own work and memory to what it measures), and put on their
 * timelines beside the heap.
 */
#ifndef MEMTRACK_RSS_H
#define MEMTRACK_RSS_H

#include <stdint.h>

struct mt_process;

/* The resident set size of process PID in bytes, from /proc/PID/statm; 0
 * when it cannot be read (the process is gone). */
uint64_t rss_read(uint32_t pid);

/* Reads the RSS of each live process of the list PROCESSES at most once per
 * timeline interval, and dates the exit of each process whose end was just
 * seen with its final heap, so that a run of a few milliseconds still draws
 * a curve rather than a point. */
void rss_sample_processes(struct mt_process *processes);

#endif
