/*
 * environment.c - keeping children untraced when the user asked for it
 * (`memtrack run --no-follow`): libtrack takes itself out of LD_PRELOAD and
 * drops MEMTRACK_SOCKET from the environment that exec passes on.  The strings
 * are edited in place (no allocation: this runs inside the first hook).
 */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>
#include "internal.h"

extern char **environ;

/* Removes every LD_PRELOAD entry naming libmemtrack.so, keeping the others. */
static void strip_preload(char *value)
{
    char *out = value;
    for (char *entry = value; *entry;) {
        size_t len = strcspn(entry, ": ");
        char next = entry[len];
        if (!memmem(entry, len, "libmemtrack.so", 14)) {
            if (out != value)
                *out++ = ':';
            memmove(out, entry, len);
            out += len;
        }
        entry += len + (next ? 1 : 0);
    }
    *out = '\0';
}

void mt_environment_stop_following(void)
{
    size_t kept = 0;
    for (size_t i = 0; environ && environ[i]; i++) {
        if (!strncmp(environ[i], "LD_PRELOAD=", 11))
            strip_preload(environ[i] + 11);
        if (strncmp(environ[i], MT_ENV_SOCKET "=", sizeof MT_ENV_SOCKET))
            environ[kept++] = environ[i];
    }
    if (environ)
        environ[kept] = NULL;
}
