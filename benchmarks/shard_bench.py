"""Shard benchmark: each of 4 shards' wall time against the unsharded run, at 200 ms latency.

Prints figures; asserts nothing. Run from the repository root::

    .venv/bin/python benchmarks/shard_bench.py [--sessions 40] [--shards 4] [--concurrency 2] [--reps 2]

The plan: ``--sessions`` sessions of varying length (1 to 9 tests, a fixed pattern, so the
slices cannot be balanced by counting cases), one agent, against the fake OpenAI server
(tests/fakes/openai_server.py in its own process) answering every call after a fixed 200 ms.
The unsharded run and then each ``--shard i/N`` run execute the plan at the same concurrency,
one after the other, as N matrix jobs would each on its own runner; a shard run goes through
``take_shard`` exactly as ``bench execute --shard`` does. Printed:

- each shard's wall time as a ratio of the unsharded run's (target: close to 1/N, 0.25 at 4);
- the slices' estimated cost (runtime/shard.py's estimated tokens): each slice's share and
  the spread, (max - min) / mean (the issue's acceptance: within 15% of each other).

Repetitions alternate (unsharded, shards, unsharded, ...) so a load change on a shared machine
hits both; every figure is printed per repetition and as a range.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import anyio  # noqa: E402

from benchmarks.fake_process import FakeProcess  # noqa: E402
from benchmarks.runtime_bench import ENV, fake_plan  # noqa: E402
from runtime import ExecuteOptions, execute  # noqa: E402
from runtime.plan import Case, Plan, Span, Unit  # noqa: E402
from runtime.plan.assertions import OutputContains  # noqa: E402
from runtime.shard import slices, take_shard  # noqa: E402

LATENCY_S = 0.2
LENGTHS = (1, 5, 2, 9, 3, 7, 1, 4, 6, 2)
"""Tests per session, cycled: sessions of varying length."""


def make_plan(url: str, sessions: int, concurrency: int) -> Plan:
    """``sessions`` sessions of 1 to 9 one-turn tests each, one assertion per test."""
    span = Span(file="shard-bench.yaml", line=1, col=1)
    units = []
    for s in range(sessions):
        uid = f"u{s:04d}"
        cases = tuple(
            Case(
                id=f"{uid}/{t}",
                test=f"t{t}",
                prompt=f"session {s} question {t}: " + "words " * (5 * (s % 7)),
                assertions=(OutputContains(value="ok"),),
                span=span,
            )
            for t in range(LENGTHS[s % len(LENGTHS)])
        )
        units.append(
            Unit(
                id=uid,
                agent="agent",
                session=f"s{s}",
                file="shard-bench.yaml",
                cases=cases,
                span=span,
            )
        )
    return fake_plan(url, tuple(units), concurrency, name="shard-bench", file="shard-bench.yaml")


async def wall(plan: Plan, out: Path, concurrency: int, shard: tuple[int, int] | None) -> float:
    """Wall seconds of one run of ``plan`` (or of its slice), as ``bench execute`` runs it."""
    part, record = (plan, None) if shard is None else take_shard(plan, *shard)
    started = time.perf_counter()
    summary = await execute(
        part,
        ExecuteOptions(
            output_dir=out,
            concurrency=concurrency,
            env=ENV,
            shard=record,
            shard_of=plan if shard is not None else None,
        ),
    )
    elapsed = time.perf_counter() - started
    if summary.metadata.totals.passed != part.attempt_count:
        raise SystemExit(f"the run did not pass every case: {summary.metadata.totals}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    server = FakeProcess.starlette("ok, done", output_tokens=3, latency_s=LATENCY_S)
    try:
        plan = make_plan(server.url, args.sessions, args.concurrency)
        cut = slices(plan, args.shards)
        loads = [s.estimated_tokens for s in cut]
        mean = sum(loads) / len(loads)
        print(
            f"plan: {len(plan.cases)} cases in {len(plan.units)} sessions of 1-9 tests, "
            f"{LATENCY_S * 1000:.0f} ms fake latency, concurrency {args.concurrency} per job"
        )
        for s in cut:
            print(
                f"  slice {s.index}/{args.shards}: {len(s.units)} sessions, {s.cases} cases, "
                f"~{s.estimated_tokens:,} estimated tokens ({s.estimated_tokens / sum(loads):.1%})"
            )
        print(
            f"estimated cost spread of the slices, (max - min) / mean: "
            f"{(max(loads) - min(loads)) / mean:.2%} (acceptance: within 15%)"
        )
        floor = len(plan.cases) * LATENCY_S / args.concurrency
        print(
            f"latency floor (calls x {LATENCY_S * 1000:.0f} ms / concurrency): unsharded "
            f"{floor:.1f} s, a slice {floor / args.shards:.1f} s; above it: each run's start-up "
            "and the tail of its last sessions"
        )
        ratios: dict[int, list[float]] = {i: [] for i in range(1, args.shards + 1)}
        with tempfile.TemporaryDirectory(prefix="shard-bench-") as tmp:
            anyio.run(wall, plan, Path(tmp) / "warm", args.concurrency, (1, args.shards))
            for rep in range(1, args.reps + 1):
                whole = anyio.run(wall, plan, Path(tmp) / f"w{rep}", args.concurrency, None)
                parts = [
                    anyio.run(
                        wall, plan, Path(tmp) / f"s{rep}-{i}", args.concurrency, (i, args.shards)
                    )
                    for i in range(1, args.shards + 1)
                ]
                for i, t in enumerate(parts, 1):
                    ratios[i].append(t / whole)
                shown = ", ".join(
                    f"{i}/{args.shards} {t:.2f} s ({t / whole:.3f})" for i, t in enumerate(parts, 1)
                )
                print(f"rep {rep}: unsharded {whole:.2f} s; shards: {shown}")
        target = 1 / args.shards
        print(f"shard wall time / unsharded wall time (target close to {target:.2f}):")
        for i, rs in ratios.items():
            print(f"  shard {i}/{args.shards}: {min(rs):.3f}-{max(rs):.3f}")
        slowest = [max(ratios[i][r] for i in ratios) for r in range(args.reps)]
        print(f"  slowest shard (the matrix's wall time): {min(slowest):.3f}-{max(slowest):.3f}")
    finally:
        server.close()


if __name__ == "__main__":
    main()
