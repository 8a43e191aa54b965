"""The Markdown report / PR comment: tables, marker, failures first, baseline, size limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from report import COMMENT_LIMIT, MARKER, build_from_results, build_report, render
from tests.report.samples import LEVELS, big, sample


def tables(md: str) -> list[list[list[str]]]:
    """Each table as rows of cell texts (header row first), parsed as GitHub would."""
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    out: list[list[list[str]]] = []
    row: list[str] | None = None
    for tok in tokens:
        if tok.type == "table_open":
            out.append([])
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and row is not None:
            row.append(tok.content)
        elif tok.type == "tr_close":
            assert row is not None
            out[-1].append(row)
            row = None
    return out


def by_header(md: str, first: str, last: str | None = None) -> list[list[str]]:
    """The table whose first (and, if given, last) header cell is ``first`` (``last``)."""
    found = [t for t in tables(md) if t[0][0] == first and (last is None or t[0][-1] == last)]
    assert found, f"no table starting with {first!r}"
    return found[0]


@pytest.mark.requirement("report:md-tables")
@pytest.mark.parametrize("level", LEVELS)
def test_every_level_parses_into_the_expected_tables(level: str, runs: dict[str, Path]) -> None:
    report = build_report(runs[level])
    md = render(report, "md")
    summary = by_header(md, "Total")
    assert len(summary) == 2 and summary[1][0] == str(report.summary.total)
    agents = by_header(md, "#")
    assert len(agents) == 1 + len(report.agents)
    matrix = [t for t in tables(md) if t[0][0] == "Test" and t[0][-1] != "What failed"][0]
    # header + one row per test; one column per agent (+ session/file when there are several)
    assert len(matrix) == 1 + report.summary.tests
    extra = (report.summary.sessions > report.summary.files) + (report.summary.files > 1)
    assert all(len(r) == 1 + extra + report.summary.agents for r in matrix)
    marks = [cell for r in matrix[1:] for cell in r[1 + extra :]]
    assert sum(c.startswith("✅") for c in marks) == report.summary.passed
    if report.summary.passed < report.summary.total:
        failures = by_header(md, "Test", "What failed")
        assert len(failures) == 1 + report.summary.failed + report.summary.errors


@pytest.mark.requirement("report:md-comment")
def test_comment_shape(runs: dict[str, Path]) -> None:
    md = render(build_report(runs["09_failed_with_errors"]), "md")
    assert md.splitlines()[0] == MARKER
    assert md.splitlines()[1].startswith(
        "## ❌ bench · 09\\_failed\\_with\\_errors: 3/6 passed (50.0%) · criteria not met"
    )
    # failures come before the matrix, errors first
    assert md.index("### ❌ Failures (3)") < md.index("### Test × agent matrix")
    rows = by_header(md, "Test", "What failed")
    assert [r[3] for r in rows[1:]] == ["⚠️", "⚠️", "❌"]
    # the failed assertion with expected and actual
    assert "❌ `tool_param_equals`: Tool called with incorrect parameters" in md
    assert 'Expected:\n\n```text\n{"content": "Hello", "path": "test.txt"}\n```' in md
    assert 'Actual:\n\n```text\n{"path": "test.txt"}\n```' in md
    assert "<details" in md and "</details>" in md
    # tokens / latency / cost columns
    assert by_header(md, "#")[0][-3:] == ["Tokens", "Avg latency", "Cost"]


@pytest.mark.requirement("report:md-comment")
def test_passing_run_headline(runs: dict[str, Path]) -> None:
    md = render(build_report(runs["07_single_agent_multi_file"]), "md")
    assert "## ✅ bench" in md and "criteria met" in md and "Failures" not in md
    assert "Required success rate: 50.0%." in md


@pytest.mark.requirement("report:md-limit")
def test_large_run_fits_and_says_what_was_left_out() -> None:
    s = big(3000)
    report = build_from_results(s.results, s.meta, s.plan)
    md = render(report, "md", full_report="https://ci.example/artifacts/report.html")
    assert len(md) < COMMENT_LIMIT
    assert md.startswith(MARKER)
    line = next(ln for ln in md.splitlines() if ln.startswith("> ✂️ Not shown here:"))
    assert "rows of the test × agent matrix" in line and "failures" in line
    assert line.endswith("The full report is in https://ci.example/artifacts/report.html.")
    # still valid Markdown tables after truncation
    assert len(by_header(md, "Test", "What failed")) > 1


@pytest.mark.requirement("report:md-limit")
def test_huge_outputs_are_clipped_and_fit() -> None:
    s = sample("02_single_agent_multi_test")
    s.results = [
        r.model_copy(
            update={"transcript": r.transcript.model_copy(update={"final_output": "x" * 500_000})}
        )
        for r in s.results
    ]
    md = render(build_from_results(s.results, s.meta, s.plan), "md")
    assert len(md) < COMMENT_LIMIT and "more characters]" in md


def _code_spans(md: str) -> list[str]:
    """The visible text of every inline code span, as GitHub (CommonMark + tables) shows it."""
    found: list[str] = []

    def walk(tokens: list) -> None:  # type: ignore[type-arg]
        for tok in tokens:
            if tok.type == "code_inline":
                found.append(tok.content)
            if tok.children:
                walk(tok.children)

    walk(MarkdownIt("commonmark").enable("table").parse(md))
    return found


@pytest.mark.requirement("report:untrusted-output")
def test_code_spans_show_exactly_their_text(runs: dict[str, Path]) -> None:
    # Every comment: no code span shows a backslash escape (CommonMark does not process
    # escapes inside code spans, so `tool\_called` would show the backslash).
    for name in runs:
        md = render(build_report(runs[name]), "md")
        for span in _code_spans(md):
            assert "\\" not in span, (name, span)
        assert any(s in ("tool_called", "tool_param_equals", "output_contains")
                   for s in _code_spans(md)) or "Failures" not in md  # fmt: skip


@pytest.mark.parametrize(
    "text", ["a_b*c", "x`y", "`edge`", "p|q", "<!-- bench-report -->", "a\nb", "", "``"]
)
def test_md_code_round_trips_through_commonmark(text: str) -> None:
    from report.escape import md_code

    md = f"see {md_code(text)} here"
    (span,) = _code_spans(md)
    expected = " ".join(text.split()).replace("<!--", "<!\u200b--") or " "
    assert span == (expected if text.strip() else " ")
    # In a table cell the pipe stays inside the span, and the cell count is right.
    table = f"| a | b |\n|---|---|\n| {md_code(text, cell=True)} | z |\n"
    html = MarkdownIt("commonmark").enable("table").render(table)
    assert html.count("<td>") == 2, html
    (cell,) = _code_spans(table)
    assert cell == (expected if text.strip() else " ")


def test_summary_lines_of_html_blocks_show_names_without_escapes() -> None:
    # <details><summary>…</summary> opens a raw HTML block: Markdown is not parsed there, so a
    # backslash escape (test\_name) would show. Names are entity-escaped instead.
    import html
    import re as _re

    from report.build import build_from_results
    from tests.report.samples import make_case, sample

    s = sample("01_single_agent_single_test")
    bad = make_case(
        case_id=s.results[0].case_id, agent="gemini-agent", file="tests.yaml", session="default",
        test="create_file <b>x</b> @team", status="failed",
    )  # fmt: skip
    md = render(build_from_results([bad], s.meta, s.plan), "md")
    (summary,) = _re.findall(r"<summary>(.*?)</summary>", md.split("### ❌ Failures")[1])[:1]
    shown = html.unescape(summary)
    assert "create_file <b>x</b> @\u200bteam" in shown and "\\" not in shown
    assert "<b>" not in summary  # the tag stays text
