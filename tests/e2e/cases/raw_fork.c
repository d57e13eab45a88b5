/* Children made by raw system calls, which run no fork handler: the parent
 * keeps 111 bytes in a global and loses 222; a child of syscall(SYS_fork)
 * loses 333 of its own and keeps the inherited 111; a child of a raw clone
 * without CLONE_VM frees the inherited block, loses 444 and ends with
 * _exit.  Each is a process of its own, credited with its own blocks only,
 * and the inherited block keeps its allocation stack (keep_block) although
 * the parent had not sent it when it forked. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void *kept;
void *volatile lost;

__attribute__((noinline)) static void keep_block(void)
{
    kept = malloc(111);
}

__attribute__((noinline)) static void lose_block(size_t size)
{
    lost = malloc(size);
    lost = NULL;
}

int main(void)
{
    keep_block();
    lose_block(222);
    long child = syscall(SYS_fork);
    if (child == 0) {
        lose_block(333);
        exit(0);
    }
    waitpid((pid_t)child, NULL, 0);
    long cloned = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (cloned == 0) {
        free(kept);
        lose_block(444);
        _exit(0);
    }
    waitpid((pid_t)cloned, NULL, 0);
    return 0;
}
