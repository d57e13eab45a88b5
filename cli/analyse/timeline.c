/*
 * timeline.c - a process's times, heap curve and marks, read for the viewer.
 * The trace keeps one heap sample per 10 ms; a long run would make a page too
 * large to open, so samples are merged into at most TIMELINE_MAX_SAMPLES equal
 * time buckets, each keeping its largest heap and RSS (peaks must survive
 * merging).
 */
#include "analyse/timeline.h"

#include <stdlib.h>

#include "analyse/query.h"

#define STRINGIFY(x) #x
#define TO_TEXT(x) STRINGIFY(x)

static const char TIMES_SQL[] = "SELECT start_ns, end_ns, peak_ns FROM processes WHERE id = ?1";

enum { TIMES_COLUMN_START, TIMES_COLUMN_END, TIMES_COLUMN_PEAK };

/* `damaged` is nonzero when a bucket holds a value that is not an integer
 * (rss_bytes may also be NULL: no reading), which the arithmetic below would
 * silently coerce.  A bucket's time is that of its highest sample (SQLite
 * takes a bare column from the row picked by a query's one max()), so a
 * merged peak stays where it happened; the RSS, a second max(), is therefore
 * taken by a grouping of its own (NULL when the bucket has no reading). */
static const char SAMPLES_SQL[] =
    "WITH span AS (SELECT min(time_ns) AS first,"
    "                     (max(time_ns) - min(time_ns)) / " TO_TEXT(TIMELINE_MAX_SAMPLES) " + 1 AS width"
    "              FROM timeline WHERE process_id = ?1),"
    " bucketed AS (SELECT t.*, (t.time_ns - span.first) / span.width AS bucket"
    "              FROM timeline AS t, span WHERE t.process_id = ?1),"
    " heap AS (SELECT bucket, time_ns, max(heap_bytes) AS heap_bytes,"
    "                 sum(typeof(time_ns) <> 'integer' OR typeof(heap_bytes) <> 'integer'"
    "                     OR typeof(rss_bytes) NOT IN ('integer', 'null')) AS damaged"
    "          FROM bucketed GROUP BY bucket),"
    " rss AS (SELECT bucket, max(rss_bytes) AS rss_bytes FROM bucketed GROUP BY bucket)"
    " SELECT heap.time_ns, heap.heap_bytes, rss.rss_bytes, heap.damaged"
    " FROM heap JOIN rss USING (bucket) ORDER BY 1";

enum { SAMPLES_COLUMN_TIME, SAMPLES_COLUMN_HEAP, SAMPLES_COLUMN_RSS, SAMPLES_COLUMN_DAMAGED };

static const char MARKS_SQL[] = "SELECT time_ns, label FROM marks WHERE process_id = ?1 ORDER BY time_ns, rowid";

enum { MARKS_COLUMN_TIME, MARKS_COLUMN_LABEL };

/* Reads the process's start, end and peak times from its processes row. */
static int read_times(struct trace *trace, sqlite3_stmt *statement, void *target)
{
    struct process_timeline *timeline = target;
    struct row_reader row;
    row_start(&row, trace, statement, "processes row of the timeline");
    timeline->start_ns = row_maybe_integer(&row, TIMES_COLUMN_START);
    timeline->end_ns = row_maybe_integer(&row, TIMES_COLUMN_END);
    timeline->peak_ns = row_maybe_integer(&row, TIMES_COLUMN_PEAK);
    return row.failed ? -1 : 0;
}

/* Appends the bucket in the current row of SAMPLES_SQL.  Times so far apart
 * that their difference overflows would defeat the bucketing, so more buckets
 * than asked for is damage, not a reason to build a huge page. */
static int append_sample(struct trace *trace, sqlite3_stmt *statement, void *target)
{
    struct process_timeline *timeline = target;
    if (sqlite3_column_int64(statement, SAMPLES_COLUMN_DAMAGED) != 0)
        return trace_fail(trace, "damaged: timeline: time_ns, heap_bytes or rss_bytes is not an integer");
    if (timeline->sample_count > TIMELINE_MAX_SAMPLES)
        return trace_fail(trace, "damaged: timeline: times out of range");
    struct heap_sample *samples = make_room(timeline->samples, timeline->sample_count, sizeof *samples);
    if (samples == NULL)
        return trace_fail(trace, "out of memory");
    timeline->samples = samples;
    struct row_reader row;
    row_start(&row, trace, statement, "timeline");
    struct heap_sample sample = {.time_ns = row_integer(&row, SAMPLES_COLUMN_TIME),
                                 .heap_bytes = row_count(&row, SAMPLES_COLUMN_HEAP),
                                 .rss_bytes = row_maybe_count(&row, SAMPLES_COLUMN_RSS)};
    if (row.failed)
        return -1;
    samples[timeline->sample_count++] = sample;
    return 0;
}

/* Appends the mark in the current row of MARKS_SQL, or only counts it once
 * TIMELINE_MAX_MARKS are kept. */
static int append_mark(struct trace *trace, sqlite3_stmt *statement, void *target)
{
    struct process_timeline *timeline = target;
    if (timeline->mark_count == TIMELINE_MAX_MARKS) {
        timeline->marks_dropped++;
        return 0;
    }
    struct timeline_mark *marks = make_room(timeline->marks, timeline->mark_count, sizeof *marks);
    if (marks == NULL)
        return trace_fail(trace, "out of memory");
    timeline->marks = marks;
    struct row_reader row;
    row_start(&row, trace, statement, "marks");
    struct timeline_mark mark = {.time_ns = row_integer(&row, MARKS_COLUMN_TIME)};
    mark.label = row_text(&row, MARKS_COLUMN_LABEL);
    if (row.failed) {
        free(mark.label);
        return -1;
    }
    marks[timeline->mark_count++] = mark;
    return 0;
}

/* Fills TIMELINE for the process whose processes.id is PROCESS_ROW_ID.
 * Returns 0, or -1 with the reason on the trace; TIMELINE then still needs
 * process_timeline_free(). */
int analyse_timeline(struct trace *trace, int64_t process_row_id, struct process_timeline *timeline)
{
    *timeline = (struct process_timeline){0};
    if (query_each_row(trace, TIMES_SQL, process_row_id, "reading process times", read_times, timeline) != 0 ||
        query_each_row(trace, SAMPLES_SQL, process_row_id, "reading timeline", append_sample, timeline) != 0)
        return -1;
    return query_each_row(trace, MARKS_SQL, process_row_id, "reading marks", append_mark, timeline);
}

/* Frees what analyse_timeline() filled, leaving TIMELINE empty. */
void process_timeline_free(struct process_timeline *timeline)
{
    for (size_t i = 0; i < timeline->mark_count; i++)
        free(timeline->marks[i].label);
    free(timeline->marks);
    free(timeline->samples);
    *timeline = (struct process_timeline){0};
}
