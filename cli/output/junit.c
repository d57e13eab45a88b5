/*
 * junit.c - the gate's verdict as JUnit XML, which CI systems show as test
 * results: a testsuite per trace, a testcase per traced process, and a
 * <failure> per finding that fails the gate, its stacks in the text.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/describe.h"
#include "output/gate_formats.h"
#include "output/utf8.h"

#define JUNIT_MAX_FRAMES 64

/* Writes TEXT escaped for XML text and attribute values.  Characters XML 1.0
 * forbids (most controls, U+FFFE, U+FFFF) become '?', and bytes that are not
 * UTF-8 become U+FFFD, so the document always parses. */
static void xml_write(FILE *out, const char *text)
{
    for (const unsigned char *at = (const unsigned char *)(text != NULL ? text : "?"); *at != '\0';) {
        switch (*at) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        case '\n': fputs("&#10;", out); break;
        case '\t': fputs("&#9;", out); break;
        default:
            if (*at < 0x20 || *at == 0x7f) {
                fputc('?', out);
            } else if (*at < 0x80) {
                fputc(*at, out);
            } else {
                size_t length = utf8_sequence_length(at);
                bool nonchar = length == 3 && at[0] == 0xEF && at[1] == 0xBF && at[2] >= 0xBE;
                if (length == 0 || nonchar) {
                    fputs("\xEF\xBF\xBD", out);
                    at += length == 0 ? 1 : length;
                } else {
                    fwrite(at, 1, length, out);
                    at += length;
                }
                continue;
            }
        }
        at++;
    }
}

/* Writes a string from describe.c escaped, and frees it. */
static void xml_write_owned(FILE *out, char *text)
{
    xml_write(out, text);
    free(text);
}

/* Writes one <failure> for FINDING. */
static void write_failure(FILE *out, const struct finding *finding, bool below_main)
{
    fputs("      <failure type=\"", out);
    xml_write(out, KIND_NAMES[finding->kind].rule_id);
    fputs("\" message=\"", out);
    xml_write_owned(out, finding_headline(finding));
    fputs("\">", out);
    char *stacks = finding_stacks(finding, JUNIT_MAX_FRAMES, below_main);
    if (stacks != NULL) {
        /* The newlines of the stack text stay real newlines inside the element. */
        for (char *line = strtok(stacks, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            xml_write(out, line);
            fputc('\n', out);
        }
    }
    free(stacks);
    fputs("</failure>\n", out);
}

/* Writes PROCESS's testcase, with a failure per failing finding. */
static void write_testcase(FILE *out, const struct gate *gate, const struct gate_input *input,
                           const struct report_process *process)
{
    fputs("    <testcase classname=\"", out);
    xml_write(out, input->path);
    fputs("\" name=\"", out);
    xml_write_owned(out, process_label(process));
    fputs("\">\n", out);
    for (size_t i = 0; i < gate->findings.count; i++)
        if (gate->findings.items[i].process == process && gate->findings.items[i].status == STATUS_FAILING)
            write_failure(out, &gate->findings.items[i], gate->show_below_main);
    fputs("    </testcase>\n", out);
}

/* Writes the testsuite of one trace. */
static void write_testsuite(FILE *out, const struct gate *gate, const struct gate_input *input)
{
    size_t failing = 0;
    for (size_t p = 0; p < input->report.process_count; p++)
        failing += gate_process_fails(gate, &input->report.processes[p]);
    fputs("  <testsuite name=\"", out);
    xml_write(out, input->path);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n", input->report.process_count,
            failing);
    for (size_t p = 0; p < input->report.process_count; p++)
        write_testcase(out, gate, input, &input->report.processes[p]);
    fputs("  </testsuite>\n", out);
}

/* Writes GATE's verdict as a JUnit XML document. */
int render_junit(FILE *out, const struct gate *gate)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"memtrack check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
            gate->process_count, gate->failing_process_count);
    for (size_t i = 0; i < gate->input_count; i++)
        write_testsuite(out, gate, &gate->inputs[i]);
    fputs("</testsuites>\n", out);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
