#!/usr/bin/env python3
"""End-to-end checks of the exports of `memtrack report` (--format folded,
speedscope, massif), each with every --metric it takes, on a program of
three sites with known figures (cases/export_sites.c), and read by their
consumer where Debian has one: ms_print (valgrind) for massif.  Debian 12
packages neither flamegraph.pl nor inferno, so the folded output is parsed
here as strictly as they read it; speedscope's file is checked against the
fields its schema requires.

  check_exports.py --memtrack BIN --cases DIR [--ms-print PATH] CHECK

CHECK is one of the functions named check_* below, without the prefix.
Exit status: 0 pass, 1 fail."""

import json
import os
import re
import sqlite3
import sys

import e2e_lib

PROGRAM = "export_sites"
KEPT = "main;make_kept"
LOST = "main;make_lost;inlined_allocation"  # the inlined helper is a frame of its own
TEMPORARY = "main;make_temporary"
# Each metric's folded stacks, outermost frame first: what export_sites.c says it allocates.
EXPECTED = {
    "allocations": {KEPT: 2, LOST: 1, TEMPORARY: 3},
    "bytes": {KEPT: 400, LOST: 300, TEMPORARY: 300},
    "leaked": {KEPT: 200, LOST: 300},
    "peak": {KEPT: 400, LOST: 300},
    "temporary": {TEMPORARY: 3},
}
BYTE_METRICS = ("bytes", "leaked", "peak")
SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"
SPEEDSCOPE_UNITS = ("none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes")
SOURCE = r"[^()]*export_sites\.c:[0-9]+"  # a frame's place as the text report writes it
FOLDED_LINE = re.compile(r"^([^;\n]+(?:;[^;\n]+)*) ([0-9]+)$")


class Context:
    """What every check gets: memtrack, a traced run of the case program, ms_print."""

    def __init__(self, opts, workdir):
        self.memtrack = opts.memtrack
        self.program = os.path.join(opts.cases, PROGRAM)
        self.ms_print = opts.ms_print
        self.workdir = workdir
        self.trace = os.path.join(workdir, "T.db")

    def trace_program(self, argv=None, trace=None):
        """Runs ARGV (the case program) under memtrack into TRACE (T.db)."""
        trace = trace or self.trace
        proc = e2e_lib.memtrack_run(self.memtrack, trace, argv or [self.program])
        e2e_lib.expect(proc.returncode == 0, "memtrack run failed", proc)
        return trace

    def report(self, *args):
        """`memtrack report ARGS...`, in the scratch directory."""
        return e2e_lib.run([self.memtrack, "report"] + list(args), cwd=self.workdir)

    def export(self, *args):
        """The output of `memtrack report ARGS...`, which must succeed quietly."""
        proc = self.report(*args)
        e2e_lib.expect(proc.returncode == 0 and proc.stderr == b"", "memtrack report %s failed" % " ".join(args), proc)
        return e2e_lib.text(proc.stdout)


def parse_folded(text):
    """Folded stacks as flamegraph.pl reads them, strictly: every line
    `frame;...;frame VALUE`, no empty frame, sorted, each stack once.
    Returns {stack: value}."""
    stacks = {}
    lines = text.split("\n")
    e2e_lib.expect(lines[-1] == "", "the folded output does not end with a newline: %r" % text[-200:])
    for line in lines[:-1]:
        match = FOLDED_LINE.match(line)
        e2e_lib.expect(match is not None, "not a folded line: %r" % line)
        e2e_lib.expect(match.group(1) not in stacks, "stack repeated: %r" % line)
        stacks[match.group(1)] = int(match.group(2))
    e2e_lib.expect(list(stacks) == sorted(stacks, key=lambda s: s.encode()), "lines not sorted:\n%s" % text)
    return stacks


def check_folded(ctx):
    """Each metric's folded stacks are exactly the program's figures."""
    ctx.trace_program()
    for metric, expected in EXPECTED.items():
        stacks = parse_folded(ctx.export("--format", "folded", "--metric", metric, ctx.trace))
        e2e_lib.expect(stacks == expected, "--metric %s: expected %s, got %s" % (metric, expected, stacks))
    default = parse_folded(ctx.export("--format", "folded", ctx.trace))
    e2e_lib.expect(default == EXPECTED["bytes"], "the default metric is not bytes: %s" % default)
    return 0


def speedscope_stacks(document, metric):
    """Checks DOCUMENT against the fields speedscope's schema requires and
    returns each profile's samples as {name: {folded stack: weight}}."""
    for field in ("$schema", "profiles", "shared"):
        e2e_lib.expect(field in document, "speedscope: no %r" % field)
    e2e_lib.expect(document["$schema"] == SPEEDSCOPE_SCHEMA, "speedscope: $schema is %r" % document["$schema"])
    frames = document["shared"].get("frames")
    e2e_lib.expect(isinstance(frames, list), "speedscope: shared.frames is not a list")
    for frame in frames:
        e2e_lib.expect(isinstance(frame.get("name"), str), "speedscope: a frame without a name: %r" % frame)
        e2e_lib.expect(set(frame) <= {"name", "file", "line", "col"}, "speedscope: unknown frame fields: %r" % frame)
    profiles = {}
    for profile in document["profiles"]:
        for field in ("type", "name", "unit", "startValue", "endValue", "samples", "weights"):
            e2e_lib.expect(field in profile, "speedscope: a profile without %r" % field)
        e2e_lib.expect(profile["type"] == "sampled", "speedscope: type %r" % profile["type"])
        e2e_lib.expect(profile["unit"] in SPEEDSCOPE_UNITS, "speedscope: unit %r" % profile["unit"])
        e2e_lib.expect(profile["unit"] == ("bytes" if metric in BYTE_METRICS else "none"),
               "--metric %s: unit %r" % (metric, profile["unit"]))
        samples, weights = profile["samples"], profile["weights"]
        e2e_lib.expect(len(samples) == len(weights),
                       "speedscope: %d samples, %d weights" % (len(samples), len(weights)))
        e2e_lib.expect(profile["startValue"] == 0 and profile["endValue"] == sum(weights),
               "speedscope: values %r to %r for weights summing to %d"
               % (profile["startValue"], profile["endValue"], sum(weights)))
        stacks = {}
        for sample, weight in zip(samples, weights):
            e2e_lib.expect(all(isinstance(i, int) and 0 <= i < len(frames) for i in sample), "bad sample %r" % sample)
            stack = ";".join(frames[i]["name"] for i in sample)
            stacks[stack] = stacks.get(stack, 0) + weight
        profiles[profile["name"]] = stacks
    return profiles


def check_speedscope(ctx):
    """One sampled profile whose samples, root first, weigh the program's figures."""
    ctx.trace_program()
    for metric, expected in EXPECTED.items():
        text = ctx.export("--format", "speedscope", "--metric", metric, ctx.trace)
        profiles = speedscope_stacks(json.loads(text), metric)
        e2e_lib.expect(len(profiles) == 1, "--metric %s: %d profiles" % (metric, len(profiles)))
        ((name, stacks),) = profiles.items()
        e2e_lib.expect(re.fullmatch(PROGRAM + r" \(pid [0-9]+\)", name) is not None, "profile name %r" % name)
        e2e_lib.expect(stacks == expected, "--metric %s: expected %s, got %s" % (metric, expected, stacks))
    return 0


def massif_file(ctx, *args):
    """Writes the massif export (ARGS: more options) to a file; returns its path and text."""
    text = ctx.export("--format", "massif", *args, ctx.trace)
    path = os.path.join(ctx.workdir, "massif.out")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path, text


def ms_print(ctx, path):
    """ms_print's reading of the file at PATH, which must succeed."""
    e2e_lib.expect(ctx.ms_print, "ms_print (valgrind) is not installed: the suite needs it")
    proc = e2e_lib.run([ctx.ms_print, path])
    e2e_lib.expect(proc.returncode == 0 and proc.stderr == b"", "ms_print refused the file", proc)
    return e2e_lib.text(proc.stdout)


def check_massif(ctx):
    """The peak's tree (the default metric): ms_print reads it and shows the
    700-byte peak, make_kept's 400 bytes first, then make_lost's 300."""
    ctx.trace_program()
    path, text = massif_file(ctx)
    e2e_lib.expect(text == massif_file(ctx, "--metric", "peak")[1], "the default metric is not peak")
    printed = ms_print(ctx, path)
    for pattern in (r"Detailed snapshots: \[[0-9]+ \(peak\)\]",
                    r"\n100\.00% \(700B\) \(heap allocation functions\) malloc/new/new\[\]",
                    r"\n->57\.14% \(400B\) 0x[0-9a-f]+: make_kept \(" + SOURCE + r"\)\n"
                    r"\| ->28\.57% \(200B\) 0x[0-9a-f]+: main \(" + SOURCE + r"\)\n",
                    r"\n->42\.86% \(300B\) 0x[0-9a-f]+: inlined_allocation \(" + SOURCE + r"\)\n"
                    r"  ->42\.86% \(300B\) 0x[0-9a-f]+: make_lost \(" + SOURCE + r"\)\n"
                    r"    ->42\.86% \(300B\) 0x[0-9a-f]+: main \(" + SOURCE + r"\)\n"):
        e2e_lib.expect(re.search(pattern, printed) is not None,
                       "ms_print's output lacks /%s/:\n%s" % (pattern, printed))
    return 0


def check_massif_leaked(ctx):
    """--metric leaked: the last snapshot's tree holds what was never freed."""
    ctx.trace_program()
    path, text = massif_file(ctx, "--metric", "leaked")
    snapshots = text.split("#-----------\nsnapshot=")
    e2e_lib.expect("heap_tree=detailed\nn2: 500 (heap allocation functions)" in snapshots[-1],
           "the last snapshot is not the 500 leaked bytes:\n%s" % text)
    e2e_lib.expect("heap_tree=peak" not in text, "a peak tree with --metric leaked:\n%s" % text)
    printed = ms_print(ctx, path)
    for pattern in (r"\n100\.00% \(500B\) \(heap allocation functions\)",
                    r"\n->60\.00% \(300B\) 0x[0-9a-f]+: inlined_allocation \(" + SOURCE + r"\)\n",
                    r"\n->40\.00% \(200B\) 0x[0-9a-f]+: make_kept \(" + SOURCE + r"\)\n"):
        e2e_lib.expect(re.search(pattern, printed) is not None,
                       "ms_print's output lacks /%s/:\n%s" % (pattern, printed))
    return 0


def check_several_processes(ctx):
    """A trace of a shell running the program twice: folded lines start with
    their process, speedscope has a profile per process, massif takes one
    chosen with --pid."""
    ctx.trace_program(["/bin/sh", "-c", "%s && %s" % (ctx.program, ctx.program)])
    stacks = parse_folded(ctx.export("--format", "folded", "--metric", "allocations", ctx.trace))
    e2e_lib.expect(ctx.export(ctx.trace, "--metric=allocations", "--format=folded") ==
                   ctx.export("--format", "folded", "--metric", "allocations", ctx.trace),
                   "the options after the trace, as NAME=VALUE, gave another output")
    per_process = {}
    for stack, value in stacks.items():
        process, _, rest = stack.partition(";")
        e2e_lib.expect(re.fullmatch(r"[^;]+ \(pid [0-9]+\)", process) is not None, "no process first: %r" % stack)
        per_process.setdefault(process, {})[rest] = value
    programs = {name: figures for name, figures in per_process.items() if name.startswith(PROGRAM + " ")}
    e2e_lib.expect(len(programs) == 2 and all(f == EXPECTED["allocations"] for f in programs.values()),
           "expected the program's allocations twice, got %s" % per_process)
    profiles = speedscope_stacks(json.loads(ctx.export("--format", "speedscope", "--metric", "allocations",
                                                       ctx.trace)), "allocations")
    e2e_lib.expect({name: stacks for name, stacks in profiles.items() if name in programs} == programs,
           "speedscope's profiles differ from the folded stacks: %s" % profiles)
    proc = ctx.report("--format", "massif", ctx.trace)
    count = len(json.loads(ctx.export("--format", "json", ctx.trace))["processes"])
    e2e_lib.expect(proc.returncode == 2 and proc.stdout == b"" and e2e_lib.text(proc.stderr) ==
           "memtrack report: %s: massif holds one process and the trace has %d: choose one with --pid or --exe\n"
           % (ctx.trace, count), "massif of several processes: expected status 2 and one line", proc)
    pid = re.search(r"\(pid ([0-9]+)\)", sorted(programs)[0]).group(1)
    printed = ms_print(ctx, massif_file(ctx, "--pid", pid)[0])
    e2e_lib.expect("(700B) (heap allocation functions)" in printed, "--pid %s: no 700-byte peak:\n%s" % (pid, printed))
    return 0


def check_bad_options(ctx):
    """Each mistake: status 2, nothing on stdout, its own message first on stderr."""
    ctx.trace_program()
    cases = [
        (["--format", "folded", "--metric", "nope"],
         "--metric takes allocations, bytes, leaked, peak or temporary, not 'nope'"),
        (["--format", "nope"], "unknown format 'nope' (text, json, folded, speedscope or massif)"),
        (["--metric", "bytes"], "--metric is an option of the exports (--format folded, speedscope or massif)"),
        (["--format", "text", "--metric=peak"],
         "--metric is an option of the exports (--format folded, speedscope or massif)"),
        (["--format", "json", "--metric", "leaked"],
         "--metric is an option of the exports (--format folded, speedscope or massif)"),
        (["--format", "massif", "--metric", "bytes"],
         "massif draws the heap over time: --metric peak or leaked, not bytes (a count over the whole run)"),
        (["--format", "massif", "--metric", "temporary"],
         "massif draws the heap over time: --metric peak or leaked, not temporary (a count over the whole run)"),
        (["--format", "speedscope", "--top=3"],
         "--top=3 is an option of the text format (an export weighs every allocation stack)"),
        (["--format", "folded", "--metric"], "--metric needs a value"),
    ]
    for args, message in cases:
        proc = ctx.report(*(args + ["T.db"]) if args[-1] != "--metric" else args)
        first = e2e_lib.text(proc.stderr).split("\n")[0]
        e2e_lib.expect(proc.returncode == 2 and proc.stdout == b"" and first == "memtrack report: " + message,
               "%s: expected status 2 and 'memtrack report: %s'" % (" ".join(args), message), proc)
    return 0


def check_damaged_trace(ctx):
    """A stack found damaged while the sites are read (the exports read them
    as the JSON report does, one at a time): status 2, nothing on stdout,
    the damage named on stderr, for every export."""
    ctx.trace_program()
    db = sqlite3.connect(ctx.trace)
    db.execute("UPDATE stacks SET frames = 'x' WHERE id = (SELECT stack_id FROM sites ORDER BY bytes DESC"
               " LIMIT 1 OFFSET 1)")
    db.commit()
    db.close()
    for fmt in ("folded", "speedscope", "massif"):
        proc = ctx.report("--format", fmt, "T.db")
        err = e2e_lib.text(proc.stderr)
        e2e_lib.expect(proc.returncode == 2 and proc.stdout == b"" and
                       re.match(r"memtrack report: T\.db: damaged: stack [0-9]+: frames is not a JSON array\n$", err),
                       "%s: expected status 2, no output and the damage named" % fmt, proc)
    return 0


def main(argv):
    """Entry point: runs the one check named on the command line."""
    return e2e_lib.run_named_check(argv, __doc__.split("\n\n")[0], globals(), Context, ["--ms-print"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
