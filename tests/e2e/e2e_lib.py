"""Helpers shared by the end-to-end scripts: running memtrack, reading its
JSON report, and normalizing that report so it compares across runs,
machines and checkouts."""

import argparse
import difflib
import json
import os
import shutil
import subprocess
import tempfile

TIMEOUT_S = 60  # a run that takes longer is a hang, reported as a failure


def run(argv, **kwargs):
    """Runs argv with captured bytes output and a hang guard; returns the
    CompletedProcess (stdout and stderr as bytes)."""
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=TIMEOUT_S, **kwargs)


def text(data):
    """Decodes captured output for messages, never failing on bad bytes."""
    return data.decode("utf-8", "replace")


def memtrack_run(memtrack, trace, argv, options=()):
    """`memtrack run -o TRACE [OPTIONS...] -- ARGV...`; returns the CompletedProcess."""
    return run([memtrack, "run", "-o", trace] + list(options) + ["--"] + list(argv))


def memtrack_report_json(memtrack, trace):
    """`memtrack report --format json TRACE`, parsed; raises CaseFailure with
    memtrack's stderr when the report fails or is not JSON."""
    proc = run([memtrack, "report", "--format", "json", trace])
    if proc.returncode != 0:
        raise CaseFailure("memtrack report exited %d:\n%s" % (proc.returncode, text(proc.stderr)))
    try:
        return json.loads(proc.stdout)
    except ValueError as err:
        raise CaseFailure("memtrack report printed invalid JSON: %s" % err)


class CaseFailure(Exception):
    """A check failed; the message says what was expected and what came."""


def expect(cond, what, proc=None):
    """Raises CaseFailure(what, with proc's status and outputs) unless cond holds."""
    if cond:
        return
    if proc is not None:
        what += "\n  exit status %d\n  stdout: %r\n  stderr: %r" % (proc.returncode, proc.stdout[:3000],
                                                                   proc.stderr[:3000])
    raise CaseFailure(what)


def run_named_check(argv, description, checks, make_context, options=()):
    """The entry point of a script of checks: reads `--memtrack BIN --cases
    DIR [OPTION VALUE]... CHECK`, OPTIONS naming the script's own options,
    and runs the function check_CHECK of CHECKS (the script's globals()) on
    make_context(opts, a fresh scratch directory); returns its exit status."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--memtrack", required=True, help="the memtrack binary")
    parser.add_argument("--cases", required=True, help="the directory of the built case programs")
    for option in options:
        parser.add_argument(option, default="")
    parser.add_argument("check", choices=sorted(n[len("check_"):] for n in checks if n.startswith("check_")))
    opts = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="memtrack-e2e-")
    try:
        return exit_status_of(checks["check_" + opts.check], make_context(opts, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def exit_status_of(check, *args):
    """Runs check(*args) and turns its outcome into a test's exit status: its
    own return value, or 1 after printing FAIL and why."""
    try:
        return check(*args)
    except CaseFailure as err:
        print("FAIL: %s" % err)
        return 1
    except Exception as err:  # a hang (TimeoutExpired) or a missing binary: say which
        print("FAIL: %s: %s" % (type(err).__name__, err))
        return 1


def _frames_of_program(stack, program):
    """The frames of stack that lie in the program itself (module basename is
    program), with addresses dropped and paths cut to basenames: libc's own
    frames differ between distributions, the program's do not."""
    if stack is None:
        return None
    kept = []
    for frame in stack:
        if frame.get("module") is None or os.path.basename(frame["module"]) != program:
            continue
        frame = {k: v for k, v in frame.items() if k != "address"}
        frame["module"] = os.path.basename(frame["module"])
        if frame.get("file") is not None:
            frame["file"] = os.path.basename(frame["file"])
        kept.append(frame)
    return kept


def _basename_if_path(value):
    """A string's basename when it is an absolute path, else the string."""
    if isinstance(value, str) and value.startswith("/"):
        return os.path.basename(value)
    return value


def normalize(report, program):
    """The report without what changes from run to run or machine to machine:
    pids, addresses, absolute paths (cut to basenames) and frames outside the
    program.  Everything else, order included, is kept."""
    out = dict(report)
    processes = []
    for proc in report.get("processes", []):
        proc = {k: v for k, v in proc.items() if k not in ("pid", "parent_pid")}
        proc["argv"] = [_basename_if_path(a) for a in proc.get("argv", [])]
        proc["executable"] = _basename_if_path(proc.get("executable"))
        proc["leaks"] = [dict(leak, stack=_frames_of_program(leak["stack"], program))
                         for leak in proc.get("leaks", [])]
        proc["errors"] = [_normalize_error(err, program) for err in proc.get("errors", [])]
        proc["sites"] = [dict(site, stack=_frames_of_program(site["stack"], program))
                         for site in proc.get("sites", [])]
        processes.append(proc)
    out["processes"] = processes
    return out


def _normalize_error(err, program):
    """One ERROR without its address and with its three stacks normalized."""
    err = {k: v for k, v in err.items() if k != "address"}
    for key in ("stack", "alloc_stack", "first_free_stack"):
        if key in err:
            err[key] = _frames_of_program(err[key], program)
    return err


def dump(report):
    """The canonical text of a normalized report: what expected files hold."""
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def diff(expected_text, actual_text, expected_name, actual_name):
    """A unified diff of two texts, as one string."""
    return "".join(difflib.unified_diff(expected_text.splitlines(True), actual_text.splitlines(True),
                                        expected_name, actual_name))
