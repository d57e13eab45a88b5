#!/usr/bin/env python3
"""End-to-end checks that nothing is lost and nothing is broken when the
traced program dies, forks, execs, closes memtrack's descriptors, or cannot be
traced at all (issue: crashes, kills, families, daemons).

  check_survival.py --memtrack BIN --cases DIR CHECK

Exit status: 0 pass, 1 fail."""

import argparse
import json
import os
import subprocess
import sys
import tempfile


def run(memtrack, workdir, *program):
    """Runs memtrack on PROGRAM; returns (exit status, stderr, report as JSON)."""
    trace = os.path.join(workdir, "t.db")
    if os.path.exists(trace):
        os.unlink(trace)
    proc = subprocess.run([memtrack, "run", "-o", trace, "--"] + list(program), cwd=workdir,
                          capture_output=True, text=True, timeout=120)
    rep = subprocess.run([memtrack, "report", "--format", "json", trace], capture_output=True, text=True,
                         timeout=120)
    if rep.returncode != 0:
        raise AssertionError("report failed: %s" % rep.stderr)
    return proc.returncode, proc.stderr, json.loads(rep.stdout)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def died_with_everything(ctx, mode, status, end_reason, signal, kind=None):
    """The dies case: status, how it ended, and every event before the end; the kept block unclassified
    (no scan can run in a process killed by a signal), or of KIND when a scan ran."""
    rc, _, doc = run(ctx.memtrack, ctx.workdir, ctx.case("dies"), mode)
    expect(rc == status, "exit status %d, want %d" % (rc, status))
    p = doc["processes"][0]
    s = p["summary"]
    expect(p["end_reason"] == end_reason and p["exit_signal"] == signal,
           "ended %s/%s, want %s/%s" % (p["end_reason"], p["exit_signal"], end_reason, signal))
    expect(s["allocations"] == 10001 and s["frees"] == 10000, "counts %s" % s)
    expect(s["leaked_bytes"] == 4096 and s["leaked_blocks"] == 1, "unfreed %s" % s)
    if kind is None:
        expect(not p["leak_scan"] and all(l["kind"] == "unclassified" for l in p["leaks"]), "no scan could run")
    else:
        expect(p["leak_scan"] and [l["kind"] for l in p["leaks"]] == [kind], "want a scan, the block %s: %s" % (
            kind, p["leaks"]))
    return doc


def check_segv(ctx):
    died_with_everything(ctx, "segv", 139, "signal", 11)


def check_sigkill(ctx):
    died_with_everything(ctx, "kill", 137, "signal", 9)


def check_abort(ctx):
    died_with_everything(ctx, "abort", 134, "signal", 6)


def check_underscore_exit(ctx):
    """_exit runs no exit handlers, but the blocks are classified as memcheck does: the kept block is still
    pointed to from main's frame, alive when main called _exit."""
    died_with_everything(ctx, "_exit", 5, "_exit", None, kind="reachable")


def check_exec(ctx):
    rc, _, doc = run(ctx.memtrack, ctx.workdir, ctx.case("dies"), "exec")
    expect(rc == 0, "exit status %d" % rc)
    first, second = doc["processes"][0], doc["processes"][1]
    expect(first["end_reason"] == "exec" and first["summary"]["allocations"] == 10001, "first image %s" % first)
    expect(second["argv"] == ["true"] and second["pid"] == first["pid"], "second image %s" % second)


def check_uncaught_exception(ctx):
    rc, _, doc = run(ctx.memtrack, ctx.workdir, ctx.case("dies_throw"))
    expect(rc == 134, "exit status %d, want 134 (SIGABRT)" % rc)
    p = doc["processes"][0]
    expect(p["exit_signal"] == 6, "signal %s" % p["exit_signal"])
    expect(p["summary"]["allocations"] >= 1001, "allocations %s" % p["summary"])


def check_family(ctx):
    rc, _, doc = run(ctx.memtrack, ctx.workdir, ctx.case("family"))
    expect(rc == 0, "exit status %d" % rc)
    procs = doc["processes"]
    names = [os.path.basename(p["argv"][0]) for p in procs]
    expect(names.count("family") == 3 and names.count("sh") == 2, "processes %s" % names)
    parent, child = procs[0], procs[1]
    expect(child["parent_pid"] == parent["pid"], "child's parent %s" % child["parent_pid"])
    kinds = {l["kind"]: l["bytes"] for l in parent["leaks"]}
    expect(kinds == {"definite": 222, "reachable": 111}, "parent leaks %s" % kinds)
    expect(child["summary"]["allocations"] == 1 and child["summary"]["frees"] == 1,
           "the child counts only its own events: %s" % child["summary"])
    child_kinds = sorted((l["kind"], l["bytes"]) for l in child["leaks"])
    expect(child_kinds == [("definite", 222), ("reachable", 333)], "child leaks %s" % child_kinds)
    grand = procs[2]
    expect(grand["end_reason"] == "exec" and grand["parent_pid"] == child["pid"], "grandchild %s" % grand)


def check_raw_fork(ctx):
    """Children of raw fork and clone system calls are processes of their
    own: each credited with its own blocks, the parent with its own, and the
    inherited blocks keep their stacks though the parent had not sent them."""
    rc, err, doc = run(ctx.memtrack, ctx.workdir, ctx.case("raw_fork"))
    expect(rc == 0, "exit status %d: %s" % (rc, err))
    procs = doc["processes"]
    expect(len(procs) == 3, "processes %s" % [(p["pid"], p["parent_pid"]) for p in procs])
    parent, forked, cloned = procs

    def leaks(p):
        return sorted((l["kind"], l["bytes"], l["stack"][0].get("function") if l["stack"] else None)
                      for l in p["leaks"])

    def counts(p):
        return (p["summary"]["allocations"], p["summary"]["frees"])

    expect(leaks(parent) == [("definite", 222, "lose_block"), ("reachable", 111, "keep_block")],
           "parent leaks %s" % leaks(parent))
    expect(counts(parent) == (2, 0), "parent counts %s" % parent["summary"])
    for child in forked, cloned:
        expect(child["parent_pid"] == parent["pid"], "child's parent %s" % child["parent_pid"])
        expect(not child["errors"], "child errors %s" % child["errors"])
    expect(leaks(forked) == [("definite", 222, "lose_block"), ("definite", 333, "lose_block"),
                             ("reachable", 111, "keep_block")], "forked child leaks %s" % leaks(forked))
    expect(counts(forked) == (1, 0), "forked child counts %s" % forked["summary"])
    expect(leaks(cloned) == [("definite", 222, "lose_block"), ("definite", 444, "lose_block")],
           "cloned child leaks %s" % leaks(cloned))
    expect(counts(cloned) == (1, 1) and cloned["end_reason"] == "_exit", "cloned child %s" % cloned["summary"])
    # not followed, the children pass through: nothing of theirs lands in the parent's figures
    trace = os.path.join(ctx.workdir, "raw_nf.db")
    proc = subprocess.run([ctx.memtrack, "run", "--no-follow", "-o", trace, ctx.case("raw_fork")], cwd=ctx.workdir,
                          capture_output=True, text=True, timeout=120)
    expect(proc.returncode == 0, "--no-follow: exit status %d" % proc.returncode)
    rep = json.loads(subprocess.run([ctx.memtrack, "report", "--format", "json", trace], capture_output=True,
                                    text=True, timeout=120).stdout)
    expect(len(rep["processes"]) == 1 and counts(rep["processes"][0]) == (2, 0)
           and leaks(rep["processes"][0]) == leaks(parent), "--no-follow: %s" % rep["processes"])


def check_no_follow(ctx):
    trace = os.path.join(ctx.workdir, "nf.db")
    proc = subprocess.run([ctx.memtrack, "run", "--no-follow", "-o", trace, ctx.case("family")], cwd=ctx.workdir,
                          capture_output=True, text=True, timeout=120)
    expect(proc.returncode == 0, "exit status %d" % proc.returncode)
    rep = json.loads(subprocess.run([ctx.memtrack, "report", "--format", "json", trace], capture_output=True,
                                    text=True).stdout)
    expect(len(rep["processes"]) == 1, "processes %d" % len(rep["processes"]))


def check_daemon_descriptors(ctx):
    out = os.path.join(ctx.workdir, "daemon.out")
    rc, _, doc = run(ctx.memtrack, ctx.workdir, ctx.case("daemon_fds"), out)
    expect(rc == 0, "exit status %d" % rc)
    with open(out, "rb") as f:
        content = f.read()
    expect(content == b"mine\n", "the program's file holds %r" % content[:200])
    s = doc["processes"][0]["summary"]
    # 10 bytes + 100000 pairs + dprintf's own 4096-byte buffer
    expect(s["allocations"] == 100002 and s["frees"] == 100001, "tracing went on: %s" % s)


def check_static(ctx):
    rc, err, doc = run(ctx.memtrack, ctx.workdir, ctx.case("static_program"))
    expect(rc == 3, "exit status %d, want the program's 3" % rc)
    expect("static" in err, "stderr says nothing of static: %r" % err)
    expect(len(doc["processes"]) == 1 and doc["processes"][0]["exit_code"] == 3, "trace %s" % doc)


NO_LEAKS_POSSIBLE = "All heap blocks were freed -- no leaks are possible"


def memtrack(ctx, *args):
    """Runs memtrack with ARGS in the scratch directory: (exit status, stdout, stderr)."""
    proc = subprocess.run([ctx.memtrack] + list(args), cwd=ctx.workdir, capture_output=True, text=True,
                          timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def check_own_malloc(ctx):
    """A program that defines its own malloc is named untraced, in the run's summary, the text report and
    the JSON report, and no report says that no leaks are possible; its output and status are its own.  A
    program using libc's malloc is not taken for one."""
    plain = subprocess.run([ctx.case("own_malloc")], capture_output=True, text=True, timeout=60)
    expect(plain.returncode == 4 and plain.stdout == "own malloc\n", "without memtrack: %r" % (plain,))
    trace = os.path.join(ctx.workdir, "t.db")
    rc, out, err = memtrack(ctx, "run", "-o", trace, "--", ctx.case("own_malloc"))
    expect(rc == 4 and out == "own malloc\n", "under memtrack: %d %r" % (rc, out))
    why = "the program defines its own malloc"
    expect("memtrack:   not traced: " + why in err, "the run's summary: %r" % err)
    _, text, _ = memtrack(ctx, "report", trace)
    expect("NOT TRACED: " + why in text and NO_LEAKS_POSSIBLE not in text, "report: %r" % text)
    _, doc, _ = memtrack(ctx, "report", "--format=json", trace)
    (process,) = json.loads(doc)["processes"]
    expect(process["untraced"].startswith(why), "JSON: %s" % process)
    _, _, doc = run(ctx.memtrack, ctx.workdir, ctx.case("family"))
    expect(all(p["untraced"] is None for p in doc["processes"]), "a libc program taken for untraced: %s" % doc)


def check_untraced_gate(ctx):
    """Processes that could not be traced are recorded with why, and the gate knows them: the started
    program untraced is a run that cannot be judged (86, whatever --fail-on), an untraced child fails only
    --fail-on=untraced (check 1, run 86), and JUnit and SARIF carry it."""
    trace = os.path.join(ctx.workdir, "static.db")
    rc, _, err = memtrack(ctx, "run", "-o", trace, "--fail-on=leaks", "--", ctx.case("static_program"))
    expect(rc == 86 and "memtrack: cannot check the program: it was not traced (statically linked" in err,
           "static program under --fail-on: %d %r" % (rc, err))
    _, doc, _ = memtrack(ctx, "report", "--format=json", trace)
    (process,) = json.loads(doc)["processes"]
    expect(process["untraced"].startswith("statically linked program"), "JSON: %s" % process)
    family = os.path.join(ctx.workdir, "family.db")
    script = "%s; exit 0" % ctx.case("own_malloc")
    rc, _, err = memtrack(ctx, "run", "-o", family, "--fail-on=leaks", "--", "/bin/sh", "-c", script)
    expect(rc == 0 and "memtrack: not traced: %s (pid " % ctx.case("own_malloc") in err,
           "an untraced child, not gated: %d %r" % (rc, err))
    rc, _, err = memtrack(ctx, "run", "-f", "-o", family, "--fail-on=untraced", "--", "/bin/sh", "-c", script)
    expect(rc == 86 and "not traced: the program defines its own malloc" in err, "gated: %d %r" % (rc, err))
    rc, out, _ = memtrack(ctx, "check", family)
    expect(rc == 0 and "1 process(es) were not traced" in out, "check, not gated: %d %r" % (rc, out))
    rc, out, _ = memtrack(ctx, "check", "--fail-on=untraced", "--junit", "j.xml", "--sarif", "s.sarif", family)
    expect(rc == 1 and "not traced: the program defines its own malloc" in out, "check, gated: %d %r" % (rc, out))
    with open(os.path.join(ctx.workdir, "s.sarif")) as stream:
        results = json.load(stream)["runs"][0]["results"]
    expect([r["ruleId"] for r in results if r["level"] == "error"] == ["untraced-process"], "SARIF %s" % results)
    with open(os.path.join(ctx.workdir, "j.xml")) as stream:
        expect("not traced" in stream.read(), "JUnit names no untraced process")


def check_untraced_children(ctx):
    """The programs a traced process execs or spawns that cannot be traced (static, own malloc) are each
    stored with why and named in the run's summary, whichever way they start (a shell's execve,
    posix_spawn, subprocess); an exec that fails leaves no row; output and statuses are the programs'."""
    static, own = ctx.case("static_program"), ctx.case("own_malloc")
    unexecutable = os.path.join(ctx.workdir, "unexecutable")
    with open(static, "rb") as source, open(unexecutable, "wb") as target:
        target.write(source.read())  # a static program that cannot run: its exec fails with EACCES
    script = "%s; echo static=$?; %s; echo own=$?; %s; echo unexecutable=$?" % (static, own, unexecutable)
    plain = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=60)
    trace = os.path.join(ctx.workdir, "t.db")
    rc, out, err = memtrack(ctx, "run", "-o", trace, "--", "/bin/sh", "-c", script)
    expect((rc, out) == (plain.returncode, plain.stdout) == (0, "static=3\nown malloc\nown=4\nunexecutable=126\n"),
           "under memtrack %d %r, plainly %d %r" % (rc, out, plain.returncode, plain.stdout))
    _, doc, _ = memtrack(ctx, "report", "--format=json", trace)
    processes = json.loads(doc)["processes"]
    shell = processes[0]
    untraced = [(p["argv"], p["parent_pid"], p["untraced"].split(":")[0]) for p in processes if p["untraced"]]
    expect(untraced == [([static], shell["pid"], "statically linked program"),
                        ([own], shell["pid"], "the program defines its own malloc")], "untraced %s" % untraced)
    expect("memtrack: not traced: %s (pid " % static in err and "memtrack: not traced: %s (pid " % own in err,
           "the run's summary: %r" % err)
    spawner = ("import os, subprocess, sys\n"
               "pid = os.posix_spawn(sys.argv[1], [sys.argv[1], 'spawned'], os.environ)\n"
               "print(os.waitpid(pid, 0)[1] >> 8)\n"
               "print(subprocess.run([sys.argv[1], 'run']).returncode)\n")
    rc, out, err = memtrack(ctx, "run", "-f", "-o", trace, "--fail-on=untraced", "--", sys.executable, "-c",
                            spawner, static)
    expect(rc == 86 and out == "3\n3\n", "python spawning: %d %r %r" % (rc, out, err))
    _, doc, _ = memtrack(ctx, "report", "--format=json", trace)
    argvs = [p["argv"] for p in json.loads(doc)["processes"] if p["untraced"]]
    expect(argvs == [[static, "spawned"], [static, "run"]], "spawned untraced %s" % argvs)


def check_dlclose(ctx):
    rc, _, doc = run(ctx.memtrack, ctx.workdir, ctx.case("dlclose_leak"), ctx.case("libe2e_plugin.so"))
    expect(rc == 0, "exit status %d" % rc)
    leaks = doc["processes"][0]["leaks"]
    frames = [f for l in leaks if l["bytes"] == 77 for f in l["stack"]]
    expect(frames and frames[0]["function"] == "plugin_leak" and frames[0]["file"].endswith("plugin.c"),
           "the dlclose'd library's frame: %s" % frames[:1])
    expect([l["kind"] for l in leaks if l["bytes"] == 77] == ["definite"], "leaks %s" % leaks)


def check_client_api(ctx):
    plain = subprocess.run([ctx.case("client_api")], capture_output=True, text=True, timeout=60)
    expect(plain.stdout.strip() == "under=0 first=-1 second=-1 allocations=0",
           "without memtrack: %r" % plain.stdout)
    trace = os.path.join(ctx.workdir, "api.db")
    proc = subprocess.run([ctx.memtrack, "run", "-o", trace, ctx.case("client_api")], cwd=ctx.workdir,
                          capture_output=True, text=True, timeout=120)
    line = proc.stdout.strip()
    expect(line.startswith("under=1 first=1 second=2 allocations="), "under memtrack: %r" % line)
    import sqlite3
    marks = [r[0] for r in sqlite3.connect(trace).execute("select label from marks order by time_ns")]
    expect(marks == ["after the first leak", "memtrack_check_leaks", "memtrack_check_leaks"], "marks %s" % marks)


def run_to_the_end(ctx, case, output):
    """Runs a case program that must exit 0 and print OUTPUT under memtrack; returns its process's report."""
    trace = os.path.join(ctx.workdir, case + ".db")
    proc = subprocess.run([ctx.memtrack, "run", "-o", trace, ctx.case(case)], cwd=ctx.workdir, capture_output=True,
                          text=True, timeout=120)
    expect(proc.returncode == 0, "%s: exit status %d: %s" % (case, proc.returncode, proc.stderr))
    expect(proc.stdout.strip() == output, "%s under memtrack printed %r, want %r" % (case, proc.stdout, output))
    rep = subprocess.run([ctx.memtrack, "report", "--format", "json", trace], capture_output=True, text=True,
                         timeout=120)
    return json.loads(rep.stdout)["processes"][0]


def check_signals_blocked(ctx):
    """A leak check while a thread blocks every signal: the thread is scanned without being stopped, and no
    signal of libtrack's is left pending to kill the program when the thread unblocks signals; a check while
    main blocks every signal still scans main's stack (its block is not called lost)."""
    leaks = run_to_the_end(ctx, "signals_blocked", "first=1 second=0")["leaks"]
    expect([(leak["kind"], leak["bytes"]) for leak in leaks if leak["kind"] == "definite"] == [("definite", 10)],
           "leaks %s" % leaks)


def check_truncate_segments(ctx):
    """A program that shrinks every memfd it holds cannot shrink libtrack's segments (sealed): memtrack
    keeps running, exits with the program's status, and the trace holds everything."""
    p = run_to_the_end(ctx, "truncate_segments", "truncated=0")
    expect(p["summary"]["allocations"] >= 1001 and p["leak_scan"], "summary %s" % p["summary"])


def check_fork_in_signal(ctx):
    """A signal handler that allocates while fork() runs neither hangs the
    program (libtrack's fork handlers hold its locks then) nor loses a record."""
    trace = os.path.join(ctx.workdir, "fork.db")
    proc = subprocess.run([ctx.memtrack, "run", "--no-follow", "-o", trace, ctx.case("fork_in_signal")],
                          cwd=ctx.workdir, capture_output=True, text=True, timeout=120)
    expect(proc.returncode == 0, "exit status %d: %s" % (proc.returncode, proc.stderr))
    counts = dict(item.split("=") for item in proc.stdout.split())
    expect(int(counts["handler"]) > 0, "the handler never ran during a fork: %r" % proc.stdout)
    rep = subprocess.run([ctx.memtrack, "report", "--format", "json", trace], capture_output=True, text=True,
                         timeout=120)
    p = json.loads(rep.stdout)["processes"][0]
    s = p["summary"]
    # the handler's blocks are traced, or passed through untracked while libtrack is busy: never half
    expect(int(counts["main"]) <= s["allocations"] <= int(counts["main"]) + int(counts["handler"]) + 1,
           "allocations %s for %r" % (s, proc.stdout))
    expect(s["frees"] == s["allocations"] - s["leaked_blocks"], "frees %s" % s)
    expect(not p["errors"], "errors %s" % p["errors"])


class Context:
    def __init__(self, memtrack, cases, workdir):
        self.memtrack, self.cases, self.workdir = memtrack, cases, workdir

    def case(self, name):
        return os.path.join(self.cases, name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--memtrack", required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("check")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="memtrack-survival-") as workdir:
        try:
            globals()["check_" + args.check](Context(os.path.abspath(args.memtrack), args.cases, workdir))
        except AssertionError as e:
            print("FAIL %s: %s" % (args.check, e))
            return 1
    print("PASS %s" % args.check)
    return 0


if __name__ == "__main__":
    sys.exit(main())
