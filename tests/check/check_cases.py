#!/usr/bin/env python3
"""End-to-end tests of `memtrack check`, `memtrack diff` and cmake/MemtrackTest.cmake.

Usage: check_cases.py CASE   (ctest runs one case per test; see CMakeLists.txt)

The `setup` case compiles the programs in programs/ and traces them with
`memtrack run` into $CHECK_WORK; the other cases read those traces (copies,
when they edit them) and assert on exit statuses and outputs.
"""
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from case_runner import Failure, expect, run_named_case  # noqa: E402  (tests/case_runner.py)

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "programs")
MEMTRACK = os.environ.get("MEMTRACK", "memtrack")
WORK = os.environ.get("CHECK_WORK", os.path.join(os.getcwd(), "check-work"))
GATE_EXIT = 86  # GATE_DEFAULT_EXITCODE in cli/gate/gate.h


def run(args, status=None, cwd=None, env=None):
    """Runs ARGS; checks its exit status when STATUS is given."""
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, errors="replace")
    if status is not None and result.returncode != status:
        raise Failure(f"{' '.join(args)}: exit {result.returncode}, expected {status}\n"
                      f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}")
    return result


def check(*args, status):
    return run([MEMTRACK, "check", *args], status=status)


def work(*names):
    return os.path.join(WORK, *names)


def trace(name):
    return work(name + ".db")


def line_of(source, marker):
    """The line of SOURCE (in programs/) holding MARKER."""
    with open(os.path.join(PROGRAMS, source)) as stream:
        for number, line in enumerate(stream, 1):
            if marker in line:
                return number
    raise Failure(f"{marker} not in {source}")


def copy_trace(name, copy_name):
    path = work(copy_name + ".db")
    shutil.copyfile(trace(name), path)
    return path


def write(path, text):
    with open(path, "w") as stream:
        stream.write(text)
    return path


# --- setup -------------------------------------------------------------------

BUILDS = {
    # name: (source, extra compiler flags)
    "clean": ("clean.c", []),
    "leaky": ("leaky.c", []),
    "leaky_extra": ("leaky.c", ["-DEXTRA_LEAK"]),
    "errors": ("errors.cc", []),
}


def build(name, source, flags, source_path=None):
    compiler = os.environ.get("CXX", "c++") if source.endswith(".cc") else os.environ.get("CC", "cc")
    run([compiler, "-g", "-O0", "-w", *flags, source_path or os.path.join(PROGRAMS, source), "-o", work(name)],
        status=0)


def trace_program(name, *args, program=None):
    run([MEMTRACK, "run", "-f", "-o", trace(name), "--", program or work(name), *args], status=0)


def case_setup():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    for name, (source, flags) in BUILDS.items():
        build(name, source, flags)
    # The same leaks after a rebuild elsewhere that moves every line and address.
    os.makedirs(work("moved"))
    with open(os.path.join(PROGRAMS, "leaky.c")) as stream:
        moved = write(work("moved", "leaky.c"), "/* moved */\n" * 9 + stream.read())
    build("leaky_moved", "leaky.c", ["-DPADDING"], source_path=moved)
    for name in ["clean", "leaky", "leaky_extra", "leaky_moved", "errors"]:
        trace_program(name)
    for kind in ["double", "invalid", "mismatch", "global"]:
        trace_program("errors_" + kind, kind, program=work("errors"))


# --- exit statuses -----------------------------------------------------------

def case_exit_pass():
    result = check(trace("clean"), status=0)
    expect("PASS" in result.stdout, result.stdout)


def case_exit_fail():
    result = check(trace("leaky"), status=1)
    expect(re.search(r"leaky\.db: pid \d+ \(\S*leaky\) fails the gate", result.stdout), result.stdout)
    expect(f": make_leak ({PROGRAMS}/leaky.c:{line_of('leaky.c', 'LEAK-LINE')})" in result.stdout, result.stdout)
    expect("FAIL: 3 finding(s) in 1 of 1 process(es)" in result.stdout, result.stdout)
    # memcheck's loss record header: the list head leads its lost node
    expect("\n  64 (32 direct, 32 indirect) bytes in 1 blocks are definitely lost\n" in result.stdout, result.stdout)
    # Every trace is judged: one failing trace fails the lot.
    check(trace("clean"), trace("leaky"), status=1)


def case_below_main():
    """Stacks stop at main, as valgrind prints them; --show-below-main keeps libc's start-up frames,
    in the text, the JUnit file and the GitHub annotations alike; `report` and `view` do the same."""
    below = "__libc_start_call_main"
    junit = work("below.xml")
    hidden = check("--junit", junit, "--github", trace("leaky"), status=1)
    expect(" main " in hidden.stdout and below not in hidden.stdout, hidden.stdout)
    with open(junit) as stream:
        expect(below not in stream.read(), "JUnit shows frames below main")
    shown = check("--show-below-main", "--junit", junit, "--github", trace("leaky"), status=1)
    expect(shown.stdout.count(below) >= 2, shown.stdout)
    with open(junit) as stream:
        expect(below in stream.read(), "JUnit lost the frames below main")
    report = run([MEMTRACK, "report", trace("leaky")], status=0).stdout
    expect(": main (" in report and below not in report, report)
    report = run([MEMTRACK, "report", "--show-below-main", trace("leaky")], status=0).stdout
    expect(below in report, report)
    report = run([MEMTRACK, "report", "--format", "json", trace("leaky")], status=0).stdout
    expect(below in report, "JSON lost the frames below main")
    for flags, present in (([], False), (["--show-below-main"], True)):
        page = work("below.html")
        run([MEMTRACK, "view", *flags, "-o", page, trace("leaky")], status=0)
        with open(page) as stream:
            expect((below in stream.read()) == present, "view %s: frames below main %s" % (flags, present))


def case_exit_unusable():
    not_a_trace = write(work("not-a-trace.txt"), "hello\n")
    truncated = work("truncated.db")
    with open(trace("leaky"), "rb") as source, open(truncated, "wb") as target:
        target.write(source.read()[:3000])
    for path, reason in [(work("missing.db"), "cannot open: No such file or directory"),
                         (not_a_trace, "not a memtrack trace"),
                         (WORK, "cannot open: Is a directory")]:
        result = check(path, status=2)
        expect(f"memtrack check: {path}: {reason}" in result.stderr, result.stderr)
        expect(result.stdout == "", "nothing on stdout for an unusable input")
    result = check(truncated, status=2)
    expect(re.search(r"truncated\.db: (damaged|not a memtrack trace)", result.stderr), result.stderr)
    # An unusable trace wins over a failing one.
    check(trace("leaky"), work("missing.db"), status=2)
    result = check("--baseline", work("missing.db"), trace("leaky"), status=2)
    expect("baseline " + work("missing.db") + ": cannot open" in result.stderr, result.stderr)
    result = check("--suppressions", work("missing.supp"), trace("leaky"), status=2)
    expect(work("missing.supp") + ": cannot open: No such file or directory" in result.stderr, result.stderr)
    result = check("--junit", work("no-such-dir", "out.xml"), trace("clean"), status=2)
    expect("out.xml: cannot write" in result.stderr, result.stderr)


def case_bad_usage():
    for args, message in [([], "no trace given"),
                          (["--fail-on=leaks,bogus", trace("leaky")], "unknown kind 'bogus'"),
                          (["--fail-on=", trace("leaky")], "unknown kind ''"),
                          (["--max-leaked-bytes", "-5", trace("leaky")], "--max-leaked-bytes takes a number"),
                          (["--max-leaked-bytes", "12kb", trace("leaky")], "--max-leaked-bytes takes a number"),
                          (["--frobnicate", trace("leaky")], "unknown option")]:
        result = check(*args, status=2)
        expect(message in result.stderr, f"{args}: {result.stderr}")
        expect("Usage: memtrack check" in result.stderr, result.stderr)
    result = check("--help", status=0)
    expect("Usage: memtrack check" in result.stdout, result.stdout)


def case_bad_suppressions():
    for text, line, message in [("leak:ok\nfrobnicate:x\n", 2, "unknown suppression type 'frobnicate'"),
                                ("# comment\n\nno colon here\n", 3, "expected TYPE:PATTERN"),
                                ("leak:\n", 1, "leak: has no pattern"),
                                ("leak:a\0b\n", 1, "holds a NUL byte")]:
        path = write(work("bad.supp"), text)
        result = check("--suppressions", path, trace("leaky"), status=2)
        expect(f"{path}:{line}: {message}" in result.stderr, f"{text!r}: {result.stderr}")


# --- --fail-on kinds ---------------------------------------------------------

def case_fail_on_kinds():
    leaky, errors = trace("leaky"), trace("errors")
    # Default leaks,errors: the reachable block alone never fails.
    check("--fail-on=reachable", leaky, status=1)
    check("--fail-on=definite", leaky, status=1)
    check("--fail-on=indirect", leaky, status=1)
    check("--fail-on=possible", leaky, status=0)
    check("--fail-on=none", leaky, status=0)
    check("--fail-on=errors", leaky, status=0)
    check("--fail-on", "leaks", errors, status=0)
    check(errors, status=1)
    for kind, option in [("double", "double-free"), ("invalid", "invalid-free"), ("mismatch", "mismatch")]:
        single = trace("errors_" + kind)
        check("--fail-on=" + option, single, status=1)
        others = [o for o in ["double-free", "invalid-free", "mismatch"] if o != option]
        check("--fail-on=" + ",".join(others), single, status=0)
    result = check("--fail-on=definite", leaky, status=1)
    expect("FAIL: 2 finding(s)" in result.stdout and "2 of other kinds" in result.stdout, result.stdout)


def case_max_leaked_bytes():
    # leaky loses 40 + 32 bytes definitely and 32 indirectly: 104 bytes of leaks.
    check("--max-leaked-bytes", "104", trace("leaky"), status=0)
    result = check("--max-leaked-bytes", "103", trace("leaky"), status=1)
    expect("leaks of the gated kinds: 104 bytes (--max-leaked-bytes 103)" in result.stdout, result.stdout)
    check("--max-leaked-bytes=72", "--fail-on=definite", trace("leaky"), status=0)
    # The limit is for leaks only: bad frees still fail.
    check("--max-leaked-bytes", "1000000", trace("errors"), status=1)


# --- suppressions ------------------------------------------------------------

def suppressed(text, trace_name="leaky", *options, status):
    path = write(work(f"s{abs(hash(text))}.supp"), text)
    return check("--suppressions", path, *options, trace(trace_name), status=status)


def case_suppression_forms():
    # leaky has three failing findings: make_leak's, lose_list's list head and
    # its indirectly lost node.
    everything = "leak:make_leak\nleak:lose_list\n"
    suppressed(everything, status=0)
    result = suppressed("leak:make_leak\n", status=1)
    expect("FAIL: 2 finding(s)" in result.stdout, result.stdout)
    for pattern in ["leak:leaky.c",            # source file, substring
                    "leak:*/programs/leaky.c",  # wildcard
                    "leak:^" + PROGRAMS,         # anchored file path
                    "leak:/leaky$",              # the module (the executable), anchored at the end
                    "leak:^main$",              # a function further out
                    "leak:lose_*\nleak:make_l*k"]:
        result = suppressed(f"# comment\n\n   {pattern}   \n", status=0)
        expect("suppressions used:" in result.stdout, result.stdout)
    for pattern in ["leak:^make_leak$x", "leak:^leak", "leak:make_leak$ ", "leak:^ain"]:
        suppressed(pattern + "\n", "leaky", "--fail-on=definite", status=1)
    suppressed("leak:^mai$\n", "leaky", "--fail-on=definite", status=1)


def case_suppression_errors():
    for kind, kind_type, function in [("double", "double_free", "double_free"),
                                      ("invalid", "invalid_free", "invalid_free"),
                                      ("mismatch", "mismatch", "mismatched_free")]:
        suppressed(f"{kind_type}:{function}\n", "errors_" + kind, status=0)
        # A leak: line does not cover bad frees.
        suppressed(f"leak:{function}\n", "errors_" + kind, status=1)
    # Each type covers only its own kind.
    result = suppressed("double_free:*\n", "errors", status=1)
    expect("FAIL: 2 finding(s)" in result.stdout, result.stdout)
    suppressed("double_free:main\ninvalid_free:main\nmismatch:main\n", "errors", status=0)


def case_invalid_free_of_a_variable():
    # The gate names the variable a bad free points into, as report does.
    result = check(trace("errors_global"), "--fail-on=errors", status=1)
    expect(re.search(r'invalid free of 0x[0-9a-f]+ by free \(0 bytes inside data symbol "a_global"\)',
                     result.stdout), result.stdout)
    line = line_of("errors.cc", "GLOBAL-FREE-LINE")
    expect(f"invalid_free_of_a_global() ({PROGRAMS}/errors.cc:{line})" in result.stdout, result.stdout)


def case_suppression_report():
    text = "leak:make_leak\nleak:lose_list\nleak:never_called_anywhere\nmismatch:nothing\n"
    result = suppressed(text, status=0)
    out = result.stdout
    used = out[out.index("suppressions used:"):out.index("suppressions that matched nothing:")]
    expect(re.search(r"\n\s+1\s+40\s+leak:make_leak \(\S+\.supp:1\)", used), out)
    expect(re.search(r"\n\s+2\s+64\s+leak:lose_list \(\S+\.supp:2\)", used), out)
    unused = out[out.index("suppressions that matched nothing:"):]
    expect(re.search(r"leak:never_called_anywhere \(\S+\.supp:3\)", unused), out)
    expect(re.search(r"mismatch:nothing \(\S+\.supp:4\)", unused), out)
    expect("(3 suppressed" in out, out)


def edit_frames(path, sql, *parameters):
    with sqlite3.connect(path) as db:
        db.execute(sql, parameters)


def case_default_suppressions():
    result = run([MEMTRACK, "check", "--print-default-suppressions"], status=0)
    expect("leak:_dl_allocate_tls" in result.stdout and "leak:_dl_init" in result.stdout, result.stdout)
    # A block the dynamic loader allocated for itself: make_leak's frame now
    # stands for ld.so's _dl_allocate_tls.
    runtime = copy_trace("leaky", "runtime_leak")
    edit_frames(runtime, "UPDATE frames SET function = '_dl_allocate_tls', file = './elf/../elf/dl-tls.c',"
                         " object_id = (SELECT id FROM objects WHERE path = '/lib64/ld-linux-x86-64.so.2')"
                         " WHERE function = 'make_leak'")
    result = check("--fail-on=definite", runtime, status=1)
    expect("40 bytes" not in result.stdout and "leak:_dl_allocate_tls (default)" in result.stdout, result.stdout)
    result = check("--fail-on=definite", "--no-default-suppressions", runtime, status=1)
    expect("40 bytes in 1 blocks" in result.stdout, result.stdout)
    # The user's own leak stays reported even when a default pattern names a
    # runtime frame further out (here libc's caller of main).
    outer = copy_trace("leaky", "outer_runtime")
    edit_frames(outer, "UPDATE frames SET function = '_dl_init' WHERE function = '__libc_start_call_main'")
    result = check(outer, status=1)
    expect("FAIL: 3 finding(s)" in result.stdout, result.stdout)
    # A suppression the user writes matches any frame, as LeakSanitizer's do.
    path = write(work("outer.supp"), "leak:_dl_init\n")
    check("--suppressions", path, outer, status=0)


# --- baseline ----------------------------------------------------------------

def case_baseline():
    # A rebuild that moved every address and line: nothing new.
    check("--baseline", trace("leaky"), trace("leaky_moved"), status=0)
    result = check("--baseline", trace("leaky"), trace("leaky"), status=0)
    expect("4 in the baseline" in result.stdout, result.stdout)
    # One more leak: only it fails.
    result = check("--baseline", trace("leaky"), trace("leaky_extra"), status=1)
    expect("FAIL: 1 finding(s)" in result.stdout, result.stdout)
    expect(f": new_leak ({PROGRAMS}/leaky.c:{line_of('leaky.c', 'NEW-LEAK-LINE')})" in result.stdout, result.stdout)
    expect("make_leak" not in result.stdout, result.stdout)
    # A fixed leak is no failure either.
    check("--baseline", trace("leaky_extra"), trace("leaky"), status=0)
    # Errors are matched by type: a leak baseline does not cover them.
    check("--baseline", trace("leaky"), trace("errors"), status=1)
    check("--baseline", trace("errors"), trace("errors_double"), status=0)


# --- outputs -----------------------------------------------------------------

def case_junit():
    report = work("junit.xml")
    check("--junit", report, trace("leaky"), trace("clean"), trace("errors"), status=1)
    root = ElementTree.parse(report).getroot()
    expect(root.tag == "testsuites" and root.get("tests") == "3" and root.get("failures") == "2",
           ElementTree.tostring(root)[:300])
    suites = root.findall("testsuite")
    expect([s.get("name") for s in suites] == [trace("leaky"), trace("clean"), trace("errors")], suites)
    cases = [suite.findall("testcase") for suite in suites]
    expect([len(c) for c in cases] == [1, 1, 1], "one testcase per traced process")
    leaky_failures = cases[0][0].findall("failure")
    expect([f.get("type") for f in leaky_failures] == ["definite-leak", "definite-leak", "indirect-leak"],
           [f.get("type") for f in leaky_failures])
    expect(f": make_leak ({PROGRAMS}/leaky.c:{line_of('leaky.c', 'LEAK-LINE')})" in leaky_failures[0].text,
           leaky_failures[0].text)
    expect(leaky_failures[0].get("message") == "40 bytes in 1 blocks are definitely lost",
           leaky_failures[0].get("message"))
    expect(cases[1][0].findall("failure") == [], "the clean process passes")
    error_failures = cases[2][0].findall("failure")
    expect([f.get("type") for f in error_failures] == ["double-free", "invalid-free", "mismatched-free"],
           [f.get("type") for f in error_failures])
    expect("allocated at:" in error_failures[0].text and "first freed at:" in error_failures[0].text,
           error_failures[0].text)
    expect(re.match(r"pid \d+ \(\S*errors\)", cases[2][0].get("name")), cases[2][0].get("name"))


def case_junit_hostile_text():
    # Text from a trace may hold anything: the XML must still parse.
    hostile = copy_trace("leaky", "hostile")
    edit_frames(hostile, "UPDATE frames SET function = ? WHERE function = 'make_leak'",
                "make<&>\"'\x01\x1b[31m\xff\ufffe")
    with sqlite3.connect(hostile) as db:
        db.execute("UPDATE frames SET file = CAST(X'2F746D702FFF2E63' AS TEXT) WHERE function = 'lose_list'")
    report = work("hostile.xml")
    check("--junit", report, "--sarif", work("hostile.sarif"), hostile, status=1)
    failures = ElementTree.parse(report).getroot().findall(".//failure")
    expect('make<&>"\'?' in failures[0].text, failures[0].text)
    json.load(open(work("hostile.sarif")))


def expect_no_forged_lines(output, prefix):
    """No line of OUTPUT but the last starts a verdict, and no escape sequence
    reaches the terminal."""
    forged = [line for line in output.splitlines()[:-1] if line.startswith(prefix + "PASS")]
    expect(not forged and "\x1b" not in output, output)


def case_names_cannot_forge_lines():
    # Names in a trace come from the traced program (or whoever edited it):
    # a newline in one must not start a line of memtrack's own.
    forged = copy_trace("leaky", "forged")
    lines = "\nmemtrack check: PASS: forged\n\x1b[2K"
    edit_frames(forged, "UPDATE frames SET function = function || ? WHERE function IN ('make_leak', 'lose_list')",
                lines)
    edit_frames(forged, "UPDATE frames SET file = file || ? WHERE function = 'main'", lines)
    edit_frames(forged, "UPDATE processes SET argv = json_array(json_extract(argv, '$[0]') || ?)", lines)
    result = check(forged, status=1)
    expect_no_forged_lines(result.stdout, "memtrack check: ")
    expect(result.stdout.splitlines()[-1].startswith("memtrack check: FAIL"), result.stdout)
    expect("make_leak?memtrack check: PASS: forged??[2K" in result.stdout, result.stdout)
    expect("leaky?memtrack check: PASS: forged??[2K) fails the gate:" in result.stdout, result.stdout)
    expect("leaky.c?memtrack check: PASS: forged??[2K:" in result.stdout, result.stdout)
    result = run([MEMTRACK, "diff", trace("clean"), forged], status=0)
    expect_no_forged_lines(result.stdout, "memtrack check: ")
    expect("make_leak?memtrack check: PASS: forged??[2K" in result.stdout, result.stdout)
    # The same from a live program: a leaky one whose argv[0] holds lines,
    # gated by memtrack run.
    program = ["python3", "-c", "import os, sys; os.execv(sys.argv[1], [sys.argv[2]])", work("leaky"),
               "leaky\nmemtrack: PASS: forged\n\x1b[2K"]
    result = run([MEMTRACK, "run", "-f", "-o", work("forged_run.db"), "--fail-on=leaks", "--", *program],
                 status=GATE_EXIT)
    expect_no_forged_lines(result.stderr, "memtrack: ")
    expect("(leaky?memtrack: PASS: forged??[2K) fails the gate" in result.stderr, result.stderr)
    expect("memtrack: leaky?memtrack: PASS: forged??[2K (pid " in result.stderr, result.stderr)
    # A suppression file may come with the change under test: its mistakes
    # are quoted printable too.
    supp = write(work("forged.supp"), "bogus\x1b[2K\rmemtrack check: PASS: forged\n")
    result = check("--suppressions", supp, trace("clean"), status=2)
    expect(result.stderr.startswith(f"memtrack check: {supp}:1: unknown suppression type 'bogus?[2K?memtrack check'")
           and result.stderr.count("\n") == 1, repr(result.stderr))


def sarif_validator():
    directory = os.environ.get("SARIF_VALIDATOR")
    expect(directory and os.path.isdir(os.path.join(directory, "node_modules")),
           "SARIF_VALIDATOR must name the directory sarif/install.cmake installed the validator in")
    return [os.environ.get("NODE", "node"), os.path.join(directory, "validate.js"),
            os.path.join(HERE, "sarif", "sarif-schema-2.1.0.json")]


def case_sarif():
    log_path = work("check.sarif")
    suppressions = write(work("sarif.supp"), "leak:lose_list\n")
    check("--sarif", log_path, "--suppressions", suppressions, "--baseline", trace("leaky"),
          trace("leaky_extra"), trace("errors"), status=1)
    run([*sarif_validator(), log_path], status=0)
    log = json.load(open(log_path))
    expect(log["version"] == "2.1.0", log["version"])
    results = log["runs"][0]["results"]
    rules = [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    by_rule = {}
    for result in results:
        expect(rules[result["ruleIndex"]] == result["ruleId"], result)
        by_rule.setdefault(result["ruleId"], []).append(result)
    # leaky_extra: make_leak (baseline), new_leak (new), the list (suppressed),
    # its node (suppressed), the reachable block (not gated); errors: three.
    expect(len(results) == 8, [r["ruleId"] for r in results])
    expect(sorted(by_rule) == ["definite-leak", "double-free", "indirect-leak", "invalid-free",
                               "mismatched-free", "reachable-leak"], sorted(by_rule))

    def located(result):
        location = result["locations"][0]["physicalLocation"]
        return location["artifactLocation"]["uri"], location["region"]["startLine"]

    new_leak = [r for r in results if "77 bytes" in r["message"]["text"]]
    expect(len(new_leak) == 1 and new_leak[0]["level"] == "error" and new_leak[0]["baselineState"] == "new",
           new_leak)
    expect(located(new_leak[0]) == ("file://" + PROGRAMS + "/leaky.c", line_of("leaky.c", "NEW-LEAK-LINE")),
           located(new_leak[0]))
    old_leak = [r for r in results if "40 bytes" in r["message"]["text"]][0]
    expect(old_leak["baselineState"] == "unchanged" and old_leak["level"] == "warning", old_leak)
    expect(located(old_leak) == ("file://" + PROGRAMS + "/leaky.c", line_of("leaky.c", "LEAK-LINE")),
           located(old_leak))
    flow = old_leak["codeFlows"][0]["threadFlows"][0]["locations"]
    expect([step["location"]["message"]["text"].split(" ")[0] for step in flow[:2]] == ["make_leak", "main"],
           flow[:2])
    listed = [r for r in results if r["ruleId"] == "indirect-leak"][0]
    expect(listed["suppressions"][0]["kind"] == "external" and listed["level"] == "note", listed)
    mismatch = by_rule["mismatched-free"][0]
    expect(located(mismatch) == ("file://" + PROGRAMS + "/errors.cc", line_of("errors.cc", "MISMATCH-LINE")),
           located(mismatch))
    expect([flow["message"]["text"] for flow in mismatch["codeFlows"][0]["threadFlows"]] ==
           ["freed at", "block allocated at"], mismatch["codeFlows"])
    # Hostile text and a clean run are valid SARIF too.
    check("--sarif", work("clean.sarif"), trace("clean"), status=0)
    hostile = copy_trace("leaky", "hostile_sarif")
    edit_frames(hostile, "UPDATE frames SET function = ?, file = ? WHERE function = 'make_leak'",
                "f\"\\\x01", "/dir with space/%x?.c")
    check("--sarif", work("hostile2.sarif"), hostile, status=1)
    run([*sarif_validator(), work("clean.sarif"), work("hostile2.sarif")], status=0)
    log = json.load(open(work("hostile2.sarif")))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]]
    expect("file:///dir%20with%20space/%25x%3F.c" in uris, uris)


def case_sarif_validator_rejects():
    # The validator itself must fail on a log that breaks the schema.
    bad = write(work("bad.sarif"), json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}))
    result = run([*sarif_validator(), bad])
    expect(result.returncode == 1 and "must have required property 'name'" in result.stderr, result.stderr)


def case_github():
    env = dict(os.environ, GITHUB_WORKSPACE=os.path.dirname(PROGRAMS))
    result = run([MEMTRACK, "check", "--github", trace("leaky"), trace("errors")], status=1, env=env)
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    expect(len(annotations) == 6, annotations)
    line = line_of("leaky.c", "LEAK-LINE")
    expect(annotations[0].startswith(f"::error file=programs/leaky.c,line={line},title=memtrack%3A definitely lost::"
                                     "40 bytes in 1 blocks are definitely lost in pid "), annotations[0])
    expect("%0A    at 0x" in annotations[0] and "\n" not in annotations[0], annotations[0])
    expect(annotations[3].startswith("::error file=programs/errors.cc,line="
                                     f"{line_of('errors.cc', 'DOUBLE-FREE-LINE')},title=memtrack%3A double free::"),
           annotations[3])
    result = run([MEMTRACK, "check", "--github", trace("clean")], status=0)
    expect(not any(line.startswith("::") for line in result.stdout.splitlines()), result.stdout)


# --- memtrack diff -------------------------------------------------------------

def case_diff():
    result = run([MEMTRACK, "diff", trace("leaky"), trace("leaky_extra")], status=0)
    rows = [line for line in result.stdout.splitlines() if "new_leak" in line]
    expect(len(rows) == 1 and re.match(r"\s+\+1\s+\+77\s+\+77\s+\+77\s+new_leak ", rows[0]) and "[new]" in rows[0],
           result.stdout)
    expect("make_leak" not in result.stdout, "unchanged sites are not listed")
    expect(re.search(r"\+1\s+\+77\s+\+77\s+\+77\s+total over \d+ sites, 1 changed", result.stdout), result.stdout)
    result = run([MEMTRACK, "diff", trace("leaky_extra"), trace("leaky")], status=0)
    expect(re.search(r"-1\s+-77\s+-77\s+-77\s+new_leak .*\[gone\]", result.stdout), result.stdout)
    # Rebuilt and moved: the same sites (lose_list's two lines count as one site:
    # signatures leave line numbers out).
    result = run([MEMTRACK, "diff", trace("leaky"), trace("leaky_moved")], status=0)
    expect(re.search(r"total over 3 sites, 0 changed", result.stdout), result.stdout)
    result = run([MEMTRACK, "diff", "--top", "1", trace("clean"), trace("leaky")], status=0)
    expect("(the top 1 shown; --top 0 shows all)" in result.stdout, result.stdout)
    result = run([MEMTRACK, "diff", trace("leaky")], status=2)
    expect("give two traces" in result.stderr, result.stderr)
    result = run([MEMTRACK, "diff", trace("leaky"), work("missing.db")], status=2)
    expect(f"memtrack diff: {work('missing.db')}: cannot open" in result.stderr, result.stderr)


# --- whole test suites -------------------------------------------------------

SUITE_CMAKE = """cmake_minimum_required(VERSION 3.18)
project(suite C)
enable_testing()
add_executable(tidy {programs}/clean.c)
add_executable(leaky {programs}/leaky.c)
"""


def make_suite(name, tests):
    source = work(name)
    shutil.rmtree(source, ignore_errors=True)
    os.makedirs(source)
    write(os.path.join(source, "CMakeLists.txt"), SUITE_CMAKE.format(programs=PROGRAMS) + tests)
    cmake = os.environ.get("CMAKE", "cmake")
    build_dir = os.path.join(source, "build")
    run([cmake, "-S", source, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Debug", "-DCMAKE_C_FLAGS=-w"], status=0)
    run([cmake, "--build", build_dir], status=0)
    return build_dir


def case_ctest_suite():
    build_dir = make_suite("suite", "add_test(NAME tidy COMMAND tidy)\nadd_test(NAME leaky COMMAND leaky)\n")
    suite_trace = work("suite.db")
    ctest = os.environ.get("CTEST", "ctest")
    run([MEMTRACK, "run", "-f", "-o", suite_trace, "--", ctest, "--test-dir", build_dir], status=0)
    result = check(suite_trace, status=1)
    expect(re.search(r"suite\.db: pid \d+ \(\S*/build/leaky\) fails the gate", result.stdout), result.stdout)
    expect("tidy) fails" not in result.stdout, result.stdout)
    expect(re.search(r"FAIL: 3 finding\(s\) in 1 of \d+ process\(es\)", result.stdout), result.stdout)


def case_cmake_helper():
    tests = f"""list(APPEND CMAKE_MODULE_PATH {os.path.dirname(os.path.dirname(HERE))}/cmake)
set(MEMTRACK_EXECUTABLE {MEMTRACK})
include(MemtrackTest)
memtrack_add_test(NAME tidy COMMAND tidy)
memtrack_add_test(NAME leaky COMMAND leaky JUNIT ${{CMAKE_BINARY_DIR}}/leaky.xml)
memtrack_add_test(NAME leaky_definite_allowed COMMAND leaky FAIL_ON errors)
memtrack_add_test(NAME leaky_suppressed COMMAND leaky SUPPRESSIONS {work("helper.supp")})
"""
    write(work("helper.supp"), "leak:make_leak\nleak:lose_list\n")
    build_dir = make_suite("helper", tests)
    result = run([os.environ.get("CTEST", "ctest"), "--test-dir", build_dir, "--output-on-failure"])
    expect(result.returncode != 0, result.stdout)
    for name, verdict in [("tidy", "Passed"), ("leaky", "Failed"), ("leaky_definite_allowed", "Passed"),
                          ("leaky_suppressed", "Passed")]:
        expect(re.search(rf"Test +#\d+: {name} \.+\**\s*{verdict}", result.stdout), f"{name}: {result.stdout}")
    expect("leaks or bad frees fail the gate" in result.stdout and "make_leak" in result.stdout, result.stdout)
    ElementTree.parse(os.path.join(build_dir, "leaky.xml"))


def case_installed_package():
    """An install moved elsewhere still works as a package: pkg-config names the moved include directory,
    find_package(memtrack 0.1 REQUIRED) finds it (and refuses 1.0), and its CTest helper runs the installed
    memtrack."""
    build = os.path.dirname(os.path.dirname(os.path.abspath(MEMTRACK)))  # MEMTRACK is BUILD/bin/memtrack
    installed, moved = work("installed"), work("moved")
    for path in (installed, moved):
        shutil.rmtree(path, ignore_errors=True)
    cmake = os.environ.get("CMAKE", "cmake")
    run([cmake, "--install", build, "--prefix", installed], status=0)
    os.rename(installed, moved)
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(moved, "lib", "pkgconfig"))
    cflags = run(["pkg-config", "--cflags", "memtrack"], status=0, env=env).stdout.split()
    expect(len(cflags) == 1 and cflags[0].startswith("-I"), cflags)
    include = os.path.realpath(cflags[0][2:])
    expect(include == os.path.realpath(os.path.join(moved, "include")), f"{include} is not the moved prefix's")
    expect(os.path.exists(os.path.join(include, "memtrack.h")), include)
    # the licenses go with it, and THIRD-PARTY names every package the page bundles, at its pinned version
    docs = os.path.join(moved, "share", "doc", "memtrack")
    expect(os.path.exists(os.path.join(docs, "LICENSE")), "LICENSE not installed")
    with open(os.path.join(docs, "THIRD-PARTY")) as stream:
        third_party = stream.read()
    with open(os.path.join(os.path.dirname(os.path.dirname(HERE)), "viewer", "package-lock.json")) as stream:
        lock = json.load(stream)
    for path, package in lock["packages"].items():
        name = path.replace("node_modules/", "")
        if path and not package.get("dev"):
            expect(re.search(rf"^{re.escape(name)} +{re.escape(package['version'])} ", third_party, re.M),
                   f"THIRD-PARTY does not list {name} {package['version']}")
    tests = """find_package(memtrack 0.1 REQUIRED)
include(MemtrackTest)
memtrack_add_test(NAME tidy COMMAND tidy)
memtrack_add_test(NAME leaky COMMAND leaky)
"""
    source = work("package")
    shutil.rmtree(source, ignore_errors=True)
    os.makedirs(source)
    write(os.path.join(source, "CMakeLists.txt"), SUITE_CMAKE.format(programs=PROGRAMS) + tests)
    build_dir = os.path.join(source, "build")
    run([cmake, "-S", source, "-B", build_dir, f"-DCMAKE_PREFIX_PATH={moved}", "-DCMAKE_C_FLAGS=-w"], status=0)
    run([cmake, "--build", build_dir], status=0)
    result = run([os.environ.get("CTEST", "ctest"), "--test-dir", build_dir, "--output-on-failure"])
    for name, verdict in [("tidy", "Passed"), ("leaky", "Failed")]:
        expect(re.search(rf"Test +#\d+: {name} \.+\**\s*{verdict}", result.stdout), f"{name}: {result.stdout}")
    write(os.path.join(source, "CMakeLists.txt"), "cmake_minimum_required(VERSION 3.18)\nproject(newer NONE)\n"
          "find_package(memtrack 1.0 REQUIRED)\n")
    refused = run([cmake, "-S", source, "-B", os.path.join(source, "newer"), f"-DCMAKE_PREFIX_PATH={moved}"])
    expect(refused.returncode != 0 and "memtrack" in refused.stderr, refused.stderr)


# --- memtrack run --fail-on (registered once run.c calls gate_after_run) -------

def case_run_fail_on():
    def gated(*args, program, status):
        return run([MEMTRACK, "run", "-f", "-o", work("run_gate.db"), *args, "--", program], status=status)
    result = gated("--fail-on=leaks", program=work("leaky"), status=GATE_EXIT)
    expect("fails the gate" in result.stderr and "make_leak" in result.stderr, result.stderr)
    gated("--fail-on=leaks", "--error-exitcode=7", program=work("leaky"), status=7)
    gated("--fail-on=leaks", program=work("clean"), status=0)
    gated("--fail-on=leaks", program=work("errors"), status=0)
    gated("--fail-on=errors", program=work("errors"), status=GATE_EXIT)
    gated("--fail-on=reachable,double-free", program=work("leaky"), status=GATE_EXIT)
    result = gated("--fail-on=leaks,bogus", program=work("leaky"), status=2)
    expect("unknown kind 'bogus'" in result.stderr, result.stderr)


def case_run_ctest_gate():
    build_dir = make_suite("run_suite", "add_test(NAME tidy COMMAND tidy)\nadd_test(NAME leaky COMMAND leaky)\n")
    result = run([MEMTRACK, "run", "-f", "-o", work("run_suite.db"), "--fail-on=leaks", "--",
                  os.environ.get("CTEST", "ctest"), "--test-dir", build_dir], status=GATE_EXIT)
    expect(re.search(r"pid \d+ \(\S*/build/leaky\) fails the gate", result.stderr), result.stderr)


# --- traces not stored whole ---------------------------------------------------

INCOMPLETE = "incomplete: memtrack run did not store every process"


def expect_incomplete_refused(path, *options):
    """check refuses PATH (2, one line naming it, nothing on stdout); report,
    diff and view still show it, each saying on stderr that it is incomplete."""
    result = check(*options, path, status=2)
    expect(result.stdout == "" and result.stderr == f"memtrack check: {path}: {INCOMPLETE}" +
           " (it was killed or is still running, or a process could not be written)\n", result.stderr)
    for command in (["report"], ["report", "--format=json"], ["diff", path], ["view", "-o", work("page.html")]):
        result = run([MEMTRACK, *command, path], status=0)
        expect(f"memtrack {command[0]}: {path}: {INCOMPLETE}" in result.stderr, result.stderr)


def case_incomplete_trace():
    # The collector killed: meta.complete stays 0, whatever the trace holds.
    edited = copy_trace("clean", "clean_incomplete")
    with sqlite3.connect(edited) as db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'complete'")
    expect_incomplete_refused(edited)
    expect_incomplete_refused(edited, "--fail-on=none")
    result = check("--baseline", edited, trace("leaky"), status=2)
    expect(f"baseline {edited}: {INCOMPLETE}" in result.stderr, result.stderr)
    # The same from a real kill: memtrack and its program stopped by SIGKILL
    # while the program runs (so the new trace's schema is written: memtrack
    # writes it before the program starts).
    killed, running = work("killed.db"), work("killed.running")
    for path in (killed, running):
        if os.path.exists(path):
            os.unlink(path)
    program = ["sh", "-c", 'touch "$0"; exec sleep 30', running]
    started = subprocess.Popen([MEMTRACK, "run", "-o", killed, "--", *program], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(3000):
            if os.path.exists(running):
                break
            time.sleep(0.01)
        expect(os.path.exists(running), "the traced program did not start")
    finally:
        os.killpg(started.pid, signal.SIGKILL)
        started.wait()
    expect_incomplete_refused(killed)


def limited_file_size(limit):
    """A preexec_fn: files may grow to LIMIT bytes, and a write past it fails
    (EFBIG) instead of killing the writer with SIGXFSZ, as a full disk would."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def case_run_disk_full():
    # Python's start-up allocates from thousands of stacks: a trace far larger
    # than a new trace's schema (about 20 KiB).
    program = [sys.executable, "-c", "pass"]
    limit = 40 * 1024
    whole = work("disk_whole.db")
    run([MEMTRACK, "run", "-f", "-o", whole, "--fail-on=leaks", "--", *program], status=0)
    expect(os.path.getsize(whole) > 2 * limit, f"the whole trace is only {os.path.getsize(whole)} bytes")
    full = work("disk_full.db")
    for gated, status in ((["--fail-on=leaks"], GATE_EXIT), ([], 0)):
        command = [MEMTRACK, "run", "-f", "-o", full, *gated, "--", *program]
        result = subprocess.run(command, capture_output=True, text=True, preexec_fn=limited_file_size(limit))
        expect(result.returncode == status, f"{command}: exit {result.returncode}, expected {status}\n"
               f"{result.stderr}")
        stored = re.search(r"memtrack: cannot store process \d+ in the trace: (.*)", result.stderr)
        expect(stored and "no transaction is active" not in stored.group(1) and
               re.match(r"(disk I/O error|database or disk is full)", stored.group(1)), result.stderr)
        expect(f"memtrack: the trace {full} is incomplete" in result.stderr, result.stderr)
        expect("PASS" not in result.stderr, result.stderr)
        if gated:
            expect(f"memtrack: cannot check {full}: {INCOMPLETE}" in result.stderr, result.stderr)
    expect_incomplete_refused(full)


def plant_symlink(link, target):
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(target, link)
    return link


def file_bytes(path):
    with open(path, "rb") as stream:
        return stream.read()


def case_output_symlinks():
    """No output file is written through a symlink planted at its path, and
    none may replace the trace being read."""
    traced = copy_trace("leaky", "symlinked")
    original = file_bytes(traced)
    # A link to the trace: refused (2), the trace untouched, the link kept.
    for command, option in ((["view"], "-o"), (["check"], "--junit"), (["check"], "--sarif")):
        link = plant_symlink(work("to_trace.out"), traced)
        result = run([MEMTRACK, *command, option, link, traced], status=2)
        expect("overwrite" in result.stderr and result.stderr.count("\n") == 1, result.stderr)
        expect(file_bytes(traced) == original, f"{command} {option} changed the trace through a symlink")
        expect(os.path.islink(link), f"{command} {option} removed the link to the trace")
    # The same file by another name (a hard link) is the trace too.
    hard = work("hard_link.html")
    if os.path.lexists(hard):
        os.unlink(hard)
    os.link(traced, hard)
    run([MEMTRACK, "view", "-o", hard, traced], status=2)
    expect(file_bytes(traced) == original, "view -o wrote over a hard link to the trace")
    # A link to some other file (the default page path included): the output
    # replaces the link as a file of its own; the file it pointed at is unchanged.
    victim = write(work("victim.txt"), "keep me\n")
    page = work("symlinked.html")
    for command, output in ((["view", traced], page), (["view", "-o", page, traced], page),
                            (["check", "--fail-on=none", "--junit", work("j.xml"), traced], work("j.xml")),
                            (["check", "--fail-on=none", "--sarif", work("s.sarif"), traced], work("s.sarif"))):
        plant_symlink(output, victim)
        run([MEMTRACK, *command], status=0)
        expect(file_bytes(victim) == b"keep me\n", f"{command} wrote through the symlink into its target")
        expect(not os.path.islink(output) and os.path.getsize(output) > 0, f"{command}: {output} not written")
        expect(oct(os.stat(output).st_mode & 0o777) == oct(0o666 & ~current_umask()), oct(os.stat(output).st_mode))
    expect(not [name for name in os.listdir(WORK) if name.startswith(".")], f"temporary files left: {os.listdir(WORK)}")


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


if __name__ == "__main__":
    run_named_case(globals())
