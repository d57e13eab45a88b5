"""libtrack's instructions per allocation and release, counted by cachegrind on small runs of two workloads.

Wall times on a shared machine move by a tenth or more between runs of one build (docs/performance.md), so a
hot-path change of a few percent hides in them.  The count of instructions libtrack runs is the same in every
run of one build: it shows such a change, though not the cost of cache misses, locked instructions or reads of
the time-stamp counter, which only the timings see.  Two workloads: the churn (shallow stacks, a small heap) and
the Python one (deep stacks that change from one allocation to the next), with Python's hashing fixed.
"""
import os
import shutil
import subprocess

from benchlib.build import Unavailable, last_line

FIGURE = "instructions"
TIMEOUT_SECONDS = 600  # a few seconds each, here


def counted_runs(churn_exe, python, workload_dir):
    """(label, argv, environment) of each run whose instructions are counted."""
    return [("libtrack instructions (churn 200000 8 1)", [churn_exe, "200000", "8", "1"], {}),
            ("libtrack instructions (pyjson 1 round of 500)",
             [python, os.path.join(workload_dir, "pyjson.py"), "1", "500"],
             {"PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0"})]


def libtrack_instructions(out_path):
    """Instructions (Ir) of libtrack's source files in a cachegrind output file, the leak scan at exit left out
    (under valgrind it scans valgrind's view of the stacks, unlike a native run); None when no libtrack file
    appears (a libmemtrack.so without debug information)."""
    total, counting, seen = 0, False, False
    with open(out_path) as f:
        for line in f:
            if line.startswith("fl="):
                path = line[3:].strip()
                counting = "/libtrack/" in path and not path.endswith("/leakscan.c")
                seen = seen or counting
            elif counting and line[:1].isdigit():
                fields = line.split()
                if len(fields) >= 2:
                    total += int(fields[1])
    return total if seen else None


def count_per_pair(memtrack, argv, env, work):
    """libtrack's instructions per allocation and release of ARGV run under MEMTRACK with ENV added; raises
    Unavailable with the reason when they cannot be counted."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        raise Unavailable("valgrind is not installed")
    out, trace, log = (os.path.join(work, name) for name in ("cachegrind.out", "cachegrind.db", "cachegrind.log"))
    command = [memtrack.binary, "run", "-f", "-o", trace, "--", valgrind, "--tool=cachegrind", "--cache-sim=no",
               "--cachegrind-out-file=" + out] + argv
    try:
        with open(log, "w") as err:
            rc = subprocess.call(command, stdout=subprocess.DEVNULL, stderr=err, env=dict(os.environ, **env),
                                 timeout=TIMEOUT_SECONDS)
        if rc != 0 or not os.path.exists(out):
            raise Unavailable("the cachegrind run failed (exit %d): %s" % (rc, last_line(log)))
        instructions = libtrack_instructions(out)
        if instructions is None:
            raise Unavailable("libmemtrack.so has no debug information to attribute instructions by")
        # the program's process: the largest (valgrind's launcher, traced too, makes a few)
        allocations = max(memtrack.allocations_per_process(trace) or [0])
        if not allocations:
            raise Unavailable("the trace of the cachegrind run holds no allocation")
        return instructions / allocations
    except subprocess.TimeoutExpired:
        raise Unavailable("the cachegrind run took more than %d s" % TIMEOUT_SECONDS)
    finally:
        for path in (out, trace):
            if os.path.exists(path):
                os.remove(path)
