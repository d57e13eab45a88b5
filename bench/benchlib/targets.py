"""The issue's targets, judged on a run, and the run compared with the recorded baseline (bench/baseline.json).

Every figure here is a ratio of memtrack to heaptrack measured in the same run, so a baseline from another day
(or another machine of the same kind) can be compared with: the machine's speed moves both tools.
"""
import json
import statistics

from benchlib.table import median_of, paired_ratios

# name, the target's limit (None: no target, compared with the baseline only), and how much worse than the
# baseline (relatively) it may be before it is called worse: wall-time ratios moved by up to 0.1 between runs of
# one build on the machines in docs/performance.md, sizes not at all, report times of a few milliseconds by half.
FIGURES = (
    ("time_added", 0.5, 0.15),        # time memtrack adds / time heaptrack adds, median of the rounds
    ("slowdown", None, 0.15),         # memtrack's slowdown / heaptrack's, median of the rounds
    ("trace_size", 1.0, 0.10),        # memtrack's trace / heaptrack's compressed trace
    ("report_time", 1.0, 0.50),       # memtrack report / heaptrack_print
    ("report_memory", 1.0, 0.25),     # memtrack report's peak RSS / heaptrack_print's
    ("collector_memory", 1.0, 0.25),  # memtrack's collector peak RSS / heaptrack_interpret's
    ("program_memory", 1.35, 0.10),   # the traced program's peak RSS / untraced (live-set workloads only)
    ("added_seconds", 0.1, 0.50),     # seconds memtrack adds, median of the rounds (the warm clang --version)
    ("view_seconds", 2.0, 0.50),      # seconds `memtrack view` takes on the trace (the compiler only)
    ("page_mib", 5.0, 0.10),          # the size of its page, MiB
    ("instructions", None, 0.02),     # libtrack's instructions per allocation and release (instructions.py):
)                                     # not a ratio, but the same in every run of one build


def figure_text(name, value):
    """A figure as printed: a count whole, a ratio or a time to three significant figures."""
    return "%d" % value if name == "instructions" else "%.3g" % value


def ratio(samples, wi, field):
    """memtrack's median FIELD over heaptrack's, or None when either is missing or heaptrack's is 0."""
    m, h = median_of(samples.get((wi, "memtrack"), []), field), median_of(samples.get((wi, "heaptrack"), []), field)
    return m / h if m is not None and h else None


def program_memory(samples, wi):
    """memtrack's traced program's median peak RSS over the untraced program's, or None."""
    m, u = median_of(samples.get((wi, "memtrack"), []), "program_kb"), median_of(samples.get((wi, "untraced"), []),
                                                                               "program_kb")
    return m / u if m is not None and u else None


def page_mib(samples, wi):
    """The median size of memtrack's page of the trace in MiB, or None when it was not made."""
    size = median_of(samples.get((wi, "memtrack"), []), "page_bytes")
    return size / 1048576 if size is not None else None


def added_seconds(samples, wi):
    """The seconds memtrack adds to the untraced run, round by round, median; None without both."""
    rounds = list(zip(samples.get((wi, "memtrack"), []), samples.get((wi, "untraced"), [])))
    return statistics.median(m["wall"] - u["wall"] for m, u in rounds) if rounds else None


def summarize(workloads, samples):
    """{workload label: {figure: value}} for the figures this run measured."""
    summary = {}
    for wi, workload in enumerate(workloads):
        slowdown, added = paired_ratios(samples, wi)
        figures = {"slowdown": statistics.median(slowdown) if slowdown else None,
                   "time_added": statistics.median(added) if added else None,
                   "trace_size": ratio(samples, wi, "trace_bytes"),
                   "report_time": ratio(samples, wi, "report_seconds"),
                   "report_memory": ratio(samples, wi, "report_kb"),
                   "view_seconds": median_of(samples.get((wi, "memtrack"), []), "view_seconds"),
                   "page_mib": page_mib(samples, wi),
                   "collector_memory": ratio(samples, wi, "collector_kb")}
        if getattr(workload, "live_set", False):
            figures["program_memory"] = program_memory(samples, wi)
        if getattr(workload, "added_budget", None) is not None:
            figures["added_seconds"] = added_seconds(samples, wi)
        figures = {name: float("%.4g" % value) for name, value in figures.items() if value is not None}
        if figures:
            summary[workload.label] = figures
    return summary


def verdict_lines(summary):
    """One line per workload with a figure that has a target: each such figure, met or not."""
    lines = []
    for label, figures in summary.items():
        parts = []
        for name, limit, _ in FIGURES:
            if limit is not None and name in figures:
                parts.append("%s %.3g (target <= %.3g: %s)" % (name.replace("_", " "), figures[name], limit,
                                                               "met" if figures[name] <= limit else "NOT met"))
        if parts:
            lines.append("  %s: %s" % (label, "; ".join(parts)))
    return lines


def regression_lines(summary, baseline):
    """Each figure of this run against the baseline's for the same workload: the change, and "WORSE" where it
    is worse by more than its tolerance.  Workloads the baseline does not have (other sizes) are skipped; when
    some timed workload matched (not only the instruction count, which every size of run makes), those the
    baseline has and this run did not judge are named."""
    lines = []
    recorded = baseline.get("workloads", {})
    timed = [label for label, figures in summary.items() if set(figures) - {"instructions"}]
    if any(label in recorded for label in timed):
        lines += ["  %s: not measured in this run" % label for label in recorded if label not in summary]
    for label, figures in summary.items():
        if label not in recorded:
            continue
        parts = []
        for name, _, tolerance in FIGURES:
            before, now = recorded[label].get(name), figures.get(name)
            if before is None or now is None:
                continue
            worse = now > before * (1 + tolerance)
            parts.append("%s %s -> %s%s" % (name.replace("_", " "), figure_text(name, before), figure_text(name, now),
                                            " WORSE" if worse else ""))
        if parts:
            lines.append("  %s: %s" % (label, "; ".join(parts)))
    return lines


def load_baseline(path):
    """The recorded baseline, or None when there is none (or it cannot be read)."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def save_baseline(path, summary, commit, date, machine):
    """Records this run's figures as the baseline later runs are compared with: its workloads replace the
    baseline's of the same label, the others stay.  False (and nothing written) when the run judged nothing."""
    if not summary:
        return False
    workloads = dict((load_baseline(path) or {}).get("workloads", {}))
    workloads.update(summary)
    with open(path, "w") as f:
        json.dump({"commit": commit, "date": date, "machine": machine, "workloads": workloads}, f, indent=2,
                  sort_keys=True)
        f.write("\n")
    return True


def print_targets(summary, baseline):
    """The targets' verdicts, then the comparison with the baseline when there is one."""
    verdicts = verdict_lines(summary)
    if verdicts:
        print("\ntargets (memtrack / heaptrack in this run):")
        for line in verdicts:
            print(line)
    else:
        print("\ntargets: not judged (they are ratios to heaptrack, which gave no figures in this run)")
    if summary and baseline:
        lines = regression_lines(summary, baseline)
        print("\nagainst the baseline (bench/baseline.json: %s, %s; WORSE = beyond the noise allowed):" % (
            baseline.get("commit", "?"), baseline.get("date", "?")))
        for line in lines or ["  (no workload of this run is in the baseline)"]:
            print(line)
