/*
 * timeline.h - a process's life over time, for the viewer: when it started and
 * ended, when its heap peaked, its heap and RSS curves (down-sampled further
 * so a long run stays a small page) and the marks its program set.  Separate
 * from the report model because only the viewer draws time.
 */
#ifndef MEMTRACK_ANALYSE_TIMELINE_H
#define MEMTRACK_ANALYSE_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "analyse/model.h"
#include "trace/reader.h"

/* At most this many heap samples per process reach the viewer. */
#define TIMELINE_MAX_SAMPLES 4000
/* At most this many marks per process reach the viewer; marks_dropped counts the rest. */
#define TIMELINE_MAX_MARKS 2000

/* The largest live heap of a stretch of time, and when it was reached
 * (CLOCK_MONOTONIC of the process); traces written before memtrack dated
 * samples so give the time of the stretch's first record instead.  Beside
 * it, the largest resident set size of the whole process read in the
 * stretch, absent when none was (traces written before memtrack read it). */
struct heap_sample {
    int64_t time_ns;
    int64_t heap_bytes;
    struct maybe_int rss_bytes;
};

struct timeline_mark {
    int64_t time_ns; /* CLOCK_MONOTONIC, like the samples */
    char *label;
};

struct process_timeline {
    struct maybe_int start_ns; /* CLOCK_REALTIME */
    struct maybe_int end_ns;   /* CLOCK_REALTIME; unknown while the process ran on */
    struct maybe_int peak_ns;  /* CLOCK_MONOTONIC, like the samples */
    size_t sample_count;
    struct heap_sample *samples;
    size_t mark_count;
    struct timeline_mark *marks;
    int64_t marks_dropped;
};

int analyse_timeline(struct trace *trace, int64_t process_row_id, struct process_timeline *timeline);
void process_timeline_free(struct process_timeline *timeline);

#endif
