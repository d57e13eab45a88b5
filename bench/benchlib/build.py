"""Compiling the benchmark's C files and building memtrack from the checkout."""
import os
import subprocess


class Unavailable(Exception):
    """A tool or workload that cannot be measured; the message says why."""


def last_line(path):
    """The last non-empty line of a log, to say why something failed."""
    try:
        with open(path, errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
    except OSError:
        return ""
    return lines[-1][:160] if lines else ""


def run_logged(argv, work, what):
    """Runs a build step; raises Unavailable with the last line of its output when it fails."""
    log = os.path.join(work, "build.log")
    with open(log, "w") as out:
        rc = subprocess.call(argv, stdout=out, stderr=subprocess.STDOUT)
    if rc != 0:
        raise Unavailable("%s failed: %s" % (what, last_line(log) or "exit %d" % rc))


def compile_c(source, output, work, extra=()):
    """Compiles one of the benchmark's C files (-O2 -g, like a release build with symbols)."""
    run_logged(["cc", "-O2", "-g", "-Wall", "-o", output, source] + list(extra), work, "compiling " + source)
    return output


def build_memtrack(repo, work):
    """Builds memtrack from the checkout REPO inside WORK, with the project's default build type."""
    build = os.path.join(work, "memtrack-build")
    run_logged(["cmake", "-S", repo, "-B", build], work, "cmake configure")
    run_logged(["cmake", "--build", build, "-j", str(os.cpu_count() or 2), "--target", "memtrack_cli"], work,
               "cmake build")
    return os.path.join(build, "bin", "memtrack")
