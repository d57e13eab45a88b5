/* check.c - `memtrack check` (being written; see its issue). */
#include "commands.h"

void usage_check(FILE *out)
{
    fputs("usage: memtrack check ... (not available yet)\n", out);
}

int cmd_check(int argc, char **argv)
{
    usage_check(stderr);
    return MT_EXIT_USAGE;
}
