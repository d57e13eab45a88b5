"""The programs measured: two churn cases, the Python JSON workload and the sqlite3 shell workload, written for
the benchmark; and programs nobody here tuned for, as users run them: clang compiling a header-heavy C++ file,
`clang --version` (a large binary doing little), node, and Python holding millions of live blocks.  The real
programs also run a second time with memtrack's symbol cache already filled, as in CI's repeated runs."""
import os
import shutil
import sys

from benchlib.build import compile_c

ROWS_LINE = ".parameter set @rows %d"
FULL_ROWS = 200000


class Workload:
    """One program to measure: its command, stdin, environment and executable."""

    def __init__(self, name, label, argv, exe, stdin=None, env=None, churn=False, warm=False, live_set=False,
                 added_budget=None, report_figures=False):
        self.name, self.label, self.argv, self.stdin = name, label, argv, stdin
        self.exe = os.path.realpath(exe)  # how its process is recognised among a run's processes
        self.env = env or {}
        self.churn = churn
        self.warm = warm              # memtrack runs with its symbol cache filled; otherwise with an empty one
        self.live_set = live_set      # the traced program's peak RSS against untraced is judged
        self.added_budget = added_budget  # seconds memtrack may add (judged when set)
        self.report_figures = report_figures  # memtrack's JSON report and page of its trace are measured too
        self.allocations = None  # counted from memtrack's report, when memtrack ran it

    def warmed(self, **judged):
        """The same workload, run by memtrack with its symbol cache filled."""
        return Workload(self.name, self.label + " (warm symbol cache)", self.argv, self.exe, self.stdin, self.env,
                        self.churn, warm=True, **judged)


def churn_path(work):
    """Where make_workloads builds the churn program (whichever workloads are run)."""
    return os.path.join(work, "churn")


def python_path():
    """The Python that runs the pyjson workload: the system's, whose allocations a Debian user traces."""
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def make_workloads(workload_dir, work, quick, only):
    """The workloads at full or quick size, restricted to the names in ONLY when given."""
    churn = compile_c(os.path.join(workload_dir, "churn.c"), churn_path(work), work, ["-pthread"])
    python = python_path()
    rounds, documents, rows = ("1", "500", 20000) if quick else ("13", "2000", FULL_ROWS)
    big, small = ("200000", "50000") if quick else ("2000000", "500000")
    workloads = [
        Workload("churn", "churn %s 8 1" % big, [churn, big, "8", "1"], churn, churn=True),
        Workload("churn", "churn %s 32 2" % small, [churn, small, "32", "2"], churn, churn=True),
        Workload("pyjson", "pyjson %s rounds of %s" % (rounds, documents),
                 [python, os.path.join(workload_dir, "pyjson.py"), rounds, documents], python,
                 env={"PYTHONMALLOC": "malloc"}),
    ]
    sqlite = shutil.which("sqlite3")
    if sqlite:
        script = sqlite_script(os.path.join(workload_dir, "sqlite.sql"), work, rows)
        workloads.append(Workload("sqlite", "sqlite %d rows" % rows, [sqlite, ":memory:"], sqlite, stdin=script))
    else:
        print("note: sqlite3 is not installed: no sqlite workload", file=sys.stderr)
    workloads += real_programs(workload_dir, work, python, quick)
    return [w for w in workloads if not only or w.name in only]


def real_programs(workload_dir, work, python, quick):
    """The programs nobody here tuned for, each cold and warm; those whose program is missing are named."""
    found = []
    clangxx, clang, node = shutil.which("clang++"), shutil.which("clang"), shutil.which("node")
    if clangxx:
        compile_argv = [clangxx, "-std=c++17", "-O2", "-g", "-c", os.path.join(workload_dir, "headers.cpp"),
                        "-o", os.path.join(work, "headers.o")]
        compiler = Workload("clang", "clang++ -O2 -g -c headers.cpp", compile_argv, clangxx, report_figures=True)
        found += [compiler, compiler.warmed()]
    if clang:
        version = Workload("clang", "clang --version", [clang, "--version"], clang)
        found += [version, version.warmed(added_budget=0.1)]
    if node:
        count = "50000" if quick else "200000"
        script = Workload("node", "node objects.js %s" % count, [node, os.path.join(workload_dir, "objects.js"), count],
                          node)
        found += [script, script.warmed()]
    rows = "50000" if quick else "250000"
    live = Workload("pylive", "pylive %s rows" % rows, [python, os.path.join(workload_dir, "pylive.py"), rows], python,
                    env={"PYTHONMALLOC": "malloc"}, live_set=True)
    found += [live, live.warmed(live_set=True)]
    for tool, path in (("clang++", clangxx), ("clang", clang), ("node", node)):
        if not path:
            print("note: %s is not installed: no workload needs it (.ci/deps bench installs it)" % tool,
                  file=sys.stderr)
    return found


def sqlite_script(source, work, rows):
    """A copy of sqlite.sql with its row count set to ROWS (smaller for --quick)."""
    with open(source) as f:
        text = f.read()
    full = ROWS_LINE % FULL_ROWS
    if full not in text:
        raise SystemExit("bench/run: %s has no '%s' line" % (source, full))
    path = os.path.join(work, "sqlite.sql")
    with open(path, "w") as f:
        f.write(text.replace(full, ROWS_LINE % rows))
    return path
