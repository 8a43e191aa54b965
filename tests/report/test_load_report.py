"""A load result rendered: JSON (and its schema), Markdown, HTML with its SVG charts, console,
the comparison of two results; hostile strings stay inert in every format."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from report.charts.load import latency_svg, nice_max, throughput_svg
from report.load import (
    is_load_document,
    load_schema_text,
    print_load_console,
    read_load_result,
    render_load,
    write_load_reports,
)
from report.load_compare import compare_load, print_load_compare, render_load_compare_md
from runtime.errors import InputError
from tests.report.load_samples import HOSTILE, hostile_result, level, result

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "docs" / "load.schema.json"


def _md_html(text: str) -> str:
    """What GitHub would make of it, near enough: CommonMark with tables, raw HTML allowed."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(text)


# ---- JSON and schema ----------------------------------------------------------------------


def test_committed_load_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == load_schema_text(), (
        "regenerate it: .venv/bin/python -m report.load > docs/load.schema.json"
    )


def test_rendered_json_validates_and_reads_back(tmp_path: Path) -> None:
    doc = result()
    text = render_load(doc, "json")
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(json.loads(text))
    path = tmp_path / "load.json"
    path.write_text(text)
    assert is_load_document(path)
    assert read_load_result(path) == doc


def test_reading_what_is_not_a_load_result_is_a_clear_error(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text('{"report_version": 3}')
    assert not is_load_document(report)
    with pytest.raises(InputError, match="not a bench load result"):
        read_load_result(report)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**json.loads(render_load(result(), "json")), "levels": "x"}))
    with pytest.raises(InputError, match="first at levels"):
        read_load_result(bad)
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**json.loads(render_load(result(), "json")), "schema_version": 9}))
    with pytest.raises(InputError, match="schema_version 9 is not supported"):
        read_load_result(newer)
    with pytest.raises(InputError, match="not JSON"):
        (tmp_path / "x.json").write_text("{")
        read_load_result(tmp_path / "x.json")


def test_a_report_quoting_a_load_kind_in_a_string_is_not_a_load_result(tmp_path: Path) -> None:
    # The kind is found from the file's head; text inside a JSON string is escaped there.
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"report_version": 3, "output": '{"kind": "bench-load"}'}))
    assert not is_load_document(report)
    assert not is_load_document(tmp_path)  # a run directory


def test_junit_is_refused_for_a_load_result(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no JUnit form"):
        write_load_reports(result(), "html,junit", tmp_path / "r")
    written = write_load_reports(result(), "html,md,json", tmp_path / "r")
    assert [p.name for p in written] == ["r.html", "r.md", "r.json"]


# ---- Markdown -----------------------------------------------------------------------------


def test_markdown_has_a_row_per_level_and_renders_as_tables() -> None:
    md = render_load(result(), "md")
    html = _md_html(md)
    # The summary table (a row per level), then one distribution table per level.
    tables = re.findall(r"<table>.*?</table>", html, re.S)
    summary = tables[0]
    assert summary.count("<tr>") == 1 + 4
    assert "<strong>2 ◆</strong>" in summary  # the knee, marked
    assert "Knee: concurrency 2" in md
    assert html.count("<details>") == 4 + 1  # per level, and the model card
    assert sum(bool(re.search(r"<th[^>]*>p99</th>", t)) for t in tables) == 4
    assert "57.0%" in md and "62.5%" in md  # /metrics at level 4
    assert "`timeout` × 1" in md


def test_markdown_without_slo_or_metrics_leaves_them_out() -> None:
    doc = result(
        slo=None,
        knee=None,
        levels=[level(1, tok_s=10.0, ttft_p50=100.0), level(2, tok_s=19.0, ttft_p50=120.0)],
    )
    md = render_load(doc, "md")
    assert "Knee" not in md and "Goodput" not in md and "Server metrics" not in md
    assert _md_html(md).count("<tr>") >= 3


def test_markdown_of_an_empty_sweep() -> None:
    md = render_load(result(levels=[], knee=None), "md")
    assert "No level was run." in md


def test_hostile_strings_are_inert_in_markdown() -> None:
    md = render_load(hostile_result(), "md")
    html = _md_html(md)
    assert "<script>" not in html
    assert 'href="javascript' not in html
    assert "<!-- bench -->" not in md  # our PR-comment marker cannot be faked
    # GitHub notifies on a mention in text, not in code: outside code, it is broken.
    prose = re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", html, flags=re.S)
    assert "@everyone" not in prose
    # The summary table still has its columns: no | from a hostile string split a cell.
    first_table = re.search(r"<table>.*?</table>", html, re.S)
    assert first_table is not None
    rows = re.findall(r"<tr>(.*?)</tr>", first_table.group(0), re.S)
    assert {r.count("<td") for r in rows[1:]} == {12}


# ---- HTML and charts ----------------------------------------------------------------------


def test_html_is_self_contained_with_a_chart_mark_per_level() -> None:
    page = render_load(result(), "html")
    assert "default-src 'none'" in page and "script-src 'none'" in page
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert page.count('class="mark-tok"') == 4
    assert page.count('class="mark-p50"') == 4 and page.count('class="mark-p99"') == 4
    assert page.count('<line class="knee"') == 2  # on both charts
    assert page.count('<tr class="knee"') == 1
    assert "output tok/s" in page and "TTFT (ms)" in page and ">concurrency<" in page


def test_a_level_without_successful_requests_is_a_gap_on_the_latency_chart() -> None:
    svg = latency_svg([1, 2, 4], [100.0, None, 300.0], [150.0, None, 500.0], x_label="c", knee=None)
    assert svg.count('class="mark-p50"') == 2
    assert "<polyline" not in svg  # no two neighbouring points to join
    assert 'class="knee"' not in svg


def test_rate_levels_are_labelled_as_rates() -> None:
    svg = throughput_svg([0.5, 1.0, 2.0], [10.0, 20.0, 25.0], x_label="rate (req/s)", knee=1.0)
    assert ">0.5<" in svg and ">1<" in svg and ">2<" in svg
    assert svg.count('class="mark-tok"') == 3 and 'class="knee"' in svg


@pytest.mark.parametrize(
    ("value", "top"),
    [(0, 1), (0.3, 0.5), (1, 1), (160, 200), (165, 200), (2400, 2500), (5100, 10000)],
)
def test_the_y_axis_top_is_a_round_number_at_or_above_the_data(value: float, top: float) -> None:
    assert nice_max(value) == pytest.approx(top)


def test_hostile_strings_are_escaped_in_html() -> None:
    page = render_load(hostile_result(), "html")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert page.count("<script") == 0


# ---- console ------------------------------------------------------------------------------


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, color_system=None), out


def test_console_table_has_a_row_per_level_and_the_knee() -> None:
    console, out = _console()
    print_load_console(result(), console)
    text = out.getvalue()
    assert "knee: concurrency 2" in text
    for label in ("1", "2 ◆", "4", "8"):
        assert re.search(rf"^\s*{re.escape(label)}\s", text, re.M), label


def test_console_neutralises_hostile_strings() -> None:
    console, out = _console()
    doc = hostile_result().model_copy(update={"stopped_early": "x\x1b]0;pwned\x07 ::error::y"})
    print_load_console(doc, console)
    text = out.getvalue()
    assert "\x1b" not in text and "::error" not in text


# ---- compare ------------------------------------------------------------------------------


def _head() -> object:
    """The same server after a change: faster at 4 and 8, level 1 dropped, 16 added."""
    base = result()
    faster = [
        level(2, tok_s=100.0, ttft_p50=240.0, goodput=0.5, slo_met=1.0),
        level(4, tok_s=190.0, ttft_p50=400.0, goodput=1.0, slo_met=0.95),
        level(8, tok_s=150.0, ttft_p50=2600.0, goodput=0.0, slo_met=0.0),
        level(16, tok_s=170.0, ttft_p50=5000.0, goodput=0.0, slo_met=0.0),
    ]
    return base.model_copy(update={"levels": faster, "knee": 4.0})


def test_compare_matches_levels_by_value_and_signs_the_deltas() -> None:
    cmp = compare_load(result(), _head())  # type: ignore[arg-type]
    assert [r.label for r in cmp.rows] == ["1", "2", "4", "8", "16"]
    assert (cmp.base_knee, cmp.head_knee) == ("2", "4")
    by = {r.label: r for r in cmp.rows}
    tok, ttft50 = by["4"].cells[0], by["4"].cells[1]
    assert tok.delta == "+30.0 (+19%)" and tok.better is True
    assert ttft50.delta == "−300 ms (−43%)" and ttft50.better is True
    assert by["8"].cells[0].better is False  # fewer tok/s is worse
    assert by["8"].cells[1].better is False  # a higher TTFT is worse
    assert by["1"].head is None and by["16"].base is None
    assert by["1"].cells[0].delta == "—"


def test_compare_markdown_renders_a_table_row_per_level() -> None:
    md = render_load_compare_md(compare_load(result(), _head()))  # type: ignore[arg-type]
    html = _md_html(md)
    assert html.count("<tr>") == 1 + 5
    assert "Knee (concurrency): 2 → 4" in md
    assert "160.0 → 190.0 · +30.0 (+19%) 🟢" in md
    assert "(base only)" in md and "(head only)" in md


def test_compare_console() -> None:
    console, out = _console()
    print_load_compare(compare_load(result(), _head()), console)  # type: ignore[arg-type]
    text = out.getvalue()
    assert "knee: 2 → 4 (concurrency)" in text
    assert "160.0 → 190.0 +19%" in text
    assert "20 ms → 20 ms " in text and "±0%" not in text  # unchanged: no percentage
    assert "1 (base only)" in text


def test_comparing_sweeps_of_different_modes_is_a_clear_error() -> None:
    rate = result(mode="rate", levels=[level(1.0, tok_s=5.0, ttft_p50=100.0, mode="rate")])
    with pytest.raises(InputError, match="cannot compare a concurrency sweep with a rate sweep"):
        compare_load(result(), rate)


def test_hostile_names_are_inert_in_the_compare_markdown() -> None:
    md = render_load_compare_md(compare_load(hostile_result(), result()))
    html = _md_html(md)
    assert "<script>" not in html and 'href="javascript' not in html
    assert HOSTILE not in md
