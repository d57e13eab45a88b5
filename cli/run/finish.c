/*
 * finish.c - a process is handed to the storer (storer.h) as soon as it has
 * ended, which stores it in its own transaction: a run cut short (memtrack
 * killed, disk full) still leaves a readable trace of every process stored
 * before.
 *
 * Ended means: its connection is closed and it ran its exit handlers, or a
 * later image of its pid said hello (exec), or the pid is gone or a zombie.
 * A closed connection alone is not enough: a daemon that closes every
 * descriptor is still running and reconnects.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include "collect/process.h"
#include "collect/server.h"
#include "run/finish.h"

/* True while pid names a live (not zombie) process. */
static int alive(pid_t pid)
{
    if (kill(pid, 0) != 0)
        return 0;
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int c;
    while ((c = fgetc(f)) != EOF && c != ')') /* the command name may hold spaces */
        ;
    if (fscanf(f, " %c", &state) != 1)
        state = 0;
    fclose(f);
    return state && state != 'Z' && state != 'X';
}

static int ended(const struct mt_process *p, const struct finisher *f, int at_end)
{
    if (p->connections > 0 && !at_end)
        return 0;
    if (p->pid == (uint32_t)f->top && !p->replaced_by_exec && f->top_status_known)
        return 1;
    return at_end || p->exited || p->replaced_by_exec || !alive((pid_t)p->pid);
}

/* True when every process but P was handed over: the run ends with P. */
static int last_to_store(const struct mt_server *server, const struct mt_process *p)
{
    for (const struct mt_process *q = server->processes; q; q = q->next)
        if (q != p && !q->storing.handed_over)
            return 0;
    return 1;
}

void finish_processes(struct finisher *f, struct mt_server *server, int at_end)
{
    /* A process whose pid is gone may have exec'd an image that said hello
     * and ended since: that hello must be read before the process is judged,
     * or it would look killed. */
    server_take_waiting(server);
    for (struct mt_process *p = server->processes; p; p = p->next) {
        if (p->storing.handed_over || !ended(p, f, at_end))
            continue;
        int is_top = p->pid == (uint32_t)f->top && !p->replaced_by_exec;
        if (is_top && !f->top_status_known && !at_end)
            continue; /* its wait status is still to come */
        process_harvest(p);
        p->ending.still_running = at_end && !p->exited && !p->replaced_by_exec && !is_top && alive((pid_t)p->pid);
        if (is_top && f->top_status_known) {
            p->ending.wait_status_known = 1;
            p->ending.wait_status = f->top_status;
        }
        if (is_top && last_to_store(server, p))
            storer_store_at_close(&f->storer, p);
        else
            storer_store(&f->storer, p);
    }
}

void finisher_init(struct finisher *f, struct trace_writer *writer, pid_t top, int symbol_cache,
                   struct progress_line *line)
{
    *f = (struct finisher){.top = top};
    storer_init(&f->storer, writer, symbol_cache, line);
}

void finisher_close(struct finisher *f)
{
    f->failures += storer_close(&f->storer);
}
