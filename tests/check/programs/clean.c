/* clean.c - allocates and frees everything: passes every gate. */
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char *text = malloc(64);
    strcpy(text, "nothing leaks here");
    free(text);
    return 0;
}
