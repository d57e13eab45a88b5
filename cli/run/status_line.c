/*
 * status_line.c - see status_line.h: the texts of `memtrack run`'s line.
 */
#include "run/status_line.h"

#include <inttypes.h>
#include <stdio.h>

#include "collect/process.h"
#include "collect/server.h"

void status_line_init(struct status_line *status, bool quiet)
{
    *status = (struct status_line){0};
    progress_line_init(&status->line, quiet);
}

/* Writes BYTES as people read sizes: "812 B", "12.3 KiB", "1.5 GiB". */
static void format_bytes(char *out, size_t size, uint64_t bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = (double)bytes;
    size_t unit = 0;
    while (value >= 1024 && unit + 1 < sizeof units / sizeof *units) {
        value /= 1024;
        unit++;
    }
    snprintf(out, size, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
}

/* What status_line_running draws from. */
struct running {
    struct status_line *status;
    const struct mt_server *server;
};

/* The running figures (progress_text): processes, allocations and their
 * rate since the last line, the live heap of the processes not yet stored. */
static void running_text(void *context, char *text, size_t size, int64_t elapsed_ms, int64_t interval_ms)
{
    struct running *running = context;
    size_t processes = 0;
    uint64_t allocations = 0, live_bytes = 0;
    for (const struct mt_process *p = running->server->processes; p != NULL; p = p->next) {
        processes++;
        allocations += p->allocations;
        if (!p->storing.handed_over)
            live_bytes += p->current_bytes;
    }
    uint64_t rate = (allocations - running->status->drawn_allocations) * 1000 / (uint64_t)interval_ms;
    running->status->drawn_allocations = allocations;
    char heap[32];
    format_bytes(heap, sizeof heap, live_bytes);
    snprintf(text, size, "memtrack: %.1f s, %zu process%s, %" PRIu64 " allocations (%" PRIu64 "/s), live heap %s",
             (double)elapsed_ms / 1000, processes, processes == 1 ? "" : "es", allocations, rate, heap);
}

void status_line_running(void *context, const struct mt_server *server)
{
    struct status_line *status = context;
    struct running running = {status, server};
    if (!status->program_ended)
        progress_line_update(&status->line, running_text, &running);
}

void status_line_program_ended(struct status_line *status)
{
    __atomic_store_n(&status->program_ended, true, __ATOMIC_RELEASE);
    progress_line_restart(&status->line);
}

/* What status_line_storing draws from. */
struct storing {
    const struct stored_process *process;
    size_t done, total;
};

/* Storing's progress (progress_text). */
static void storing_text(void *context, char *text, size_t size, int64_t elapsed_ms, int64_t interval_ms)
{
    const struct storing *storing = context;
    (void)interval_ms;
    snprintf(text, size, "memtrack: %.1f s, storing pid %" PRIu32 ": %zu of %zu allocation sites",
             (double)elapsed_ms / 1000, storing->process->pid, storing->done, storing->total);
}

void status_line_storing(void *context, const struct stored_process *process, size_t done, size_t total)
{
    struct status_line *status = context;
    struct storing storing = {process, done, total};
    if (__atomic_load_n(&status->program_ended, __ATOMIC_ACQUIRE))
        progress_line_update(&status->line, storing_text, &storing);
}

void status_line_close(struct status_line *status)
{
    progress_line_close(&status->line);
}
