/*
 * fuzz_trace_reader.c - fuzz target for `memtrack report` on a hostile trace
 * file: the input bytes are written to a file, which goes through what
 * cli/report.c does with a trace: trace_open() (cli/trace/reader.c), every
 * analysis (cli/analyse) and both renderers (cli/output).
 *
 * Beyond not crashing, the JSON report (docs/report-format.md) must be one
 * line ending in a newline, with no raw control character: a renderer that
 * copies text from the trace unescaped is a finding too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analyse/analyse.h"
#include "output/render.h"
#include "trace/reader.h"

static char trace_path[4096];
static int trace_fd = -1;

/* Leaves no file behind when the fuzzer or the replay driver exits. */
static void remove_trace_file(void)
{
    unlink(trace_path);
}

/* Creates the file every input is written to, once per process. */
static void open_trace_file(void)
{
    const char *dir = getenv("TMPDIR");
    snprintf(trace_path, sizeof trace_path, "%s/fuzz_trace_reader.XXXXXX", dir && *dir ? dir : "/tmp");
    trace_fd = mkstemp(trace_path);
    if (trace_fd < 0) {
        perror("fuzz_trace_reader: mkstemp");
        abort();
    }
    atexit(remove_trace_file);
}

/* Replaces the file's contents with the input. */
static void write_trace_file(const uint8_t *data, size_t size)
{
    if (trace_fd < 0)
        open_trace_file();
    if (ftruncate(trace_fd, 0) != 0 || (size && pwrite(trace_fd, data, size, 0) != (ssize_t)size)) {
        perror("fuzz_trace_reader: writing the trace");
        abort();
    }
}

/* Checks the JSON report's framing: one line, no raw control characters. */
static void check_json_framing(const char *json, size_t len)
{
    if (len == 0 || json[len - 1] != '\n') {
        fputs("fuzz_trace_reader: the JSON report does not end with a newline\n", stderr);
        abort();
    }
    for (size_t i = 0; i + 1 < len; i++)
        if ((unsigned char)json[i] < 0x20) {
            fprintf(stderr, "fuzz_trace_reader: raw control character 0x%02x at byte %zu of the JSON report\n",
                    (unsigned char)json[i], i);
            abort();
        }
}

/* Renders the report in every format, into memory. */
static void render_all(const struct report *report)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return;
    if (render_json(out, report) == 0 && fflush(out) == 0)
        check_json_framing(text, len);
    rewind(out);
    render_text(out, report);
    fclose(out);
    free(text);
}

/* One trace file through `memtrack report`'s steps (cli/report.c). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_trace_file(data, size);
    struct trace trace;
    struct report report = {0};
    if (trace_open(&trace, trace_path) == 0 && analyse_trace(&trace, &report, NULL) == 0)
        render_all(&report);
    else if (trace.problem[0] == '\0')
        abort(); /* a refused trace must say why (report.c prints trace.problem) */
    report_free(&report);
    trace_close(&trace);
    return 0;
}
