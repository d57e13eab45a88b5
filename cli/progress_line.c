/*
 * progress_line.c - see progress_line.h.  The line is drawn as "\r", the
 * text, then "\033[K" (erase to the end of the line), in one write of at
 * most the terminal's width less one, so that it never wraps; it is erased
 * as "\r\033[K".
 */
#include "progress_line.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define PROGRESS_LINE_MAX 512

void progress_line_init(struct progress_line *line, bool quiet)
{
    const char *term = getenv("TERM");
    *line = (struct progress_line){.on = !quiet && isatty(STDERR_FILENO) && (term == NULL || strcmp(term, "dumb") != 0)};
    pthread_mutex_init(&line->lock, NULL);
    clock_gettime(CLOCK_MONOTONIC, &line->start);
    line->drawn_at = line->start;
}

/* Milliseconds from FROM to TO. */
static int64_t elapsed_ms(const struct timespec *from, const struct timespec *to)
{
    return (int64_t)(to->tv_sec - from->tv_sec) * 1000 + (to->tv_nsec - from->tv_nsec) / 1000000;
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

/* Whether the terminal is memtrack's to draw on now: memtrack is in its
 * foreground when it is memtrack's controlling terminal (a background job
 * writing to it could be stopped by SIGTTOU; tcgetpgrp fails on any other
 * terminal, which cannot stop it), and it reads lines (a full-screen
 * program, such as an editor under `memtrack run`, puts it in
 * non-canonical mode and owns every cell). */
static bool terminal_is_free(void)
{
    pid_t foreground = tcgetpgrp(STDERR_FILENO);
    struct termios modes;
    return (foreground < 0 || foreground == getpgrp()) && tcgetattr(STDERR_FILENO, &modes) == 0 &&
           (modes.c_lflag & ICANON) != 0;
}

/* Draws TEXT as the line, cut to the terminal's width (the lock is held);
 * nothing while the terminal is not free, and a line drawn before is then
 * forgotten rather than erased over what the program shows. */
static void draw(struct progress_line *line, const char *text)
{
    if (!terminal_is_free()) {
        line->shown = false;
        return;
    }
    char buffer[PROGRESS_LINE_MAX + 8];
    struct winsize size;
    size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 ? size.ws_col - 1u : 79;
    size_t length = strlen(text);
    if (length > width)
        length = width;
    if (length > PROGRESS_LINE_MAX)
        length = PROGRESS_LINE_MAX;
    buffer[0] = '\r';
    memcpy(buffer + 1, text, length);
    memcpy(buffer + 1 + length, "\033[K", 3);
    write_all(buffer, length + 4);
    line->shown = true;
}

/* Erases the line when one is shown (the lock is held). */
static void erase(struct progress_line *line)
{
    if (line->shown)
        write_all("\r\033[K", 4);
    line->shown = false;
}

void progress_line_update(struct progress_line *line, progress_text *text, void *context)
{
    if (!line->on)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&line->lock);
    int64_t interval = elapsed_ms(&line->drawn_at, &now);
    if (interval >= PROGRESS_LINE_PERIOD_MS) {
        char buffer[PROGRESS_LINE_MAX];
        text(context, buffer, sizeof buffer, elapsed_ms(&line->start, &now), interval);
        draw(line, buffer);
        line->drawn_at = now;
    }
    pthread_mutex_unlock(&line->lock);
}

void progress_line_restart(struct progress_line *line)
{
    if (!line->on)
        return;
    pthread_mutex_lock(&line->lock);
    erase(line);
    clock_gettime(CLOCK_MONOTONIC, &line->drawn_at);
    pthread_mutex_unlock(&line->lock);
}

void progress_line_say(struct progress_line *line, const char *format, ...)
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

void progress_line_close(struct progress_line *line)
{
    if (line->on) {
        pthread_mutex_lock(&line->lock);
        erase(line);
        pthread_mutex_unlock(&line->lock);
    }
    pthread_mutex_destroy(&line->lock);
    line->on = false;
}
