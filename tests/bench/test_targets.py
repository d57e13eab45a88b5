"""test_targets.py - bench/run's verdicts on the targets and its comparison with the recorded baseline
(bench/benchlib/targets.py), on made-up runs: no timing is measured here."""
import os
import sys
import tempfile
import unittest
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
sys.dont_write_bytecode = True

from benchlib.instructions import counted_runs, libtrack_instructions  # noqa: E402
from benchlib.targets import load_baseline, regression_lines, save_baseline, summarize, verdict_lines  # noqa: E402


def run(wall, trace=None, report=None, collector=None):
    return {"wall": wall, "trace_bytes": trace, "report_seconds": report, "collector_kb": collector}


# churn: memtrack 2 s and 3 s against heaptrack 5 s and 5 s, untraced 1 s: slowdowns 0.4 and 0.6 (median 0.5),
# time added 0.25 and 0.5; sizes and times make the other figures 0.1, 0.2 and 0.5.
WORKLOADS = [SimpleNamespace(label="churn 2000000 8 1"), SimpleNamespace(label="pyjson 13 rounds of 2000")]
SAMPLES = {
    (0, "untraced"): [run(1.0), run(1.0)],
    (0, "memtrack"): [run(2.0, 100, 0.1, 50), run(3.0, 100, 0.1, 50)],
    (0, "heaptrack"): [run(5.0, 1000, 0.5, 100), run(5.0, 1000, 0.5, 100)],
    (1, "untraced"): [run(1.0)],
    (1, "memtrack"): [run(4.0, 2000, 1.0, 80)],
    (1, "heaptrack"): [run(5.0, 1000, 0.5, 100)],
}


class TargetsTest(unittest.TestCase):
    def test_summary_holds_each_ratio(self):
        summary = summarize(WORKLOADS, SAMPLES)
        self.assertEqual(summary["churn 2000000 8 1"], {"slowdown": 0.5, "time_added": 0.375, "trace_size": 0.1,
                                                        "report_time": 0.2, "collector_memory": 0.5})
        self.assertEqual(summary["pyjson 13 rounds of 2000"]["slowdown"], 0.8)

    def test_verdicts_say_met_or_not(self):
        lines = verdict_lines(summarize(WORKLOADS, SAMPLES))
        self.assertIn("time added 0.375 (target <= 0.5: met)", lines[0])
        self.assertIn("time added 0.75 (target <= 0.5: NOT met)", lines[1])
        self.assertIn("trace size 2 (target <= 1: NOT met)", lines[1])
        self.assertNotIn("slowdown", lines[0])  # no target, only compared with the baseline

    def test_live_set_and_budget_are_judged_where_asked(self):
        """The traced program's memory only on a live-set workload; the seconds added only with a budget."""
        workloads = [SimpleNamespace(label="pylive", live_set=True),
                     SimpleNamespace(label="clang --version (warm symbol cache)", added_budget=0.1)]
        samples = {
            (0, "untraced"): [dict(run(1.0), program_kb=1000)],
            (0, "memtrack"): [dict(run(2.0), program_kb=1500)],
            (1, "untraced"): [run(0.05), run(0.07)],
            (1, "memtrack"): [run(0.12), run(0.20)],
        }
        summary = summarize(workloads, samples)
        self.assertEqual(summary["pylive"], {"program_memory": 1.5})
        self.assertEqual(summary["clang --version (warm symbol cache)"], {"added_seconds": 0.1})
        lines = verdict_lines(summary)
        self.assertIn("program memory 1.5 (target <= 1.35: NOT met)", lines[0])
        self.assertIn("added seconds 0.1 (target <= 0.1: met)", lines[1])

    def test_a_figure_worse_than_its_noise_is_flagged(self):
        baseline = {"workloads": {"pyjson 13 rounds of 2000": {"slowdown": 0.6, "trace_size": 1.9},
                                  "churn 2000000 8 1": {"slowdown": 0.45, "report_time": 0.3}}}
        lines = regression_lines(summarize(WORKLOADS, SAMPLES), baseline)
        self.assertEqual(lines, ["  churn 2000000 8 1: slowdown 0.45 -> 0.5; report time 0.3 -> 0.2",
                                 "  pyjson 13 rounds of 2000: slowdown 0.6 -> 0.8 WORSE; trace size 1.9 -> 2"])

    def test_tiny_ratios_keep_their_precision(self):
        """A trace 500 times smaller than heaptrack's: a 1% change is noise, a 25% one is not."""
        def trace_ratio(memtrack_bytes):
            samples = dict(SAMPLES)
            samples[(0, "memtrack")] = [run(2.0, memtrack_bytes, 0.1, 50)]
            samples[(0, "heaptrack")] = [run(5.0, 1000000, 0.5, 100)]
            return summarize(WORKLOADS[:1], samples)
        baseline = {"workloads": trace_ratio(2000)}
        self.assertNotIn("WORSE", regression_lines(trace_ratio(2020), baseline)[0])
        self.assertIn("trace size 0.002 -> 0.0025 WORSE", regression_lines(trace_ratio(2500), baseline)[0])

    def test_workloads_of_other_sizes_are_not_compared(self):
        other = {"churn 200000 8 1": {"slowdown": 0.01}}
        self.assertEqual(regression_lines(summarize(WORKLOADS, SAMPLES), {"workloads": other}), [])

    def test_a_workload_of_the_baseline_this_run_missed_is_named(self):
        summary = summarize(WORKLOADS, SAMPLES)
        baseline = {"workloads": {"churn 2000000 8 1": summary["churn 2000000 8 1"], "sqlite 200000 rows": {}}}
        lines = regression_lines({"churn 2000000 8 1": summary["churn 2000000 8 1"]}, baseline)
        self.assertEqual(lines[0], "  sqlite 200000 rows: not measured in this run")
        self.assertNotIn("WORSE", lines[1])

    def test_a_saved_baseline_reads_back(self):
        summary = summarize(WORKLOADS, SAMPLES)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "baseline.json")
            self.assertIsNone(load_baseline(path))
            self.assertTrue(save_baseline(path, summary, "abc1234", "2026-12-01 20:00 UTC", "2 CPUs, a CPU"))
            self.assertEqual(load_baseline(path)["workloads"], summary)
            with open(path, "w") as f:
                f.write("{not json")
            self.assertIsNone(load_baseline(path))

    def test_saving_keeps_the_workloads_this_run_did_not_measure(self):
        summary = summarize(WORKLOADS, SAMPLES)
        churn, pyjson = ({label: summary[label]} for label in summary)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "baseline.json")
            self.assertTrue(save_baseline(path, churn, "abc1234", "then", "a CPU"))
            self.assertTrue(save_baseline(path, pyjson, "def5678", "now", "a CPU"))
            self.assertFalse(save_baseline(path, {}, "0000000", "later", "a CPU"))  # heaptrack missing
            saved = load_baseline(path)
            self.assertEqual(saved["workloads"], summary)
            self.assertEqual(saved["commit"], "def5678")


LABEL = counted_runs("churn", "python3", "workloads")[0][0]

# A cachegrind output file: libtrack's files (one of them the leak scan) among libc's.
CACHEGRIND_OUT = """desc: I1 cache: 32768 B, 64 B, 8-way associative
cmd: /tmp/churn 200000 8 1
events: Ir
fl=./malloc/./malloc/malloc.c
fn=_int_malloc
100 5000
fl=/src/memtrack/libtrack/tracker.c
fn=mt_on_alloc
10 300
11 20
fl=/src/memtrack/libtrack/internal.h
fn=mt_on_alloc
5 7
fl=/src/memtrack/libtrack/leakscan.c
fn=find
3 90000
fl=/src/memtrack/libtrack/unwind.c
fn=mt_unwind
40 400
summary: 95727
"""


class InstructionsTest(unittest.TestCase):
    def count(self, text):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "cachegrind.out")
            with open(path, "w") as f:
                f.write(text)
            return libtrack_instructions(path)

    def test_libtrack_files_are_counted_and_the_leak_scan_is_not(self):
        self.assertEqual(self.count(CACHEGRIND_OUT), 300 + 20 + 7 + 400)

    def test_a_library_without_debug_information_is_not_counted(self):
        self.assertIsNone(self.count("events: Ir\nfl=???\nfn=malloc\n0 1234\n"))

    def test_the_count_is_compared_with_the_baseline_but_has_no_target(self):
        summary = summarize(WORKLOADS, SAMPLES)
        summary[LABEL] = {"instructions": 1320}
        self.assertFalse(any(LABEL in line for line in verdict_lines(summary)))
        baseline = {"workloads": {LABEL: {"instructions": 1293}}}
        self.assertEqual(regression_lines(summary, baseline), ["  %s: instructions 1293 -> 1320 WORSE" % LABEL])
        self.assertNotIn("WORSE", regression_lines({LABEL: {"instructions": 1300}}, baseline)[0])

    def test_a_run_of_other_sizes_matching_only_the_count_names_no_missing_workload(self):
        baseline = {"workloads": {"churn 2000000 8 1": {"slowdown": 0.5}, LABEL: {"instructions": 1293}}}
        quick = {"churn 200000 8 1": {"slowdown": 0.5}, LABEL: {"instructions": 1293}}
        self.assertEqual(regression_lines(quick, baseline), ["  %s: instructions 1293 -> 1293" % LABEL])


if __name__ == "__main__":
    unittest.main()
