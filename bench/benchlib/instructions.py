"""libtrack's instructions per allocation and release, counted by cachegrind on a small churn.

Wall times on a shared machine move by a tenth or more between runs of one build (docs/performance.md), so a
hot-path change of a few percent hides in them.  The count of instructions libtrack runs is the same in every
run of one build: it shows such a change, though not the cost of cache misses, locked instructions or reads of
the time-stamp counter, which only the timings see.
"""
import os
import shutil
import subprocess

from benchlib.build import Unavailable, last_line

ALLOCATIONS, DEPTH, THREADS = "200000", "8", "1"
LABEL = "libtrack instructions (churn %s %s %s)" % (ALLOCATIONS, DEPTH, THREADS)
FIGURE = "instructions"


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


def count_per_pair(memtrack, churn_exe, work):
    """libtrack's instructions per allocation and release of the churn, under MEMTRACK; raises Unavailable
    with the reason when it cannot be counted."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        raise Unavailable("valgrind is not installed")
    out, trace, log = (os.path.join(work, name) for name in ("cachegrind.out", "cachegrind.db", "cachegrind.log"))
    argv = [memtrack.binary, "run", "-f", "-o", trace, "--", valgrind, "--tool=cachegrind", "--cache-sim=no",
            "--cachegrind-out-file=" + out, churn_exe, ALLOCATIONS, DEPTH, THREADS]
    with open(log, "w") as err:
        rc = subprocess.call(argv, stdout=subprocess.DEVNULL, stderr=err)
    try:
        if rc != 0 or not os.path.exists(out):
            raise Unavailable("the cachegrind run failed (exit %d): %s" % (rc, last_line(log)))
        instructions = libtrack_instructions(out)
        if instructions is None:
            raise Unavailable("libmemtrack.so has no debug information to attribute instructions by")
        allocations = memtrack.count_allocations(trace)
        if not allocations:
            raise Unavailable("the trace of the cachegrind run holds no allocation")
        return instructions / allocations
    finally:
        for path in (out, trace):
            if os.path.exists(path):
                os.remove(path)
