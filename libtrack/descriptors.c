/*
 * descriptors.c - keeping libtrack's descriptors out of the program's way.
 *
 * The program owns the low descriptor numbers: its first open() must return
 * what it would without memtrack.  So every descriptor libtrack keeps (the
 * socket, the shared-memory segments) is moved to MT_FD_FLOOR or above.
 *
 * libunwind validates addresses by writing them into a pipe of its own, made
 * at its first use (inside our hooks), and if a read from that pipe fails it
 * closes the numbers and makes a new pipe.  A program that closes every
 * descriptor and reuses the numbers would then have its own descriptors read,
 * written and closed by libunwind.  While libunwind runs on a thread (the
 * flag set by stacks.c), pipe2 puts the pipe high, and read, write and close
 * touch nothing but that pipe.  Outside that window these functions are
 * libc's own, one thread-local test away.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "internal.h"

__thread int mt_in_unwinder;

static int pipe_fd[2] = {-1, -1};
static ino_t pipe_inode;

/* Moves fd to MT_FD_FLOOR or above (close-on-exec); returns the new number,
 * or fd itself when no higher number can be had. */
int mt_fd_move_high(int fd)
{
    if (fd < 0 || fd >= MT_FD_FLOOR)
        return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, MT_FD_FLOOR);
    if (high < 0)
        return fd;
    syscall(SYS_close, fd);
    return high;
}

/* True when fd is libunwind's validation pipe, as we made it. */
static int is_unwinder_pipe(int fd)
{
    struct stat st;
    return fd >= 0 && (fd == pipe_fd[0] || fd == pipe_fd[1]) && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
           st.st_ino == pipe_inode;
}

static void *next(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

MT_EXPORT int pipe2(int fds[2], int flags)
{
    static int (*real)(int *, int);
    if (!mt_in_unwinder) {
        if (!real)
            real = next("pipe2");
        return real ? real(fds, flags) : (int)syscall(SYS_pipe2, fds, flags);
    }
    if (syscall(SYS_pipe2, fds, flags) < 0)
        return -1;
    fds[0] = mt_fd_move_high(fds[0]);
    fds[1] = mt_fd_move_high(fds[1]);
    struct stat st;
    pipe_inode = fstat(fds[0], &st) == 0 ? st.st_ino : 0;
    pipe_fd[0] = fds[0];
    pipe_fd[1] = fds[1];
    return 0;
}

MT_EXPORT int close(int fd)
{
    static int (*real)(int);
    if (mt_in_unwinder && !is_unwinder_pipe(fd))
        return 0; /* the number is the program's now: leave it alone */
    if (!real)
        real = next("close");
    return real ? real(fd) : (int)syscall(SYS_close, fd);
}

MT_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
    static ssize_t (*real)(int, void *, size_t);
    if (mt_in_unwinder && !is_unwinder_pipe(fd)) {
        errno = EBADF;
        return -1;
    }
    if (!real)
        real = next("read");
    return real ? real(fd, buf, count) : syscall(SYS_read, fd, buf, count);
}

MT_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (mt_in_unwinder && !is_unwinder_pipe(fd)) {
        errno = EBADF;
        return -1;
    }
    if (!real)
        real = next("write");
    return real ? real(fd, buf, count) : syscall(SYS_write, fd, buf, count);
}
