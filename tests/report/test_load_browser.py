"""A load result's HTML in headless Chromium: the saturation charts are drawn with one mark per
level, nothing is requested, nothing errs; hostile strings stay text. Screenshots go to
test-output/report/load*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from report.load import render_load
from tests.report.cdp import Browser
from tests.report.load_samples import HOSTILE, hostile_result, result

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["load", "load_hostile"])
def test_load_html_in_chromium(
    name: str, browser: Browser, test_output: Path, tmp_path: Path
) -> None:
    doc = result() if name == "load" else hostile_result()
    path = tmp_path / f"{name}.html"
    path.write_text(render_load(doc, "html"), encoding="utf-8")
    page = browser.page()
    try:
        page.load(path)
        levels = len(doc.levels)
        count = "document.querySelectorAll({!r}).length".format
        assert page.eval(count(".throughput circle.mark-tok")) == levels
        assert page.eval(count(".latency circle.mark-p50")) == levels
        assert page.eval(count(".latency circle.mark-p99")) == levels
        assert page.eval(count("svg line.knee")) == 2
        # The charts are laid out and visible (not zero-sized), with their axis labels.
        box = page.eval(
            "JSON.stringify(document.querySelector('svg.throughput').getBoundingClientRect())"
        )
        assert '"width":440' in box
        labels = page.eval(
            "Array.from(document.querySelectorAll('svg.throughput text.level')).map(t => t.textContent).join(',')"
        )
        assert labels == "1,2,4,8"
        # Marks rise with tok/s: the mark at 8 sits higher (smaller y) than the mark at 1.
        ys = page.eval(
            "Array.from(document.querySelectorAll('.throughput .mark-tok')).map(c => +c.getAttribute('cy'))"
        )
        assert ys[-1] < ys[0]
        if name == "load_hostile":
            assert HOSTILE.split(" ")[0] in page.eval("document.body.innerText")
            assert page.eval(count("script")) == 0
        page.eval("document.querySelectorAll('details').forEach(d => d.open = true)")
        page.screenshot(test_output / f"{name}.png")
        assert page.requests() == [path.resolve().as_uri()]
        assert page.problems() == []
    finally:
        page.close()
