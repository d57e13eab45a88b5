/*
 * peakrss.c - runs a command and reports its wall time and the peak RSS of
 * every process it (and its descendants) ran: peakrss -o FILE -- PROG ARGS.
 *
 * Why ptrace: `memtrack run` forks the traced program and waits for it, so
 * wait4()'s ru_maxrss on memtrack (what /usr/bin/time shows) is the larger of
 * memtrack's own peak and its child's; the two cannot be told apart from
 * outside.  Polling /proc misses whatever happens in the last poll interval.
 * Instead every task of the command is traced for exit events only
 * (PTRACE_O_TRACEEXIT plus auto-attach on fork/clone): at PTRACE_EVENT_EXIT the
 * task still has its memory, so /proc/TID/status's VmHWM is its process's
 * exact high-water mark.  No syscall stops: the command runs at full speed,
 * stopping only when a task starts, execs, gets a signal or exits.
 *
 * FILE gets "wall_seconds S", "cpu_seconds S" (user + system time of every
 * process, all of them having been waited for), "status N" (exit code, or
 * 128+signal), then one "process TGID PEAK_KB EXE" line per process image
 * seen.  Exit status: 0, or 2 when the command could not be traced at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RECORDS 4096
#define MAX_TASKS 65536

struct record { /* one process image: its pid, executable and peak RSS */
    int tgid;
    long peak_kb;
    char exe[256];
};

static struct record records[MAX_RECORDS];
static int record_count;
static int started_tasks[MAX_TASKS]; /* tids whose initial auto-attach stop was consumed */
static int started_count;

/* Reads Tgid and VmHWM of a task that is stopped at its exit event, and keeps
 * the largest VmHWM per (process, executable). */
static void record_exit(int tid)
{
    char path[64], exe[256] = "?", line[256];
    snprintf(path, sizeof path, "/proc/%d/exe", tid);
    ssize_t n = readlink(path, exe, sizeof exe - 1);
    exe[n > 0 ? n : 1] = '\0';
    snprintf(path, sizeof path, "/proc/%d/status", tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    int tgid = tid;
    long hwm = -1;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "Tgid: %d", &tgid);
        sscanf(line, "VmHWM: %ld", &hwm);
    }
    fclose(f);
    if (hwm < 0) /* no memory left to measure (a kernel-side exit) */
        return;
    for (int i = 0; i < record_count; i++) {
        if (records[i].tgid == tgid && strcmp(records[i].exe, exe) == 0) {
            if (hwm > records[i].peak_kb)
                records[i].peak_kb = hwm;
            return;
        }
    }
    if (record_count < MAX_RECORDS) {
        records[record_count] = (struct record){.tgid = tgid, .peak_kb = hwm};
        snprintf(records[record_count].exe, sizeof records[record_count].exe, "%s", exe);
        record_count++;
    }
}

/* True the first time a tid is seen: its SIGSTOP is the auto-attach stop, to be swallowed. */
static int first_stop_of(int tid)
{
    for (int i = 0; i < started_count; i++)
        if (started_tasks[i] == tid)
            return 0;
    if (started_count < MAX_TASKS)
        started_tasks[started_count++] = tid;
    return 1;
}

/* A task is gone: forget it, since its tid may be reused by a new task. */
static void forget_task(int tid)
{
    for (int i = 0; i < started_count; i++) {
        if (started_tasks[i] == tid) {
            started_tasks[i] = started_tasks[--started_count];
            return;
        }
    }
}

/* Resumes every stopped task until none is left; returns the command's wait status. */
static int trace_until_done(pid_t top)
{
    int top_status = 0;
    for (;;) {
        int status;
        pid_t tid = waitpid(-1, &status, __WALL);
        if (tid < 0) {
            if (errno == EINTR)
                continue;
            return top_status; /* ECHILD: every task has ended */
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (tid == top)
                top_status = status;
            forget_task(tid);
            continue;
        }
        if (!WIFSTOPPED(status))
            continue;
        int sig = WSTOPSIG(status), event = status >> 16, inject = 0;
        if (event == PTRACE_EVENT_EXIT)
            record_exit(tid);
        else if (event == 0 && !(sig == SIGSTOP && first_stop_of(tid)))
            inject = sig; /* a real signal: deliver it */
        ptrace(PTRACE_CONT, tid, 0, (void *)(long)inject);
    }
}

/* Starts the command traced, follows it to the end, writes the measurements. */
int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[1], "-o") != 0 || strcmp(argv[3], "--") != 0 || argc < 5) {
        fprintf(stderr, "usage: peakrss -o FILE -- PROG [ARGS...]\n");
        return 2;
    }
    FILE *out = fopen(argv[2], "w");
    if (!out) {
        fprintf(stderr, "peakrss: cannot write %s: %s\n", argv[2], strerror(errno));
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t top = fork();
    if (top == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execvp(argv[4], argv + 4);
        fprintf(stderr, "peakrss: cannot run %s: %s\n", argv[4], strerror(errno));
        _exit(127);
    }
    int status;
    if (top < 0 || waitpid(top, &status, 0) != top || !WIFSTOPPED(status)) {
        fprintf(stderr, "peakrss: cannot start %s\n", argv[4]);
        return 2;
    }
    first_stop_of(top);
    long options = PTRACE_O_TRACEEXIT | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                   PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
    if (ptrace(PTRACE_SETOPTIONS, top, 0, (void *)options) != 0) {
        fprintf(stderr, "peakrss: ptrace: %s\n", strerror(errno));
        kill(top, SIGKILL);
        return 2;
    }
    ptrace(PTRACE_CONT, top, 0, 0);
    status = trace_until_done(top);
    clock_gettime(CLOCK_MONOTONIC, &end);
    fprintf(out, "wall_seconds %.6f\n", (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
    struct rusage usage;
    getrusage(RUSAGE_CHILDREN, &usage);
    fprintf(out, "cpu_seconds %.6f\n", (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                                           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6);
    fprintf(out, "status %d\n", WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
    for (int i = 0; i < record_count; i++)
        fprintf(out, "process %d %ld %s\n", records[i].tgid, records[i].peak_kb, records[i].exe);
    return fclose(out) == 0 ? 0 : 2;
}
