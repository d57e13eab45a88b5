/* Leaks, then dies of SIGSEGV: memtrack must exit 139 (128 + 11).  What the
 * trace holds for a killed program is not asserted here. */
#include <signal.h>
#include <stdlib.h>
#include "case.h"

int main(void)
{
    void *volatile lost = malloc(64);
    lost = NULL;
    say("crashing");
    raise(SIGSEGV);
    fail("still alive after SIGSEGV");
}
