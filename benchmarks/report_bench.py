"""Write a 10,000-case run's report in every format and print time (wall and CPU) and size
per format.

Targets (issue 4): all formats under 3 s together, HTML under 15 MB, Markdown under
65,536 characters. With ``--memory``: instead, ``bench report RUN`` (its default formats:
html, md, json) of a synthetic run of ``--cases`` cases (tests/report/samples.py ``big``) in a
child process, and its peak RSS and CPU time (target, issue 13: under 1 GB at 100,000 cases).
Figures are printed, never asserted (tests do not time things).

    .venv/bin/python benchmarks/report_bench.py [--cases 10000] [--memory]
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

from report import build_report, write_reports  # noqa: E402
from tests.report.samples import big, write_run  # noqa: E402


def memory(cases: int) -> None:
    """Peak RSS and CPU time of ``bench report RUN`` (default formats) in a child process.

    The sample run is written by another child first: a child's peak RSS (``ru_maxrss``)
    includes its parent's at the time it was spawned (Linux folds the pre-exec memory into it),
    so the parent must stay small; writing a 100,000-case sample here would add ~2.4 GB.
    """
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, __file__, "--cases", str(cases), "--write-run", tmp], check=True
        )
        (run,) = (p for p in Path(tmp).iterdir() if p.is_dir())
        size = (run / "results.jsonl").stat().st_size
        bench = Path(sys.executable).with_name("bench")
        t0 = time.perf_counter()
        child = subprocess.Popen(
            [str(bench), "report", str(run), "-o", str(Path(tmp) / "out" / "report"), "-q"],
            stdout=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        outputs = sorted(Path(tmp, "out").glob("report.*"))
        written = ", ".join(f"{p.suffix[1:]} {p.stat().st_size / 1e6:.1f} MB" for p in outputs)
        rss_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
        cpu = usage.ru_utime + usage.ru_stime
        verdict = "met" if rss_mb < 1024 else "NOT met"
        print(f"bench report of {cases:,} cases; results.jsonl {size / 1e6:.1f} MB; exit {status}")
        print(f"  wrote {written}")
        print(
            f"  peak RSS {rss_mb:,.0f} MB (target < 1 GB: {verdict}); CPU {cpu:.1f} s; wall {wall:.1f} s"
        )


def main() -> None:
    """Build the sample run, then time building the report and rendering each format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument(
        "--memory", action="store_true", help="peak RSS of `bench report` in a child instead"
    )
    parser.add_argument("--write-run", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_run:  # the sample of --memory, written in its own process
        write_run(big(args.cases), Path(args.write_run))
        return
    if args.memory:
        memory(args.cases)
        return
    sample = big(args.cases)
    with tempfile.TemporaryDirectory() as tmp:
        run = write_run(sample, Path(tmp))
        size = (run / "results.jsonl").stat().st_size
        t0, c0 = time.perf_counter(), time.process_time()
        report = build_report(run)
        build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"cases: {report.summary.total:,} ({report.summary.agents} agents, {report.summary.files} files, "
            f"{report.summary.sessions} sessions); results.jsonl {size / 1e6:.1f} MB"
        )
        print(f"{'':<22}{'wall':>8}  {'CPU':>8}")
        print(f"{'build (read run dir)':<22}{build_s:>8.2f}  {build_cpu:>8.2f} s")
        total = total_cpu = 0.0
        for fmt in ("json", "md", "html", "junit"):
            t0, c0 = time.perf_counter(), time.process_time()
            (path,) = write_reports(report, [fmt], Path(tmp) / "out" / "report")
            took, cpu = time.perf_counter() - t0, time.process_time() - c0
            total, total_cpu = total + took, total_cpu + cpu
            if fmt == "md":
                unit = f"{len(path.read_text(encoding='utf-8')):,} chars"
            else:
                unit = f"{path.stat().st_size / 1e6:.2f} MB"
            print(f"{fmt:<22}{took:>8.2f}  {cpu:>8.2f} s   {unit}")
        print(
            f"{'all formats':<22}{total:>8.2f}  {total_cpu:>8.2f} s   "
            f"(target < 3 s; with build: {total + build_s:.2f} s wall, "
            f"{total_cpu + build_cpu:.2f} s CPU)"
        )


if __name__ == "__main__":
    main()
