#!/usr/bin/env python3
"""End-to-end checks of `memtrack run`'s status line: drawn on memtrack's
stderr when it is a terminal (a pseudo-terminal here), never when it is a
pipe, with --quiet or while a full-screen program holds the terminal,
erased before memtrack's summary, and the program's own stdout and stderr
unchanged around it.  The program
(cases/busy_allocator.c) allocates for 1.5 s, six times the line's period.

  check_status_line.py --memtrack BIN --cases DIR CHECK

CHECK is one of the functions named check_* below, without the prefix.
Exit status: 0 pass, 1 fail."""

import fcntl
import os
import pty
import re
import subprocess
import sys
import termios
import tty

import e2e_lib

PROGRAM = "busy_allocator"
PROGRAM_STDERR = b"busy: started\nbusy: finished\n"
PROGRAM_STDOUT = b"done\n"
# One drawing of the line: "\r", the text, erase to the end of the line.
LINE = re.compile(rb"\rmemtrack: [0-9]+\.[0-9] s, 1 process, [0-9]+ allocations \([0-9]+/s\), live heap [^\r\n\x1b]*"
                  rb"\x1b\[K")
ERASE = b"\r\x1b[K"


def expect(cond, what, output=None):
    """Raises CaseFailure(what, with OUTPUT) unless cond holds."""
    if not cond:
        raise e2e_lib.CaseFailure(what + ("" if output is None else "\n  output: %r" % output[-4000:]))


def run_on_terminal(memtrack, program, workdir, options=(), full_screen=False):
    """Runs the program under memtrack with memtrack's stderr (and so the
    program's) on a pseudo-terminal, its controlling terminal as in a
    shell, and stdout on a pipe; FULL_SCREEN puts the terminal in raw mode
    first, as an editor would.  Returns memtrack's status, what the terminal
    received (its \\r\\n made \\n again) and stdout."""
    controller, terminal = pty.openpty()
    if full_screen:
        tty.setraw(terminal)

    def own_terminal():
        """In the child: a session of its own whose controlling terminal is the pseudo-terminal."""
        os.setsid()
        fcntl.ioctl(terminal, termios.TIOCSCTTY, 0)

    try:
        proc = subprocess.Popen([memtrack, "run", "-o", os.path.join(workdir, "T.db")] + list(options)
                                + ["--", program], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=terminal, cwd=workdir, preexec_fn=own_terminal)
    finally:
        os.close(terminal)
    received = b""
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:  # EIO: every end of the terminal is closed
            break
        if not data:
            break
        received += data
    os.close(controller)
    stdout = proc.stdout.read()
    proc.stdout.close()
    status = proc.wait(timeout=e2e_lib.TIMEOUT_S)
    return status, received.replace(b"\r\n", b"\n"), stdout


def split_terminal(received):
    """Takes the status lines and their erasures out of what the terminal
    received: returns how many lines were drawn and the rest, which must be
    what was written without them."""
    drawn = len(LINE.findall(received))
    rest = LINE.sub(b"", received).replace(ERASE, b"")
    return drawn, rest


def summary_part(stderr):
    """memtrack's summary lines, which follow the program's output."""
    return b"".join(line for line in stderr.splitlines(True) if line.startswith(b"memtrack:"))


def check_on_terminal(ctx):
    """On a terminal: lines are drawn, the last erased before the summary;
    without them the terminal got exactly the program's stderr then the
    summary, and stdout got the program's output alone."""
    status, received, stdout = run_on_terminal(ctx.memtrack, ctx.program, ctx.workdir)
    expect(status == 0, "memtrack exited %d" % status, received)
    drawn, rest = split_terminal(received)
    expect(drawn >= 2, "expected the status line drawn at least twice in 1.5 s, got %d" % drawn, received)
    expect(rest.startswith(PROGRAM_STDERR) and rest[len(PROGRAM_STDERR):] == summary_part(rest),
           "without the status lines the terminal should hold the program's stderr, then the summary", received)
    summary_at = re.search(rb"memtrack: [^\r\n]*\(pid [0-9]+\): ", received).start()
    expect(received[:summary_at].endswith(ERASE), "the line is not erased before the summary", received)
    expect(stdout == PROGRAM_STDOUT, "the program's stdout changed: %r" % stdout)
    return 0


def check_quiet(ctx):
    """--quiet on a terminal: no line, nothing erased."""
    status, received, stdout = run_on_terminal(ctx.memtrack, ctx.program, ctx.workdir, ["--quiet"])
    expect(status == 0, "memtrack exited %d" % status, received)
    expect(b"\x1b" not in received and b"\r" not in received, "--quiet: a status line was drawn", received)
    expect(received.startswith(PROGRAM_STDERR), "the program's stderr changed", received)
    expect(stdout == PROGRAM_STDOUT, "the program's stdout changed: %r" % stdout)
    proc = e2e_lib.run([ctx.memtrack, "run", "-q", "-o", os.path.join(ctx.workdir, "U.db"), "--", ctx.program])
    expect(proc.returncode == 0, "memtrack run -q failed: %r" % proc.stderr)
    return 0


def check_full_screen(ctx):
    """A terminal in raw mode (a full-screen program owns it): no line."""
    status, received, stdout = run_on_terminal(ctx.memtrack, ctx.program, ctx.workdir, full_screen=True)
    expect(status == 0, "memtrack exited %d" % status, received)
    expect(b"\x1b" not in received, "a status line was drawn on a terminal in raw mode", received)
    expect(received.startswith(PROGRAM_STDERR), "the program's stderr changed", received)
    expect(stdout == PROGRAM_STDOUT, "the program's stdout changed: %r" % stdout)
    return 0


def check_not_on_pipe(ctx):
    """stderr a pipe: not one byte of a status line; the program's output
    and memtrack's summary as they always were."""
    proc = e2e_lib.run([ctx.memtrack, "run", "-o", os.path.join(ctx.workdir, "T.db"), "--", ctx.program],
                       env=dict(os.environ, TERM="xterm"))
    expect(proc.returncode == 0, "memtrack exited %d" % proc.returncode, proc.stderr)
    expect(b"\x1b" not in proc.stderr and b"\r" not in proc.stderr, "a status line on a pipe", proc.stderr)
    expect(proc.stderr.startswith(PROGRAM_STDERR) and proc.stderr[len(PROGRAM_STDERR):] ==
           summary_part(proc.stderr), "stderr should hold the program's lines, then the summary", proc.stderr)
    expect(proc.stdout == PROGRAM_STDOUT, "the program's stdout changed: %r" % proc.stdout)
    return 0


class Context:
    """What every check gets: memtrack, the case program, a scratch directory."""

    def __init__(self, opts, workdir):
        self.memtrack = opts.memtrack
        self.program = os.path.join(opts.cases, PROGRAM)
        self.workdir = workdir


def main(argv):
    """Entry point: runs the one check named on the command line."""
    return e2e_lib.run_named_check(argv, __doc__.split("\n\n")[0], globals(), Context)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
