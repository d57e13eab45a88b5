/*
 * status_line.c - see status_line.h.  The line is drawn as "\r", the text,
 * then "\033[K" (erase to the end of the line), in one write of at most the
 * terminal's width less one, so it never wraps; erased as "\r\033[K".
 */
#include "run/status_line.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "collect/process.h"
#include "collect/server.h"

#define STATUS_LINE_MAX 512

void status_line_init(struct status_line *line, bool quiet)
{
    const char *term = getenv("TERM");
    *line = (struct status_line){.on = !quiet && isatty(STDERR_FILENO) && (term == NULL || strcmp(term, "dumb") != 0)};
    pthread_mutex_init(&line->lock, NULL);
    clock_gettime(CLOCK_MONOTONIC, &line->start);
    line->drawn_at = line->start;
}

/* Milliseconds from FROM to TO. */
static int64_t elapsed_ms(const struct timespec *from, const struct timespec *to)
{
    return (int64_t)(to->tv_sec - from->tv_sec) * 1000 + (to->tv_nsec - from->tv_nsec) / 1000000;
}

/* Whether a line is due at NOW (the lock is held): a period after the last
 * one, or after the start of the run or of storing, so that a step shorter
 * than that shows nothing. */
static bool due(const struct status_line *line, const struct timespec *now)
{
    return elapsed_ms(&line->drawn_at, now) >= STATUS_LINE_PERIOD_MS;
}

/* Writes all of TEXT to stderr, whatever signals interrupt it. */
static void write_all(const char *text, size_t length)
{
    while (length > 0) {
        ssize_t written = write(STDERR_FILENO, text, length);
        if (written <= 0)
            return; /* a closed terminal: nothing more to show */
        text += written;
        length -= (size_t)written;
    }
}

/* Draws TEXT as the line (the lock is held), cut to the terminal's width. */
static void draw(struct status_line *line, const char *text)
{
    char buffer[STATUS_LINE_MAX + 8];
    struct winsize size;
    size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 ? size.ws_col - 1u : 79;
    size_t length = strlen(text);
    if (length > width)
        length = width;
    if (length > STATUS_LINE_MAX)
        length = STATUS_LINE_MAX;
    buffer[0] = '\r';
    memcpy(buffer + 1, text, length);
    memcpy(buffer + 1 + length, "\033[K", 3);
    write_all(buffer, length + 4);
    line->shown = true;
}

/* Erases the line when one is shown (the lock is held). */
static void erase(struct status_line *line)
{
    if (line->shown)
        write_all("\r\033[K", 4);
    line->shown = false;
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

void status_line_running(struct status_line *line, const struct mt_server *server)
{
    if (!line->on)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&line->lock);
    if (!line->program_ended && due(line, &now)) {
        size_t processes = 0;
        uint64_t allocations = 0, live_bytes = 0;
        for (const struct mt_process *p = server->processes; p != NULL; p = p->next) {
            processes++;
            allocations += p->allocations;
            if (!p->written)
                live_bytes += p->current_bytes;
        }
        int64_t interval = elapsed_ms(&line->drawn_at, &now);
        uint64_t rate = interval > 0 ? (allocations - line->drawn_allocations) * 1000 / (uint64_t)interval : 0;
        char heap[32], text[STATUS_LINE_MAX];
        format_bytes(heap, sizeof heap, live_bytes);
        snprintf(text, sizeof text,
                 "memtrack: %.1f s, %zu process%s, %" PRIu64 " allocations (%" PRIu64 "/s), live heap %s",
                 (double)elapsed_ms(&line->start, &now) / 1000, processes, processes == 1 ? "" : "es", allocations,
                 rate, heap);
        draw(line, text);
        line->drawn_at = now;
        line->drawn_allocations = allocations;
    }
    pthread_mutex_unlock(&line->lock);
}

void status_line_program_ended(struct status_line *line)
{
    if (!line->on)
        return;
    pthread_mutex_lock(&line->lock);
    line->program_ended = true;
    clock_gettime(CLOCK_MONOTONIC, &line->drawn_at);
    erase(line);
    pthread_mutex_unlock(&line->lock);
}

void status_line_storing(void *context, const struct mt_process *process, size_t done, size_t total)
{
    struct status_line *line = context;
    if (!line->on)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&line->lock);
    if (line->program_ended && due(line, &now)) {
        char text[STATUS_LINE_MAX];
        snprintf(text, sizeof text, "memtrack: %.1f s, storing pid %" PRIu32 ": %zu of %zu allocation sites",
                 (double)elapsed_ms(&line->start, &now) / 1000, process->pid, done, total);
        draw(line, text);
        line->drawn_at = now;
    }
    pthread_mutex_unlock(&line->lock);
}

void status_line_say(struct status_line *line, const char *format, ...)
{
    bool on = line != NULL && line->on;
    if (on) {
        pthread_mutex_lock(&line->lock);
        erase(line);
    }
    va_list arguments;
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fflush(stderr);
    if (on)
        pthread_mutex_unlock(&line->lock);
}

void status_line_close(struct status_line *line)
{
    if (line->on) {
        pthread_mutex_lock(&line->lock);
        erase(line);
        pthread_mutex_unlock(&line->lock);
    }
    pthread_mutex_destroy(&line->lock);
    line->on = false;
}
