#!/usr/bin/env python3
"""Runs one end-to-end case under `memtrack run`, checks memtrack's exit
status and the program's output, and compares the normalized JSON report
with the case's expected file, exactly (a unified diff on mismatch).

  run_case.py --memtrack BIN --program CASE --expected FILE [--exit N]
              [--option OPT]... [--repeat N | --update] [-- ARGS...]

--option passes OPT to `memtrack run` (e.g. --leak-check-heuristics=none).

--repeat N runs the case N times and requires the same normalized report
every time (determinism); it does not read the expected file.  --update
writes the expected file from this run instead of comparing: check what it
wrote against memcheck (memcheck_case.py) before committing it.
Exit status: 0 when every check passed, 1 otherwise."""

import argparse
import concurrent.futures
import os
import shutil
import sys
import tempfile

import e2e_lib

REPEAT_WORKERS = 4
PROGRAM_OUTPUT = b"done\n"  # what every case prints, and nothing else, when its own checks pass


def parse_args(argv):
    """The command line, with ARGS after `--` kept for the case program."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memtrack", required=True, help="the memtrack binary")
    parser.add_argument("--program", required=True, help="the case program")
    parser.add_argument("--expected", required=True, help="the expected normalized report")
    parser.add_argument("--exit", type=int, default=0, help="memtrack's expected exit status")
    parser.add_argument("--option", action="append", default=[], help="an option for memtrack run")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--repeat", type=int, default=0, help="run N times, require identical reports")
    mode.add_argument("--update", action="store_true", help="write the expected file from this run")
    parser.add_argument("args", nargs="*", help="arguments for the case program")
    return parser.parse_args(argv)


def traced_report(opts):
    """Runs the case once under memtrack and returns its normalized report,
    raising CaseFailure when the exit status or the program's output is wrong."""
    workdir = tempfile.mkdtemp(prefix="memtrack-e2e-")
    try:
        trace = os.path.join(workdir, "T.db")
        proc = e2e_lib.memtrack_run(opts.memtrack, trace, [opts.program] + opts.args, opts.option)
        problems = []
        if proc.returncode != opts.exit:
            problems.append("memtrack exited %d, expected %d" % (proc.returncode, opts.exit))
        if proc.stdout != PROGRAM_OUTPUT:
            problems.append("the program printed %r, expected %r" % (proc.stdout, PROGRAM_OUTPUT))
        if problems:
            raise e2e_lib.CaseFailure("; ".join(problems) + "\nmemtrack's stderr:\n" + e2e_lib.text(proc.stderr))
        report = e2e_lib.memtrack_report_json(opts.memtrack, trace)
        return e2e_lib.normalize(report, os.path.basename(opts.program))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def compare_with_expected(opts):
    """One run compared with the expected file; returns the exit status."""
    actual = e2e_lib.dump(traced_report(opts))
    try:
        with open(opts.expected, encoding="utf-8") as f:
            expected = f.read()
    except OSError as err:
        raise e2e_lib.CaseFailure("cannot read the expected file: %s" % err)
    if actual == expected:
        return 0
    print("normalized report differs from %s:" % opts.expected)
    print(e2e_lib.diff(expected, actual, "expected/" + os.path.basename(opts.expected), "actual"))
    return 1


def compare_repeats(opts):
    """opts.repeat runs, REPEAT_WORKERS at a time (a run mostly waits), each
    compared with the first; returns the exit status."""
    with concurrent.futures.ThreadPoolExecutor(REPEAT_WORKERS) as pool:
        reports = list(pool.map(lambda _: e2e_lib.dump(traced_report(opts)), range(opts.repeat)))
    for attempt, again in enumerate(reports[1:], start=2):
        if again != reports[0]:
            print("run %d gave a different normalized report than run 1:" % attempt)
            print(e2e_lib.diff(reports[0], again, "run 1", "run %d" % attempt))
            return 1
    return 0


def update_expected(opts):
    """Writes the expected file from one run; returns the exit status."""
    with open(opts.expected, "w", encoding="utf-8") as f:
        f.write(e2e_lib.dump(traced_report(opts)))
    print("wrote %s: compare it with memcheck before committing it" % opts.expected)
    return 0


def main(argv):
    """Entry point: picks the mode and turns failures into exit status 1."""
    opts = parse_args(argv)
    opts.program = os.path.abspath(opts.program)  # argv[0] then normalizes to the program's name
    if opts.update:
        return e2e_lib.exit_status_of(update_expected, opts)
    return e2e_lib.exit_status_of(compare_repeats if opts.repeat else compare_with_expected, opts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
