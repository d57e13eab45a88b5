/* Allocates 10001 blocks, frees 10000, then ends as argv[1] says: segv, kill
 * (SIGKILL, which no handler can catch), abort, _exit or exec.  Every event
 * before the end must be in the trace. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    void *volatile kept = malloc(4096);
    for (int i = 0; i < 10000; i++) {
        void *volatile p = malloc(100 + i % 50);
        free(p);
    }
    (void)kept;
    switch (argc > 1 ? argv[1][0] : 0) {
    case 's': *(volatile int *)0 = 1; break;
    case 'k': raise(SIGKILL); break;
    case 'a': abort();
    case '_': _exit(5);
    case 'e': execl("/bin/true", "true", (char *)0); break;
    }
    return 0;
}
