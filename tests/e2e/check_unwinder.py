#!/usr/bin/env python3
"""End-to-end check that libtrack's own backtrace walk records exactly the
stacks libunwind records: a real program traced twice by `memtrack run`, by
default and with MEMTRACK_OPTIONS=unwinder=libunwind, must give the same
`memtrack report --format json` once what depends on the run is taken out.

  check_unwinder.py --memtrack BIN --cases DIR PROGRAM

PROGRAM is one of the functions named program_* below, without the prefix.
Both runs have address-space randomization turned off (setarch -R) and the
same arguments, working directory and environment (even its size), so that
the program makes the same allocations.  What depends on the run, and only
that, is taken out of the reports: process ids; where each object was loaded
(each frame's address becomes MODULE+OFFSET, read from the trace's modules
table: libunwind's own mappings move the objects loaded after it starts);
the addresses of bad frees; and the order among sites or leaks that tie on
the report's sort keys, which follows the run's stack ids.  Every figure and every
frame is compared.  On a difference the first differing processes, sites,
leaks and errors are printed with both stacks.
Exit status: 0 pass, 1 fail, 77 skipped (a program is not installed, or
randomization cannot be turned off)."""

import argparse
import contextlib
import itertools
import os
import shutil
import sqlite3
import sys
import tempfile

import e2e_lib

SKIP = 77
ADDR_NO_RANDOMIZE = 0x0040000  # personality flag set by setarch -R
SHOWN_DIFFERENCES = 5
# Both name the default depth, the first with leading zeros, so that the two
# values have the same length: the environment is part of what a program such
# as Python copies onto its heap.
UNWINDERS = ("depth=0000064,unwinder=fast", "depth=64,unwinder=libunwind")
LEAK_KINDS = ("definite", "indirect", "possible", "reachable", "unclassified")  # the report's order

PYTHON_SCRIPT = """\
import json
records = [{"id": i, "name": "item-%d" % i, "tags": ["t%d" % (i % 7), "u%d" % (i % 3)],
            "score": i * 0.5} for i in range(400)]
text = json.dumps(records, sort_keys=True)
index = {}
for record in json.loads(text):
    index.setdefault(record["tags"][0], []).append(record["id"])
print(len(text), sorted((tag, len(ids)) for tag, ids in index.items()))
"""

SQLITE_SCRIPT = (
    "create table t(x integer, label text); "
    "with recursive c(i) as (select 1 union all select i + 1 from c where i < 3000) "
    "insert into t select i, 'row-' || i from c; "
    "create index t_label on t(label); "
    "select x % 10, count(*), max(label) from t group by x % 10 order by 1; "
    "select count(*) from t a join t b on a.x = b.x + 1 where a.label like 'row-1%'; "
    "delete from t where x % 3 = 0; vacuum; select count(*), sum(x) from t;")


class Program:
    """What to trace: argv, extra environment, and files to put in the
    working directory first."""

    def __init__(self, argv, env=None, files=None):
        self.argv = argv
        self.env = env or {}
        self.files = files or {}


def program_python3(cases):
    """The system Python on json, dicts and lists, every object from malloc."""
    if not os.access("/usr/bin/python3", os.X_OK):
        return "/usr/bin/python3 is not installed"
    return Program(["/usr/bin/python3", "-S", "work.py"], env={"PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0"},
                   files={"work.py": PYTHON_SCRIPT})


def program_sqlite3(cases):
    """The sqlite3 shell filling, indexing, joining and vacuuming a table in memory."""
    sqlite = shutil.which("sqlite3")
    if not sqlite:
        return "sqlite3 is not installed"
    return Program([sqlite, ":memory:", SQLITE_SCRIPT])


def program_clang(cases):
    """clang --version: thousands of allocations in static constructors that the dynamic loader's
    _dl_start_user calls (assembly without unwind information, the outermost frame), in libLLVM."""
    clang = shutil.which("clang")
    if not clang:
        return "clang is not installed"
    return Program([clang, "--version"])


def program_cxx_exception(cases):
    """The C++ case that throws an exception nobody catches (dies_throw)."""
    return Program([os.path.join(cases, "dies_throw")])


def randomization_cannot_be_disabled():
    """Why setarch -R cannot give a run without address randomization, or None."""
    if not shutil.which("setarch"):
        return "setarch is not installed"
    try:
        proc = e2e_lib.run(["setarch", "-R", "cat", "/proc/self/personality"])
        if proc.returncode == 0 and int(proc.stdout, 16) & ADDR_NO_RANDOMIZE:
            return None
        return "setarch -R exited %d: %s" % (proc.returncode, e2e_lib.text(proc.stderr).strip())
    except (OSError, ValueError) as err:
        return "setarch -R does not work here: %s" % err


def traced_run(opts, workdir, program, unwinder_option):
    """Traces the program once in workdir/program, the trace going to
    workdir/traces (a directory the program might list, as Python's import
    system does, must be the same in both runs); returns (memtrack's status,
    its stdout, the report without what depends on the run, the backtrace
    counts (all, by libunwind) of the processes that exited, or None)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMTRACK_")}
    cwd = os.path.join(workdir, "program")
    env.update(program.env, HOME=cwd, MEMTRACK_OPTIONS=unwinder_option)
    trace = os.path.join(workdir, "traces", "%s.db" % unwinder_option.split("=")[-1])
    proc = e2e_lib.run(["setarch", "-R", opts.memtrack, "run", "-o", trace, "--"] + program.argv, cwd=cwd, env=env)
    if not os.path.exists(trace):
        raise e2e_lib.CaseFailure("memtrack run (%s) wrote no trace; status %d, stderr:\n%s"
                                  % (unwinder_option, proc.returncode, e2e_lib.text(proc.stderr)))
    report = e2e_lib.memtrack_report_json(opts.memtrack, trace)
    return (proc.returncode, proc.stdout, without_run_dependent_fields(report, modules_by_process(trace)),
            backtrace_counts(trace))


def backtrace_counts(trace):
    """(backtraces, of them by libunwind) summed over the processes that sent
    their exit figures, or None when none did (e.g. a program that aborts)."""
    with contextlib.closing(sqlite3.connect("file:%s?mode=ro" % trace, uri=True)) as db:
        row = db.execute("SELECT sum(backtraces), sum(backtraces_by_libunwind) FROM processes "
                         "WHERE backtraces IS NOT NULL").fetchone()
    return None if row[0] is None else row


def unwinder_problems(fast_counts, libunwind_counts):
    """What the backtrace counts say against each run having used its
    unwinder: all by libunwind with unwinder=libunwind, and at most a tenth
    by default (only frames the walk cannot follow go to libunwind)."""
    problems = []
    if libunwind_counts and (libunwind_counts[0] == 0 or libunwind_counts[1] != libunwind_counts[0]):
        problems.append("with unwinder=libunwind, libunwind took %d of %d backtraces" % (libunwind_counts[1],
                                                                                         libunwind_counts[0]))
    if fast_counts and fast_counts[1] * 10 > fast_counts[0]:
        problems.append("by default, libunwind took %d of %d backtraces: the walk did not run" % (fast_counts[1],
                                                                                                 fast_counts[0]))
    return problems


def modules_by_process(trace):
    """The trace's modules table: for each process, in the report's order
    (processes.id), a list of (path, base, start, end)."""
    with contextlib.closing(sqlite3.connect("file:%s?mode=ro" % trace, uri=True)) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM processes ORDER BY id")]
        modules = {pid: [] for pid in ids}
        for pid, path, base, start, end in db.execute("SELECT m.process_id, o.path, m.base, m.start, m.end"
                                                         " FROM modules AS m JOIN objects AS o ON o.id = m.object_id"):
            modules.setdefault(pid, []).append((path, base, start, end))
    return [modules[pid] for pid in ids]


def relocator(modules):
    """A function giving a stack with each frame's address as MODULE+0xOFFSET
    from its module's load bias, where the trace knows the module (frames
    repeat a lot: each address is worked out once)."""
    offsets = {}

    def offset_of(module, address):
        value = int(address, 16)
        for path, base, start, end in modules:
            if path == module and start <= value < end:
                return "%s+%#x" % (os.path.basename(path), value - base)
        return address

    def relocate(stack):
        if stack is None:
            return None
        out = []
        for frame in stack:
            key = (frame.get("module"), frame["address"])
            if key not in offsets:
                offsets[key] = offset_of(*key)
            out.append(dict(frame, address=offsets[key]))
        return out

    return relocate


def stack_order(entry):
    """A total order on stacks that does not depend on the run (the report
    breaks ties by stack id, which does): their frames' MODULE+OFFSETs."""
    return tuple(frame["address"] for frame in entry.get("stack") or [])


def without_run_dependent_fields(report, modules):
    """The report without process ids, load addresses and bad frees'
    addresses, and with sites and leaks that tie on the report's sort keys
    ordered by their stacks; everything else is kept."""
    out = dict(report)
    out["processes"] = []
    for index, proc in enumerate(report.get("processes", [])):
        relocate = relocator(modules[index] if index < len(modules) else [])
        proc = {k: v for k, v in proc.items() if k not in ("pid", "parent_pid")}
        proc["sites"] = sorted((dict(s, stack=relocate(s["stack"])) for s in proc["sites"]),
                               key=lambda s: (-s["bytes"], stack_order(s)))
        proc["leaks"] = sorted((dict(l, stack=relocate(l["stack"])) for l in proc["leaks"]),
                               key=lambda l: (LEAK_KINDS.index(l["kind"]), -l["bytes"], -l["blocks"], stack_order(l)))
        proc["errors"] = [{k: relocate(v) if k.endswith("stack") else v for k, v in e.items() if k != "address"}
                          for e in proc["errors"]]
        out["processes"].append(proc)
    return out


def frame_text(frame):
    """One frame as `function (module) address`."""
    if frame is None:
        return "-"
    module = os.path.basename(frame["module"]) if frame.get("module") else "?"
    return "%s (%s) %s" % (frame.get("function") or "?", module, frame.get("address"))


def entry_lines(label, default, libunwind):
    """Two differing sites, leaks or errors: their figures, then both stacks
    side by side, the differing frames marked."""
    lines = [label]
    for name, entry in (("default", default), ("libunwind", libunwind)):
        figures = {k: v for k, v in (entry or {}).items() if not isinstance(v, list)}
        lines.append("  %-9s %s" % (name, figures if entry is not None else "(none)"))
    for key in ("stack", "alloc_stack", "first_free_stack"):
        a = (default or {}).get(key) or []
        b = (libunwind or {}).get(key) or []
        if a == b:
            continue
        lines.append("  %s, default | libunwind:" % key)
        for i, (x, y) in enumerate(itertools.zip_longest(a, b)):
            lines.append("  %s %3d %-60s | %s" % ("*" if x != y else " ", i, frame_text(x), frame_text(y)))
    return lines


def stack_keys(entries):
    """The set of stacks (as hashable tuples of frames) of a list of sites or leaks."""
    return {tuple(tuple(sorted(f.items())) for f in e.get("stack") or []) for e in entries}


def differences(default, libunwind):
    """Lines describing the first differences between two normalized reports."""
    lines = []
    shown = 0
    pairs = itertools.zip_longest(default["processes"], libunwind["processes"])
    for index, (a, b) in enumerate(pairs):
        if a == b:
            continue
        if a is None or b is None:
            lines.append("process %d is in the %s report only" % (index, "default" if b is None else "libunwind"))
            continue
        for key in a:
            if key not in ("leaks", "errors", "sites") and a[key] != b.get(key):
                lines.append("process %d %s: %s (default) vs %s (libunwind)" % (index, key, a[key], b.get(key)))
        for key in ("sites", "leaks"):
            only_a, only_b = stack_keys(a[key]) - stack_keys(b[key]), stack_keys(b[key]) - stack_keys(a[key])
            if only_a or only_b:
                lines.append("process %d %s: %d stacks only in the default run, %d only in the libunwind run"
                             % (index, key, len(only_a), len(only_b)))
        for key in ("errors", "leaks", "sites"):
            for i, (x, y) in enumerate(itertools.zip_longest(a[key], b[key])):
                if x != y and shown < SHOWN_DIFFERENCES:
                    lines += entry_lines("process %d %s[%d]:" % (index, key, i), x, y)
                    shown += 1
    return lines


def check(opts, program):
    """Runs the program under both unwinders and compares; returns the exit status."""
    workdir = tempfile.mkdtemp(prefix="memtrack-e2e-")
    try:
        os.mkdir(os.path.join(workdir, "program"))
        os.mkdir(os.path.join(workdir, "traces"))
        for name, content in program.files.items():
            with open(os.path.join(workdir, "program", name), "w", encoding="utf-8") as f:
                f.write(content)
        runs = [traced_run(opts, workdir, program, option) for option in UNWINDERS]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    (status_a, out_a, report_a, counts_a), (status_b, out_b, report_b, counts_b) = runs
    problems = unwinder_problems(counts_a, counts_b)
    if status_a != status_b:
        problems.append("memtrack exited %d by default, %d with libunwind" % (status_a, status_b))
    if out_a != out_b:
        problems.append("the program printed %r by default, %r with libunwind" % (out_a[:200], out_b[:200]))
    if not report_a["processes"] or not any(p["sites"] for p in report_a["processes"]):
        problems.append("the default run's report has no allocation site: nothing was compared")
    if report_a != report_b:
        problems.append("the reports differ:\n" + "\n".join(differences(report_a, report_b)))
    if problems:
        print("FAIL: %s: %s" % (" ".join(program.argv[:2]), "\n".join(problems)))
        return 1
    sites = sum(len(p["sites"]) for p in report_a["processes"])
    print("same report with both unwinders: %d processes, %d sites" % (len(report_a["processes"]), sites))
    return 0


def main(argv):
    """Entry point: picks the program, skips what cannot run, turns failures into status 1."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memtrack", required=True, help="the memtrack binary")
    parser.add_argument("--cases", required=True, help="the directory of the built case programs")
    parser.add_argument("program", choices=sorted(n[len("program_"):] for n in globals() if n.startswith("program_")))
    opts = parser.parse_args(argv)
    opts.memtrack = os.path.abspath(opts.memtrack)
    program = globals()["program_" + opts.program](opts.cases)
    reason = program if isinstance(program, str) else randomization_cannot_be_disabled()
    if reason:
        print("skipped: %s" % reason)
        return SKIP
    return e2e_lib.exit_status_of(check, opts, program)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
