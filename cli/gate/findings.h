/*
 * findings.h - the leaks and bad frees of analysed traces as one flat list,
 * each with what the gate decided about it.  Findings point into the reports
 * they come from, which must outlive the list.
 */
#ifndef MEMTRACK_GATE_FINDINGS_H
#define MEMTRACK_GATE_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "analyse/model.h"
#include "gate/kinds.h"

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

#endif
