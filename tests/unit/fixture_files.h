/*
 * fixture_files.h - where the unit tests find their fixture sources, and how
 * they remove the scratch directories they build fixtures in.
 */
#ifndef MEMTRACK_TESTS_FIXTURE_FILES_H
#define MEMTRACK_TESTS_FIXTURE_FILES_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The path of fixture NAME: in MT_FIXTURE_DIR (set by ctest), else in
 * tests/unit/fixtures beside the calling test's source (`source`, its __FILE__). */
static inline void fixture_path(char *buf, size_t len, const char *source, const char *name)
{
    const char *dir = getenv("MT_FIXTURE_DIR");
    const char *slash = strrchr(source, '/');
    if (dir)
        snprintf(buf, len, "%s/%s", dir, name);
    else
        snprintf(buf, len, "%.*s/fixtures/%s", slash ? (int)(slash - source) : 1, slash ? source : ".", name);
}
#define fixture_source(buf, len, name) fixture_path((buf), (len), __FILE__, (name))

/* Removes a scratch directory and everything in it; 0, or -1 when it could not. */
static inline int remove_tree(const char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
