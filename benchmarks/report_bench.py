"""Render a 10,000-case run in every format and print time and size per format.

Targets (issue 4): all formats under 3 s together, HTML under 15 MB, Markdown under
65,536 characters. Figures are printed, never asserted (tests do not time things).

    .venv/bin/python benchmarks/report_bench.py [--cases 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import build_report, render  # noqa: E402
from tests.report.samples import big, write_run  # noqa: E402


def main() -> None:
    """Build the sample run, then time building the report and rendering each format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    sample = big(args.cases)
    with tempfile.TemporaryDirectory() as tmp:
        run = write_run(sample, Path(tmp))
        size = (run / "results.jsonl").stat().st_size
        t0 = time.perf_counter()
        report = build_report(run)
        build_s = time.perf_counter() - t0
        print(
            f"cases: {report.summary.total:,} ({report.summary.agents} agents, {report.summary.files} files, "
            f"{report.summary.sessions} sessions); results.jsonl {size / 1e6:.1f} MB"
        )
        print(f"{'build (read run dir)':<22}{build_s:>8.2f} s")
        total = 0.0
        for fmt in ("json", "md", "html", "junit"):
            t0 = time.perf_counter()
            text = render(report, fmt)
            took = time.perf_counter() - t0
            total += took
            unit = f"{len(text):,} chars" if fmt == "md" else f"{len(text.encode()) / 1e6:.2f} MB"
            print(f"{fmt:<22}{took:>8.2f} s   {unit}")
        print(f"{'all formats':<22}{total:>8.2f} s   (with build: {total + build_s:.2f} s)")


if __name__ == "__main__":
    main()
