"""Pieces of bench/run: building, workloads, the tools compared, and the result table."""
