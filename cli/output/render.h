/*
 * render.h - printing a report model, one function per format.  Each returns
 * 0, or -1 when writing failed (errno says why).
 */
#ifndef MEMTRACK_OUTPUT_RENDER_H
#define MEMTRACK_OUTPUT_RENDER_H

#include <stdio.h>

#include "analyse/model.h"

/* The JSON report's "version": bumped on any incompatible change of its layout. */
#define MT_REPORT_VERSION 1

/* How many allocation sites the text report shows (with their stacks). */
#define TEXT_TOP_SITES 10

int render_json(FILE *out, const struct report *report); /* json.c: docs/report-format.md */
int render_text(FILE *out, const struct report *report); /* text.c: for people, memcheck-like */

#endif
