"""Every sink writes as it goes and holds a whole case only while it prints it.

A report built from a large run holds its cases as a ``CaseList`` (report/case_list.py):
briefs, and each whole case built on demand. These tests give the sinks such a list, whose
``load`` counts the whole cases alive (weakrefs) at every load and at every write to the
output, and check that no sink holds more than a few at once, and that what it writes is
byte for byte what the same report with a plain list of cases renders.
"""

from __future__ import annotations

import gc
import io
from pathlib import Path

import pytest
from rich.console import Console

from report import build_report, print_console_report, write_reports
from report.case_list import briefs_of
from report.render import render_format, write_format
from report.schema import Report
from tests.report.lazy_cases import Lazy
from tests.report.samples import big, repeated, sample, write_run

MAX_ALIVE = 4
"""Whole cases a sink may hold at once (a multi-agent test group's, at most)."""


class Watched(io.StringIO):
    """An output that notes the live cases at every write."""

    def __init__(self, lazy: Lazy) -> None:
        super().__init__()
        self.lazy = lazy

    def write(self, s: str) -> int:
        self.lazy.note()
        return super().write(s)


def _report(s: object, tmp: Path) -> Report:
    return build_report(write_run(s, tmp))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    root = tmp_path_factory.mktemp("runs")
    return {
        "multi": _report(sample("08_multi_agent_multi_file"), root / "multi"),
        "failing": _report(
            repeated(sample("09_failed_with_errors"), 3, {0: {1}, 1: {0, 2}}), root / "rep"
        ),
        # >= LARGE_RUN cases: the HTML's compact mode (details of failed cases only).
        "large": _report(big(1_200), root / "big"),
    }


@pytest.mark.parametrize("name", ["multi", "failing", "large"])
@pytest.mark.parametrize("fmt", ["json", "html", "md", "junit"])
def test_a_sink_holds_a_few_whole_cases_and_writes_what_the_plain_report_renders(
    reports: dict[str, Report], name: str, fmt: str
) -> None:
    plain = reports[name]
    lazy = Lazy(plain)
    out = Watched(lazy)
    write_format(lazy.report, fmt, out)
    gc.collect()
    assert out.getvalue() == render_format(plain, fmt)
    # The HTML shows a multi-agent test group's cases side by side: it holds one group's.
    most = max(MAX_ALIVE, _largest_group(plain)) if fmt == "html" else MAX_ALIVE
    assert lazy.most <= most, f"{fmt} held {lazy.most} whole cases at once"
    assert len(lazy.alive) == 0
    if fmt == "md":  # prints failures only (the table's, then the details of the first 15)
        failed = sum(c.status != "passed" for c in briefs_of(plain.detailed_results))
        assert lazy.loads == min(failed, 100) + min(failed, 15)


def _largest_group(report: Report) -> int:
    sizes: dict[str, int] = {}
    for b in briefs_of(report.detailed_results):
        sizes[b.key] = sizes.get(b.key, 0) + 1
    return max(sizes.values())


def test_the_json_written_item_by_item_is_pydantics_own(reports: dict[str, Report]) -> None:
    for plain in reports.values():
        out = io.StringIO()
        write_format(plain, "json", out)
        assert out.getvalue() == plain.model_dump_json(indent=2) + "\n"
    for emptied in (["detailed_results"], ["comparison_summary", "detailed_results"]):
        empty = reports["multi"].model_copy(update=dict.fromkeys(emptied, []))
        out = io.StringIO()
        write_format(empty, "json", out)
        assert out.getvalue() == empty.model_dump_json(indent=2) + "\n"


def test_a_large_runs_html_fetches_whole_cases_once_plus_its_failed_groups(
    reports: dict[str, Report],
) -> None:
    plain = reports["large"]
    lazy = Lazy(plain)
    write_format(lazy.report, "html", io.StringIO())
    briefs = briefs_of(plain.detailed_results)
    failed_keys = {b.key for b in briefs if b.status != "passed"}
    in_failed_groups = sum(b.key in failed_keys for b in briefs)
    failures = sum(b.status != "passed" for b in briefs)
    # One pass for the search index, the failed groups' details, the failure list (<= 200).
    assert lazy.loads == len(briefs) + in_failed_groups + min(failures, 200)


def test_write_reports_and_the_console_read_a_case_list(
    reports: dict[str, Report], tmp_path: Path
) -> None:
    plain = reports["failing"]
    lazy = Lazy(plain)
    paths = write_reports(lazy.report, ["json", "html", "md", "junit"], tmp_path / "r")
    want = write_reports(plain, ["json", "html", "md", "junit"], tmp_path / "p")
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in want]
    assert lazy.most <= max(MAX_ALIVE, _largest_group(plain))
    shown, lazily = Console(record=True, width=120), Console(record=True, width=120)
    print_console_report(plain, shown)
    lazy.most = 0
    print_console_report(lazy.report, lazily)
    assert lazily.export_text() == shown.export_text()
    assert lazy.most <= MAX_ALIVE
