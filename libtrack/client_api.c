/*
 * client_api.c - what include/memtrack.h reaches when the program runs under
 * memtrack: the counters, marks on the timeline, and a leak scan on demand.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include "internal.h"
#include "include/memtrack.h"

MT_EXPORT int __memtrack_counters(struct memtrack_counters *out)
{
    uint64_t counts[MT_COUNTS];
    mt_threads_sum(counts);
    out->allocations = counts[MT_COUNT_ALLOCATIONS];
    out->frees = counts[MT_COUNT_FREES];
    out->current_bytes = atomic_load(&mt_counters.current_bytes);
    out->peak_bytes = atomic_load(&mt_counters.peak_bytes);
    return 0;
}

/* Sends a MARK record with the label (cut to what one record can carry). */
static void send_mark(struct mt_thread *t, const char *label)
{
    size_t len = label ? strnlen(label, 1024) : 0;
    unsigned size = MT_ALIGN8((unsigned)(sizeof(struct mt_rec_mark) + len + 1));
    struct mt_rec_mark *r = mt_record_begin(t, MT_REC_MARK, size, (uint32_t)len);
    r->time_ns = mt_now_ns();
    char *tail = (char *)(r + 1);
    memcpy(tail, label ? label : "", len);
    memset(tail + len, 0, size - sizeof *r - len);
    mt_record_end(t);
}

MT_EXPORT void __memtrack_mark(const char *label)
{
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return;
    send_mark(t, label);
    mt_thread_release(t);
}

MT_EXPORT long __memtrack_check_leaks(void)
{
    static pthread_mutex_t one_scan_at_a_time = PTHREAD_MUTEX_INITIALIZER;
    struct mt_thread *t = mt_thread_get();
    if (!t)
        return -1;
    uint64_t fresh = 0;
    pthread_mutex_lock(&one_scan_at_a_time);
    int ran = mt_leakscan_run(t, 1, &fresh, 0);
    pthread_mutex_unlock(&one_scan_at_a_time);
    send_mark(t, "memtrack_check_leaks");
    mt_thread_release(t);
    return ran ? (long)fresh : -1;
}
