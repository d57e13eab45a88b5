/* view.c - `memtrack view` (being written; see its issue). */
#include "commands.h"

void usage_view(FILE *out)
{
    fputs("usage: memtrack view ... (not available yet)\n", out);
}

int cmd_view(int argc, char **argv)
{
    usage_view(stderr);
    return MT_EXIT_USAGE;
}
