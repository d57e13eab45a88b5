/*
 * run.c - `memtrack run`: starts the program with libtrack preloaded, collects
 * its events (and those of every process it starts), writes the trace, prints
 * a summary, and exits with the program's own status.
 *
 * Order matters for the promise "a program that cannot be started leaves no
 * trace": the child is forked first and waits on a pipe; the trace is created;
 * then the child execs, and a CLOEXEC pipe tells us whether exec failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "collect/pacing.h"
#include "collect/process.h"
#include "collect/rss.h"
#include "collect/server.h"
#include "commands.h"
#include "gate/gate.h"
#include "help/help.h"
#include "heuristics.h"
#include "output/run_summary.h"
#include "run/finish.h"
#include "run/launch.h"
#include "run/status_line.h"
#include "trace/compressed.h"
#include "trace/writer.h"

#define DRAIN_IDLE_MS 2000 /* after the program exits, how long a silent descendant may hold the run */
#define OPTIONS_ENV_MAX 4096 /* MEMTRACK_OPTIONS as run passes it on, with its NUL */

struct run_options {
    const char *output;
    int force;
    unsigned fail_on; /* KIND_BIT()s; 0: no gate */
    int error_exitcode;
    int no_symbol_cache;
    int quiet; /* no status line */
    char options_env[OPTIONS_ENV_MAX]; /* MEMTRACK_OPTIONS for libtrack */
};

/* The options that take a number, the key libtrack reads it under, and the
 * values libtrack uses as given (it would clamp others silently). */
struct number_option {
    const char *name, *key;
    size_t min, max;
};
static const struct number_option NUMBER_OPTIONS[] = {
    {"--depth", "depth", 1, MT_MAX_DEPTH},
    {"--free-depth", "free_depth", 0, MT_MAX_DEPTH},
    {"--temporary-window", "temporary_window", 1, MT_TEMP_WINDOW_MAX},
    {"--quarantine", "quarantine", 0, SIZE_MAX},
};

/* Appends key=value to MEMTRACK_OPTIONS; -1 after saying so when it does not
 * fit (cut, it would pass libtrack another value than the one given). */
static int add_option(struct run_options *o, const char *key, const char *value)
{
    size_t len = strlen(o->options_env);
    size_t room = sizeof o->options_env - len;
    if ((size_t)snprintf(o->options_env + len, room, "%s%s=%s", len ? "," : "", key, value) >= room) {
        o->options_env[len] = '\0';
        return command_error("run", "the options for libtrack (MEMTRACK_OPTIONS and the command line's) exceed "
                                    "%d characters", OPTIONS_ENV_MAX - 1);
    }
    return 0;
}

/* Appends key=value when value is one of the option's two words; else says so and returns -1. */
static int add_choice(struct run_options *o, const char *option, const char *key, const char *value,
                      const char *one, const char *other)
{
    if (strcmp(value, one) && strcmp(value, other))
        return command_error("run", "%s takes %s or %s, not '%s'", option, one, other, value);
    return add_option(o, key, value);
}

/* Appends leak_check_heuristics=value when value is all, none or a list of
 * heuristics (heuristics.h); else says so and returns -1. */
static int add_heuristics(struct run_options *o, const char *value)
{
    unsigned set;
    if (mt_heuristics_parse(value, strlen(value), &set) != 0)
        return command_error("run", "--leak-check-heuristics takes all, none or a comma-separated list of "
                                    "stdstring, length64, newarray, multipleinheritance, not '%s'", value);
    return add_option(o, "leak_check_heuristics", value);
}

/* Appends the number option's key=value when value is a whole number in its
 * range, written in decimal digits alone; else says so and returns -1. */
static int add_number(struct run_options *o, const struct number_option *option, const char *value)
{
    size_t number;
    if (option_count("run", option->name, value, option->min, option->max, &number) != 0)
        return -1;
    return add_option(o, option->key, value);
}

/* Parses run's options; returns the index of PROGRAM in argv, or -1 after printing why not. */
static int parse_options(int argc, char **argv, struct run_options *o)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, {"force", no_argument, 0, 'f'},
        {"depth", required_argument, 0, '0'}, {"on-error", required_argument, 0, 'e'},
        {"free-depth", required_argument, 0, '1'},
        {"temporary-window", required_argument, 0, '2'}, {"quarantine", required_argument, 0, '3'},
        {"no-follow", no_argument, 0, 'n'}, {"unwinder", required_argument, 0, 'u'},
        {"no-symbol-cache", no_argument, 0, 'S'}, {"leak-check-heuristics", required_argument, 0, 'H'},
        {"fail-on", required_argument, 0, 'F'}, {"error-exitcode", required_argument, 0, 'X'},
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    struct option_reader reader = {.command = "run", .argc = argc, .argv = argv, .short_options = "+:o:fqh",
                                   .long_options = longopts};
    int c;
    char gate_error[512];
    while ((c = next_option(&reader)) != -1) {
        switch (c) {
        case 'o': o->output = reader.value; break;
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'n':
            if (add_option(o, "follow", "0") != 0)
                return -1;
            break;
        case 'S': o->no_symbol_cache = 1; break;
        case 'F':
            if (gate_parse_kinds(reader.value, &o->fail_on, gate_error, sizeof gate_error) != 0)
                return command_error("run", "--fail-on: %s", gate_error);
            break;
        case 'X':
            if (gate_parse_exitcode(reader.value, &o->error_exitcode, gate_error, sizeof gate_error) != 0)
                return command_error("run", "%s", gate_error);
            break;
        case 'h': fputs(HELP_RUN, stdout); exit(0);
        case '0': case '1': case '2': case '3': /* NUMBER_OPTIONS[c - '0'] */
            if (add_number(o, &NUMBER_OPTIONS[c - '0'], reader.value) != 0)
                return -1;
            break;
        case 'u':
            if (add_choice(o, "--unwinder", "unwinder", reader.value, "fast", "libunwind") != 0)
                return -1;
            break;
        case 'e':
            if (add_choice(o, "--on-error", "on_error", reader.value, "continue", "abort") != 0)
                return -1;
            break;
        case 'H':
            if (add_heuristics(o, reader.value) != 0)
                return -1;
            break;
        default: /* '?': next_option said what is wrong */
            fputs(HELP_RUN, stderr);
            return -1;
        }
    }
    if (optind >= argc) {
        command_error("run", "no program to run");
        fputs(HELP_RUN, stderr);
        return -1;
    }
    return optind;
}

/* The command line as one string, for the trace's meta table. */
static char *join_command(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = calloc(1, len);
    for (int i = 0; s && i < argc; i++) {
        strcat(s, argv[i]);
        if (i + 1 < argc)
            strcat(s, " ");
    }
    return s;
}

static volatile sig_atomic_t forward_pid;

static void forward_signal(int sig)
{
    if (forward_pid > 0)
        kill((pid_t)forward_pid, sig);
}

/* While the program runs, terminal signals are its business (it shares our
 * process group); a termination request sent to memtrack alone is passed on. */
static void route_signals(pid_t child)
{
    forward_pid = child;
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    struct sigaction sa = {.sa_handler = forward_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* After each batch of a drain: the status line, and the processes' RSS
 * (a drain of a busy program can last longer than a timeline interval). */
static void after_batch(void *status, const struct mt_server *server)
{
    status_line_running(status, server);
    rss_sample_processes(server->processes);
}

/* Collects until the program has ended and every traced process is done (or
 * silent for DRAIN_IDLE_MS), storing processes as they end, with the
 * collector's figures on LINE meanwhile. */
static void collect(struct mt_server *server, struct finisher *f, struct status_line *line)
{
    uint64_t seen = server->batches;
    struct timespec quiet_since = {0};
    /* Readable once the program has ended, so the wait for it ends then rather
     * than at the next timeout (its connection closes a moment before it can
     * be waited for).  Without pidfds (Linux < 5.3), the timeout still ends it. */
    int ended_fd = (int)syscall(SYS_pidfd_open, f->top, 0);
    struct pacing pacing = {0};
    for (;;) {
        uint64_t before = server->batches;
        /* while the program runs, woken once per timeline interval to read its RSS */
        server_poll(server, f->top_status_known ? 50 : (int)(MT_TIMELINE_INTERVAL_NS / 1000000),
                    f->top_status_known ? -1 : ended_fd);
        storer_gather(&f->storer, server->processes);
        if (!f->top_status_known) {
            int status;
            pid_t r = waitpid(f->top, &status, WNOHANG);
            if (r == f->top || (r < 0 && errno == ECHILD)) {
                f->top_status_known = 1;
                f->top_status = r == f->top ? status : 0;
                clock_gettime(CLOCK_MONOTONIC, &quiet_since);
            }
        }
        rss_sample_processes(server->processes);
        finish_processes(f, server, 0); /* reads every batch waiting, too */
        status_line_running(line, server);
        unsigned nap_us = pacing_after_drain(&pacing, server->batches - before);
        if (nap_us)
            usleep(nap_us);
        if (!f->top_status_known)
            continue;
        if (server_open_connections(server) == 0)
            break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (server->batches != seen) {
            seen = server->batches;
            quiet_since = now;
        } else if ((now.tv_sec - quiet_since.tv_sec) * 1000 + (now.tv_nsec - quiet_since.tv_nsec) / 1000000 >
                   DRAIN_IDLE_MS) {
            break;
        }
    }
    if (ended_fd >= 0)
        close(ended_fd);
    status_line_program_ended(line);
    finish_processes(f, server, 1);
}

/* Where the trace is written while the program runs: OUTPUT, or for a
 * compressed OUTPUT (NAME.zst) NAME, compressed into OUTPUT once complete.
 * A run cut short leaves NAME whole up to where it stopped. */
static void stored_name(const char *output, char *stored, size_t size)
{
    size_t n = strlen(output);
    snprintf(stored, size, "%.*s", (int)(trace_name_is_compressed(output) ? n - 4 : n), output);
}

/* The default trace name: memtrack.PROGRAM.PID.db in the current directory. */
static void default_output(char *buf, size_t len, const char *program, pid_t pid)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", program);
    snprintf(buf, len, "memtrack.%s.%d.db", basename(copy), (int)pid);
}

/* Exit status that mirrors the program's wait status. */
static int exit_status_of(int status)
{
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Reads run's options: MEMTRACK_OPTIONS, then the command line's, which
 * override it.  Returns the index of PROGRAM in argv, or -1 after saying why
 * not. */
static int read_options(int argc, char **argv, struct run_options *o)
{
    /* libtrack's own variable, when set, goes first: the command line's options override it */
    const char *inherited = getenv(MT_ENV_OPTIONS);
    if (inherited && strlen(inherited) >= sizeof o->options_env)
        return command_error("run", "MEMTRACK_OPTIONS is too long: %zu characters, at most %zu", strlen(inherited),
                             sizeof o->options_env - 1);
    if (inherited)
        strcpy(o->options_env, inherited);
    return parse_options(argc, argv, o);
}

/* What became of a program that ran. */
struct run_outcome {
    int wait_status;
    bool stored_whole;    /* every process stored, and the trace closed */
    const char *untraced; /* why the started program was not traced (a static string), or NULL */
};

/* Starts the program PROG (ARGC words) prepared in L, with the trace at
 * OUTPUT, collects and stores until every process has ended, and prints the
 * summary.  Returns 0 with OUTCOME filled, or the status memtrack exits with
 * when the program could not be started (after saying why).  The caller
 * closes SERVER and frees its processes. */
static int trace_program(const struct run_options *o, struct launch *l, struct mt_server *server, int argc,
                         char **prog, char *output, size_t output_size, struct run_outcome *outcome)
{
    pid_t child = launch_fork(l, server->path, o->options_env);
    if (child < 0) {
        command_error("run", "cannot start %s: %s", prog[0], strerror(errno));
        return 126;
    }
    if (o->output)
        snprintf(output, output_size, "%s", o->output);
    else
        default_output(output, output_size, prog[0], child);
    char stored[PATH_MAX];
    stored_name(output, stored, sizeof stored);
    if (o->force) {
        unlink(output);
        unlink(stored);
    }
    char *command = join_command(argc, prog);
    char error[512];
    struct trace_writer *w = trace_writer_open(stored, command ? command : prog[0], error, sizeof error);
    free(command);
    if (!w) {
        launch_abandon(l);
        command_error("run", "%s", error);
        return MT_EXIT_USAGE;
    }
    int exec_errno = launch_go(l);
    if (exec_errno) {
        trace_writer_close(w, 0);
        unlink(stored);
        command_error("run", "cannot run %s: %s", prog[0], strerror(exec_errno));
        return exec_errno == ENOENT ? 127 : 126;
    }
    route_signals(child);
    struct status_line status;
    status_line_init(&status, o->quiet);
    server->after_batch = after_batch;
    server->after_batch_context = &status;
    trace_writer_on_progress(w, status_line_storing, &status);
    struct finisher f;
    finisher_init(&f, w, child, !o->no_symbol_cache, &status.line);
    collect(server, &f, &status);
    struct mt_process *top = server_find_pid(server, child);
    if (!top) {
        top = process_stand_in(child, getpid(), prog, l->path, l->untraceable ? l->untraceable : MT_UNTRACED_SILENT);
        if (top) {
            server_adopt(server, top);
            finish_processes(&f, server, 1);
        }
    }
    finisher_close(&f);
    status_line_close(&status);
    int closed = trace_writer_close(w, f.failures == 0);
    if (closed == 0 && strcmp(stored, output) != 0) {
        if (trace_compress(stored, output, error, sizeof error) == 0) {
            unlink(stored);
        } else { /* the trace is whole under its plain name: that is the one to read */
            fprintf(stderr, "memtrack: %s; the trace is %s\n", error, stored);
            snprintf(output, output_size, "%s", stored);
        }
    }
    summary_print(stderr, server, top, output);
    *outcome = (struct run_outcome){.wait_status = f.top_status, .stored_whole = f.failures == 0 && closed == 0,
                                    .untraced = top ? top->untraced : NULL};
    return 0;
}

/* Runs `memtrack run`: the program's own exit status, or the gate's
 * (--fail-on); 2 for bad usage, 126 or 127 when the program cannot be run.
 * What is wrong before the program starts is said as "memtrack run: ";
 * what happens once it has run, beside its own output and libtrack's, as
 * "memtrack: ". */
int cmd_run(int argc, char **argv)
{
    struct run_options o = {.error_exitcode = GATE_DEFAULT_EXITCODE};
    int first = read_options(argc, argv, &o);
    if (first < 0)
        return MT_EXIT_USAGE;
    char **prog = argv + first;
    char error[512];
    struct launch l;
    int status = launch_prepare(&l, prog, error, sizeof error);
    if (status != 0) {
        command_error("run", "%s", error);
        return status;
    }
    launch_warn_untraceable(&l, stderr);
    if (o.output && !o.force) { /* the trace, or the plain one a .zst is written as first */
        char stored[PATH_MAX];
        stored_name(o.output, stored, sizeof stored);
        const char *existing = access(o.output, F_OK) == 0 ? o.output : access(stored, F_OK) == 0 ? stored : NULL;
        if (existing) {
            command_error("run", "%s exists; use --force to overwrite it", existing);
            return MT_EXIT_USAGE;
        }
    }
    struct mt_server server;
    char output[PATH_MAX];
    struct run_outcome outcome = {0};
    if (server_open(&server, error, sizeof error) != 0) {
        command_error("run", "%s", error);
        status = MT_EXIT_USAGE;
    } else {
        status = trace_program(&o, &l, &server, argc - first, prog, output, sizeof output, &outcome);
    }
    server_close(&server);
    for (struct mt_process *p = server.processes, *next; p; p = next) {
        next = p->next;
        process_free(p);
    }
    if (status != 0)
        return status;
    if (!outcome.stored_whole)
        fprintf(stderr, "memtrack: the trace %s is incomplete\n", output);
    int program_status = exit_status_of(outcome.wait_status);
    if (o.fail_on != 0)
        return gate_after_run(output, o.fail_on, o.error_exitcode, program_status, outcome.untraced, stderr);
    return program_status;
}
