"""Memory of a run and of its report: peak RSS of ``bench execute`` and ``bench report``.

Each size first loads the plan alone in a child (the floor: a run holds its plan), then runs
``bench execute plan.json`` (one-turn cases, one unit each, concurrency 64,
the default console output piped, no report formats) against a zero-latency fake OpenAI
server (tests/fakes/lean_openai.py, its own process), in a child process per size; the
child's peak RSS comes from ``os.wait4`` (the kernel's maxrss of that process alone). Then
``bench report RUN --format json,md,html`` of the largest run, measured alike.

Targets (issue 13): ``bench execute`` at the largest size within 1.2x of its peak at the
smallest; ``bench report`` of the largest run under 1 GB. Figures are printed, never
asserted. Large sizes take minutes here (progress is printed)::

    .venv/bin/python benchmarks/memory_bench.py [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.fake_process import FakeProcess  # noqa: E402
from benchmarks.runtime_bench import ENV, make_plan  # noqa: E402

BENCH = str(Path(sys.executable).with_name("bench"))
_LOAD_PLAN = "import sys; from runtime import load_plan; load_plan(sys.argv[1])"
"""The floor: a process that only loads the plan (bench execute holds it for the run)."""


def measured(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run ``cmd``; its peak RSS in MB, wall seconds and its stderr's tail."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env={**os.environ, **ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{err[-2000:]}")
    return usage.ru_maxrss / 1024, wall, err[-300:]


def main() -> None:
    """Peak RSS of bench execute per size, then of bench report of the largest run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--no-report", action="store_true", help="skip bench report")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    server = FakeProcess.lean(0.0)
    peaks: dict[int, float] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            run_dir = base
            for n in sizes:
                plan_path = base / f"plan-{n}.json"
                plan_path.write_text(
                    make_plan(server.url, n, args.concurrency).dumps(), encoding="utf-8"
                )
                floor, _, _ = measured([sys.executable, "-c", _LOAD_PLAN, str(plan_path)], ROOT)
                print(f"plan alone    {n:>7,} cases ... peak RSS {floor:7.1f} MB", flush=True)
                print(f"bench execute {n:>7,} cases ...", end=" ", flush=True)
                out = base / f"out-{n}"
                rss, wall, _ = measured(
                    [BENCH, "execute", str(plan_path), "--output-dir", str(out)],
                    base,
                )
                peaks[n] = rss
                (run_dir,) = (out / "runs").iterdir()
                print(
                    f"peak RSS {rss:7.1f} MB  ({wall:6.1f} s wall, "
                    f"{rss * 1024 / n:6.2f} KB per case)",
                    flush=True,
                )
            small, large = min(sizes), max(sizes)
            ratio = peaks[large] / peaks[small]
            verdict = "met" if ratio <= 1.2 else "NOT met"
            print(
                f"execute: peak at {large:,} is {ratio:.2f}x the peak at {small:,} "
                f"(target <= 1.2x: {verdict}); growth "
                f"{(peaks[large] - peaks[small]) * 1024 / (large - small):.3f} KB per added case"
            )
            if not args.no_report:
                print(f"bench report {large:,} cases (json,md,html) ...", end=" ", flush=True)
                rss, wall, _ = measured(
                    [
                        BENCH,
                        "report",
                        str(run_dir),
                        "--format",
                        "json,md,html",
                        "-o",
                        str(base / "report"),
                    ],
                    base,
                )
                verdict = "met" if rss < 1024 else "NOT met"
                print(
                    f"peak RSS {rss:7.1f} MB ({wall:6.1f} s wall, {rss * 1024 / large:6.2f} KB "
                    f"per case; target < 1024 MB: {verdict})"
                )
    finally:
        server.close()


if __name__ == "__main__":
    main()
