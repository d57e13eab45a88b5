/* run_summary.h - the few lines `memtrack run` prints on stderr when it is done. */
#ifndef MEMTRACK_OUTPUT_RUN_SUMMARY_H
#define MEMTRACK_OUTPUT_RUN_SUMMARY_H

#include <stdio.h>

struct mt_server;
struct mt_process;

void summary_print(FILE *out, const struct mt_server *server, const struct mt_process *top, const char *trace);

#endif
