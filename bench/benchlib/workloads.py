"""The programs measured: two churn cases, the Python JSON workload and the sqlite3 shell workload."""
import os
import shutil
import sys

from benchlib.build import compile_c

ROWS_LINE = ".parameter set @rows %d"
FULL_ROWS = 200000


class Workload:
    """One program to measure: its command, stdin, environment and executable."""

    def __init__(self, name, label, argv, exe, stdin=None, env=None, churn=False):
        self.name, self.label, self.argv, self.stdin = name, label, argv, stdin
        self.exe = os.path.realpath(exe)  # how its process is recognised among a run's processes
        self.env = env or {}
        self.churn = churn
        self.allocations = None  # counted from memtrack's report, when memtrack ran it


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
    return [w for w in workloads if not only or w.name in only]


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
