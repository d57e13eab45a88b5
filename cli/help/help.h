/*
 * help.h - the --help text of memtrack and of each command, generated at
 * build time from cli/help/COMMAND.txt by cli/help/generate.cmake, which
 * makes the man pages from the same files: what --help says and what man
 * says cannot differ.
 */
#ifndef MEMTRACK_HELP_H
#define MEMTRACK_HELP_H

extern const char HELP_MEMTRACK[];
extern const char HELP_RUN[];
extern const char HELP_REPORT[];
extern const char HELP_CHECK[];
extern const char HELP_DIFF[];
extern const char HELP_VIEW[];

#endif
