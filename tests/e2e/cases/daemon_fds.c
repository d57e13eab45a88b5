/* Behaves like a daemon: closes every descriptor, then reuses the numbers
 * (3 to 1999 all name its own file).  Its file must hold only its own bytes,
 * and tracing must go on. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    void *volatile before = malloc(10);
    (void)before;
    for (int fd = 3; fd < 65536; fd++)
        close(fd);
    int f = open(argv[1], O_CREAT | O_TRUNC | O_WRONLY, 0644);
    for (int fd = 3; fd < 2000; fd++)
        dup2(f, fd);
    for (int i = 0; i < 100000; i++) {
        void *volatile p = malloc(64);
        free(p);
    }
    dprintf(f, "mine\n");
    return 0;
}
