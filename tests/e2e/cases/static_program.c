/* Linked statically: there is no loader to preload libtrack into.  memtrack
 * must say so, run it anyway, and exit with its status. */
#include <stdlib.h>

int main(void)
{
    void *volatile p = malloc(10);
    (void)p;
    return 3;
}
