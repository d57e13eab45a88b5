/*
 * gate.h - deciding whether traces pass a CI gate, and the entry points other
 * commands use: `memtrack check` (check.c) fills a struct gate from its
 * options; `memtrack run --fail-on` calls gate_parse_kinds() while parsing its
 * options and gate_after_run() once the trace is written.
 *
 * A finding fails the gate when no suppression matches it, the baseline (if
 * any) does not have it, its kind is in --fail-on, and, for leaks, the leaks
 * that got this far add up to more than --max-leaked-bytes (when given).
 *
 * One header for the gate's one concern; its sections follow its files:
 * kinds.c, findings.c, suppressions.c (with the patterns and the built-in
 * list), baseline.c, gate.c (each trace opened, the verdict, the gate run
 * uses) and runtime.c.  Its outputs are in output/ (gate_formats.h).
 */
#ifndef MEMTRACK_GATE_GATE_H
#define MEMTRACK_GATE_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyse/model.h"
#include "trace/reader.h"

/*
 * The kinds of finding a CI gate can fail on, and their names on the command
 * line (--fail-on), in suppression files and in SARIF.
 *
 * The first five follow enum leak_kind and the next three enum error_type, so
 * a finding's kind is computed, not looked up (kinds.c checks this).  The
 * last, untraced, is a process whose allocations memtrack could not see.
 */

enum finding_kind {
    FINDING_DEFINITE,
    FINDING_INDIRECT,
    FINDING_POSSIBLE,
    FINDING_REACHABLE,
    FINDING_UNCLASSIFIED,
    FINDING_DOUBLE_FREE,
    FINDING_INVALID_FREE,
    FINDING_MISMATCH,
    FINDING_UNTRACED,
    FINDING_KIND_COUNT
};

#define KIND_BIT(kind) (1u << (kind))
#define KINDS_LEAKS (KIND_BIT(FINDING_DEFINITE) | KIND_BIT(FINDING_INDIRECT))
#define KINDS_ERRORS (KIND_BIT(FINDING_DOUBLE_FREE) | KIND_BIT(FINDING_INVALID_FREE) | KIND_BIT(FINDING_MISMATCH))
#define KINDS_DEFAULT (KINDS_LEAKS | KINDS_ERRORS) /* `memtrack check` without --fail-on */

/* What every kind is called: --fail-on spelling, SARIF ruleId, and the phrase
 * people read ("definitely lost"). */
struct kind_names {
    const char *option;
    const char *rule_id;
    const char *phrase;
    const char *description;
};
extern const struct kind_names KIND_NAMES[FINDING_KIND_COUNT];

enum finding_kind kind_of_leak(enum leak_kind kind);
enum finding_kind kind_of_error(enum error_type type);
bool kind_is_leak(enum finding_kind kind);

int gate_parse_kinds(const char *text, unsigned *mask, char *error, size_t error_size);
void kinds_format(unsigned mask, char *buffer, size_t size);

/*
 * The leaks and bad frees of analysed traces as one flat list, each with what
 * the gate decided about it.  Findings point into the reports they come from,
 * which must outlive the list.
 */

/* What the gate made of a finding, in the order it decides: a suppressed
 * finding is not looked up in the baseline, and so on. */
enum finding_status {
    STATUS_FAILING,       /* fails the gate */
    STATUS_SUPPRESSED,    /* a suppression matched it */
    STATUS_IN_BASELINE,   /* the baseline trace has it too */
    STATUS_NOT_GATED,     /* its kind is not in --fail-on */
    STATUS_WITHIN_BUDGET, /* a leak, but all such leaks stay within --max-leaked-bytes */
    STATUS_COUNT
};

struct suppression;

struct finding {
    enum finding_kind kind;
    size_t source;                         /* which trace: index into the caller's list */
    const struct report_process *process;
    const struct report_leak *leak;        /* one of leak and error is set, neither for FINDING_UNTRACED */
    const struct report_error *error;
    const struct report_stack *stack;      /* allocation stack of a leak, bad free's stack of an error;
                                              an untraced process has none (present false) */
    int64_t bytes;                         /* leaked bytes, or the size of the block an error involves */
    int64_t blocks;
    enum finding_status status;
    struct suppression *suppressed_by;     /* set when status is STATUS_SUPPRESSED */
};

struct finding_list {
    size_t count;
    struct finding *items;
};

int findings_collect(struct finding_list *list, const struct report *report, size_t source);
void findings_free(struct finding_list *list);

/*
 * LeakSanitizer-compatible suppression lists: lines of TYPE:PATTERN (types
 * leak, double_free, invalid_free, mismatch) and # comments.
 *
 * A suppression matches a finding of its type when its pattern
 * (pattern_matches) matches the function, source file or module of a frame of
 * the finding's stack: any frame for the user's suppressions, as in LSan; only
 * the runtime frames the stack starts with for the built-in defaults
 * (runtime_prefix_depth).
 * Each suppression counts the findings and bytes it matched, for the report.
 */

enum suppression_type { SUPPRESS_LEAK, SUPPRESS_DOUBLE_FREE, SUPPRESS_INVALID_FREE, SUPPRESS_MISMATCH,
                        SUPPRESSION_TYPE_COUNT };

extern const char *const SUPPRESSION_TYPE_NAMES[SUPPRESSION_TYPE_COUNT];

struct suppression {
    enum suppression_type type;
    char *pattern;
    const char *file; /* where it was written (not owned); NULL for a built-in one */
    size_t line;
    size_t matched;   /* findings it suppressed */
    int64_t matched_bytes;
};

struct suppression_list {
    size_t count;
    struct suppression *items;
};

/* The built-in list (suppressions.c), as --print-default-suppressions shows it. */
extern const char DEFAULT_SUPPRESSIONS[];

int suppressions_load(struct suppression_list *list, const char *path, char *error, size_t error_size);
int suppressions_add_defaults(struct suppression_list *list, char *error, size_t error_size);
struct suppression *suppressions_find(struct suppression_list *list, const struct finding *finding);
void suppressions_free(struct suppression_list *list);

/*
 * The findings of an older trace, for failing only on new ones.
 *
 * Findings are matched by family (any leak kind, or one error type: a leak
 * that turns from definite to indirect is the same leak) and by stack
 * signature (analyse/signature.h), so the match survives ASLR and rebuilds.
 */

struct baseline {
    size_t count;
    char **keys; /* sorted */
};

int baseline_load(struct baseline *baseline, const char *path, char *error, size_t error_size);
int baseline_contains(const struct baseline *baseline, const struct finding *finding);
void baseline_free(struct baseline *baseline);

/*
 * One trace opened for the gate: validated by trace/reader.c and analysed for
 * its processes, leaks and errors (allocation sites are not needed to gate,
 * so they are not read).
 */

struct gate_input {
    const char *path;
    struct trace trace;
    struct report report;
};

int gate_input_open(struct gate_input *input, const char *path);
void gate_input_close(struct gate_input *input);

/*
 * Telling the C and C++ runtime's frames (the dynamic loader, glibc,
 * libstdc++, libgcc_s, and memtrack's own interposer) from the program's, by
 * the module a frame lies in.
 *
 * Two things need it: default suppressions, which may only look at the
 * runtime frames a stack starts with (so `main` being called from libc does
 * not make a program's own leak look like libc's), and SARIF/annotation
 * locations, which should point at the program's source rather than at
 * glibc's strdup.c.
 */

bool frame_in_runtime(const struct report_frame *frame);
size_t runtime_prefix_depth(const struct report_stack *stack);
const struct report_frame *source_frame(const struct report_stack *stack);

/*
 * LeakSanitizer's suppression patterns: a pattern matches anywhere in the
 * text unless anchored, '^' anchors it at the start, '$' at the end, and '*'
 * matches any run of characters.
 */

bool pattern_matches(const char *pattern, const char *text);

/* The gate itself: what the caller sets, what gate_evaluate() fills. */

/* `memtrack run --fail-on` exits with this when the gate fails and no
 * --error-exitcode is given: clear of 0-2, LeakSanitizer's 23, sysexits'
 * 64-78, the test harnesses' 77 and 99, the shell's 124-127 and 128+signal. */
#define GATE_DEFAULT_EXITCODE 86

struct gate {
    /* Set by the caller. */
    unsigned fail_on;               /* KIND_BIT()s */
    bool has_leak_budget;
    int64_t max_leaked_bytes;
    size_t input_count;
    struct gate_input *inputs;
    struct suppression_list suppressions;
    bool has_baseline;
    struct baseline baseline;
    /* Filled by gate_evaluate(). */
    struct finding_list findings;
    size_t by_status[STATUS_COUNT];
    int64_t budgeted_bytes;         /* leaks that were held against --max-leaked-bytes */
    size_t ungated_unclassified;    /* unclassified leaks not gated: worth a warning */
    size_t ungated_untraced;        /* untraced processes not gated: worth a warning too */
    size_t process_count;
    size_t failing_process_count;
    bool passed;
    bool show_below_main;           /* stacks printed with their frames below main */
};

int gate_evaluate(struct gate *gate);
bool gate_process_fails(const struct gate *gate, const struct report_process *process);
void gate_free(struct gate *gate);

int gate_parse_exitcode(const char *text, int *exitcode, char *error, size_t error_size);
int gate_after_run(const char *trace_path, unsigned fail_on, int error_exitcode, int program_status,
                   const char *program_untraced, FILE *err);

#endif
