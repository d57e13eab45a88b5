/* Shrinks every memfd it holds to nothing (libtrack's shared-memory segments
 * among them: the traced program can reach them), then allocates and exits.
 * The collector reads those segments after the process ends; a shrunk one
 * made memtrack die of SIGBUS.  libtrack seals them against shrinking, so the
 * program's ftruncate fails.  Prints "truncated=N" (how many it shrank: 0
 * under memtrack) and exits 0. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    int truncated = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], target[256];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = 0;
        if (strncmp(target, "/memfd:", 7) == 0 && ftruncate(atoi(e->d_name), 0) == 0)
            truncated++;
    }
    if (d)
        closedir(d);
    for (int i = 0; i < 1000; i++)
        free(malloc(64));
    void *volatile kept = malloc(100);
    (void)kept;
    printf("truncated=%d\n", truncated);
    return 0;
}
