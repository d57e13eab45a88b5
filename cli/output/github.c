/*
 * github.c - the findings that fail the gate as GitHub Actions workflow
 * commands (`::error file=F,line=L,title=T::MESSAGE`), which GitHub shows as
 * annotations on the run and on the pull request's diff.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gate/gate.h"
#include "output/describe.h"
#include "output/gate_formats.h"

#define GITHUB_MAX_FRAMES 16

/* Writes TEXT escaped as workflow commands require: '%', CR and LF always;
 * ':' and ',' too inside a property.  Other control characters become '?'. */
static void write_escaped(FILE *out, const char *text, bool property)
{
    for (const unsigned char *at = (const unsigned char *)(text != NULL ? text : "?"); *at != '\0'; at++) {
        if (*at == '%')
            fputs("%25", out);
        else if (*at == '\r')
            fputs("%0D", out);
        else if (*at == '\n')
            fputs("%0A", out);
        else if (property && *at == ':')
            fputs("%3A", out);
        else if (property && *at == ',')
            fputs("%2C", out);
        else
            fputc(*at < 0x20 || *at == 0x7f ? '?' : *at, out);
    }
}

/* Writes a string from describe.c escaped, and frees it. */
static void write_owned(FILE *out, char *text, bool property)
{
    write_escaped(out, text, property);
    free(text);
}

/* The path GitHub shows an annotation at: relative to the checkout
 * ($GITHUB_WORKSPACE) when the file lies inside it. */
static const char *annotation_path(const char *file)
{
    const char *workspace = getenv("GITHUB_WORKSPACE");
    size_t length = workspace != NULL ? strlen(workspace) : 0;
    if (length > 0 && strncmp(file, workspace, length) == 0 && file[length] == '/')
        return file + length + 1;
    return file;
}

/* Writes one ::error command for FINDING. */
static void write_annotation(FILE *out, const struct finding *finding, bool below_main)
{
    fputs("::error ", out);
    const struct report_frame *frame = source_frame(finding->stack);
    if (frame != NULL) {
        fputs("file=", out);
        write_escaped(out, annotation_path(frame->file), true);
        if (frame->line.present)
            fprintf(out, ",line=%" PRId64, frame->line.value);
        fputc(',', out);
    }
    fputs("title=", out);
    write_escaped(out, "memtrack: ", true);
    write_escaped(out, KIND_NAMES[finding->kind].phrase, true);
    fputs("::", out);
    write_owned(out, finding_headline(finding), false);
    write_escaped(out, " in ", false);
    write_owned(out, process_label(finding->process), false);
    write_escaped(out, "\n", false);
    write_owned(out, finding_stacks(finding, GITHUB_MAX_FRAMES, below_main), false);
    fputc('\n', out);
}

/* Writes an annotation for every finding that fails the gate. */
int render_github(FILE *out, const struct gate *gate)
{
    for (size_t i = 0; i < gate->findings.count; i++)
        if (gate->findings.items[i].status == STATUS_FAILING)
            write_annotation(out, &gate->findings.items[i], gate->show_below_main);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
