/* reallocarray: from NULL, growing, and overflowing (NULL and ENOMEM, the
 * block untouched, and counted as nothing). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "case.h"

int main(void)
{
    long *a = reallocarray(NULL, 10, sizeof *a);
    check(a != NULL, "reallocarray(NULL, 10, 8) failed");
    a[9] = 42;
    a = reallocarray(a, 20, sizeof *a);
    check(a && a[9] == 42, "reallocarray grow lost the contents");
    volatile size_t huge = SIZE_MAX / 4;
    errno = 0;
    long *same = a;
    void *overflow = reallocarray(same, huge, 8);
    check(overflow == NULL && errno == ENOMEM, "reallocarray overflow did not give NULL/ENOMEM");
    check(a[9] == 42, "reallocarray overflow touched the block");
    free(a);
    say("done");
    return 0;
}
