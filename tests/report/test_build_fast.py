"""The report builder's shortcuts (no re-validation, bytes reading) build what validation would."""

from __future__ import annotations

from pathlib import Path

import pytest

from report import build_report
from report.build import _make
from report.schema import Report, SpanReport, Tokens
from tests.report.samples import LEVELS, sample, write_run


@pytest.mark.requirement("report:json-fields")
@pytest.mark.parametrize("level", ["09_failed_with_errors", "10_adversarial"])
def test_a_built_report_is_exactly_what_validating_its_dump_gives(
    tmp_path: Path, level: str
) -> None:
    assert level in LEVELS
    report = build_report(write_run(sample(level), tmp_path))
    # Every model was assembled without validation: a missing field, a wrong type or a
    # field left at a shared default would make the validated copy differ (or not validate).
    again = Report.model_validate(report.model_dump())
    # A report built from a run holds a CaseList: compare its cases one by one.
    assert list(again.detailed_results) == list(report.detailed_results)
    assert again == report.model_copy(update={"detailed_results": list(again.detailed_results)})
    assert again.model_dump_json() == report.model_dump_json()
    assert report.detailed_results and report.detailed_results[0].span.line >= 1


def test_make_builds_the_model_or_defers_to_model_construct() -> None:
    full = _make(SpanReport, file="a.yaml", line=3, col=5)
    assert full == SpanReport(file="a.yaml", line=3, col=5)
    assert full.model_fields_set == {"file", "line", "col"}
    # Fields left out: model_construct fills the defaults, as before.
    partial = _make(Tokens, input=1, output=2, total=3)
    assert partial == Tokens.model_construct(input=1, output=2, total=3)
    assert partial.cached == Tokens().cached


def test_a_line_that_is_not_utf8_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    run = write_run(sample("02_single_agent_multi_test"), tmp_path)
    total = build_report(run).summary.total
    results = run / "results.jsonl"
    lines = results.read_bytes().splitlines(keepends=True)
    results.write_bytes(lines[0] + b'{"case_id": "\xff\xfe"}\n' + b"".join(lines[1:]))
    report = build_report(run)
    assert report.summary.total == total
    assert any("results.jsonl:2: skipped an unreadable record" in w for w in report.warnings)
