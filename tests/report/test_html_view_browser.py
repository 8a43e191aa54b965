"""The HTML report as a viewer, in headless Chromium: search, sort, filters that combine and
live in the URL fragment, lazily built test groups. No console error, no request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report import Report, build_from_results, render
from tests.report.cdp import Browser, Page
from tests.report.samples import repeated, viewer

pytestmark = [pytest.mark.slow, pytest.mark.requirement("report:html-viewer")]

SHOWN = "document.querySelectorAll('#test-results details.tg:not([hidden])').length"
ROWS = "Array.from(document.querySelectorAll('#matrix tr[data-t]:not([hidden])')).length"


@pytest.fixture(scope="module")
def report() -> Report:
    s = viewer()
    return build_from_results(s.results, s.meta, s.plan)


@pytest.fixture
def page(report: Report, browser: Browser, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "viewer.html"
    path.write_text(render(report, "html"), encoding="utf-8")
    p = browser.page()
    p.load(path)
    yield p
    # every test: nothing printed an error, nothing but the file itself was requested
    assert p.problems() == []
    assert set(p.requests()) == {path.resolve().as_uri()}
    p.close()


def _search(page: Page, text: str) -> None:
    page.eval(
        f"var q=document.getElementById('q'); q.value={json.dumps(text)};"
        "q.dispatchEvent(new Event('input'))"
    )
    page.eval("new Promise(r => setTimeout(r, 20))")


def _tick(page: Page, kind: str, value: str) -> None:
    page.eval(
        f"Array.from(document.querySelectorAll('input[data-f={kind}]'))"
        f".find(i => i.value === {json.dumps(value)}).click()"
    )


def test_search_narrows_the_list(page: Page, report: Report) -> None:
    assert page.eval(SHOWN) == 12
    _search(page, "SEARCH MAIN")  # case-insensitive, over test names
    assert page.eval(SHOWN) == 3 and page.eval(ROWS) == 3
    count = page.eval("document.getElementById('f-count').textContent")
    assert count.startswith("3 of 12 test(s) shown · ")  # then what those tests' cases did

    _search(page, "needle")  # a tool result of one case, in a closed (unbuilt) group
    shown = page.eval(
        "Array.from(document.querySelectorAll('#test-results details.tg:not([hidden])')).map(d => d.id)"
    )
    assert len(shown) == 1
    assert page.eval(f"document.getElementById({shown[0]!r}).textContent").count(
        "search setup beta"
    )
    _search(page, "no such text anywhere")
    assert page.eval(SHOWN) == 0
    _search(page, "")
    assert page.eval(SHOWN) == 12


def test_sorting_by_duration_orders_the_rows(page: Page, report: Report) -> None:
    header = "document.querySelector('#leaderboard th[data-key=avg-duration]')"
    page.eval(f"{header}.querySelector('button').click()")
    assert page.eval(f"{header}.getAttribute('aria-sort')") == "ascending"
    # the matrix sorts within each session's group by the agent's duration
    page.eval("document.querySelector('#matrix th[data-key=gpt-agent] button').click()")
    groups = page.eval(
        "Array.from(document.querySelectorAll('#matrix tbody')).map(tb =>"
        " Array.from(tb.querySelectorAll('tr[data-t]')).map(r => +r.cells[1].getAttribute('data-v')))"
    )
    assert len(groups) == 4
    for durations in groups:
        assert durations == sorted(durations) and len(set(durations)) > 1
    page.eval("document.querySelector('#matrix th[data-key=gpt-agent] button').click()")
    groups = page.eval(
        "Array.from(document.querySelectorAll('#matrix tbody')).map(tb =>"
        " Array.from(tb.querySelectorAll('tr[data-t]')).map(r => +r.cells[1].getAttribute('data-v')))"
    )
    for durations in groups:
        assert durations == sorted(durations, reverse=True)
    assert page.eval("location.hash") == "#sort=leaderboard.avg-duration.asc,matrix.gpt-agent.desc"
    # a lazily built table is sortable too
    page.eval("document.querySelector('#test-results details.tg').open = true")
    page.eval("new Promise(r => setTimeout(r, 20))")
    assert page.eval("document.querySelectorAll('.comparison-table th > button.sort').length") == 8


def test_filters_combine_and_survive_a_reload(page: Page, report: Report) -> None:
    _tick(page, "status", "failed")
    assert page.eval(SHOWN) == 3
    _tick(page, "status", "error")  # OR within a kind
    assert page.eval(SHOWN) == 4
    _tick(page, "agent", "claude-agent")  # AND across kinds: claude's failures only
    assert page.eval(SHOWN) == 2
    # the count line tallies the cases the filters keep, not the whole run
    failing = [c for c in report.detailed_results
               if c.agent == "claude-agent" and c.status in ("failed", "error")]  # fmt: skip
    n_failed = sum(c.status == "failed" for c in failing)
    assert page.eval("document.getElementById('f-count').textContent") == (
        f"2 of 12 test(s) shown · {len(failing)} case(s): 0 passed, {n_failed} failed, "
        f"{len(failing) - n_failed} errors (pass rate 0%)"
    )
    # the agent filter hides the other agent's columns
    assert page.eval("document.querySelector('#matrix th[data-agent=gpt-agent]').hidden") is True
    sessions = page.eval(
        "Array.from(document.querySelectorAll('input[data-f=session]')).map(i => i.value)"
    )
    _tick(page, "session", sessions[0])  # files › setup
    assert page.eval(SHOWN) == 1
    # only the headings of what is left: one file, one session, one matrix group
    headings = (
        "Array.from(document.querySelectorAll('#test-results h3:not([hidden])')).map(h => h.id)"
    )
    assert page.eval(headings) == ["f0", sessions[0]]
    assert page.eval("document.querySelectorAll('#matrix tbody:not([hidden])').length") == 1
    page.eval("document.querySelector('#leaderboard th[data-key=tokens] button').click()")
    fragment = page.eval("location.hash")
    assert fragment.startswith("#status=failed,error&agent=claude-agent&session=")
    assert fragment.endswith("&sort=leaderboard.tokens.asc")
    page.send("Page.reload")
    page.wait_for("Page.loadEventFired")
    page.eval("new Promise(r => setTimeout(r, 50))")
    assert page.eval("location.hash") == fragment
    assert page.eval(SHOWN) == 1
    checked = page.eval(
        "Array.from(document.querySelectorAll('input[data-f]:checked')).map(i => i.value)"
    )
    assert checked == ["failed", "error", "claude-agent", sessions[0]]
    assert (
        page.eval(
            "document.querySelector('#leaderboard th[data-key=tokens]').getAttribute('aria-sort')"
        )
        == "ascending"
    )
    page.eval("document.getElementById('b-clear').click()")
    assert page.eval(SHOWN) == 12
    assert page.eval("location.hash") == "#sort=leaderboard.tokens.asc"


def test_a_pasted_fragment_opens_the_filtered_view(page: Page, report: Report) -> None:
    page.eval("location.hash = '#q=' + encodeURIComponent('Files Setup') + '&status=failed'")
    page.eval("new Promise(r => setTimeout(r, 50))")
    assert page.eval(SHOWN) == 1
    assert page.eval("document.getElementById('q').value") == "Files Setup"


def test_a_closed_group_is_built_when_opened_and_its_text_stays_text(page: Page) -> None:
    gid = page.eval(
        "Array.from(document.querySelectorAll('details.tg')).find(d => d.querySelector('summary')"
        ".textContent.includes('files setup beta')).id"
    )
    group = f"document.getElementById({gid!r})"
    # closed: the body is not in the DOM yet (one text node inside <noscript>)
    assert page.eval(f"{group}.querySelectorAll('.multi-agent-comparison').length") == 0
    assert page.eval(f"{group}.querySelector('noscript.lazy') !== null") is True
    page.eval(f"{group}.querySelector('summary').click()")
    page.eval("new Promise(r => setTimeout(r, 50))")
    assert page.eval(f"{group}.querySelectorAll('.multi-agent-comparison').length") == 1
    assert page.eval(f"{group}.querySelector('noscript') === null") is True
    text = page.eval(f"{group}.innerText")
    assert "<script>alert('xss')</script>" in text and "<img src=x onerror=alert(1)>" in text
    # nothing ran and nothing became an element: still our two scripts, no image
    assert page.eval("document.querySelectorAll('script').length") == 2
    assert page.eval(f"{group}.querySelectorAll('img, iframe, [onerror]').length") == 0
    assert page.eval(f"{group}.querySelectorAll('.seq svg').length") == 2


def test_an_anchor_link_opens_its_group_and_keeps_the_view(page: Page) -> None:
    _tick(page, "status", "error")
    before = page.eval("location.hash")
    page.eval("document.querySelector('#matrix tr[data-t]:not([hidden]) a').click()")
    page.eval("new Promise(r => setTimeout(r, 50))")
    assert page.eval("location.hash") == before
    assert page.eval("document.querySelectorAll('#test-results details.tg[open]').length") == 1


@pytest.mark.requirement("report:html-charts")
def test_charts_render_and_stability_filters_repeats(
    browser: Browser, test_output: Path, tmp_path: Path
) -> None:
    s = repeated(viewer(), 3, {0: {1}, 5: {0, 2}, 7: {0, 1, 2}})
    report = build_from_results(s.results, s.meta, s.plan)
    path = tmp_path / "repeated.html"
    path.write_text(render(report, "html"), encoding="utf-8")
    page = browser.page()
    try:
        page.load(path)
        count = "document.querySelectorAll({!r}).length"
        assert page.eval(count.format("svg.chart[role=img] > title")) == 4
        assert page.eval(count.format("svg.pass-rate rect.bar")) == 2
        assert page.eval(count.format("svg.latency rect.box")) == 2
        assert page.eval(count.format("svg.tokens rect.box")) == 2
        assert page.eval(count.format("svg.attempts rect.mark")) == 24 * 3
        assert page.eval(count.format("svg.attempts rect.mark.failed")) == 6
        # drawn, not just present: the bars have a size on screen
        widths = page.eval(
            "Array.from(document.querySelectorAll('svg.pass-rate rect.bar')).map(r => r.getBoundingClientRect().width)"
        )
        assert all(w > 0 for w in widths)
        # with repeats the stability filter exists: the flaky test × agent entries
        _tick(page, "label", "flaky")
        assert page.eval(SHOWN) == 2
        page.screenshot(test_output / "viewer_charts.png")
        assert page.problems() == [] and len(page.requests()) == 1
    finally:
        page.close()


def test_screenshots_for_review(report: Report, page: Page, test_output: Path) -> None:
    page.screenshot(test_output / "viewer_list.png")
    _tick(page, "status", "failed")
    _tick(page, "agent", "claude-agent")
    page.screenshot(test_output / "viewer_filtered.png")
    page.eval("document.querySelector('#test-results details.tg:not([hidden]) summary').click()")
    page.eval("new Promise(r => setTimeout(r, 50))")
    page.screenshot(test_output / "viewer_expanded.png")


def test_without_javascript_the_page_shows_everything(
    report: Report, browser: Browser, tmp_path: Path
) -> None:
    path = tmp_path / "nojs.html"
    path.write_text(render(report, "html"), encoding="utf-8")
    page = browser.page()
    try:
        page.send("Emulation.setScriptExecutionDisabled", {"value": True})
        for domain in ("Page", "Network"):
            page.send(f"{domain}.enable")
        page.send("Page.navigate", {"url": path.resolve().as_uri()})
        page.wait_for("Page.loadEventFired")
        # the lazy bodies are ordinary content: every group's comparison is in the DOM
        groups = page.eval("document.querySelectorAll('details.tg').length")
        assert groups == 12
        assert (
            page.eval("document.querySelectorAll('details.tg .multi-agent-comparison').length")
            == 12
        )
        # the controls that need the script stay hidden; the hostile output is text
        assert page.eval("document.getElementById('filters').hidden") is True
        assert page.eval("document.querySelectorAll('details.tg img').length") == 0
        assert page.requests() == [path.resolve().as_uri()]
    finally:
        page.close()
