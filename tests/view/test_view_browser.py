"""bench view in headless Chromium over two real runs of the quickstart: the list, a run and
the compare page render with no console error and no request anywhere but the viewer, and
the list's form opens the compare page. Screenshots go to test-output/view/."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.view.app import create_app
from bench.view.serve import bind, url_of
from runtime.store import list_runs
from tests.report.cdp import Browser, Page

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def viewer(quickstart_store: Path) -> Iterator[str]:
    """bench view's app on a real uvicorn over the quickstart store; yields its URL."""
    import uvicorn

    sock = bind("127.0.0.1", 0)
    app = create_app(quickstart_store)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield url_of(sock)
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()


def _open(page: Page, url: str) -> None:
    for domain in ("Page", "Runtime", "Log", "Network"):
        page.send(f"{domain}.enable")
    page.events.clear()
    page.send("Page.navigate", {"url": url})
    page.wait_for("Page.loadEventFired")
    page.eval("new Promise(r => setTimeout(r, 50))")


def _only_the_viewer(page: Page, origin: str) -> None:
    requests = page.requests()
    assert requests, "no request recorded"
    assert all(u.startswith(origin) for u in requests), requests
    assert page.problems() == []


def test_list_run_and_compare_in_chromium(
    quickstart_store: Path, viewer: str, browser: Browser, view_output: Path
) -> None:
    head, base = (e.run_id for e in list_runs(quickstart_store.parent))
    page = browser.page()
    try:
        _open(page, viewer)
        _only_the_viewer(page, viewer)
        assert page.eval("document.querySelectorAll('table.runs tr[data-run]').length") == 2
        # one suite, so one trend chart, with one mark per run
        assert page.eval("document.querySelectorAll('svg.trend').length") == 1
        assert page.eval("document.querySelectorAll('svg.trend circle').length") == 2
        page.screenshot(view_output / "list.png")

        # pick base and head in the form and submit it: the compare page opens
        page.events.clear()
        page.eval(
            f"document.querySelector('input[name=base][value=\"{base}\"]').checked = true;"
            f"document.querySelector('input[name=head][value=\"{head}\"]').checked = true;"
            "document.getElementById('b-compare').click()"
        )
        page.wait_for("Page.loadEventFired")
        page.eval("new Promise(r => setTimeout(r, 50))")
        assert page.eval("location.pathname") == "/compare"
        params = "Object.fromEntries(new URLSearchParams(location.search))"
        assert page.eval(params) == {"base": base, "head": head}
        _only_the_viewer(page, viewer)
        # the Tokyo test: failed -> passed, a convert_time call added, its assertion changed
        assert page.eval("document.querySelectorAll('details.pair').length") == 1
        tokyo = "document.querySelector('details.pair')"
        assert "Convert to Tokyo time" in page.eval(f"{tokyo}.querySelector('summary').textContent")
        assert page.eval(f"{tokyo}.classList.contains('newly-passing')")
        assert page.eval(f"{tokyo}.querySelectorAll('table.tools tr.added').length") == 1
        assert "convert_time" in page.eval(f"{tokyo}.querySelector('table.tools').textContent")
        assert page.eval(f"{tokyo}.querySelectorAll('table.diff ins').length") > 0
        assert page.eval(f"{tokyo}.querySelectorAll('table.asr-changes tr').length") > 1
        assert page.eval("document.querySelectorAll('#verdicts tr[data-pair]').length") == 4
        page.screenshot(view_output / "compare.png")

        _open(page, f"{viewer}runs/{head}")
        _only_the_viewer(page, viewer)
        assert "Convert to Tokyo time" in page.eval("document.body.innerText")
        # the report's own script runs under the served CSP (its filters work)
        groups = "document.querySelectorAll('#test-results details.tg:not([hidden])').length"
        page.eval("location.hash = '#status=failed'")
        page.eval("new Promise(r => setTimeout(r, 50))")
        assert page.eval(groups) == 0  # the head run passed every test
        page.eval("location.hash = ''")
        page.eval("new Promise(r => setTimeout(r, 50))")
        assert page.eval(groups) == 4
        page.screenshot(view_output / "run.png")
        assert page.problems() == []
    finally:
        page.close()
