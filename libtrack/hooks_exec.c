/*
 * hooks_exec.c - the exec family and posix_spawn.  A program that a traced
 * process starts but that the loader cannot preload libtrack into (statically
 * linked, setuid or setgid) would leave no trace at all, and the run would look
 * clean; so it is announced to the collector first (transport.c), which
 * stores it as untraced.  An exec that returns failed, and takes its
 * announcement back.  Nothing here allocates or touches libtrack's thread
 * state: a vfork child runs these hooks on its parent's memory.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "internal.h"
#include "untraceable.h"

extern char **environ;

typedef int exec_function(const char *file, char *const argv[], char *const envp[]);
typedef int spawn_function(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                           const posix_spawnattr_t *attributes, char *const argv[], char *const envp[]);

/* Why the program at PATH cannot be traced, if libtrack should say so: only
 * while a collector listens and children are followed (with --no-follow they
 * are left untraced on purpose). */
static enum mt_untraceable judge(const char *path)
{
    if (path == NULL || !mt_options.follow || atomic_load(&mt_tracking_off))
        return MT_TRACEABLE;
    return mt_untraceable_program(path);
}

/* Finds FILE along $PATH as execvp does (the first executable regular file;
 * an empty entry is the current directory), into BUFFER of SIZE bytes.
 * Returns FILE itself when it holds a slash, NULL when no entry has it. */
static const char *search_path(const char *file, char *buffer, size_t size)
{
    if (strchr(file, '/') != NULL)
        return file;
    const char *path = getenv("PATH");
    size_t file_length = strlen(file);
    for (const char *dir = path != NULL ? path : "/bin:/usr/bin";; dir++) {
        size_t length = strcspn(dir, ":");
        if (length + 1 + file_length < size) {
            memcpy(buffer, dir, length);
            buffer[length] = '/';
            memcpy(buffer + length + 1, file, file_length + 1);
            const char *candidate = length > 0 ? buffer : buffer + 1;
            struct stat st;
            if (access(candidate, X_OK) == 0 && stat(candidate, &st) == 0 && S_ISREG(st.st_mode))
                return candidate;
        }
        dir += length;
        if (*dir == '\0')
            return NULL;
    }
}

/* The next definition of NAME: libc's, normally. */
static void *next(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

/* execve(2) as libc has it (the system call when the lookup failed). */
static int real_execve(const char *path, char *const argv[], char *const envp[])
{
    static exec_function *real;
    if (real == NULL)
        real = (exec_function *)next("execve");
    return real != NULL ? real(path, argv, envp) : (int)syscall(SYS_execve, path, argv, envp);
}

/* libc's execvpe: $PATH search, and the shell for a file without a header. */
static int real_execvpe(const char *file, char *const argv[], char *const envp[])
{
    static exec_function *real;
    if (real == NULL)
        real = (exec_function *)next("execvpe");
    if (real == NULL) {
        errno = ENOSYS;
        return -1;
    }
    return real(file, argv, envp);
}

/* Runs EXEC(FILE, ARGV, ENVP), which execs PROGRAM (NULL when none was
 * found), announcing PROGRAM first when it cannot be traced; an exec that
 * returns failed, and withdraws the announcement. */
static int exec_announced(const char *program, exec_function *exec, const char *file, char *const argv[],
                          char *const envp[])
{
    enum mt_untraceable why = judge(program);
    int connection = why != MT_TRACEABLE
                         ? mt_transport_announce_untraceable((uint32_t)getpid(), (uint32_t)getppid(), program, argv, why)
                         : -1;
    int result = exec(file, argv, envp);
    int error = errno;
    if (connection >= 0)
        mt_transport_exec_failed(connection, error);
    errno = error;
    return result;
}

/* execve, and the exec functions that take a path. */
static int exec_path(const char *path, char *const argv[], char *const envp[])
{
    return exec_announced(path, real_execve, path, argv, envp);
}

/* The exec functions that search $PATH. */
static int exec_search(const char *file, char *const argv[], char *const envp[])
{
    char buffer[4096];
    return exec_announced(search_path(file, buffer, sizeof buffer), real_execvpe, file, argv, envp);
}

/* Runs SPAWN, then announces the child when the program it runs, PROGRAM,
 * cannot be traced.  posix_spawn reports a failed exec itself, so a child
 * that exists runs PROGRAM. */
static int spawn_announced(spawn_function *spawn, const char *program, pid_t *pid, const char *file,
                           const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attributes,
                           char *const argv[], char *const envp[])
{
    pid_t child;
    int error = spawn(&child, file, actions, attributes, argv, envp);
    if (error != 0)
        return error;
    if (pid != NULL)
        *pid = child;
    int saved_errno = errno;
    enum mt_untraceable why = judge(program);
    int connection = why != MT_TRACEABLE
                         ? mt_transport_announce_untraceable((uint32_t)child, (uint32_t)getpid(), program, argv, why)
                         : -1;
    if (connection >= 0)
        close(connection);
    errno = saved_errno;
    return 0;
}

/* Counts the arguments of an execl-style call that follow its first, up to
 * the NULL that ends them. */
static size_t count_arguments(va_list arguments)
{
    va_list copy;
    va_copy(copy, arguments);
    size_t count = 0;
    while (va_arg(copy, char *) != NULL)
        count++;
    va_end(copy);
    return count;
}

/* Fills ARGV (COUNT + 2 slots) with FIRST, the COUNT arguments that follow
 * it, and the NULL, consuming them from *ARGUMENTS (by address: execle reads
 * the environment after them, and a va_list passed by value is left
 * indeterminate). */
static void take_arguments(char **argv, const char *first, va_list *arguments, size_t count)
{
    argv[0] = (char *)first;
    for (size_t i = 1; i <= count + 1; i++)
        argv[i] = va_arg(*arguments, char *);
}

/* execve(2), announcing an untraceable program first. */
MT_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    return exec_path(path, argv, envp);
}

/* execv: execve with the current environment. */
MT_EXPORT int execv(const char *path, char *const argv[])
{
    return exec_path(path, argv, environ);
}

/* execvpe: the program found along $PATH. */
MT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    return exec_search(file, argv, envp);
}

/* execvp: execvpe with the current environment. */
MT_EXPORT int execvp(const char *file, char *const argv[])
{
    return exec_search(file, argv, environ);
}

/* Declares ARGV, the NULL-terminated list of a variadic exec's arguments
 * from FIRST on, on the caller's stack (a variadic list cannot be passed
 * on), and leaves ARGUMENTS after them, where execle's environment is; the
 * caller ends it with va_end. */
#define LISTED_ARGUMENTS(first, argv, arguments)                                                                \
    va_list arguments;                                                                                         \
    va_start(arguments, first);                                                                                \
    size_t argv##_count = count_arguments(arguments);                                                          \
    char *argv[argv##_count + 2];                                                                              \
    take_arguments(argv, first, &arguments, argv##_count)

/* execl: execv with the arguments listed. */
MT_EXPORT int execl(const char *path, const char *arg, ...)
{
    LISTED_ARGUMENTS(arg, argv, arguments);
    va_end(arguments);
    return exec_path(path, argv, environ);
}

/* execlp: execvp with the arguments listed. */
MT_EXPORT int execlp(const char *file, const char *arg, ...)
{
    LISTED_ARGUMENTS(arg, argv, arguments);
    va_end(arguments);
    return exec_search(file, argv, environ);
}

/* execle: execve with the arguments listed, then the environment. */
MT_EXPORT int execle(const char *path, const char *arg, ...)
{
    LISTED_ARGUMENTS(arg, argv, arguments);
    char *const *envp = va_arg(arguments, char *const *);
    va_end(arguments);
    return exec_path(path, argv, envp);
}

/* posix_spawn, announcing a child that runs an untraceable program. */
MT_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                          const posix_spawnattr_t *attributes, char *const argv[], char *const envp[])
{
    static spawn_function *real;
    if (real == NULL)
        real = (spawn_function *)next("posix_spawn");
    if (real == NULL)
        return ENOSYS;
    return spawn_announced(real, path, pid, path, actions, attributes, argv, envp);
}

/* posix_spawnp: posix_spawn of the program found along $PATH. */
MT_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                           const posix_spawnattr_t *attributes, char *const argv[], char *const envp[])
{
    static spawn_function *real;
    if (real == NULL)
        real = (spawn_function *)next("posix_spawnp");
    if (real == NULL)
        return ENOSYS;
    char buffer[4096];
    return spawn_announced(real, search_path(file, buffer, sizeof buffer), pid, file, actions, attributes, argv,
                           envp);
}
