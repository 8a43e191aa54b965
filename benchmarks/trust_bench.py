"""Repeats at scale: build the report of a repeated run and compare it with a base run.

Two runs of ``--cases`` cases (default 10,000) x ``--attempts`` attempts (default 5) each, as
realistic records (two LLM calls, a tool call, three assertions per attempt; the head run
passes some tests less often). Times building each report from its run directory and the
comparison (stability for every test x agent, the verdicts' exact tests and Holm correction).
Target (issue 11): report build + compare under 5 s. Wall and CPU time (``time.process_time``)
are printed, the best of ``--repeat`` rounds; never asserted.

    .venv/bin/python benchmarks/trust_bench.py [--cases 10000] [--attempts 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import build_report  # noqa: E402
from report.compare import compare  # noqa: E402
from tests.report.samples import big, write_run  # noqa: E402


def _repeated(name: str, cases: int, attempts: int, drop: float, seed: int) -> object:
    """``big(cases)`` with every case recorded ``attempts`` times; tests fail at random."""
    sample = big(cases)
    rng = random.Random(seed)
    units = [
        u.model_copy(
            update={"cases": tuple(c.model_copy(update={"repeat": attempts}) for c in u.cases)}
        )
        for u in sample.plan.units
    ]
    plan = sample.plan.model_copy(update={"units": tuple(units), "hash": ""}).sealed()
    results = []
    for r in sample.results:
        p = 0.9 - (drop if zlib.crc32(r.test.encode()) % 7 == 0 else 0.0)
        for a in range(attempts):
            status = "passed" if rng.random() < p else "failed"
            results.append(r.model_copy(update={"attempt": a, "status": status}))
    meta = sample.meta.model_copy(update={"run_id": name, "case_count": len(results)})
    return type(sample)(name, plan, meta, results, [])


def main() -> None:
    """Write both runs, then time the builds and the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is printed")
    args = parser.parse_args()
    best: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base_run = write_run(_repeated("base", args.cases, args.attempts, 0.0, 1), Path(tmp))
        head_run = write_run(_repeated("head", args.cases, args.attempts, 0.5, 2), Path(tmp))
        for _ in range(args.repeat):
            marks = [(time.perf_counter(), time.process_time())]
            base = build_report(base_run)
            marks.append((time.perf_counter(), time.process_time()))
            head = build_report(head_run)
            marks.append((time.perf_counter(), time.process_time()))
            delta = compare(base, head)
            marks.append((time.perf_counter(), time.process_time()))
            steps = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(marks, marks[1:], strict=False)]
            steps.append((marks[3][0] - marks[1][0], marks[3][1] - marks[1][1]))
            best = steps if not best else [min(x, y) for x, y in zip(best, steps, strict=True)]
            results = len(head.detailed_results)
            del base, head
    counts = ", ".join(f"{k} {v}" for k, v in sorted(delta.verdict_counts.items()))
    print(
        f"{results:,} results per run "
        f"({args.cases:,} cases x {args.attempts} attempts); verdicts: {counts}"
    )
    print(f"best of {args.repeat}:{'wall':>15}{'CPU':>9}")
    names = ["build base report", "build head report", "compare (verdicts)", "head build + compare"]
    for name, (wall, cpu) in zip(names, best, strict=True):
        print(f"{name:<24}{wall:>7.2f} s{cpu:>7.2f} s")
    verdict = "met" if best[3][0] < 5 else "NOT met"
    print(f"target: head build + compare < 5 s wall: {verdict}")


if __name__ == "__main__":
    main()
