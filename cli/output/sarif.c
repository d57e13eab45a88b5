/*
 * sarif.c - the gate's verdict as SARIF 2.1.0, which code-scanning tools
 * (GitHub code scanning among them) show against the source: one result per
 * finding, ruleId per kind, located at the innermost frame of the program's
 * own code that has a source file, with the whole stack as a code flow.
 *
 * Every finding is a result; its level says what the gate made of it: error
 * (fails the gate), warning (in the baseline), note (a kind not gated, within
 * --max-leaked-bytes, or suppressed, which also carries a SARIF suppression).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyse/signature.h"
#include "gate/gate.h"
#include "output/describe.h"
#include "output/gate_formats.h"
#include "output/json_string.h"

/* SARIF's level for each status. */
static const char *const STATUS_LEVELS[STATUS_COUNT] = {
    [STATUS_FAILING] = "error",        [STATUS_SUPPRESSED] = "note",     [STATUS_IN_BASELINE] = "warning",
    [STATUS_NOT_GATED] = "note",       [STATUS_WITHIN_BUDGET] = "note",
};

/* How properties.gate names each status. */
static const char *const STATUS_NAMES[STATUS_COUNT] = {
    [STATUS_FAILING] = "failing",      [STATUS_SUPPRESSED] = "suppressed", [STATUS_IN_BASELINE] = "in-baseline",
    [STATUS_NOT_GATED] = "not-gated",  [STATUS_WITHIN_BUDGET] = "within-leak-limit",
};

/* Writes PATH as a JSON string holding a URI: "file:///abs/path" for an
 * absolute path, a relative reference otherwise, every byte outside
 * RFC 3986's unreserved characters and '/' percent-encoded. */
static void write_file_uri(FILE *out, const char *path)
{
    static const char HEX[] = "0123456789ABCDEF";
    fputs(path[0] == '/' ? "\"file://" : "\"", out);
    for (const unsigned char *at = (const unsigned char *)path; *at != '\0'; at++) {
        if ((*at >= 'a' && *at <= 'z') || (*at >= 'A' && *at <= 'Z') || (*at >= '0' && *at <= '9') ||
            strchr("-._~/", *at) != NULL) {
            fputc(*at, out);
        } else {
            fprintf(out, "%%%c%c", HEX[*at >> 4], HEX[*at & 15]);
        }
    }
    fputc('"', out);
}

/* Writes a physicalLocation for FRAME: its source file and line, or its
 * module when it has no source. */
static void write_physical_location(FILE *out, const struct report_frame *frame)
{
    fputs("{\"artifactLocation\":{\"uri\":", out);
    write_file_uri(out, frame->file != NULL ? frame->file : frame->module);
    fputc('}', out);
    if (frame->file != NULL && frame->line.present && frame->line.value >= 1)
        fprintf(out, ",\"region\":{\"startLine\":%" PRId64 "}", frame->line.value);
    fputc('}', out);
}

/* Writes a JSON string from describe.c and frees it. */
static void write_owned_string(FILE *out, char *text)
{
    json_write_string(out, text != NULL ? text : "?");
    free(text);
}

/* Writes one threadFlow: STACK's frames, innermost first, under TITLE. */
static void write_thread_flow(FILE *out, const char *title, const struct report_stack *stack)
{
    fputs("{\"message\":{\"text\":", out);
    json_write_string(out, title);
    fputs("},\"locations\":[", out);
    for (size_t i = 0; i < stack->depth; i++) {
        const struct report_frame *frame = &stack->frames[i];
        fputs(i > 0 ? ",{\"location\":{" : "{\"location\":{", out);
        if (frame->file != NULL || frame->module != NULL) {
            fputs("\"physicalLocation\":", out);
            write_physical_location(out, frame);
            fputc(',', out);
        }
        fputs("\"message\":{\"text\":", out);
        write_owned_string(out, frame_label(frame));
        fputs("}}}", out);
    }
    fputs("]}", out);
}

/* Writes the codeFlows of FINDING: the allocation stack of a leak; the bad
 * free's stack, then the allocation and first-free stacks, of an error. */
static void write_code_flows(FILE *out, const struct finding *finding)
{
    if (finding->kind == FINDING_UNTRACED)
        return; /* no stack: a thread flow needs at least one location */
    fputs(",\"codeFlows\":[{\"threadFlows\":[", out);
    write_thread_flow(out, finding->leak != NULL ? "allocated at" : "freed at", finding->stack);
    if (finding->error != NULL && finding->error->alloc_stack.depth > 0) {
        fputc(',', out);
        write_thread_flow(out, "block allocated at", &finding->error->alloc_stack);
    }
    if (finding->error != NULL && finding->error->first_free_stack.depth > 0) {
        fputc(',', out);
        write_thread_flow(out, "block first freed at", &finding->error->first_free_stack);
    }
    fputs("]}]", out);
}

/* Writes a fingerprint of the kind's family and stack signature (FNV-1a), so
 * a tool tracking results across runs knows the same finding again. */
static void write_fingerprint(FILE *out, const struct finding *finding)
{
    char *signature = stack_signature(finding->stack);
    uint64_t hash = 0xcbf29ce484222325u;
    for (const char *at = KIND_NAMES[finding->kind].rule_id; *at != '\0'; at++)
        hash = (hash ^ (unsigned char)*at) * 0x100000001b3u;
    for (const char *at = signature != NULL ? signature : ""; *at != '\0'; at++)
        hash = (hash ^ (unsigned char)*at) * 0x100000001b3u;
    free(signature);
    fprintf(out, ",\"partialFingerprints\":{\"memtrackStack/v1\":\"%016" PRIx64 "\"}", hash);
}

/* Writes the suppression a suppressed finding carries. */
static void write_suppression(FILE *out, const struct suppression *suppression)
{
    char *justification = NULL;
    if (asprintf(&justification, "%s:%s (%s)", SUPPRESSION_TYPE_NAMES[suppression->type], suppression->pattern,
                 suppression->file != NULL ? suppression->file : "default suppressions") < 0)
        justification = NULL;
    fputs(",\"suppressions\":[{\"kind\":\"external\",\"justification\":", out);
    write_owned_string(out, justification);
    fputs("}]", out);
}

/* Writes FINDING as a result. */
static void write_result(FILE *out, const struct gate *gate, const struct finding *finding)
{
    fprintf(out, "{\"ruleId\":\"%s\",\"ruleIndex\":%d,\"level\":\"%s\",\"message\":{\"text\":",
            KIND_NAMES[finding->kind].rule_id, (int)finding->kind, STATUS_LEVELS[finding->status]);
    char *headline = finding_headline(finding), *process = process_label(finding->process), *message = NULL;
    if (headline == NULL || process == NULL || asprintf(&message, "%s in %s", headline, process) < 0)
        message = NULL;
    free(headline);
    free(process);
    write_owned_string(out, message);
    fputc('}', out);
    const struct report_frame *frame = source_frame(finding->stack);
    if (frame == NULL && finding->stack->depth > 0 && finding->stack->frames[0].module != NULL)
        frame = &finding->stack->frames[0];
    if (frame != NULL) {
        fputs(",\"locations\":[{\"physicalLocation\":", out);
        write_physical_location(out, frame);
        fputs("}]", out);
    }
    write_code_flows(out, finding);
    write_fingerprint(out, finding);
    if (gate->has_baseline)
        fprintf(out, ",\"baselineState\":\"%s\"", finding->status == STATUS_IN_BASELINE ? "unchanged" : "new");
    if (finding->suppressed_by != NULL)
        write_suppression(out, finding->suppressed_by);
    fputs(",\"properties\":{\"gate\":", out);
    json_write_string(out, STATUS_NAMES[finding->status]);
    fputs(",\"trace\":", out);
    json_write_string(out, gate->inputs[finding->source].path);
    fprintf(out, ",\"pid\":%" PRId64 ",\"bytes\":%" PRId64 ",\"blocks\":%" PRId64 "}}", finding->process->pid,
            finding->bytes, finding->blocks);
}

/* Writes tool.driver: memtrack and a rule per finding kind, in kind order
 * (results refer to rules by that index). */
static void write_driver(FILE *out)
{
    fputs("{\"driver\":{\"name\":\"memtrack\",\"version\":\"" MEMTRACK_VERSION "\",\"rules\":[", out);
    for (int kind = 0; kind < FINDING_KIND_COUNT; kind++) {
        fprintf(out, "%s{\"id\":\"%s\",\"shortDescription\":{\"text\":", kind > 0 ? "," : "",
                KIND_NAMES[kind].rule_id);
        json_write_string(out, KIND_NAMES[kind].phrase);
        fputs("},\"fullDescription\":{\"text\":", out);
        json_write_string(out, KIND_NAMES[kind].description);
        fputs("},\"defaultConfiguration\":{\"level\":\"error\"}}", out);
    }
    fputs("]}}", out);
}

/* Writes GATE's verdict as a SARIF 2.1.0 log with one run. */
int render_sarif(FILE *out, const struct gate *gate)
{
    fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{"
          "\"tool\":",
          out);
    write_driver(out);
    fputs(",\"results\":[", out);
    for (size_t i = 0; i < gate->findings.count; i++) {
        if (i > 0)
            fputc(',', out);
        write_result(out, gate, &gate->findings.items[i]);
    }
    fputs("]}]}\n", out);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
