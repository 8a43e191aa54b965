"""Repeats at scale: build the report of a repeated run and compare it with a base run.

Two runs of ``--cases`` cases (default 10,000) x ``--attempts`` attempts (default 5) each, as
realistic records (two LLM calls, a tool call, three assertions per attempt; the head run
passes some tests less often). Times building each report from its run directory and the
comparison (stability for every test x agent, the verdicts' exact tests and Holm correction).
Target (issue 11): report build + compare under 5 s. Each round runs in a child process;
wall and CPU time (the child's, ``time.process_time``) are printed, the best of ``--repeat``
rounds, with the child's peak RSS; never asserted.

``--runs DIR`` keeps the two runs in DIR (written once, reused after: writing them takes
longer than the timing). ``--against CHECKOUT`` times another checkout of bench (e.g. main,
``git archive main | tar -x -C /tmp/main``) on the same runs, alternating rounds with this
one, for a fair before/after on a busy machine.

    .venv/bin/python benchmarks/trust_bench.py [--cases 10000] [--attempts 5] \\
        [--runs DIR] [--against CHECKOUT]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.report.samples import big, write_run  # noqa: E402

_ROUND = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from report import build_report
from report.compare import compare
marks = [(time.perf_counter(), time.process_time())]
base = build_report(Path(sys.argv[2]))
marks.append((time.perf_counter(), time.process_time()))
head = build_report(Path(sys.argv[3]))
marks.append((time.perf_counter(), time.process_time()))
delta = compare(base, head)
marks.append((time.perf_counter(), time.process_time()))
steps = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(marks, marks[1:])]
steps.append((marks[3][0] - marks[1][0], marks[3][1] - marks[1][1]))
print(json.dumps({"steps": steps, "results": len(head.detailed_results),
                  "verdicts": delta.verdict_counts}))
"""


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


def _runs(root: Path, cases: int, attempts: int) -> tuple[Path, Path]:
    """The base and head runs under ``root``, written unless they are there already."""
    tag = f"{cases}x{attempts}"
    out = []
    for name, drop, seed in (("base", 0.0, 1), ("head", 0.5, 2)):
        where = root / f"{name}-{tag}"
        run = where / name
        if not (run / "metadata.json").is_file():
            where.mkdir(parents=True, exist_ok=True)
            run = write_run(_repeated(name, cases, attempts, drop, seed), where)  # type: ignore[arg-type]
        out.append(run)
    return out[0], out[1]


def _round(checkout: Path, base: Path, head: Path) -> tuple[dict[str, object], float]:
    """One timed round in a child running ``checkout``'s code; its report and peak RSS (MB)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _ROUND, str(checkout), str(base), str(head)],
        stdout=subprocess.PIPE,
        cwd=checkout,
    )
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"the round in {checkout} failed (exit {child.returncode})")
    return json.loads(out), usage.ru_maxrss / 1024


def main() -> None:
    """Write (or reuse) both runs, then time the builds and the comparison, per checkout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is printed")
    parser.add_argument("--runs", type=Path, help="keep the runs here (reused when present)")
    parser.add_argument("--against", type=Path, help="another checkout, timed alternately")
    args = parser.parse_args()
    checkouts = [ROOT] if args.against is None else [args.against.resolve(), ROOT]
    with tempfile.TemporaryDirectory() as tmp:
        base, head = _runs(args.runs or Path(tmp), args.cases, args.attempts)
        best: dict[Path, list[tuple[float, float]]] = {}
        rss: dict[Path, float] = {}
        for _ in range(args.repeat):
            for checkout in checkouts:
                got, peak = _round(checkout, base, head)
                steps = [tuple(s) for s in got["steps"]]  # type: ignore[attr-defined]
                prev = best.get(checkout)
                best[checkout] = steps if prev is None else [min(x, y) for x, y in zip(prev, steps, strict=True)]  # type: ignore[assignment]  # fmt: skip
                rss[checkout] = max(rss.get(checkout, 0.0), peak)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(got["verdicts"].items()))  # type: ignore[attr-defined]
    print(
        f"{got['results']:,} results per run "
        f"({args.cases:,} cases x {args.attempts} attempts); verdicts: {counts}"
    )
    names = ["build base report", "build head report", "compare (verdicts)", "head build + compare"]
    for checkout in checkouts:
        print(
            f"{checkout}: best of {args.repeat}{'wall':>9}{'CPU':>9}   peak RSS {rss[checkout]:.0f} MB"
        )
        for name, (wall, cpu) in zip(names, best[checkout], strict=True):
            print(f"  {name:<24}{wall:>7.2f} s{cpu:>7.2f} s")
        verdict = "met" if best[checkout][3][0] < 5 else "NOT met"
        print(f"  target: head build + compare < 5 s wall: {verdict}")


if __name__ == "__main__":
    main()
