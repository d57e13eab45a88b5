/* Prints a lot through stdio on stdout and stderr, interleaved, and exits 5:
 * its output and status must be the same with and without memtrack. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    for (int i = 0; i < 20000; i++) {
        printf("line %d of stdout: %s\n", i, argc > 1 ? argv[1] : "");
        if (i % 1000 == 0)
            fprintf(stderr, "line %d of stderr\n", i);
    }
    char *text = malloc(64);
    snprintf(text, 64, "%d", 12345);
    puts(text);
    free(text);
    return 5;
}
