/*
 * short_program.c - a run of a millisecond or so that leaks nothing, for
 * the viewer's chart tests: its heap rises to a peak of 3 x 64 KiB, falls,
 * and it frees everything before it exits.  With "exec" it first replaces
 * itself (the same pid, a new image) with "final", which forks a child that
 * allocates far more than the final image: the page opens on the final
 * image all the same, the program the user started as it ended.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void rise_and_fall(void)
{
    char *blocks[3];
    for (int i = 0; i < 3; i++) {
        blocks[i] = malloc(64 << 10);
        memset(blocks[i], i, 64 << 10);
    }
    for (int i = 0; i < 3; i++)
        free(blocks[i]);
}

__attribute__((noinline)) static void child_allocates_more(void)
{
    for (int i = 0; i < 200; i++)
        free(malloc(4096));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exec") == 0) {
        char *final[] = {argv[0], "final", NULL};
        execv("/proc/self/exe", final);
        return 1;
    }
    rise_and_fall();
    if (argc > 1 && strcmp(argv[1], "final") == 0) {
        pid_t child = fork();
        if (child == 0) {
            child_allocates_more();
            _exit(0);
        }
        waitpid(child, NULL, 0);
    }
    return 0;
}
