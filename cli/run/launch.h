/*
 * launch.h - starting the traced program: finding it, preloading libtrack,
 * and telling a program that cannot be started from one that fails later.
 */
#ifndef MEMTRACK_LAUNCH_H
#define MEMTRACK_LAUNCH_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

struct launch {
    char **argv;
    char path[PATH_MAX];      /* the program as found on PATH */
    char library[PATH_MAX];   /* libmemtrack.so */
    const char *untraceable;  /* why preloading cannot work (static, setuid), or NULL */
    pid_t pid;
    int go_fd, error_fd;
};

/* Finds the program and libtrack.  0, or an exit status (127 not found, 126
 * not executable, 2 no libtrack) with a message in ERROR. */
int launch_prepare(struct launch *l, char **argv, char *error, size_t error_size);
/* Says plainly when the program cannot be traced (it still runs). */
void launch_warn_untraceable(const struct launch *l, FILE *out);
/* Forks the child, which waits for launch_go before it execs. */
pid_t launch_fork(struct launch *l, const char *socket_path, const char *options);
/* Lets the child exec; returns 0, or the errno of its failed exec. */
int launch_go(struct launch *l);
/* Ends a child that will never be let go. */
void launch_abandon(struct launch *l);

#endif
