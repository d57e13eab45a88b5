/* A family of processes: the parent leaks 222 bytes and keeps 111 in a
 * global; its fork child frees the inherited global block, allocates 333 of
 * its own, and forks a grandchild that execs a shell; the parent also runs
 * system().  Every process is traced, each with its own figures. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

void *kept;

int main(void)
{
    kept = malloc(111);
    void *volatile lost = malloc(222);
    lost = NULL;
    pid_t child = fork();
    if (child == 0) {
        free(kept);
        void *volatile mine = malloc(333);
        (void)mine;
        pid_t grandchild = fork();
        if (grandchild == 0) {
            execl("/bin/sh", "sh", "-c", "exit 0", (char *)0);
            _exit(9);
        }
        waitpid(grandchild, NULL, 0);
        exit(0);
    }
    waitpid(child, NULL, 0);
    return system("exit 0");
}
