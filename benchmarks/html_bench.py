"""The HTML report of a 10,000-case run in headless Chromium: file size, time to first paint,
time to the load event and time to open (and lazily build) a collapsed case.

Targets (issue 16): under 2 s to first contentful paint here, file under 15 MB. Figures are
printed against them, never asserted (tests do not time things). Screenshots of the list, a
filtered view, the charts and an expanded case go to test-output/report/html_bench/.

    .venv/bin/python benchmarks/html_bench.py [--cases 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import build_from_results, render  # noqa: E402
from tests.report.cdp import Browser, find_chromium  # noqa: E402
from tests.report.samples import big  # noqa: E402

FIRST_PAINT_TARGET_S = 2.0
SIZE_TARGET_MB = 15.0
OUT = ROOT / "test-output" / "report" / "html_bench"

# Opens the first collapsed test group that has details and waits for the next frame to be
# painted; returns the milliseconds it took and whether the case's content was built.
_EXPAND = """
new Promise(resolve => {
  const d = document.querySelector('#test-results details.tg.fail:not([open])')
    || document.querySelector('#test-results details.tg:not([open])');
  const t0 = performance.now();
  d.open = true;
  requestAnimationFrame(() => setTimeout(() => resolve({
    ms: performance.now() - t0,
    built: d.querySelectorAll('.single-agent-detail, .multi-agent-comparison').length > 0,
    id: d.id,
  }), 0));
})
"""


def _paint(page) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return page.eval(  # type: ignore[no-any-return]
        """(() => {
          const fcp = performance.getEntriesByName('first-contentful-paint')[0];
          const nav = performance.getEntriesByType('navigation')[0];
          return {fcp: fcp ? fcp.startTime : -1, dcl: nav.domContentLoadedEventEnd,
                  load: nav.loadEventEnd};
        })()"""
    )


def main() -> None:
    """Render the sample's HTML report, then open it in Chromium ``--repeat`` times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    binary = find_chromium()
    if binary is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    s = big(args.cases)
    report = build_from_results(s.results, s.meta, s.plan)
    t0 = time.perf_counter()
    html = render(report, "html")
    render_s = time.perf_counter() - t0
    size_mb = len(html.encode()) / 1e6
    print(f"cases: {report.summary.total:,}; render {render_s:.2f} s")
    mark = "✓" if size_mb < SIZE_TARGET_MB else "✗"
    print(f"{'file size':<24}{size_mb:>9.2f} MB   target < {SIZE_TARGET_MB:.0f} MB {mark}")
    OUT.mkdir(parents=True, exist_ok=True)
    browser = Browser(binary)
    fcp, dcl, load, expand = [], [], [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "report.html"
            path.write_text(html, encoding="utf-8")
            for i in range(args.repeat):
                page = browser.page()
                try:
                    page.load(path)
                    p = _paint(page)
                    fcp.append(p["fcp"] / 1000)
                    dcl.append(p["dcl"] / 1000)
                    load.append(p["load"] / 1000)
                    if i == 0:
                        page.screenshot(OUT / "list.png")
                    e = page.eval(_EXPAND)
                    expand.append(e["ms"] / 1000)
                    if i == 0:
                        print(f"expanded #{e['id']}: content built: {e['built']}")
                        page.eval(f"document.getElementById({e['id']!r}).scrollIntoView()")
                        page.screenshot(OUT / "expanded.png")
                    problems = page.problems()
                    if problems or len(page.requests()) != 1:
                        print(f"! problems {problems[:3]} requests {page.requests()[:3]}")
                finally:
                    page.close()
    finally:
        browser.close()

    def row(name: str, xs: list[float], target: float | None = None) -> None:
        if not xs or min(xs) < 0:
            print(f"{name:<24}{'n/a':>9}")
            return
        rng = f"{min(xs):.2f}–{max(xs):.2f} s (median {statistics.median(xs):.2f})"
        tail = ""
        if target is not None:
            tail = f"   target < {target:.0f} s {'✓' if max(xs) < target else '✗'}"
        print(f"{name:<24}{rng}{tail}")

    row("first contentful paint", fcp, FIRST_PAINT_TARGET_S)
    row("DOMContentLoaded", dcl)
    row("load event", load)
    row("open a collapsed case", expand)
    print(f"screenshots: {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
