/* diff.c - `memtrack diff` (being written; see its issue). */
#include "commands.h"

void usage_diff(FILE *out)
{
    fputs("usage: memtrack diff ... (not available yet)\n", out);
}

int cmd_diff(int argc, char **argv)
{
    usage_diff(stderr);
    return MT_EXIT_USAGE;
}
