#!/usr/bin/env python3
"""End to end on a Rust program: examples/leaky.rs (a Box leaked, a Vec of
Strings forgotten, an Rc cycle) built with rustc, traced, and its report
checked: the leak figures are memcheck's, the names are demangled, and the
text's stacks start at the program's code, not in the Rust allocator, and
end at its main, not in Rust's start-up.

  check_rust.py --memtrack BIN --rustc RUSTC --valgrind VALGRIND --source leaky.rs

Exit status: 0 pass, 1 fail."""

import argparse
import json
import os
import re
import sys
import tempfile

import e2e_lib
import memcheck_case


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("--memtrack", "--rustc", "--valgrind", "--source"):
        parser.add_argument(name, required=True)
    return parser.parse_args(argv)


def expect(condition, message):
    if not condition:
        raise e2e_lib.CaseFailure(message)


def functions(stack):
    return [frame.get("function") or "" for frame in stack]


def record_with(leaks, kind, function):
    """The one leak record of KIND whose stack passes through FUNCTION."""
    found = [leak for leak in leaks if leak["kind"] == kind and function in functions(leak["stack"])]
    expect(len(found) == 1, "%d %s records through %s in %s" % (len(found), kind, function, json.dumps(leaks)))
    return found[0]


def check(opts, work):
    program = os.path.join(work, "leaky")
    built = e2e_lib.run([opts.rustc, "-g", "-C", "opt-level=0", "-o", program, opts.source])
    expect(built.returncode == 0, "rustc failed:\n" + e2e_lib.text(built.stderr))
    trace = os.path.join(work, "leaky.db")
    ran = e2e_lib.memtrack_run(opts.memtrack, trace, [program])
    expect(ran.returncode == 0 and ran.stdout == b"done\n", "memtrack run: exit %d, stdout %r\n%s"
           % (ran.returncode, ran.stdout, e2e_lib.text(ran.stderr)))
    report = e2e_lib.memtrack_report_json(opts.memtrack, trace)
    leaks = report["processes"][0]["leaks"]
    for leak in leaks:
        for name in functions(leak["stack"]):
            expect(not re.match(r"_(ZN|R[A-Z])", name) and not re.search(r"::h[0-9a-f]{16}$", name),
                   "a name left mangled: %r" % name)
    boxed = record_with(leaks, "definite", "leaky::leak_box")
    expect((boxed["bytes"], boxed["blocks"], boxed["indirect_bytes"]) == (64, 1, 0), "the Box: %r" % boxed)
    names = record_with(leaks, "definite", "leaky::forget_names")
    expect(names["bytes"] == 72 and names["blocks"] == 1 and names["indirect_bytes"] > 0,
           "the Vec of 3 Strings (3 x 24 bytes, leading the Strings' bytes): %r" % names)
    cycle = record_with(leaks, "definite", "leaky::make_cycle")
    expect((cycle["bytes"], cycle["indirect_bytes"]) == (64, 64), "the Rc cycle: %r" % cycle)

    text = e2e_lib.text(e2e_lib.run([opts.memtrack, "report", trace]).stdout)
    header = "64 bytes in 1 blocks are definitely lost\n"
    expect(header in text, text)
    first = text.split(header, 1)[1].splitlines()[0]
    expect(re.match(r"   at 0x[0-9a-f]+: (alloc::boxed::Box<T>::new|leaky::leak_box) ", first),
           "the Box's stack starts in the allocator, not at Box::new or the program: %r" % first)
    expect("128 (64 direct, 64 indirect) bytes in 1 blocks are definitely lost" in text, text)
    expect("LEAK SUMMARY:" in text, text)
    for line in text.split("LEAK SUMMARY:", 1)[0].splitlines():  # the leak records' stacks
        frame = re.match(r"   (at|by) 0x[0-9a-f]+: (.*)", line)
        if not frame:
            continue
        expect(not (frame.group(1) == "at" and re.match(r"(__rust_alloc|__rdl_|alloc::alloc::|<alloc::alloc::Global|"
                                                          r"alloc::raw_vec::|<alloc::raw_vec::)", frame.group(2))),
               "a stack starts in the Rust allocator: %r\n%s" % (line, text))
        expect(not re.match(r"(std::rt::lang_start|std::sys::backtrace::__rust_begin_short_backtrace)", frame.group(2)),
               "Rust's start-up below the program's main is shown: %r\n%s" % (line, text))

    expected = os.path.join(work, "report.json")
    with open(expected, "w", encoding="utf-8") as f:
        json.dump(report, f)
    memcheck_opts = argparse.Namespace(valgrind=opts.valgrind, program=program, expected=expected, exit=0,
                                       option=[], args=[])
    want = memcheck_case.expected_figures(memcheck_opts)
    got, log = memcheck_case.memcheck_figures(memcheck_opts)
    differ = {field: (want[field], got[field]) for field in want if want[field] != got[field]}
    expect(not differ, "figures not memcheck's (memtrack, memcheck): %r\n%s" % (differ, log))
    print("PASS: the Rust example's leaks are memcheck's, demangled, in the program's frames")
    return 0


def main(argv):
    opts = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="memtrack-rust-") as work:
        return e2e_lib.exit_status_of(check, opts, work)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
