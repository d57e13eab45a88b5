"""The tools compared: how each runs a workload, where its trace goes, how it reports."""
import json
import os
import shutil
import sqlite3
import subprocess

from benchlib.build import Unavailable, build_memtrack


class Untraced:
    """The program alone: the baseline every slowdown is relative to."""

    name = "untraced"
    collector = None  # basename of the collector process's executable, if the tool has one
    writes_trace = False

    @staticmethod
    def applies_to(workload):
        """Whether this tool is run on WORKLOAD."""
        return True

    def is_program(self, exe, workload):
        """Whether a process image (its executable's path) is the measured program."""
        return exe == workload.exe

    def command(self, workload, trace_base):
        """The command line running WORKLOAD under this tool, writing its trace at TRACE_BASE (plus a suffix)."""
        return workload.argv

    def trace_files(self, trace_base):
        """The trace files a run left, to measure and report on."""
        return []

    def report_command(self, trace_files):
        """The command producing this tool's report from its trace."""
        return None

    def environment(self, workload, work):
        """Variables this tool's run of WORKLOAD needs besides the workload's own."""
        return {}


class Memtrack(Untraced):
    name = "memtrack"
    writes_trace = True

    def __init__(self, binary):
        self.binary = binary
        self.collector = os.path.basename(binary)  # `memtrack run` itself collects

    # Traces are written compressed (-o NAME.zst), as heaptrack writes its own: the sizes compared are both
    # compressed, and the time to compress is in memtrack's run.
    def command(self, workload, trace_base):
        return [self.binary, "run", "-f", "-o", trace_base + ".db.zst", "--"] + workload.argv

    def environment(self, workload, work):
        """The symbol cache's directory: empty for a cold run; for a warm one, filled by one run of the same
        program before the first measured run, and kept."""
        cache = os.path.join(work, "symbol-cache-" + ("warm-" + workload.label if workload.warm else "cold"))
        if not workload.warm:
            shutil.rmtree(cache, ignore_errors=True)
        elif not os.path.isdir(cache):
            trace = os.path.join(work, "filling-the-cache.db.zst")
            subprocess.run(self.command(workload, trace[:-7]), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=dict(os.environ, **workload.env, XDG_CACHE_HOME=cache))
            if os.path.exists(trace):
                os.remove(trace)
        return {"XDG_CACHE_HOME": cache}

    def trace_files(self, trace_base):
        return [trace_base + ".db.zst"] if os.path.exists(trace_base + ".db.zst") else []

    def report_command(self, trace_files):
        return [self.binary, "report", trace_files[0]]

    def json_report_command(self, trace_files):
        return [self.binary, "report", "--format", "json", trace_files[0]]

    def view_command(self, trace_files, page):
        return [self.binary, "view", "-o", page, trace_files[0]]

    @staticmethod
    def send_waits(trace):
        """(longest, total) ns the traced processes waited to hand records to the collector, from the trace
        (decompressed beside it by zstd first, when it is compressed)."""
        plain = trace[:-4] if trace.endswith(".zst") else trace
        if plain != trace and subprocess.run(["zstd", "-d", "-q", "-f", "-o", plain, trace]).returncode != 0:
            return None, None
        db = sqlite3.connect("file:%s?mode=ro" % plain, uri=True)
        try:
            return db.execute("SELECT max(send_wait_max_ns), sum(send_wait_total_ns) FROM processes").fetchone()
        except sqlite3.Error:
            return None, None  # a trace older than schema 2
        finally:
            db.close()
            if plain != trace:
                os.remove(plain)

    def allocations_per_process(self, trace):
        """Allocation calls of each process in a trace, from `memtrack report --format json`; None when the
        report fails or is not what it should be."""
        out = subprocess.run([self.binary, "report", "--format", "json", trace], capture_output=True, text=True)
        if out.returncode != 0:
            return None
        try:
            return [p["summary"]["allocations"] for p in json.loads(out.stdout)["processes"]]
        except (ValueError, KeyError, TypeError):
            return None

    def count_allocations(self, trace):
        """Allocation calls in a trace, over all its processes; None when they cannot be read."""
        counts = self.allocations_per_process(trace)
        return sum(counts) if counts is not None else None


class Heaptrack(Untraced):
    name = "heaptrack"
    collector = "heaptrack_interpret"
    writes_trace = True

    def __init__(self, script, printer):
        self.script, self.printer = script, printer

    def command(self, workload, trace_base):
        return [self.script, "-o", trace_base] + workload.argv

    def trace_files(self, trace_base):
        # heaptrack appends .zst (or .gz without zstd) to the name it is given
        return [trace_base + ext for ext in (".zst", ".gz") if os.path.exists(trace_base + ext)][:1]

    def report_command(self, trace_files):
        return [self.printer, trace_files[0]]


class Valgrind(Untraced):
    name = "valgrind"

    def __init__(self, binary):
        self.binary = binary

    @staticmethod
    def applies_to(workload):
        return workload.churn  # too slow to be worth it on the others

    def is_program(self, exe, workload):
        return os.path.basename(exe).startswith("memcheck-")  # the program runs inside valgrind's tool

    def command(self, workload, trace_base):
        # 64 frames per stack: the depth memtrack records by default
        return [self.binary, "--tool=memcheck", "--leak-check=full", "--num-callers=64", "-q",
                "--log-file=" + trace_base + ".log"] + workload.argv


def find_tools(memtrack_path, repo, work, no_valgrind):
    """Every tool to compare, and for each one left out the reason: (tools, {tool class: reason})."""
    tools, missing = [Untraced()], {}
    try:
        binary = os.path.abspath(memtrack_path) if memtrack_path else build_memtrack(repo, work)
        if not os.access(binary, os.X_OK):
            raise Unavailable("%s is not executable" % binary)
        tools.append(Memtrack(binary))
    except Unavailable as e:
        missing[Memtrack] = str(e)
    if shutil.which("heaptrack") and shutil.which("heaptrack_print"):
        tools.append(Heaptrack(shutil.which("heaptrack"), shutil.which("heaptrack_print")))
    else:
        missing[Heaptrack] = "heaptrack or heaptrack_print is not installed"
    if no_valgrind:
        missing[Valgrind] = "skipped (--no-valgrind)"
    elif shutil.which("valgrind"):
        tools.append(Valgrind(shutil.which("valgrind")))
    else:
        missing[Valgrind] = "valgrind is not installed"
    return tools, missing
