"""Two runs side by side (report/side_by_side.py): pairs, diffs, changed assertions, and
bench compare's verdicts reused as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from report import build_report, compare
from report.side_by_side import render_compare, side_by_side
from tests.view.conftest import BASE_ID, HEAD_ID, HOSTILE


def _views(store: Path):  # type: ignore[no-untyped-def]
    base, head = build_report(store / BASE_ID), build_report(store / HEAD_ID)
    return base, head, side_by_side(base, head)


def test_pairs_carry_bench_compares_verdicts_and_changes(store: Path) -> None:
    base, head, view = _views(store)
    assert view.baseline.verdicts == compare(base, head).verdicts
    assert len(view.pairs) == len(view.baseline.verdicts) == 9
    by = {(p.agent, p.test): p for p in view.pairs}
    assert by[("claude-agent", "Read file")].change == "newly-passing"
    broken = by[("gemini-agent", "Create file")]
    assert broken.change == "newly-failing"
    assert broken.differences == ["newly-failing", "output", "tool calls", "assertions"]
    assert by[("gpt-agent", "Delete file")].change == "removed"
    assert by[("gpt-agent", "Delete file")].verdict.verdict == "removed"  # type: ignore[union-attr]
    # removed pairs come last, as bench compare lists them
    assert view.pairs[-1].test == "Delete file"
    same = by[("gemini-agent", "Read file")]
    assert not same.differs and same.output == [] and same.assertions == []
    assert {p.test for p in view.detailed} == {"Read file", "Create file", "Delete file"}
    assert len(view.detailed) == view.differing == 3


def test_changed_assertions_and_tool_alignment(store: Path) -> None:
    _, _, view = _views(store)
    broken = next(p for p in view.pairs if (p.agent, p.test) == ("gemini-agent", "Create file"))
    (change,) = broken.assertions
    assert (change.path, change.type) == ("2", "tool_param_equals")
    assert change.base.passed and not change.head.passed  # type: ignore[union-attr]
    (tool,) = broken.tools
    assert tool.kind == "args" and tool.head.arguments == {"path": "other.txt"}
    assert [r.kind for r in broken.output] == ["chg", "ins"]
    fixed = next(p for p in view.pairs if (p.agent, p.test) == ("claude-agent", "Read file"))
    assert [a.path for a in fixed.assertions] == ["2"]  # nested children unchanged: not listed


def test_compare_page_escapes_everything_foreign(store: Path) -> None:
    base, head, view = _views(store)
    html = render_compare(view)
    assert "<script>" not in html and "alert('head')" in html.replace("&#39;", "'")
    assert "&lt;script&gt;alert(&#39;head&#39;)&lt;/script&gt;" in html
    assert 'href="javascript' not in html
    # the same run against itself: nothing differs, nothing detailed
    same = side_by_side(base, base)
    assert same.differing == 0
    assert "No test differs" in render_compare(same)


def test_hostile_run_against_itself_and_a_clean_one(store: Path) -> None:
    evil = build_report(store / "20261102-120000-10_adversarial")
    clean = build_report(store / BASE_ID)
    html = render_compare(side_by_side(clean, evil))
    assert "<script>" not in html and "<img" not in html
    assert "@everyone" in html  # shown as text
    assert HOSTILE not in html


def test_repeated_tests_show_the_detailed_attempt_and_pool_the_verdict(tmp_path: Path) -> None:
    from dataclasses import replace

    from runtime.store import totals_of
    from tests.report.samples import sample, write_run

    s = sample("01_single_agent_single_test")

    def attempts(statuses: list[str], output: str) -> list:  # type: ignore[type-arg]
        r = s.results[0]
        out = []
        for n, status in enumerate(statuses):
            t = r.transcript.model_copy(update={"final_output": f"{output} #{n}"})
            out.append(r.model_copy(update={"attempt": n, "status": status, "transcript": t}))
        return out

    base_results = attempts(["passed"] * 8, "fine")
    head_results = attempts(["passed", "failed", "failed", "passed"] + ["failed"] * 4, "broken")
    for run_id, results in (("b", base_results), ("h", head_results)):
        meta = s.meta.model_copy(update={"run_id": run_id, "totals": totals_of(results)})
        write_run(replace(s, meta=meta, results=results, stale=[]), tmp_path)
    base, head = build_report(tmp_path / "b"), build_report(tmp_path / "h")
    view = side_by_side(base, head)
    (pair,) = view.pairs
    assert pair.verdict == compare(base, head).verdicts[0]
    assert pair.verdict.head.failed == 6 and pair.verdict.base.passed == 8  # type: ignore[union-attr]
    # the head side is the attempt the report details: its first failed one (#1)
    assert pair.head is not None and pair.head.has_transcript and pair.head.attempt == 1
    assert pair.base is not None and pair.base.attempt == 0
    assert "".join(s.text for s in pair.output[0].head) == "broken #1"


def test_the_compare_page_holds_one_pair_of_whole_cases_at_a_time(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import report.side_by_side as sbs
    from tests.report.lazy_cases import Lazy

    plain_base = build_report(store / BASE_ID)
    plain_head = build_report(store / "20261102-120000-10_adversarial")
    want = render_compare(side_by_side(plain_base, plain_head))
    base, head = Lazy(plain_base), Lazy(plain_head)
    # bench compare's verdicts are report/compare.py's (not this page's) to keep lean
    baseline = compare(plain_base, plain_head)
    monkeypatch.setattr(sbs, "compare", lambda b, h: baseline)
    got = render_compare(side_by_side(base.report, head.report))
    assert got == want
    assert base.most <= 1 and head.most <= 1
