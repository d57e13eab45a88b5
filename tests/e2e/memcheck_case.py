#!/usr/bin/env python3
"""Checks that a case's expected file holds valgrind memcheck's figures: runs
the case under memcheck and compares its heap totals, leak summary and error
counts with the same figures taken from the expected report.

  memcheck_case.py --valgrind BIN --program CASE --expected FILE
                   --source CASE_SOURCE [--exit N] [--option OPT]... [-- ARGS...]

--option passes OPT to memcheck: the case's `memtrack run` options, which
are spelt as memcheck's (--leak-check-heuristics=...).

Where memcheck cannot agree for a known reason, the case source says so on a
line `memcheck-differs: FIELD+N [FIELD-N...]: REASON`: the expected FIELD is
memcheck's plus N.
Figures compared: allocations, frees, allocated_bytes, KIND_bytes and
KIND_blocks for each leak kind, definite_indirect_bytes (the indirect bytes
of memcheck's "N (x direct, y indirect) bytes ... definitely lost" records),
reachable_HEURISTIC_bytes and
reachable_HEURISTIC_blocks for each leak-check heuristic (memcheck's "of
which reachable via heuristic" lines), invalid_frees, mismatched_frees, exit.
Exit status: 0 when all compared figures agree, 1 otherwise."""

import argparse
import json
import re
import sys

import e2e_lib

KINDS = {"definite": "definitely lost", "indirect": "indirectly lost",
         "possible": "possibly lost", "reachable": "still reachable"}
HEURISTICS = ("stdstring", "length64", "newarray", "multipleinheritance")


def parse_args(argv):
    """The command line, with ARGS after `--` kept for the case program."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--valgrind", required=True)
    parser.add_argument("--program", required=True)
    parser.add_argument("--expected", required=True)
    parser.add_argument("--source", required=True, help="the case's source, for memcheck-differs lines")
    parser.add_argument("--exit", type=int, default=0, help="the program's expected exit status")
    parser.add_argument("--option", action="append", default=[], help="an option for memcheck")
    parser.add_argument("args", nargs="*")
    return parser.parse_args(argv)


def number(s):
    """An integer as memcheck prints it, with thousands separators."""
    return int(s.replace(",", ""))


def memcheck_figures(opts):
    """Runs the case under memcheck and returns (figures, memcheck's stderr).
    Memcheck counts every free() call in `frees`, even one that frees
    nothing; memtrack counts blocks freed, so invalid frees are taken off."""
    proc = e2e_lib.run([opts.valgrind, "--leak-check=full", "--show-leak-kinds=all"] + opts.option +
                       [opts.program] + opts.args)
    log = e2e_lib.text(proc.stderr)
    totals = re.search(r"total heap usage: ([\d,]+) allocs, ([\d,]+) frees, ([\d,]+) bytes allocated", log)
    if not totals:
        raise e2e_lib.CaseFailure("no heap summary from memcheck:\n" + log)
    invalid = len(re.findall(r"== Invalid free\(\) / delete", log))
    figures = {"allocations": number(totals.group(1)), "frees": number(totals.group(2)) - invalid,
               "allocated_bytes": number(totals.group(3)), "invalid_frees": invalid,
               "mismatched_frees": len(re.findall(r"== Mismatched free\(\) / delete", log)),
               "exit": proc.returncode}
    for kind, label in KINDS.items():
        m = re.search(label + r": ([\d,]+) bytes in ([\d,]+) blocks", log)
        figures[kind + "_bytes"] = number(m.group(1)) if m else 0
        figures[kind + "_blocks"] = number(m.group(2)) if m else 0
    figures["definite_indirect_bytes"] = sum(
        number(m.group(1)) for m in re.finditer(r"\(\S+ direct, ([\d,]+) indirect\) bytes in [\d,]+ blocks are "
                                                 r"definitely lost", log))
    for heuristic in HEURISTICS:
        m = re.search(r"== +%s *: ([\d,]+) bytes in ([\d,]+) blocks" % heuristic, log)
        figures["reachable_%s_bytes" % heuristic] = number(m.group(1)) if m else 0
        figures["reachable_%s_blocks" % heuristic] = number(m.group(2)) if m else 0
    if proc.stdout != b"done\n":
        print("note: under memcheck the case printed %r" % proc.stdout)
    return figures, log


def expected_figures(opts):
    """The same figures, from the expected report (its first process)."""
    with open(opts.expected, encoding="utf-8") as f:
        report = json.load(f)
    proc = report["processes"][0]
    summary, errors = proc["summary"], proc["errors"]
    figures = {"allocations": summary["allocations"], "frees": summary["frees"],
               "allocated_bytes": summary["allocated_bytes"],
               "invalid_frees": sum(e["type"] in ("double_free", "invalid_free") for e in errors),
               "mismatched_frees": sum(e["type"] == "mismatched_free" for e in errors),
               "exit": opts.exit}
    for kind in KINDS:
        figures[kind + "_bytes"] = sum(l["bytes"] for l in proc["leaks"] if l["kind"] == kind)
        figures[kind + "_blocks"] = sum(l["blocks"] for l in proc["leaks"] if l["kind"] == kind)
    figures["definite_indirect_bytes"] = sum(l["indirect_bytes"] for l in proc["leaks"] if l["kind"] == "definite")
    for heuristic in HEURISTICS:
        found = [l for l in proc["leaks"] if l["kind"] == "reachable" and l["heuristic"] == heuristic]
        figures["reachable_%s_bytes" % heuristic] = sum(l["bytes"] for l in found)
        figures["reachable_%s_blocks" % heuristic] = sum(l["blocks"] for l in found)
    return figures


def known_differences(source):
    """{field: offset} from the case source's memcheck-differs lines, with
    {field: reason} beside it."""
    offsets, reasons = {}, {}
    with open(source, encoding="utf-8") as f:
        for m in re.finditer(r"memcheck-differs: ([\w+\- ]+): (.*)", f.read()):
            for item in m.group(1).split():
                field, sign, n = re.fullmatch(r"(\w+)([+-])(\d+)", item).groups()
                offsets[field] = int(n) if sign == "+" else -int(n)
                reasons[field] = m.group(2).strip()
    return offsets, reasons


def main(argv):
    """Compares the figures field by field and prints them all."""
    opts = parse_args(argv)
    try:
        want = expected_figures(opts)
        got, log = memcheck_figures(opts)
        offsets, reasons = known_differences(opts.source)
    except (e2e_lib.CaseFailure, OSError, ValueError, KeyError, IndexError, AttributeError) as err:
        print("FAIL: %s" % err)
        return 1
    except Exception as err:  # a hang (TimeoutExpired): say so
        print("FAIL: %s: %s" % (type(err).__name__, err))
        return 1
    unknown = sorted(set(offsets) - set(want))
    if unknown:
        print("FAIL: memcheck-differs names unknown fields: %s" % " ".join(unknown))
        return 1
    bad = 0
    width = max(len(field) for field in want)
    for field in want:
        offset = offsets.get(field, 0)
        verdict = "ok" if want[field] == got[field] + offset else "MISMATCH"
        note = " (memcheck %+d: %s)" % (offset, reasons[field]) if offset else ""
        print("%-*s expected %-8d memcheck %-8d %s%s" % (width, field, want[field], got[field], verdict, note))
        bad += verdict != "ok"
    if bad:
        print("FAIL: %d figure(s) of %s are not memcheck's; memcheck said:\n%s" % (bad, opts.expected, log))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
