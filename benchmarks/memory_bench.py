"""Memory of a run and of its report: peak RSS of ``bench execute`` and ``bench report``.

Each size first reads the plan alone in a child, held whole (``load_plan``) and streamed as
``bench execute plan.json`` opens it (``open_plan``: hash checked in one pass, units left in
the file), then runs ``bench execute plan.json`` (one-turn cases, one unit each,
concurrency 64, no report formats) against a zero-latency fake OpenAI server
(tests/fakes/lean_openai.py, its own process), in a child process per size and mode; the
child's peak RSS and CPU time come from ``os.wait4`` (the kernel's figures of that process
alone). Two modes:

- ``quiet``: ``bench execute -q``, which builds no report: the run alone (issue 13's target);
- ``console``: the default console output, piped: the run, then the end-of-run console
  report (report/, built from results.jsonl).

Then ``bench report RUN --format json,md,html`` of the largest run, measured alike.

Targets (issue 13): ``bench execute`` at the largest size within 1.2x of its peak at the
smallest; ``bench report`` of the largest run under 1 GB. Figures are printed, never
asserted. Large sizes take minutes here; while a run goes on, the results written so far are
printed every ``--progress`` seconds::

    .venv/bin/python benchmarks/memory_bench.py [--sizes 1000,10000,100000] [--modes quiet]
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
from benchmarks.runtime_bench import ENV  # noqa: E402

BENCH = str(Path(sys.executable).with_name("bench"))
_LOAD_PLAN = "import sys; from runtime import load_plan; load_plan(sys.argv[1])"
"""A process that only loads the plan whole (what a run held before plans were streamed)."""
_OPEN_PLAN = "import sys; from runtime.plan import open_plan; open_plan(sys.argv[1])"
"""A process that only opens the plan as ``bench execute plan.json`` does (streamed)."""
_WRITE_PLAN = (
    "import sys; sys.path.insert(0, sys.argv[4]); from pathlib import Path; "
    "from benchmarks.runtime_bench import make_plan; "
    "Path(sys.argv[1]).write_text(make_plan(sys.argv[2], int(sys.argv[3]), int(sys.argv[5]))"
    ".dumps(), encoding='utf-8')"
)
"""Writes a plan in a child: a parent that built a large plan itself would pass its RSS on to
every child it spawns (Linux carries the RSS before ``exec`` into the child's maxrss), so
this process never holds one."""
MODES = {"quiet": ["-q"], "console": []}


class _Lines:
    """Counts the lines of the results.jsonl files under a directory as they grow."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.offset = 0
        self.count = 0
        self.shown = 0
        """Progress notes printed so far."""

    def poll(self) -> int:
        for path in self.root.glob("runs/*/results.jsonl"):
            with path.open("rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
            self.offset += len(data)
            self.count += data.count(b"\n")
        return self.count


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (/proc, Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


FIRST: list[tuple[float, float]] = []
"""(wall, CPU) seconds from a watched run's start to its first result, per watched run."""


def measured(
    cmd: list[str], cwd: Path, *, watch: Path | None = None, every: float = 30.0
) -> tuple[float, float, float]:
    """Run ``cmd``: its peak RSS in MB, CPU seconds (user + system) and wall seconds. With
    ``watch``, print the results written so far every ``every`` seconds, and note when the
    first result was written (``FIRST``)."""
    started = time.perf_counter()
    first: tuple[float, float] | None = None
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=err
        )
        lines = _Lines(watch) if watch is not None else None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.2)
            if lines is not None and first is None and lines.poll():
                first = (time.perf_counter() - started, _cpu_of(proc.pid))
            if lines is not None and time.perf_counter() - started >= every * (1 + lines.shown):
                lines.shown += 1
                print(f"[{lines.poll():,} results, {time.perf_counter() - started:.0f} s]",
                      end=" ", flush=True)  # fmt: skip
        proc.returncode = os.waitstatus_to_exitcode(status)
        if watch is not None:
            FIRST.append(first or (float("nan"), float("nan")))
        wall = time.perf_counter() - started
        if proc.returncode not in (0, 1):
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-2000:]
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    """Peak RSS of bench execute per size and mode, then of bench report of the largest run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--modes", default="quiet,console", help="quiet, console or both")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--progress", type=float, default=30.0, help="seconds between notes")
    parser.add_argument("--no-report", action="store_true", help="skip bench report")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for mode in modes:
        if mode not in MODES:
            raise SystemExit(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
    server = FakeProcess.lean(0.0)
    peaks: dict[tuple[str, int], float] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            run_dir = base
            for n in sizes:
                plan_path = base / f"plan-{n}.json"
                subprocess.run(
                    [sys.executable, "-c", _WRITE_PLAN, str(plan_path), server.url, str(n)]
                    + [str(ROOT), str(args.concurrency)],
                    check=True,
                )
                for label, code in (("load_plan (whole)", _LOAD_PLAN), ("open_plan", _OPEN_PLAN)):
                    rss, cpu, _ = measured([sys.executable, "-c", code, str(plan_path)], ROOT)
                    print(
                        f"{label:<21} {n:>7,} cases: peak RSS {rss:7.1f} MB ({cpu:5.1f} s CPU)",
                        flush=True,
                    )
                for mode in modes:
                    print(f"bench execute {mode:<7} {n:>7,} cases:", end=" ", flush=True)
                    out = base / f"out-{mode}-{n}"
                    cmd = [BENCH, "execute", str(plan_path), "--output-dir", str(out)]
                    rss, cpu, wall = measured(
                        cmd + MODES[mode], base, watch=out, every=args.progress
                    )
                    peaks[mode, n] = rss
                    (run_dir,) = (out / "runs").iterdir()
                    print(
                        f"peak RSS {rss:7.1f} MB ({rss * 1024 / n:6.2f} KB per case; "
                        f"{cpu:6.1f} s CPU, {cpu * 1000 / n:5.2f} ms per case; {wall:6.1f} s wall; "
                        f"first result after {FIRST[-1][0]:.1f} s, {FIRST[-1][1]:.1f} s CPU)",
                        flush=True,
                    )
            small, large = min(sizes), max(sizes)
            for mode in modes:
                ratio = peaks[mode, large] / peaks[mode, small]
                verdict = "met" if ratio <= 1.2 else "NOT met"
                growth = (peaks[mode, large] - peaks[mode, small]) * 1024 / max(1, large - small)
                print(
                    f"execute {mode}: peak at {large:,} is {ratio:.2f}x the peak at {small:,} "
                    f"(target <= 1.2x: {verdict}); growth {growth:.3f} KB per added case"
                )
            if not args.no_report:
                print(f"bench report {large:,} cases (json,md,html):", end=" ", flush=True)
                rss, cpu, wall = measured(
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
                    f"peak RSS {rss:7.1f} MB ({rss * 1024 / large:6.2f} KB per case; {cpu:.1f} s "
                    f"CPU, {wall:.1f} s wall; target < 1024 MB: {verdict})"
                )
    finally:
        server.close()


if __name__ == "__main__":
    main()
