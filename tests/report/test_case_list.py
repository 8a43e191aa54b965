"""report/case_list.py: briefs stand in for whole cases when counting; a CaseList builds each
whole case on demand and keeps none."""

from __future__ import annotations

from pathlib import Path

import pytest

from report import build_report
from report.case_list import CaseList, brief_of, briefs_of, failed_messages
from report.schema import CaseReport
from tests.report.samples import repeated, sample, write_run


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[CaseReport]:
    s = repeated(sample("09_failed_with_errors"), 3, {0: {1}, 1: {0, 2}})
    run = write_run(s, tmp_path_factory.mktemp("runs"))
    return list(build_report(Path(run)).detailed_results)


def test_a_brief_carries_the_case_fields_it_names(cases: list[CaseReport]) -> None:
    for i, case in enumerate(cases):
        b = brief_of(case, i)
        assert b.index == i
        for name in ("case_id", "key", "agent", "status", "error", "attempt", "definition"):
            assert getattr(b, name) == getattr(case, name)
        assert b.tokens.total == case.tokens.total
        assert b.failures == tuple(failed_messages(case))
        omitted = case.omitted.tool_calls if case.omitted else 0
        assert b.tool_call_count == len(case.tool_calls) + omitted
        assert b.has_transcript == (case.omitted is None)


def test_a_case_list_builds_each_case_when_asked_and_keeps_none(
    cases: list[CaseReport],
) -> None:
    built: list[int] = []

    def load(i: int) -> CaseReport:
        built.append(i)
        return cases[i].model_copy()

    lazy = CaseList(briefs_of(cases), load)
    assert len(lazy) == len(cases) and built == []
    assert [c.case_id for c in lazy] == [c.case_id for c in cases]
    assert built == list(range(len(cases)))
    assert lazy[-1].case_id == cases[-1].case_id and built[-1] == len(cases) - 1
    assert [c.case_id for c in lazy[1:3]] == [c.case_id for c in cases[1:3]]
    assert lazy[0] is not lazy[0]  # built afresh: nothing is cached
    with pytest.raises(IndexError):
        lazy[len(cases)]
    assert briefs_of(lazy) is lazy.briefs
    assert bool(CaseList([], load)) is False
