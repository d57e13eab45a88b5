/*
 * gate_formats.h - the gate's verdict for people and in the formats CI
 * systems read.  Each returns 0, or -1 when writing failed (errno says why).
 */
#ifndef MEMTRACK_OUTPUT_GATE_FORMATS_H
#define MEMTRACK_OUTPUT_GATE_FORMATS_H

#include <stdio.h>

#include "gate/gate.h"

/* gate_text.c: the failing processes with their failing findings, the
 * suppressions, and PASS or FAIL; every line starts with PREFIX. */
int gate_write_text(FILE *out, const struct gate *gate, const char *prefix);
/* The CI formats write every finding that is not suppressed (JUnit: only the
 * failing ones, as failures). */
int render_junit(FILE *out, const struct gate *gate);   /* junit.c: one testcase per process */
int render_sarif(FILE *out, const struct gate *gate);   /* sarif.c: SARIF 2.1.0, one result per finding */
int render_github(FILE *out, const struct gate *gate);  /* github.c: GitHub Actions ::error annotations */

#endif
