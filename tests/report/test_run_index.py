"""report/run_index.py: a report built from a run holds briefs, reads each case back from its
line, and never shows another case than its brief's (a results.jsonl changed since)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import report.build as build
from report import build_report
from report.case_list import CaseList, brief_of, briefs_of
from report.run_index import _PARSE, _BriefRecord
from report.run_reader import LeanResult
from runtime.errors import RunStoreError
from tests.report.samples import adversarial, repeated, sample, write_run


def _repeated_run(tmp_path: Path) -> Path:
    return write_run(repeated(sample("09_failed_with_errors"), 3, {0: {1, 2}, 1: {0}}), tmp_path)


@pytest.mark.parametrize("details", ["shown", "failures"])
def test_each_brief_is_the_brief_of_the_case_it_stands_for(tmp_path: Path, details: Any) -> None:
    for i, make in enumerate((lambda: sample("08_multi_agent_multi_file"), adversarial)):
        run = write_run(make(), tmp_path / str(i))
        report = build_report(run, details=details)
        cases = report.detailed_results
        assert isinstance(cases, CaseList)
        assert list(briefs_of(cases)) == [brief_of(c, i) for i, c in enumerate(cases)]
    run = _repeated_run(tmp_path / "r")
    cases = build_report(run, details=details).detailed_results
    assert list(briefs_of(cases)) == [brief_of(c, i) for i, c in enumerate(cases)]


def test_the_brief_record_accepts_the_lines_the_lean_record_accepts() -> None:
    """A line the lean read skips is skipped by the brief read too, and the other way."""
    from pydantic import ValidationError

    def accepts(parse: Any, doc: dict[str, Any]) -> bool:
        try:
            parse(json.dumps(doc))
        except ValidationError:
            return False
        return True

    good = sample("09_failed_with_errors").results[0].model_dump(mode="json")
    variants = [good]
    for name in LeanResult.model_fields:
        variants.append({k: v for k, v in good.items() if k != name})  # left out
        variants.append({**good, name: [1]})  # of the wrong type
    variants.append({**good, "transcript": {**good["transcript"], "usage": {"input": "x"}}})
    variants.append({**good, "transcript": {**good["transcript"], "tool_calls": [1]}})
    variants.append({**good, "status": "skipped"})
    for doc in variants:
        assert accepts(_PARSE, doc) == accepts(LeanResult.model_validate_json, doc), doc.keys()
    assert set(_BriefRecord.__annotations__) - set(LeanResult.model_fields) == {"assertions"}


def test_a_report_reads_its_cases_after_the_build_with_no_file_held(tmp_path: Path) -> None:
    run = _repeated_run(tmp_path)
    report = build_report(run)
    fds = len(os.listdir("/proc/self/fd"))
    first = [c.model_dump_json() for c in report.detailed_results]
    assert len(os.listdir("/proc/self/fd")) == fds
    # Appending (a run still going) leaves every line read where it was.
    line = (run / "results.jsonl").read_bytes().splitlines(keepends=True)[0]
    with (run / "results.jsonl").open("ab") as fh:
        fh.write(line)
    fresh = build.CaseList(report.detailed_results.briefs, report.detailed_results._load)
    assert [c.model_dump_json() for c in fresh] == first


def test_a_rewritten_results_file_is_an_error_never_another_case(tmp_path: Path) -> None:
    run = _repeated_run(tmp_path)
    report = build_report(run)
    cases = report.detailed_results
    assert isinstance(cases, CaseList)
    lazy = CaseList(cases.briefs, cases._load)  # nothing kept: every read goes to the file
    path = run / "results.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    # Same inode, same length, lines swapped: the offsets now point at other records.
    with path.open("r+b") as fh:
        fh.write(b"".join([lines[1], lines[0], *lines[2:]]))
    with pytest.raises(RunStoreError, match="changed since this report was built"):
        [c.case_id for c in lazy]
    # Replaced by another file (a merge writes a new one): an error too.
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(b"".join(lines))
    os.replace(tmp, path)
    with pytest.raises(RunStoreError, match="changed since this report was built"):
        lazy[0]
    path.unlink()
    with pytest.raises(RunStoreError, match="cannot read"):
        lazy[0]


def test_a_small_run_keeps_its_cases_once_built_a_large_one_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _repeated_run(tmp_path)
    kept = build_report(run).detailed_results
    assert isinstance(kept, CaseList) and kept.keeps
    assert kept[0] is kept[0]
    monkeypatch.setattr(build, "KEEP_BYTES", 100)
    lazy = build_report(run).detailed_results
    assert isinstance(lazy, CaseList) and not lazy.keeps
    assert lazy[0] is not lazy[0] and lazy[0] == kept[0]


def test_another_versions_unreadable_transcript_is_shown_lean_with_a_warning(
    tmp_path: Path,
) -> None:
    s = sample("09_failed_with_errors")
    run = write_run(s, tmp_path)
    path = run / "results.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    doc = json.loads(lines[-1])
    doc["transcript"]["added_later"] = 1  # lean-valid, not whole-valid
    lines[-1] = json.dumps(doc)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    meta = json.loads((run / "metadata.json").read_text(encoding="utf-8"))
    meta["bench_version"] = "0.0.1"
    (run / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    report = build_report(run)
    (warning,) = [w for w in report.warnings if "unreadable" in w]
    assert f"the transcript of {doc['case_id']} is unreadable" in warning
    case = next(c for c in report.detailed_results if c.case_id == doc["case_id"])
    assert case.omitted is not None and case.status == doc["status"]
    assert briefs_of(report.detailed_results)[case_index(report, doc["case_id"])] == brief_of(
        case, case_index(report, doc["case_id"])
    )
    assert len(report.detailed_results) == len(s.results)


def case_index(report: Any, case_id: str) -> int:
    return next(b.index for b in briefs_of(report.detailed_results) if b.case_id == case_id)
