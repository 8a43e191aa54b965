"""Reports: a run's results as JSON (the source of truth), Markdown, HTML, JUnit and console.

Public API::

    report = build_report("runs/20261102-1200")   # a run directory, or a JSON report
    text = render(report, "md", baseline=base)     # json | md | html | junit
    paths = write_reports(report, ["html", "json"], "out/report")
"""

from __future__ import annotations

from pathlib import Path

from runtime.plan import Plan

from .build import build_from_results as build_from_results
from .build import build_from_run, load_report_json
from .comment import COMMENT_LIMIT as COMMENT_LIMIT
from .comment import MARKER as MARKER
from .compare import compare as compare
from .compare import with_baseline
from .console import print_console_report as print_console_report
from .formats import EXTENSIONS, normalise_formats
from .render import render_format, write_format
from .run_reader import Details
from .schema import REPORT_VERSION as REPORT_VERSION
from .schema import Report as Report

__all__ = [
    "COMMENT_LIMIT",
    "MARKER",
    "REPORT_VERSION",
    "Report",
    "build_from_results",
    "build_report",
    "compare",
    "print_console_report",
    "render",
    "write_reports",
]


def build_report(
    source: str | Path, *, details: Details = "shown", plan: Plan | None = None
) -> Report:
    """A Report from a run directory (finished or partial) or from a JSON report file.

    ``details="failures"`` (run directories): transcripts only for failed and errored cases,
    enough for the console report and a fraction of the memory (report/run_reader.py).
    ``plan``: the run's plan, when the caller holds it (not read from plan.json again).
    """
    path = Path(source)
    if path.is_dir():
        return build_from_run(path, details=details, plan=plan)
    return load_report_json(path)


def render(
    report: Report,
    fmt: str,
    baseline: Report | None = None,
    *,
    full_report: str | None = None,
) -> str:
    """``report`` rendered as ``fmt`` (json, md, html, junit); with ``baseline``, with deltas.

    ``full_report`` tells the Markdown where the complete report lives (a path or a URL),
    for the line it writes when it had to leave something out.
    """
    (name,) = normalise_formats(fmt)
    return render_format(with_baseline(report, baseline), name, full_report=full_report)


def write_reports(
    report: Report,
    formats: str | list[str],
    output_base: str | Path,
    *,
    baseline: Report | None = None,
    full_report: str | None = None,
) -> list[Path]:
    """Write each format to ``<output_base><ext>`` (.json, .md, .html, .junit.xml).

    Each file is written as it is rendered (report/render.py): no format is held whole in
    memory, and a report built from a run fetches a whole case only where a format prints
    its details.
    """
    names = normalise_formats(formats)
    report = with_baseline(report, baseline)
    base = Path(output_base)
    base.parent.mkdir(parents=True, exist_ok=True)
    if full_report is None:
        others = [f"`{base.name}{EXTENSIONS[n]}`" for n in names if n in ("html", "json")]
        full_report = " and ".join(others) if others else None
    written = []
    for name in names:
        path = base.with_name(base.name + EXTENSIONS[name])
        with path.open("w", encoding="utf-8") as out:
            write_format(report, name, out, full_report=full_report)
        written.append(path)
    return written
