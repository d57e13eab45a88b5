/*
 * launch.c - fork, preload, exec.  The child execs only after the parent has
 * created the trace, and reports a failed exec through a close-on-exec pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "commands.h"
#include "protocol.h"
#include "run/launch.h"
#include "untraceable.h"

/* Looks the program up like execvp does; 0, ENOENT or EACCES. */
static int find_program(const char *name, char *out, size_t len)
{
    if (strchr(name, '/')) {
        snprintf(out, len, "%s", name);
        return access(out, F_OK) ? ENOENT : access(out, X_OK) ? EACCES : 0;
    }
    const char *path = getenv("PATH");
    int found_unexecutable = 0;
    for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
        const char *colon = strchr(p, ':');
        size_t dirlen = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(out, len, "%.*s%s%s", (int)dirlen, p, dirlen ? "/" : "", name);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0)
                return 0;
            found_unexecutable = 1;
        }
        p += dirlen + (colon ? 1 : 0);
    }
    return found_unexecutable ? EACCES : ENOENT;
}

/* libmemtrack.so beside us: ../lib/memtrack/ from the directory of this executable. */
static int find_library(char *out, size_t len)
{
    const char *env = getenv("MEMTRACK_LIBRARY");
    if (env) {
        snprintf(out, len, "%s", env);
        return access(out, R_OK);
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    if ((size_t)snprintf(out, len, "%.*s/../lib/memtrack/libmemtrack.so", (int)(len - 40), self) >= len)
        return -1;
    return access(out, R_OK);
}

int launch_prepare(struct launch *l, char **argv, char *error, size_t error_size)
{
    memset(l, 0, sizeof *l);
    l->argv = argv;
    l->go_fd = l->error_fd = -1;
    int e = find_program(argv[0], l->path, sizeof l->path);
    if (e) {
        snprintf(error, error_size, "cannot run %s: %s", argv[0], strerror(e));
        return e == ENOENT ? 127 : 126;
    }
    if (find_library(l->library, sizeof l->library) != 0) {
        snprintf(error, error_size, "cannot find libmemtrack.so (looked at %s); set MEMTRACK_LIBRARY", l->library);
        return MT_EXIT_USAGE;
    }
    l->untraceable = mt_untraceable_reason(mt_untraceable_program(l->path));
    return 0;
}

void launch_warn_untraceable(const struct launch *l, FILE *out)
{
    if (l->untraceable)
        fprintf(out, "memtrack: warning: %s: %s\n", l->argv[0], l->untraceable);
}

/* In the child: our library first in LD_PRELOAD, the program's own after it. */
static void set_child_environment(const struct launch *l, const char *socket_path, const char *options)
{
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(l->library) + (old ? strlen(old) : 0) + 2;
    char *preload = malloc(len);
    if (preload) {
        snprintf(preload, len, "%s%s%s", l->library, old && *old ? ":" : "", old && *old ? old : "");
        setenv("LD_PRELOAD", preload, 1);
    }
    setenv(MT_ENV_SOCKET, socket_path, 1);
    if (options && *options)
        setenv(MT_ENV_OPTIONS, options, 1);
    else
        unsetenv(MT_ENV_OPTIONS);
}

pid_t launch_fork(struct launch *l, const char *socket_path, const char *options)
{
    int go[2], error[2];
    if (pipe2(go, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(error, O_CLOEXEC) < 0) {
        close(go[0]);
        close(go[1]);
        return -1;
    }
    l->pid = fork();
    if (l->pid == 0) {
        close(go[1]);
        close(error[0]);
        char byte;
        if (read(go[0], &byte, 1) != 1)
            _exit(127);
        set_child_environment(l, socket_path, options);
        execv(l->path, l->argv);
        int e = errno;
        if (write(error[1], &e, sizeof e) < 0)
            _exit(127);
        _exit(127);
    }
    close(go[0]);
    close(error[1]);
    l->go_fd = go[1];
    l->error_fd = error[0];
    if (l->pid < 0) {
        close(go[1]);
        close(error[0]);
    }
    return l->pid;
}

int launch_go(struct launch *l)
{
    int e = 0;
    if (write(l->go_fd, "g", 1) != 1)
        e = EIO;
    close(l->go_fd);
    ssize_t n;
    while ((n = read(l->error_fd, &e, sizeof e)) < 0 && errno == EINTR)
        ;
    close(l->error_fd);
    if (n == (ssize_t)sizeof e && e) {
        waitpid(l->pid, NULL, 0);
        return e;
    }
    return 0;
}

void launch_abandon(struct launch *l)
{
    close(l->go_fd);
    close(l->error_fd);
    waitpid(l->pid, NULL, 0);
}
