/*
 * input.h - one trace opened for the gate: validated by trace/reader.c and
 * analysed for its processes, leaks and errors (allocation sites are not
 * needed to gate, so they are not read).
 */
#ifndef MEMTRACK_GATE_INPUT_H
#define MEMTRACK_GATE_INPUT_H

#include "analyse/model.h"
#include "trace/reader.h"

struct gate_input {
    const char *path;
    struct trace trace;
    struct report report;
};

int gate_input_open(struct gate_input *input, const char *path);
void gate_input_close(struct gate_input *input);

#endif
