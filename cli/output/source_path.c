/*
 * source_path.c - see source_path.h.
 */
#include "output/source_path.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/printable.h"

/* The working directory, read once ("" when it cannot be read). */
static const char *working_directory(void)
{
    static char cwd[PATH_MAX];
    static bool read;
    if (!read) {
        read = true;
        if (getcwd(cwd, sizeof cwd) == NULL || strcmp(cwd, "/") == 0)
            cwd[0] = '\0';
    }
    return cwd;
}

/* Appends component PART (N bytes) to OUT, which holds LENGTH bytes of
 * which the first BASE are the root; returns the new length. */
static size_t append(char *out, size_t length, size_t base, const char *part, size_t n)
{
    if (length > base)
        out[length++] = '/';
    memcpy(out + length, part, n);
    return length + n;
}

/* Drops the second component of a relative PATH whose first two are the
 * same: a relative compilation directory that libdw joined to a directory
 * entry naming it again (glibc's CUs have DW_AT_comp_dir "./string" and
 * lines in "./string/strdup.c", joined as "./string/./string/strdup.c"). */
static void undouble(char *path)
{
    size_t n = strcspn(path, "/");
    if (path[0] == '/' || path[n] != '/' || (n == 2 && strncmp(path, "..", 2) == 0) ||
        strncmp(path, path + n + 1, n) != 0 || path[2 * n + 1] != '/')
        return;
    memmove(path + n, path + 2 * n + 1, strlen(path + 2 * n + 1) + 1);
}

/* Folds PATH into OUT (at least as long as PATH, plus two): components "."
 * and "" dropped, "name/.." removed; a ".." with nothing before it to remove
 * stays in a relative path and goes in an absolute one (the root is its own
 * parent).  A relative path that folds to nothing is ".". */
static void fold(const char *path, char *out)
{
    size_t base = path[0] == '/', length = 0, names = 0; /* names: trailing components a ".." may remove */
    if (base)
        out[length++] = '/';
    for (const char *part = path; *part != '\0';) {
        size_t n = strcspn(part, "/");
        bool dot = n == 1 && part[0] == '.', dots = n == 2 && part[0] == '.' && part[1] == '.';
        if (dots && names > 0) {
            while (length > base && out[length - 1] != '/')
                length--;
            if (length > base)
                length--;
            names--;
        } else if (dots && !base) {
            length = append(out, length, base, part, n);
        } else if (n > 0 && !dot && !dots) {
            length = append(out, length, base, part, n);
            names++;
        }
        part += n;
        while (*part == '/')
            part++;
    }
    if (length == 0)
        out[length++] = '.';
    out[length] = '\0';
    undouble(out);
}

void write_source_path(FILE *out, const char *path)
{
    char *folded = malloc(strlen(path) + 2);
    if (folded == NULL) {
        write_printable(out, path);
        return;
    }
    fold(path, folded);
    const char *cwd = working_directory(), *shown = folded;
    size_t n = strlen(cwd);
    if (n > 0 && strncmp(folded, cwd, n) == 0 && folded[n] == '/' && folded[n + 1] != '\0')
        shown = folded + n + 1;
    write_printable(out, shown);
    free(folded);
}
