"""The HTML report in headless Chromium: loads offline with no console error and no request,
the components match the level, the filters and expand/collapse work, diagrams are drawn.
A screenshot of each level goes to test-output/report/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report import build_from_results, build_report, render
from tests.report.cdp import Browser
from tests.report.samples import LEVELS, big

pytestmark = pytest.mark.slow

COMPONENTS = {
    # level: components that must be present / absent (seed's level table)
    "01_single_agent_single_test": (
        {"summary-cards", "single-agent-detail", "agent-sequence-diagram"},
        {
            "comparison-matrix",
            "agent-leaderboard",
            "test-overview",
            "file-summary",
            "session-summary",
        },
    ),
    "02_single_agent_multi_test": (
        {"summary-cards", "test-overview", "single-agent-detail"},
        {"comparison-matrix", "agent-leaderboard"},
    ),
    "03_multi_agent_single_test": (
        {"comparison-matrix", "agent-leaderboard", "multi-agent-comparison", "sequence-comparison"},
        {"single-agent-detail", "file-summary"},
    ),
    "04_multi_agent_multi_test": (
        {
            "comparison-matrix",
            "agent-leaderboard",
            "multi-agent-comparison",
            "tool-comparison",
            "outputs-comparison",
        },
        {"session-summary"},
    ),
    "05_single_agent_multi_session": (
        {"session-summary", "single-agent-detail", "test-overview"},
        {"comparison-matrix", "file-summary"},
    ),
    "06_multi_agent_multi_session": (
        {"session-summary", "comparison-matrix", "multi-agent-comparison"},
        {"file-summary"},
    ),
    "07_single_agent_multi_file": (
        {"file-summary", "session-summary", "single-agent-detail"},
        {"comparison-matrix"},
    ),
    "08_multi_agent_multi_file": (
        {
            "file-summary",
            "session-summary",
            "comparison-matrix",
            "agent-leaderboard",
            "multi-agent-comparison",
        },
        set(),
    ),
    "09_failed_with_errors": ({"error-overview", "errors-comparison", "comparison-matrix"}, set()),
    "10_adversarial": ({"error-overview", "multi-agent-comparison"}, set()),
}


def _present(page, cls: str) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.eval(f"document.getElementsByClassName({cls!r}).length"))


def _tick(page, kind: str, *values: str) -> None:  # type: ignore[no-untyped-def]
    """Click the filter checkboxes of ``kind`` with these values (toggles them)."""
    for value in values:
        page.eval(
            f"Array.from(document.querySelectorAll('input[data-f={kind}]'))"
            f".find(i => i.value === {json.dumps(value)}).click()"
        )


def _fail_only(page) -> None:  # type: ignore[no-untyped-def]
    """Toggle the status filter to failed + error (the cases that did not pass)."""
    _tick(page, "status", "failed", "error")


@pytest.mark.requirement("report:html-offline")
@pytest.mark.requirement("report:html-components")
@pytest.mark.requirement("report:html-filters")
@pytest.mark.requirement("report:html-sequence")
@pytest.mark.parametrize("level", LEVELS)
def test_level_in_chromium(
    level: str, runs: dict[str, Path], browser: Browser, test_output: Path, tmp_path: Path
) -> None:
    report = build_report(runs[level])
    html_path = tmp_path / f"{level}.html"
    html_path.write_text(render(report, "html"), encoding="utf-8")
    page = browser.page()
    try:
        page.load(html_path)
        # offline: the document itself is the only request; nothing printed an error
        assert page.requests() == [html_path.resolve().as_uri()]
        assert page.problems() == []

        groups = "document.querySelectorAll('#test-results details.tg:not([hidden])').length"
        assert page.eval(groups) == report.summary.tests
        failing = sum(1 for row in report.comparison_summary if row.passed_runs < row.total_runs)
        _fail_only(page)
        assert page.eval(groups) == failing
        _fail_only(page)
        assert page.eval(groups) == report.summary.tests

        if report.summary.agents > 1:
            agent = report.agents[-1].name
            _tick(page, "agent", agent)
            page.eval("document.getElementById('b-expand').click()")
            shown = page.eval(
                "Array.from(document.querySelectorAll('.tool-comparison .col:not([hidden])')).length"
            )
            assert shown == sum(1 for c in report.detailed_results if c.agent == agent)
            _tick(page, "agent", agent)

        page.eval("document.getElementById('b-expand').click()")
        assert (
            page.eval("document.querySelectorAll('#test-results details:not([open])').length") == 0
        )
        # closed groups are built when opened: every component is there once all are open
        present, absent = COMPONENTS[level]
        for cls in present:
            assert _present(page, cls), f"{level}: missing {cls}"
        for cls in absent:
            assert not _present(page, cls), f"{level}: unexpected {cls}"
        # every case's sequence diagram is drawn as inline SVG once its group is open
        assert page.eval("document.querySelectorAll('.seq svg').length") == report.summary.total
        assert page.eval("document.querySelector('.seq svg text').textContent") == "User"
        page.eval("document.querySelector('.seq svg').dispatchEvent(new MouseEvent('click'))")
        assert page.eval("document.getElementById('overlay').hidden") is False
        page.eval("document.getElementById('overlay').click()")
        page.eval("document.getElementById('b-collapse').click()")
        assert page.eval("document.querySelectorAll('#test-results details[open]').length") == 0
        if level == "10_adversarial":
            # the page title and text show the hostile strings as text; nothing ran
            assert "<script>alert(1)</script>" in page.eval("document.body.innerText")
            # one script runs (ours); the other is the index, a JSON data block
            assert page.eval("document.querySelectorAll('script').length") == 2
            assert page.eval("document.querySelectorAll('script[type]').length") == 1
        page.eval("document.getElementById('b-expand').click()" if level.startswith("01") else "0")
        page.screenshot(test_output / f"{level}.png")
        assert page.problems() == [] and len(page.requests()) == 1
    finally:
        page.close()


@pytest.mark.requirement("report:html-filters")
def test_large_run_details_failed_cases_only(
    browser: Browser, test_output: Path, tmp_path: Path
) -> None:
    s = big(1000)
    report = build_from_results(s.results, s.meta, s.plan)
    html = render(report, "html")
    assert "Large run" in html
    path = tmp_path / "large.html"
    path.write_text(html, encoding="utf-8")
    page = browser.page()
    try:
        page.load(path)
        assert page.problems() == [] and len(page.requests()) == 1
        groups = "document.querySelectorAll('#test-results details.tg:not([hidden])').length"
        assert page.eval(groups) == report.summary.tests
        _fail_only(page)
        failing = sum(1 for row in report.comparison_summary if row.passed_runs < row.total_runs)
        assert 0 < page.eval(groups) == failing < report.summary.tests
        page.eval("document.getElementById('b-expand').click()")
        # diagrams only for the cases detailed: the failed ones
        failed_cases = report.summary.failed + report.summary.errors
        assert page.eval("document.querySelectorAll('.seq svg').length") == failed_cases
        page.screenshot(test_output / "large_run_failed_only.png")
    finally:
        page.close()
