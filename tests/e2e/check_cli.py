#!/usr/bin/env python3
"""End-to-end checks of memtrack's command line: bad inputs, exit statuses,
help, and programs whose output and status must be the same under memtrack.

  check_cli.py --memtrack BIN --cases DIR CHECK

DIR holds the built case programs.  CHECK is one of the functions named
check_* below, without the prefix.  Exit status: 0 pass, 1 fail, 77 skipped
(a program the check needs is not installed)."""

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

import e2e_lib

SKIP = 77


class Context:
    """What every check gets: memtrack, the case programs, a scratch directory."""

    def __init__(self, memtrack, cases, workdir):
        self.memtrack = memtrack
        self.cases = cases
        self.workdir = workdir

    def case(self, name):
        """Path of a built case program."""
        return os.path.join(self.cases, name)

    def path(self, name):
        """Path of a file in the scratch directory."""
        return os.path.join(self.workdir, name)

    def memtrack_cmd(self, *args, **kwargs):
        """Runs memtrack with ARGS in the scratch directory."""
        return e2e_lib.run([self.memtrack] + list(args), cwd=self.workdir, **kwargs)


expect = e2e_lib.expect


def expect_refused_trace(ctx, trace, reason):
    """`memtrack report` on trace: status 2, nothing on stdout, and exactly one
    stderr line `memtrack report: TRACE: REASON...` (docs/report-format.md)."""
    for fmt in ("text", "json"):
        proc = ctx.memtrack_cmd("report", "--format", fmt, trace)
        lines = e2e_lib.text(proc.stderr).splitlines()
        expect(proc.returncode == 2, "report --format %s %s: expected status 2" % (fmt, trace), proc)
        expect(proc.stdout == b"", "report %s: expected nothing on stdout" % trace, proc)
        expect(len(lines) == 1 and lines[0].startswith("memtrack report: %s: %s" % (trace, reason)),
               "report %s: expected one line 'memtrack report: %s: %s...'" % (trace, trace, reason), proc)


def check_missing_program(ctx):
    """A program that does not exist: 127, one line on stderr naming it in
    run's voice ("memtrack run: cannot run NAME: ..."), no trace left (neither
    the -o file nor a default-named one)."""
    for argv in (["run", "-o", "T.db", "--", "/nonexistent/e2e-no-such-program"],
                 ["run", "--", "e2e-no-such-program-on-path"]):
        proc = ctx.memtrack_cmd(*argv)
        name = argv[-1]
        expect(proc.returncode == 127, "%s: expected status 127" % name, proc)
        err = e2e_lib.text(proc.stderr)
        expect(err.startswith("memtrack run: cannot run %s: " % name) and err.count("\n") == 1,
               "%s: expected one line 'memtrack run: cannot run %s: ...' on stderr" % (name, name), proc)
        expect(os.listdir(ctx.workdir) == [], "%s: left files behind: %s" % (name, os.listdir(ctx.workdir)))


def check_not_executable(ctx):
    """A file without execute permission: 126, one line on stderr naming it in
    run's voice, no trace."""
    script = ctx.path("not-executable")
    with open(script, "w") as f:
        f.write("#!/bin/sh\necho should not run\n")
    os.chmod(script, 0o644)
    proc = ctx.memtrack_cmd("run", "-o", "T.db", "--", script)
    expect(proc.returncode == 126, "expected status 126", proc)
    err = e2e_lib.text(proc.stderr)
    expect(err.startswith("memtrack run: cannot run %s: " % script) and err.count("\n") == 1,
           "expected one line 'memtrack run: cannot run %s: ...' on stderr" % script, proc)
    expect(proc.stdout == b"", "the file must not have run", proc)
    expect(not os.path.exists(ctx.path("T.db")), "a trace was left behind")


def check_report_text_file(ctx):
    """A text file is not a trace: 2, `not a memtrack trace`."""
    with open(ctx.path("notes.txt"), "w") as f:
        f.write("this is a text file, not a trace\n" * 50)
    expect_refused_trace(ctx, "notes.txt", "not a memtrack trace")


def check_report_empty_file(ctx):
    """An empty file is not a trace: 2, `not a memtrack trace`."""
    open(ctx.path("empty.db"), "w").close()
    expect_refused_trace(ctx, "empty.db", "not a memtrack trace")


def check_report_missing_file(ctx):
    """A file that does not exist: 2, `cannot open: `."""
    expect_refused_trace(ctx, "missing.db", "cannot open: ")


def check_report_sqlite_not_trace(ctx):
    """An SQLite database that memtrack did not write: 2, `not a memtrack trace`."""
    db = sqlite3.connect(ctx.path("other.db"))
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    expect_refused_trace(ctx, "other.db", "not a memtrack trace")


def check_report_truncated_trace(ctx):
    """A real trace cut in half: 2, `damaged: `."""
    proc = ctx.memtrack_cmd("run", "-o", "T.db", "--", ctx.case("leak_merged_1000"))
    expect(proc.returncode == 0 and os.path.getsize(ctx.path("T.db")) > 8192, "could not make a trace", proc)
    with open(ctx.path("T.db"), "r+b") as f:
        f.truncate(os.path.getsize(ctx.path("T.db")) // 2)
    expect_refused_trace(ctx, "T.db", "damaged: ")


def check_run_compressed(ctx):
    """-o NAME.zst: the trace is written as NAME, then compressed into NAME.zst
    and NAME removed; report reads it as it reads the plain trace, and check
    and view take it.  An existing NAME.zst or NAME is not overwritten without
    --force."""
    proc = ctx.memtrack_cmd("run", "-o", "T.db.zst", "--", ctx.case("leak_lost_block"))
    expect(proc.returncode == 0 and proc.stdout == b"done\n", "expected the program to run", proc)
    expect("trace written to T.db.zst" in e2e_lib.text(proc.stderr), "expected the summary to name T.db.zst", proc)
    expect(os.path.exists(ctx.path("T.db.zst")) and not os.path.exists(ctx.path("T.db")),
           "expected T.db.zst and no T.db", proc)
    with open(ctx.path("T.db.zst"), "rb") as f:
        expect(f.read(4) == b"\x28\xb5\x2f\xfd", "expected a zstd frame in T.db.zst")
    proc = ctx.memtrack_cmd("run", "-o", "P.db", "--", ctx.case("leak_lost_block"))
    expect(proc.returncode == 0, "plain run", proc)
    reports = []
    for trace in ("T.db.zst", "P.db"):
        proc = ctx.memtrack_cmd("report", "--format", "json", trace)
        expect(proc.returncode == 0, "report %s" % trace, proc)
        reports.append(e2e_lib.normalize(json.loads(proc.stdout), "leak_lost_block"))
    expect(reports[0] == reports[1], "the compressed trace's report differs from the plain one's")
    for argv in (["check", "T.db.zst"], ["view", "-o", "page.html", "T.db.zst"]):
        proc = ctx.memtrack_cmd(*argv)
        expect(proc.returncode != 2, "%s: expected the compressed trace to be read" % argv, proc)
    for existing in ("T.db.zst", "T.db"):
        os.unlink(ctx.path("T.db.zst"))
        with open(ctx.path(existing), "wb") as f:
            f.write(b"precious\n")
        proc = ctx.memtrack_cmd("run", "-o", "T.db.zst", "--", ctx.case("leak_lost_block"))
        message = "memtrack run: %s exists; use --force to overwrite it\n" % existing
        expect(proc.returncode == 2 and proc.stdout == b"" and e2e_lib.text(proc.stderr) == message,
               "expected %r" % message, proc)
    proc = ctx.memtrack_cmd("run", "--force", "-o", "T.db.zst", "--", ctx.case("leak_lost_block"))
    expect(proc.returncode == 0 and not os.path.exists(ctx.path("T.db")), "--force", proc)
    expect(ctx.memtrack_cmd("report", "T.db.zst").returncode == 0, "report after --force", proc)


def check_run_compression_fails(ctx):
    """A trace that cannot be compressed (here NAME.zst is a directory, which
    --force does not remove) stays whole under its plain name, which the run
    says and the summary names; the program's status is kept."""
    os.mkdir(ctx.path("C.db.zst"))
    proc = ctx.memtrack_cmd("run", "--force", "-o", "C.db.zst", "--", ctx.case("leak_lost_block"))
    err = e2e_lib.text(proc.stderr)
    expect(proc.returncode == 0 and proc.stdout == b"done\n", "expected the program's status", proc)
    expect("memtrack: cannot compress into C.db.zst: Is a directory; the trace is C.db"
           in err and "trace written to C.db " in err, "expected the failure said and C.db named", proc)
    expect(os.path.isdir(ctx.path("C.db.zst")) and os.path.isfile(ctx.path("C.db")),
           "expected the directory untouched and C.db beside it", proc)
    expect(ctx.memtrack_cmd("report", "C.db").returncode == 0, "expected C.db to be a whole trace", proc)


def zstd_raw_frame(data):
    """A zstd frame holding DATA in one raw (stored) block: a compressed file
    of any content, with no zstd library."""
    assert len(data) < 256
    block_header = (1 | len(data) << 3).to_bytes(3, "little")  # last block, raw, its size
    return b"\x28\xb5\x2f\xfd" + bytes([0x20, len(data)]) + block_header + data


def check_report_damaged_compressed(ctx):
    """Compressed traces that cannot be used: cut short, not zstd after its
    magic number, or decompressing to something that is no trace: status 2
    and one line saying which."""
    proc = ctx.memtrack_cmd("run", "-o", "T.db.zst", "--", ctx.case("leak_merged_1000"))
    expect(proc.returncode == 0, "could not make a trace", proc)
    with open(ctx.path("T.db.zst"), "rb") as f:
        whole = f.read()
    with open(ctx.path("cut.db.zst"), "wb") as f:
        f.write(whole[:len(whole) // 2])
    expect_refused_trace(ctx, "cut.db.zst", "damaged: the compressed trace is cut short")
    with open(ctx.path("noise.db.zst"), "wb") as f:
        f.write(b"\x28\xb5\x2f\xfd" + bytes(range(256)) * 4)
    expect_refused_trace(ctx, "noise.db.zst", "damaged: the compressed trace does not decompress")
    with open(ctx.path("text.db.zst"), "wb") as f:
        f.write(zstd_raw_frame(b"precious, not a trace\n"))
    expect_refused_trace(ctx, "text.db.zst", "not a memtrack trace")


def check_view_damaged_trace(ctx):
    """`memtrack view` of a real trace cut in half, or with its second half
    overwritten: 2, one line `memtrack view: T.db: damaged: ...`, no page.
    view leaves out SQLite's structural check (it reads what it shows
    before it writes anything), so its reading must meet the damage."""
    proc = ctx.memtrack_cmd("run", "-o", "whole.db", "--", ctx.case("leak_merged_1000"))
    expect(proc.returncode == 0 and os.path.getsize(ctx.path("whole.db")) > 8192, "could not make a trace", proc)
    with open(ctx.path("whole.db"), "rb") as f:
        whole = f.read()
    half = len(whole) // 2 // 1024 * 1024
    for damage, content in (("cut", whole[:half]), ("overwritten", whole[:half] + b"\xff" * (len(whole) - half))):
        with open(ctx.path("T.db"), "wb") as f:
            f.write(content)
        proc = ctx.memtrack_cmd("view", "T.db", "-o", "T.html")
        lines = e2e_lib.text(proc.stderr).splitlines()
        expect(proc.returncode == 2, "view of a trace %s in half: expected status 2" % damage, proc)
        expect(len(lines) == 1 and lines[0].startswith("memtrack view: T.db: damaged: "),
               "view of a trace %s in half: expected one line 'memtrack view: T.db: damaged: ...'" % damage, proc)
        expect(not os.path.exists(ctx.path("T.html")), "view of a trace %s in half wrote a page" % damage, proc)


def check_run_existing_output(ctx):
    """-o naming an existing file without --force: 2, a message in run's
    voice, the file untouched and the program not started."""
    content = b"precious, not a trace\n"
    with open(ctx.path("T.db"), "wb") as f:
        f.write(content)
    proc = ctx.memtrack_cmd("run", "-o", "T.db", "--", ctx.case("leak_lost_block"))
    expect(proc.returncode == 2, "expected status 2", proc)
    expect(e2e_lib.text(proc.stderr) == "memtrack run: T.db exists; use --force to overwrite it\n",
           "expected 'memtrack run: T.db exists; use --force to overwrite it' on stderr", proc)
    expect(proc.stdout == b"", "the program must not have run", proc)
    with open(ctx.path("T.db"), "rb") as f:
        expect(f.read() == content, "the existing file was changed")


def check_run_force_overwrites(ctx):
    """-o naming an existing file with --force: the program runs and the file
    becomes a trace that report reads."""
    with open(ctx.path("T.db"), "wb") as f:
        f.write(b"old contents\n")
    proc = ctx.memtrack_cmd("run", "--force", "-o", "T.db", "--", ctx.case("leak_lost_block"))
    expect(proc.returncode == 0 and proc.stdout == b"done\n", "expected the program to run", proc)
    proc = ctx.memtrack_cmd("report", "--format", "json", "T.db")
    expect(proc.returncode == 0, "expected the overwritten file to be a trace", proc)


def check_send_waits_recorded(ctx):
    """A process that exits normally has its waits for the collector in the
    trace (since schema 2): the longest at most the total; a killed one has none."""
    for program, recorded in (("leak_lost_block", True), ("segv_after_leak", False)):
        ctx.memtrack_cmd("run", "-f", "-o", "T.db", "--", ctx.case(program))
        db = sqlite3.connect(ctx.path("T.db"))
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        most, total = db.execute("SELECT send_wait_max_ns, send_wait_total_ns FROM processes").fetchone()
        db.close()
        expect(version == "4", "%s: expected schema_version 4, got %r" % (program, version))
        if recorded:
            expect(most is not None and total is not None and 0 <= most <= total,
                   "%s: expected send waits with max <= total, got %r, %r" % (program, most, total))
        else:
            expect(most is None and total is None,
                   "%s: a killed process sent no exit record, yet waits %r, %r" % (program, most, total))


def check_rss_sampled(ctx):
    """A run of a few hundred milliseconds has its resident set size on its timeline: the collector
    reads it from /proc while the program runs."""
    sleep = shutil.which("sleep")
    if not sleep:
        return SKIP
    proc = ctx.memtrack_cmd("run", "-f", "-o", "T.db", "--", sleep, "0.3")
    expect(proc.returncode == 0, "expected sleep to run", proc)
    db = sqlite3.connect(ctx.path("T.db"))
    read, not_positive = db.execute("SELECT count(rss_bytes), count(*) FILTER (WHERE rss_bytes <= 0)"
                                  " FROM timeline").fetchone()
    db.close()
    expect(read > 0, "expected timeline rows with rss_bytes, got none")
    expect(not_positive == 0, "expected every rss_bytes reading to be positive")


def check_symbol_cache(ctx):
    """The symbol cache shared by runs changes no report: a first run fills it, a second reads it, two
    runs started together both use it, a damaged cache file is passed over, and --no-symbol-cache
    neither reads nor writes one."""
    program = ctx.case("leak_lost_block")
    cache = ctx.path("cache")
    env = dict(os.environ, XDG_CACHE_HOME=cache)

    def traced(name, *options, environment=env):
        proc = e2e_lib.run([ctx.memtrack, "run", "-o", name] + list(options) + ["--", program], cwd=ctx.workdir,
                           env=environment)
        expect(proc.returncode == 0, "%s: expected status 0" % name, proc)
        return e2e_lib.dump(e2e_lib.normalize(e2e_lib.memtrack_report_json(ctx.memtrack, ctx.path(name)), program))

    cold = traced("cold.db")
    db_file = os.path.join(cache, "memtrack", "symbols.db")
    expect(os.path.exists(db_file), "the first run left no %s" % db_file)
    db = sqlite3.connect(db_file)
    objects, frames = db.execute("SELECT (SELECT count(*) FROM objects), (SELECT count(*) FROM frames)").fetchone()
    db.close()
    expect(objects > 0 and frames > 0, "the cache holds %d objects, %d frames" % (objects, frames))
    expect(traced("warm.db") == cold, "the report from the cache differs from the first")

    together = [subprocess.Popen([ctx.memtrack, "run", "-o", "together%d.db" % i, "--", program], cwd=ctx.workdir,
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(3)]
    for i, proc in enumerate(together):
        _, err = proc.communicate(timeout=e2e_lib.TIMEOUT_S)
        expect(proc.returncode == 0, "run %d of 3 started together exited %d: %s" % (i, proc.returncode, err))
        report = e2e_lib.memtrack_report_json(ctx.memtrack, ctx.path("together%d.db" % i))
        expect(e2e_lib.dump(e2e_lib.normalize(report, program)) == cold, "run %d of 3 reported otherwise" % i)

    for name in os.listdir(os.path.dirname(db_file)):
        os.remove(os.path.join(os.path.dirname(db_file), name))
    with open(db_file, "wb") as f:
        f.write(b"not a database, written over the cache" * 100)
    expect(traced("damaged.db") == cold, "with a damaged cache file the report differs")

    bypass = ctx.path("unused-cache")
    expect(traced("bypass.db", "--no-symbol-cache", environment=dict(os.environ, XDG_CACHE_HOME=bypass)) == cold,
           "--no-symbol-cache: the report differs")
    expect(not os.path.exists(bypass), "--no-symbol-cache created %s" % bypass)


def check_unknown_option(ctx):
    """An unknown option, to memtrack or to a command: 2, nothing on stdout,
    the option named on stderr, and no program started."""
    for argv, named in ((["--bogus-option"], "--bogus-option"),
                        (["run", "--bogus-option", "--", ctx.case("leak_lost_block")], "--bogus-option"),
                        (["run", "--unwinder=guess", "--", ctx.case("leak_lost_block")], "--unwinder"),
                        (["report", "--bogus-option", "T.db"], "--bogus-option"),
                        (["no-such-command"], "no-such-command")):
        proc = ctx.memtrack_cmd(*argv)
        expect(proc.returncode == 2, "%s: expected status 2" % " ".join(argv), proc)
        expect(proc.stdout == b"", "%s: expected nothing on stdout" % " ".join(argv), proc)
        expect(named in e2e_lib.text(proc.stderr), "%s: expected %s named on stderr" % (" ".join(argv), named),
               proc)


def check_one_option_reader(ctx):
    """Every command reads its options alike (getopt_long): a missing value, a
    value given to a flag and an unknown option get the same words and status 2
    with the command's help
    on stderr; options may follow the trace, take their value as NAME=VALUE or
    NAME VALUE, and "--" ends them."""
    for command, option in (("run", "--depth"), ("report", "--num-callers"), ("check", "--fail-on"),
                            ("diff", "--top"), ("view", "--output")):
        value = "a file name" if command == "view" else "a value"
        for argv, message in (([command, option], "memtrack %s: %s needs %s\n" % (command, option, value)),
                              ([command, "--bogus-option", "T.db"],
                               "memtrack %s: unknown option '--bogus-option'\n" % command),
                              ([command, "-Z", "T.db"], "memtrack %s: unknown option '-Z'\n" % command)):
            proc = ctx.memtrack_cmd(*argv)
            err = e2e_lib.text(proc.stderr)
            expect(proc.returncode == 2 and proc.stdout == b"", "%s: expected status 2 and no output" % argv, proc)
            expect(err.startswith(message + "Usage: memtrack %s " % command),
                   "%s: expected %r, then the help" % (argv, message), proc)
    for command, flag in (("run", "--force"), ("report", "--show-below-main"), ("view", "--full")):
        proc = ctx.memtrack_cmd(command, flag + "=yes", "T.db")
        message = "memtrack %s: %s takes no value\n" % (command, flag)
        expect(proc.returncode == 2 and proc.stdout == b"" and
               e2e_lib.text(proc.stderr).startswith(message + "Usage: memtrack %s " % command),
               "%s %s=yes: expected %r, then the help" % (command, flag, message), proc)
    proc = ctx.memtrack_cmd("run", "-f", "-o", "T.db", "--", ctx.case("leak_lost_block"))
    expect(proc.returncode == 0, "run", proc)
    report = ctx.memtrack_cmd("report", "T.db", "--format", "json")
    expect(report.returncode == 0 and json.loads(report.stdout)["version"] == 1, "report TRACE --format json",
           report)
    expect(ctx.memtrack_cmd("report", "--format=json", "T.db").stdout == report.stdout, "--format=json", report)
    proc = ctx.memtrack_cmd("report", "--", "--format")
    expect(proc.returncode == 2 and "memtrack report: --format: cannot open" in e2e_lib.text(proc.stderr),
           "after --, --format is the trace", proc)
    for argv in (["view", "T.db", "--output", "page.html"], ["view", "-o", "page.html", "T.db"],
                 ["view", "--output=page.html", "--", "T.db"]):
        if os.path.exists(ctx.path("page.html")):
            os.unlink(ctx.path("page.html"))
        proc = ctx.memtrack_cmd(*argv)
        expect(proc.returncode == 0 and e2e_lib.text(proc.stdout) == "page.html\n"
               and os.path.exists(ctx.path("page.html")), "%s" % argv, proc)
    proc = ctx.memtrack_cmd("diff", "T.db", "--top", "1", "T.db")
    expect(proc.returncode == 0 and "0 changed" in e2e_lib.text(proc.stdout), "diff OLD --top 1 NEW", proc)


def expect_refused_run(ctx, argv, message, env=None):
    """`memtrack run ARGV`: status 2, exactly MESSAGE on stderr, nothing on
    stdout (the program did not run) and no trace left."""
    proc = ctx.memtrack_cmd("run", "-o", "T.db", *argv, "--", ctx.case("leak_lost_block"), env=env)
    expect(proc.returncode == 2, "%s: expected status 2" % " ".join(argv), proc)
    expect(e2e_lib.text(proc.stderr) == "memtrack run: %s\n" % message,
           "%s: expected only 'memtrack run: %s' on stderr" % (" ".join(argv), message), proc)
    expect(proc.stdout == b"" and not os.path.exists(ctx.path("T.db")), "the program must not have run", proc)


def check_run_bad_numbers(ctx):
    """A number option given a value that is not a number, or one out of the
    range libtrack uses as given: 2, and a line naming the option, its range
    and the value."""
    for option, value, low, high in (("--depth", "-5", 1, 256), ("--depth", "0", 1, 256),
                                     ("--depth", "257", 1, 256), ("--depth", "abc", 1, 256),
                                     ("--depth", "", 1, 256), ("--depth", "+5", 1, 256),
                                     ("--free-depth", "-1", 0, 256), ("--free-depth", "257", 0, 256),
                                     ("--temporary-window", "0", 1, 16), ("--temporary-window", "17", 1, 16),
                                     ("--quarantine", "-1", 0, 2 ** 64 - 1), ("--quarantine", "1e3", 0, 2 ** 64 - 1),
                                     ("--quarantine", str(2 ** 64), 0, 2 ** 64 - 1)):
        message = "%s takes a number from %d to %d, not '%s'" % (option, low, high, value)
        expect_refused_run(ctx, [option, value], message)
        expect_refused_run(ctx, ["%s=%s" % (option, value)], message)


def check_run_bad_heuristics(ctx):
    """--leak-check-heuristics given anything but all, none or a comma list of
    the four heuristics' names: 2, and a line naming the choices and the value."""
    for value in ("", "bogus", "stdstring,", ",newarray", "stdstring,,length64", "length64,bogus", "ALL",
                  "none,stdstring"):
        message = ("--leak-check-heuristics takes all, none or a comma-separated list of stdstring, length64, "
                   "newarray, multipleinheritance, not '%s'" % value)
        expect_refused_run(ctx, ["--leak-check-heuristics=" + value], message)
        expect_refused_run(ctx, ["--leak-check-heuristics", value], message)


def check_report_leak_resolution(ctx):
    """`report --leak-resolution=low|med|high` merges the records memcheck's
    option of that name merges: leak_two_callers' four stacks print as the
    same records, bytes and blocks as memcheck's (valgrind is a test
    dependency); a value other than low, med or high is refused (2)."""
    program = ctx.case("leak_two_callers")
    proc = ctx.memtrack_cmd("run", "-f", "-o", "T.db", "--", program)
    expect(proc.returncode == 0, "expected the program to run", proc)
    header = re.compile(r"^(?:==\d+== )?(\d+ bytes in \d+ blocks) are definitely lost", re.M)
    valgrind = shutil.which("valgrind")
    expect(valgrind is not None, "valgrind is not installed (bash .ci/deps test installs it)")
    for resolution in ("low", "med", "high"):
        ours = header.findall(e2e_lib.text(ctx.memtrack_cmd("report", "--leak-resolution=" + resolution,
                                                            ctx.path("T.db")).stdout))
        memcheck = e2e_lib.run([valgrind, "--leak-check=full", "--leak-resolution=" + resolution, program])
        theirs = header.findall(e2e_lib.text(memcheck.stderr))
        expect(sorted(ours) == sorted(theirs) and len(ours) == {"low": 1, "med": 2, "high": 4}[resolution],
               "--leak-resolution=%s: memtrack %r, memcheck %r" % (resolution, ours, theirs))
    refused = ctx.memtrack_cmd("report", "--leak-resolution=full", ctx.path("T.db"))
    expect(refused.returncode == 2 and b"--leak-resolution takes low, med or high, not 'full'" in refused.stderr,
           "a bad --leak-resolution", refused)


def check_report_processes(ctx):
    """A trace of several processes: the text lists them first (pid, parent,
    allocations, leaked bytes, errors, command); --pid N and --exe NAME
    keep only theirs, in the text and the JSON; a choice no process matches
    is refused (2) with a line saying so."""
    proc = ctx.memtrack_cmd("run", "-f", "-o", "T.db", "--", ctx.case("family"))
    expect(proc.returncode == 0, "expected the family to run", proc)
    trace = ctx.path("T.db")
    processes = e2e_lib.memtrack_report_json(ctx.memtrack, trace)["processes"]
    expect(len(processes) >= 4, "the family's processes: %r" % [p["pid"] for p in processes])
    text = e2e_lib.text(ctx.memtrack_cmd("report", trace).stdout)
    table = text.split("\n\n", 1)[0].splitlines()
    expect(table[0] == "== memtrack report: %d processes (--pid N or --exe NAME reports on some)" % len(processes)
           and len(table) == len(processes) + 2, text)
    for line, process in zip(table[2:], processes):
        expect(line.split()[:2] == [str(process["pid"]), str(process["parent_pid"])], "%r for %r" % (line, process))
    child = processes[1]["pid"]
    one = ctx.memtrack_cmd("report", "--format", "json", "--pid", str(child), trace)
    picked = json.loads(one.stdout)["processes"]
    expect(one.returncode == 0 and [p["pid"] for p in picked] == [child], "--pid %d" % child, one)
    alone = e2e_lib.text(ctx.memtrack_cmd("report", "--pid=%d" % child, trace).stdout)
    expect(alone.startswith("== memtrack report: pid %d: " % child), alone)
    shells = json.loads(ctx.memtrack_cmd("report", "--format", "json", "--exe", "sh", trace).stdout)["processes"]
    expect(len(shells) == 2 and all(p["argv"][0] == "sh" for p in shells), "--exe sh: %r" % shells)
    refused = ctx.memtrack_cmd("report", "--pid", "999999", "--exe", "sh", trace)
    expect(refused.returncode == 2 and refused.stderr.endswith(b"no process with pid 999999 and running sh\n"),
           "a choice no process matches", refused)
    refused = ctx.memtrack_cmd("report", "--exe", "nothere", trace)
    expect(refused.returncode == 2 and refused.stderr.endswith(b": no process running nothere\n"),
           "an --exe no process runs", refused)
    refused = ctx.memtrack_cmd("report", "--pid", "0", trace)
    expect(refused.returncode == 2, "--pid 0", refused)


def heuristic_verdicts(ctx, options, env):
    """{(kind, heuristic): bytes} of leak_heuristics run with OPTIONS and
    ENV, and the deepest leak stack."""
    proc = ctx.memtrack_cmd("run", "-f", "-o", "T.db", *options, "--", ctx.case("leak_heuristics"), env=env)
    expect(proc.returncode == 0, "expected the program to run", proc)
    leaks = e2e_lib.memtrack_report_json(ctx.memtrack, ctx.path("T.db"))["processes"][0]["leaks"]
    verdicts = {}
    for leak in leaks:
        key = (leak["kind"], leak["heuristic"])
        verdicts[key] = verdicts.get(key, 0) + leak["bytes"]
    return verdicts, max(len(leak["stack"]) for leak in leaks)


def check_run_heuristics_options(ctx):
    """The heuristics chosen reach libtrack: a list in MEMTRACK_OPTIONS, whose
    words after the first are told from the next option by their lack of '='
    (the depth after it still applies), and the command line's choice over
    MEMTRACK_OPTIONS'.  The 80-byte length64 block is a newarray of 72 bytes
    too, as memcheck finds it without length64."""
    plain = dict(os.environ)
    plain.pop("MEMTRACK_OPTIONS", None)
    verdicts, depth = heuristic_verdicts(ctx, [], dict(plain, MEMTRACK_OPTIONS="leak_check_heuristics=stdstring,"
                                                                               "newarray,depth=2"))
    expected = {("possible", None): 92, ("reachable", "stdstring"): 65, ("reachable", "newarray"): 148}
    expect(verdicts == expected and depth <= 2, "MEMTRACK_OPTIONS: expected %r and stacks of at most 2 frames, "
                                                "got %r and %d" % (expected, verdicts, depth))
    verdicts, _ = heuristic_verdicts(ctx, ["--leak-check-heuristics=length64"],
                                     dict(plain, MEMTRACK_OPTIONS="leak_check_heuristics=none"))
    expected = {("possible", None): 225, ("reachable", "length64"): 80}
    expect(verdicts == expected, "the command line's heuristics: expected %r, got %r" % (expected, verdicts))


def leak_stack_depths(ctx, env):
    """The depth of each leak's stack when leak_lost_block runs with ENV."""
    proc = ctx.memtrack_cmd("run", "-f", "-o", "T.db", "--", ctx.case("leak_lost_block"), env=env)
    expect(proc.returncode == 0, "expected the program to run", proc)
    report = e2e_lib.memtrack_report_json(ctx.memtrack, ctx.path("T.db"))
    return [len(leak["stack"]) for leak in report["processes"][0]["leaks"]]


def check_run_options_environment(ctx):
    """MEMTRACK_OPTIONS reaches libtrack whole, however long (up to 4095
    characters); a longer one is refused with a line saying so."""
    plain = dict(os.environ)
    plain.pop("MEMTRACK_OPTIONS", None)
    long_options = "unwinder=fast," * 20 + "depth=2"
    expect(len(long_options) > 127, "the options must be long")
    depths = leak_stack_depths(ctx, dict(plain, MEMTRACK_OPTIONS=long_options))
    expect(depths and max(depths) <= 2 < max(leak_stack_depths(ctx, plain)),
           "MEMTRACK_OPTIONS=%s: expected stacks of at most 2 frames, got %r" % (long_options, depths))
    os.unlink(ctx.path("T.db"))
    too_long = "unwinder=fast," * 300
    expect_refused_run(ctx, [], "MEMTRACK_OPTIONS is too long: %d characters, at most 4095" % len(too_long),
                       env=dict(plain, MEMTRACK_OPTIONS=too_long))


def check_help_and_version(ctx):
    """--help, help run, run --help, report --help and --version: 0, on stdout; every help begins "Usage: "."""
    for argv, wanted in ((["--help"], "Usage: memtrack"), (["help"], "Usage: memtrack"),
                         (["help", "run"], "memtrack run"), (["run", "--help"], "memtrack run"),
                         (["help", "report"], "memtrack report"), (["report", "--help"], "memtrack report"),
                         (["--version"], "memtrack ")):
        proc = ctx.memtrack_cmd(*argv)
        expect(proc.returncode == 0, "%s: expected status 0" % " ".join(argv), proc)
        expect(wanted in e2e_lib.text(proc.stdout), "%s: expected %r on stdout" % (" ".join(argv), wanted), proc)
        expect(proc.stderr == b"", "%s: expected nothing on stderr" % " ".join(argv), proc)
    for command in ("run", "report", "check", "diff", "view"):
        proc = ctx.memtrack_cmd(command, "--help")
        expect(e2e_lib.text(proc.stdout).startswith("Usage: memtrack %s " % command),
               "%s --help: expected 'Usage: memtrack %s ...' first" % (command, command), proc)


def check_killed_by_sigsegv(ctx):
    """A program that leaks then dies of SIGSEGV: memtrack exits 139 (only the
    status is checked; what the trace holds then is tested elsewhere)."""
    proc = ctx.memtrack_cmd("run", "-o", "T.db", "--", ctx.case("segv_after_leak"))
    expect(proc.returncode == 139, "expected status 139", proc)
    expect(proc.stdout == b"crashing\n", "expected the program's output", proc)


def expect_same_under_memtrack(ctx, argv, exit_status):
    """Runs argv plainly and under memtrack: same stdout, same status
    (exit_status), and stderr that is the program's own followed only by
    memtrack's `memtrack:` lines."""
    plain = e2e_lib.run(argv, cwd=ctx.workdir)
    expect(plain.returncode == exit_status, "plain run: expected status %d" % exit_status, plain)
    traced = ctx.memtrack_cmd("run", "-o", "T.db", "--", *argv)
    expect(traced.returncode == plain.returncode, "status differs under memtrack (plain %d)" % plain.returncode,
           traced)
    expect(traced.stdout == plain.stdout, "stdout differs under memtrack:\n" +
           e2e_lib.diff(e2e_lib.text(plain.stdout), e2e_lib.text(traced.stdout), "plain", "memtrack"))
    own, rest = traced.stderr[:len(plain.stderr)], traced.stderr[len(plain.stderr):]
    expect(own == plain.stderr, "stderr differs under memtrack:\n" +
           e2e_lib.diff(e2e_lib.text(plain.stderr), e2e_lib.text(traced.stderr), "plain", "memtrack"))
    extra = [line for line in e2e_lib.text(rest).splitlines() if not line.startswith("memtrack:")]
    expect(not extra, "memtrack printed lines without its prefix: %r" % extra)


def check_passthrough_print_lots(ctx):
    """A C program printing 20000 lines through stdio and exiting 5."""
    expect_same_under_memtrack(ctx, [ctx.case("print_lots"), "argument with spaces"], 5)


def check_passthrough_sqlite3(ctx):
    """The sqlite3 shell filling a table and answering queries."""
    sqlite = shutil.which("sqlite3")
    if not sqlite:
        return SKIP
    sql = ("create table t(x); with recursive c(i) as (select 1 union all select i + 1 from c where i < 2000) "
           "insert into t select i from c; select count(*), sum(x) from t; "
           "select group_concat(x, '-') from (select x from t order by x desc limit 20);")
    expect_same_under_memtrack(ctx, [sqlite, ":memory:", sql], 0)


def check_passthrough_python3(ctx):
    """A Python interpreter (the one running this check) writing both
    streams and exiting 4."""
    code = ("import sys\nfor i in range(3000): print('line', i, [i] * (i % 7))\n"
            "sys.stderr.write('to stderr\\n')\nsys.exit(4)\n")
    expect_same_under_memtrack(ctx, [sys.executable, "-c", code], 4)


def main(argv):
    """Runs the named check in a fresh scratch directory."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memtrack", required=True)
    parser.add_argument("--cases", required=True)
    parser.add_argument("check", choices=sorted(n[len("check_"):] for n in globals() if n.startswith("check_")))
    opts = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="memtrack-e2e-")
    try:
        status = globals()["check_" + opts.check](Context(os.path.abspath(opts.memtrack), opts.cases, workdir))
        if status == SKIP:
            print("skipped: a program this check needs is not installed")
        return status or 0
    except e2e_lib.CaseFailure as err:
        print("FAIL: %s" % err)
        return 1
    except Exception as err:  # a hang (TimeoutExpired): say so
        print("FAIL: %s: %s" % (type(err).__name__, err))
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
