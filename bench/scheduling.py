"""Scheduling benchmark: generate a realistic IOP week, solve it with CP-SAT, re-check it.

How to run it (from the repository root; no database, no network):

    export UV_PYTHON_DOWNLOADS=never
    .venv/bin/python -m bench.scheduling --patients 300 --json
    .venv/bin/python -m bench.scheduling --sizes 50,150,300,600 --json      # a JSON list
    .venv/bin/python -m bench.scheduling --patients 300 --write-instance week.json

What it does, per size:
1. generates the week with `bench/scheduling_instances.py` (fixed seed, so runs compare),
2. solves it with `openiop.scheduling.solver.solve` (2 workers, `--seconds` time limit) and
   counts hard-rule violations with the independent validator,
3. does the same for the greedy baseline,
4. prints patients, solve_seconds (wall clock, model building and importing OR-Tools included),
   fraction_meeting_plan, hard_violations, the greedy's two figures, the proven bound on the
   fraction of patients who can meet their plan (and how it was proved: docs/scheduling.md),
   our fraction divided by that bound, and the solver status.

Results go in docs/benchmarks.md with the machine they were measured on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.scheduling_instances import generate

WORKERS = 2
COLUMNS = (     # key, title, format
    ("patients", "patients", "{}"),
    ("solve_seconds", "solve s", "{:.1f}"),
    ("fraction_meeting_plan", "meeting plan", "{:.3f}"),
    ("hard_violations", "violations", "{}"),
    ("greedy_fraction_meeting_plan", "greedy meeting plan", "{:.3f}"),
    ("greedy_hard_violations", "greedy violations", "{}"),
    ("bound_fraction_meeting_plan", "bound", "{:.3f}"),
    ("ratio_to_bound", "ratio to bound", "{:.3f}"),
    ("status", "status", "{}"),
)


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    sizes = parse_sizes(options.sizes) if options.sizes else [options.patients]
    if options.write_instance:
        if len(sizes) != 1:
            sys.exit("bench.scheduling: --write-instance takes one size (--patients N)")
        Path(options.write_instance).write_text(json.dumps(generate(sizes[0], options.seed), indent=1) + "\n")
    results = []
    for patients in sizes:
        results.append(measure(patients, seconds=options.seconds, seed=options.seed))
        if not options.json:
            print_table(results[-1:], header=len(results) == 1)
    if options.json:
        print(json.dumps(results if options.sizes else results[0], indent=1))


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(prog="python -m bench.scheduling", description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--sizes", help="comma-separated patient counts, e.g. 50,150,300,600")
    parser.add_argument("--seconds", type=float, default=30, help="solver time limit per size")
    parser.add_argument("--seed", type=int, default=2026, help="instance generator and solver seed")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--write-instance", metavar="FILE", help="also save the generated instance")
    return parser.parse_args(argv)


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sys.exit(f"bench.scheduling: --sizes takes whole numbers separated by commas, not {text!r}")
    if not sizes or min(sizes) < 1:
        sys.exit("bench.scheduling: --sizes needs at least one patient count above 0")
    return sizes


def measure(patients: int, *, seconds: float, seed: int) -> dict:
    """Solve and check one generated week; return the benchmark's figures for it."""
    # Imported here so the generator (and its tests) work without the solver's dependencies.
    from openiop.scheduling.greedy import greedy_schedule
    from openiop.scheduling.instance import load_instance
    from openiop.scheduling.solver import solve
    from openiop.scheduling.validator import count

    instance = load_instance(generate(patients, seed))
    started = time.perf_counter()
    schedule = solve(instance, seconds=seconds, workers=WORKERS, seed=seed)
    solve_seconds = time.perf_counter() - started
    greedy = greedy_schedule(instance)
    fraction = schedule.fraction_meeting_plan()
    can_meet = schedule.solver.get("patients_meeting_plan_bound")
    bound = can_meet / patients if can_meet is not None else None
    return {
        "patients": patients,
        "solve_seconds": round(solve_seconds, 1),
        "fraction_meeting_plan": round(fraction, 4),
        "hard_violations": count(instance, schedule),
        "greedy_fraction_meeting_plan": round(greedy.fraction_meeting_plan(), 4),
        "greedy_hard_violations": count(instance, greedy),
        "bound_fraction_meeting_plan": round(bound, 4) if bound is not None else None,
        "ratio_to_bound": round(fraction / bound, 4) if bound else None,
        "status": schedule.solver.get("status"),
        "bound_method": schedule.solver.get("bound_method"),
    }


def print_table(results: list[dict], *, header: bool) -> None:
    if header:
        print("| " + " | ".join(title for _, title, _ in COLUMNS) + " |")
        print("|" + "---|" * len(COLUMNS))
    for result in results:
        cells = ("—" if result[key] is None else form.format(result[key]) for key, _, form in COLUMNS)
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
