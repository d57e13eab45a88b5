/*
 * output_file.c - see output_file.h.  Opening PATH with fopen(path, "w")
 * follows a symlink planted there and truncates whatever it points at (the
 * trace itself, in the worst case); renaming a new file into place cannot.
 */
#include "output_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Returns the index of the input PATH resolves to, or -1 when it is none of
 * them (or does not exist yet). */
static long same_file_as_input(const char *path, const char *const *inputs, size_t input_count)
{
    struct stat target, input;
    if (stat(path, &target) != 0)
        return -1;
    for (size_t i = 0; i < input_count; i++)
        if (stat(inputs[i], &input) == 0 && input.st_dev == target.st_dev && input.st_ino == target.st_ino)
            return (long)i;
    return -1;
}

/* Returns a template "DIR/.NAME.XXXXXX" for mkstemp next to PATH, newly
 * allocated; NULL when memory runs out. */
static char *temporary_template(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir_length = slash != NULL ? (size_t)(slash - path) + 1 : 0;
    const char *name = path + dir_length;
    size_t size = dir_length + 1 + strlen(name) + sizeof ".XXXXXX";
    char *template = malloc(size);
    if (template != NULL)
        snprintf(template, size, "%.*s.%s.XXXXXX", (int)dir_length, path, name);
    return template;
}

/* Gives the new file the mode fopen(path, "w") would have given it: mkstemp
 * makes it private to its owner. */
static int set_default_mode(int fd)
{
    mode_t mask = umask(0);
    umask(mask);
    return fchmod(fd, 0666 & ~mask);
}

/* Renders into the new file FD (closed here); 0, or -1 with errno set. */
static int render_into(int fd, output_renderer *render, const void *context)
{
    FILE *out = set_default_mode(fd) == 0 ? fdopen(fd, "w") : NULL;
    if (out == NULL) {
        int saved_errno = errno;
        close(fd);
        errno = saved_errno;
        return -1;
    }
    int result = render(out, context);
    int saved_errno = errno;
    if (fclose(out) != 0 && result == 0)
        return -1;
    errno = saved_errno;
    return result;
}

/* Refuses an input as PATH, then writes a new file and renames it over PATH. */
enum output_file_result output_file_write(const char *path, const char *const *inputs, size_t input_count,
                                          output_renderer *render, const void *context, char *error,
                                          size_t error_size)
{
    long input = same_file_as_input(path, inputs, input_count);
    if (input >= 0) {
        snprintf(error, error_size, "%s", inputs[input]);
        return OUTPUT_FILE_REFUSED;
    }
    char *temporary = temporary_template(path);
    if (temporary == NULL) {
        snprintf(error, error_size, "out of memory");
        return OUTPUT_FILE_FAILED;
    }
    int fd = mkstemp(temporary);
    int result = fd < 0 ? -1 : render_into(fd, render, context);
    if (result == 0 && rename(temporary, path) != 0)
        result = -1;
    if (result != 0) {
        snprintf(error, error_size, "%s", strerror(errno));
        if (fd >= 0)
            unlink(temporary);
    }
    free(temporary);
    return result == 0 ? OUTPUT_FILE_WRITTEN : OUTPUT_FILE_FAILED;
}
