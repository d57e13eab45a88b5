"""What the benchmark prints: the machine it ran on and the result table."""
import os
import platform
import statistics
import time

COLUMNS = ("tool", "slowdown", "wall", "CPU", "trace size", "program RSS", "collector RSS", "report",
           "report RSS")


def first_value(path, key, separator=":"):
    """The value of the first "KEY<separator>value" line of a system file, or "?"."""
    try:
        with open(path) as f:
            for line in f:
                name, sep, value = line.partition(separator)
                if sep and name.strip() == key:
                    return value.strip().strip('"')
    except OSError:
        pass
    return "?"


def load_average():
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine_lines():
    """nproc, CPU, RAM, kernel, distribution, date and load: what the numbers depend on."""
    ram = first_value("/proc/meminfo", "MemTotal").split()[0]
    busy = float(load_average().split()[0]) > (os.cpu_count() or 1)
    warning = ["warning: the machine is busy (load above its CPU count): wall times and slowdowns are inflated;"
               " the CPU column suffers less"] if busy else []
    return warning + ["machine: %d CPUs (nproc), %s, %.1f GiB RAM, Linux %s, %s" % (
                os.cpu_count() or 0, first_value("/proc/cpuinfo", "model name"),
                int(ram) / (1 << 20) if ram.isdigit() else 0, platform.release(),
                first_value("/etc/os-release", "PRETTY_NAME", "=")),
            "date: %s; load average at start: %s" % (time.strftime("%Y-%m-%d %H:%M %Z"), load_average())]


def median_of(samples, field):
    """Median of one measurement over runs, ignoring runs that lack it; None when none has it."""
    values = [s[field] for s in samples if s.get(field) is not None]
    return statistics.median(values) if values else None


def size_text(n_bytes):
    """Bytes in binary units with one decimal, or "-" when unknown."""
    if n_bytes is None:
        return "-"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n_bytes >= scale:
            return "%.1f %s" % (n_bytes / scale, unit)
    return "%d B" % n_bytes


def seconds_text(s):
    """Seconds to the millisecond, or "-" when unknown."""
    return "%.3f s" % s if s is not None else "-"


def tool_row(name, got, base):
    """One tool's cells: medians over its runs; BASE holds the untraced medians."""
    wall, cpu = median_of(got, "wall"), median_of(got, "cpu")
    kib = lambda field: size_text(median_of(got, field) * 1024) if median_of(got, field) is not None else "-"
    cpu_text = seconds_text(cpu) + (" (%.1fx)" % (cpu / base["cpu"]) if cpu and base.get("cpu") else "")
    return (name, "%.2fx" % (wall / base["wall"]) if base.get("wall") else "n/a", seconds_text(wall),
            cpu_text, size_text(median_of(got, "trace_bytes")), kib("program_kb"),
            kib("collector_kb"), seconds_text(median_of(got, "report_seconds")), kib("report_kb"))


def print_rows(rows):
    """Aligned columns; a row of two cells (tool, reason) is a tool that could not be measured."""
    full = [r for r in rows if len(r) == len(COLUMNS)]
    widths = [max(len(r[i]) for r in full) for i in range(len(COLUMNS))]
    for row in rows:
        if len(row) == len(COLUMNS):
            print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        else:
            print("  " + row[0].ljust(widths[0]) + "  " + row[1])


def paired_ratios(samples, wi):
    """memtrack's wall time over heaptrack's, round by round, and the same for the time each adds to the
    untraced run of that round: within a round the three run back to back, so a slow or fast spell of the
    machine, which moves all of them, mostly cancels out of these ratios while it moves the medians."""
    runs = [samples.get((wi, name), []) for name in ("memtrack", "heaptrack", "untraced")]
    rounds = list(zip(*runs))
    slowdown = [m["wall"] / h["wall"] for m, h, _ in rounds if h["wall"] > 0]
    added = [(m["wall"] - u["wall"]) / (h["wall"] - u["wall"]) for m, h, u in rounds if h["wall"] > u["wall"]]
    return slowdown, added


def print_report_figures(runs):
    """memtrack's JSON report and page of the trace (medians), when the workload measured them."""
    if median_of(runs, "view_seconds") is None:
        return
    kib = lambda field: size_text(median_of(runs, field) * 1024)
    print("  memtrack report --format json: %s, %s peak RSS; memtrack view: %s, %s peak RSS, page %s" % (
        seconds_text(median_of(runs, "json_seconds")), kib("json_kb"), seconds_text(median_of(runs, "view_seconds")),
        kib("view_kb"), size_text(median_of(runs, "page_bytes"))))


def print_table(runs, tool_names, workloads, samples, reasons):
    """One block per workload, one line per tool that applies to it.

    samples[(workload index, tool name)] is the list of that pair's runs (dicts);
    reasons[(workload index, tool name)] says why a pair has no numbers."""
    print("\nmedians of %d run(s) per tool; slowdown = wall / untraced wall; CPU = user+system time of all the"
          " run's processes (and its ratio to untraced);" % runs)
    print("RSS = peak (VmHWM at exit) of the program's process, of the collector's process and of the report's")
    for wi, workload in enumerate(workloads):
        count = " (%s allocations)" % "{:,}".format(workload.allocations) if workload.allocations else ""
        print("\n%s%s" % (workload.label, count))
        rows = [COLUMNS]
        untraced = samples.get((wi, "untraced"), [])
        base = {"wall": median_of(untraced, "wall"), "cpu": median_of(untraced, "cpu")}
        for name in tool_names:
            if (wi, name) in reasons:
                rows.append((name, "n/a: " + reasons[(wi, name)]))
            elif samples.get((wi, name)):
                rows.append(tool_row(name, samples[(wi, name)], base))
        print_rows(rows)
        waits = samples.get((wi, "memtrack"), [])
        worst = max((s["wait_max_ns"] for s in waits if s.get("wait_max_ns") is not None), default=None)
        if worst is not None:
            print("  memtrack: the program spent %.1f ms in all in its sends to the collector (median), %.1f ms at "
                  "most in one send (worst run)" % (median_of(waits, "wait_total_ns") / 1e6, worst / 1e6))
        print_report_figures(samples.get((wi, "memtrack"), []))
        slowdown, added = paired_ratios(samples, wi)
        if slowdown:
            text = lambda ratios: "%s (median %.2f)" % (" ".join("%.2f" % r for r in ratios), statistics.median(ratios))
            print("  memtrack / heaptrack, round by round: slowdown %s; time added %s" % (
                text(slowdown), text(added) if added else "n/a"))
