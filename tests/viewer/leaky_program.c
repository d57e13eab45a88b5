/*
 * leaky_program.c - the program the viewer tests trace.  Known facts the
 * page must show: leak_report_buffer() leaks 40,000 bytes (definitely lost);
 * make_small_names() makes 50 small allocations (more allocations, fewer
 * bytes, than the big site); grow_and_shrink() draws a ramp on the heap
 * timeline (one step per 10 ms sampling interval); one double free; one
 * forked child process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) char *leak_report_buffer(size_t size)
{
    char *buffer = malloc(size);
    memset(buffer, 'x', size);
    return buffer;
}

__attribute__((noinline)) void make_small_names(void)
{
    char *names[50];
    for (int i = 0; i < 50; i++) {
        names[i] = malloc(8);
        snprintf(names[i], 8, "n%d", i);
    }
    for (int i = 0; i < 50; i++)
        free(names[i]);
}

__attribute__((noinline)) void grow_and_shrink(void)
{
    char *blocks[20];
    for (int i = 0; i < 20; i++) {
        blocks[i] = malloc(512);
        memset(blocks[i], i, 512);
        usleep(10000);
    }
    for (int i = 0; i < 20; i++)
        free(blocks[i]);
}

__attribute__((noinline)) void free_twice(void)
{
    char *word = strdup("twice");
    free(word);
    free(word);
}

__attribute__((noinline)) void child_work(void)
{
    for (int i = 0; i < 10; i++)
        free(malloc(64));
}

int main(void)
{
    char *kept = leak_report_buffer(40000);
    kept = NULL; /* the only pointer is gone: definitely lost */
    make_small_names();
    grow_and_shrink();
    free_twice();
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        child_work();
        _exit(0);
    }
    waitpid(child, NULL, 0);
    return kept != NULL;
}
