"""Benchmarks: `python -m bench.scheduling`, `python bench/run_bench.py` (docs/benchmarks.md)."""
