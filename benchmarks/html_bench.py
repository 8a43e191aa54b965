"""The HTML report of a 10,000-case run in headless Chromium: file size, time to first paint,
time to the load event and time to open (and lazily build) a collapsed case.

Targets (issue 16): under 2 s to first contentful paint here, file under 15 MB. Figures are
printed against them, never asserted (tests do not time things). Screenshots of the list, a
filtered view, the charts and an expanded case go to test-output/report/html_bench/.

    .venv/bin/python benchmarks/html_bench.py [--cases 10000] [--repeat 3] [--against OTHER.html]

``--against`` loads another HTML file (e.g. the same run rendered by an older bench) in
alternation with this one, so both are measured in the same sitting under the same load.
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
                  load: nav.loadEventEnd, nodes: document.getElementsByTagName('*').length};
        })()"""
    )


def _open(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    # Page.load waits 30 s at most; a loaded machine can take longer for 13 MB.
    for domain in ("Page", "Runtime", "Log", "Network"):
        page.send(f"{domain}.enable")
    page.send("Page.navigate", {"url": path.resolve().as_uri()})
    page.wait_for("Page.loadEventFired", timeout=300)
    page.send("Runtime.evaluate", {"expression": "1"}, timeout=120)


def main() -> None:
    """Render the sample's HTML report, then open it in Chromium ``--repeat`` times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another HTML file, measured alternately")
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
    figures: dict[str, dict[str, list[float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "report.html"
            path.write_text(html, encoding="utf-8")
            files = {"this": path} | ({"against": args.against} if args.against else {})
            for i in range(args.repeat):
                for name, file in files.items():
                    f = figures.setdefault(name, {})
                    page = browser.page()
                    try:
                        _open(page, file)
                        p = _paint(page)
                        for key in ("fcp", "dcl", "load"):
                            f.setdefault(key, []).append(p[key] / 1000)
                        f.setdefault("nodes", []).append(p["nodes"])
                        shoot = i == 0 and name == "this"
                        if shoot:
                            page.screenshot(OUT / "list.png")
                        e = page.eval(_EXPAND)
                        f.setdefault("expand", []).append(e["ms"] / 1000)
                        if shoot:
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
            print(f"  {name:<24}{'n/a':>9}")
            return
        rng = f"{min(xs):.2f}–{max(xs):.2f} s (median {statistics.median(xs):.2f})"
        tail = ""
        if target is not None:
            tail = f"   target < {target:.0f} s {'✓' if max(xs) < target else '✗'}"
        print(f"  {name:<24}{rng}{tail}")

    for name, f in figures.items():
        label = "this report" if name == "this" else f"against {args.against}"
        print(f"{label}: {int(f['nodes'][0]):,} DOM elements after load")
        row("first contentful paint", f["fcp"], FIRST_PAINT_TARGET_S)
        row("DOMContentLoaded", f["dcl"])
        row("load event", f["load"])
        row("open a collapsed case", f["expand"])
    print(f"screenshots: {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
