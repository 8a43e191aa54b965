"""Reports of repeated runs: every attempt's outcome, one transcript per repeated test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report import build_report
from report.run_reader import LeanResult, read_results
from runtime.results import CaseResult
from tests.report.samples import Sample, repeated, sample, write_run

_repeated = repeated


def test_one_transcript_per_repeated_test_its_first_failing_attempt(tmp_path: Path) -> None:
    base = sample("02_single_agent_multi_test")
    base = Sample(base.name, base.plan, base.meta, [r.model_copy(update={"status": "passed"}) for r in base.results], [])  # fmt: skip
    run = write_run(_repeated(base, 3, {0: {1, 2}}), tmp_path)
    report = build_report(run)
    whole = {(c.case_id, c.attempt) for c in report.detailed_results if c.omitted is None}
    ids = [r.case_id for r in base.results]
    # Case 0 failed on attempts 1 and 2: attempt 1 carries its transcript; the others attempt 0.
    assert whole == {(ids[0], 1), *((cid, 0) for cid in ids[1:])}
    assert len(report.detailed_results) == 3 * len(ids)
    shown = next(c for c in report.detailed_results if (c.case_id, c.attempt) == (ids[0], 1))
    assert shown.messages and shown.assertions and shown.status == "failed"
    lean = next(c for c in report.detailed_results if (c.case_id, c.attempt) == (ids[0], 2))
    assert lean.status == "failed" and lean.messages == [] and lean.assertions == []
    # Outcome, tokens and timing stay for every attempt; tool calls are counted.
    calls = {r.case_id: len(r.transcript.tool_calls) for r in base.results}
    assert lean.omitted is not None and lean.omitted.tool_calls == calls[ids[0]]
    assert lean.tokens.total == shown.tokens.total and lean.duration_ms == shown.duration_ms
    assert report.summary.tool_calls == 3 * sum(calls.values())
    assert report.summary.total == 3 * len(ids) and report.summary.failed == 2
    # The JSON says which entries leave their transcript out, and only those.
    doc = json.loads(report.model_dump_json())
    assert sum("omitted" in c for c in doc["detailed_results"]) == 2 * len(ids)


def test_a_run_without_repeats_is_read_whole(tmp_path: Path) -> None:
    run = write_run(sample("09_failed_with_errors"), tmp_path)
    records = read_results(run / "results.jsonl", [])
    assert records and all(isinstance(r, CaseResult) for r in records)


def test_records_written_before_repeats_read_the_same_lean_or_whole(tmp_path: Path) -> None:
    # Before repeats, ``attempt`` counted bench retries from 1 and there was no ``retry``.
    r = sample("01_single_agent_single_test").results[0]
    old = r.model_dump(mode="json")
    old.pop("retry")
    old["attempt"] = 3
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps(old) + "\n", encoding="utf-8")
    whole = CaseResult.model_validate_json(json.dumps(old))
    lean = LeanResult.model_validate_json(json.dumps(old))
    assert (whole.attempt, whole.retry) == (lean.attempt, lean.retry) == (0, 2)
    (read,) = read_results(path, [])
    assert isinstance(read, CaseResult) and (read.attempt, read.retry) == (0, 2)


def test_a_truncated_last_line_is_a_warning(tmp_path: Path) -> None:
    run = write_run(_repeated(sample("02_single_agent_multi_test"), 2, {}), tmp_path)
    with (run / "results.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"case_id": "u0/0", "attempt": 1, "sta')
    warnings: list[str] = []
    records = read_results(run / "results.jsonl", warnings)
    assert len(records) == 2 * len(sample("02_single_agent_multi_test").results)
    assert len(warnings) == 1 and "skipped an unreadable record" in warnings[0]


def test_the_lean_record_keeps_in_step_with_case_result() -> None:
    lean, whole = LeanResult.model_fields, CaseResult.model_fields
    twins = {"span", "transcript", "retry"}  # lean twins, and retry's None for old records
    assert set(lean) <= set(whole)
    assert {n: lean[n].annotation for n in set(lean) - twins} == {
        n: whole[n].annotation for n in set(lean) - twins
    }
    assert set(whole) - set(lean) == {"assertions", "extracted"}


def test_a_console_only_build_reads_only_failures_whole_and_prints_the_same(
    tmp_path: Path,
) -> None:
    """``bench execute`` without report files builds the report for the console alone: the
    passing cases' transcripts are not read (memory), and the console shows the same."""
    import io

    from rich.console import Console

    from report import print_console_report

    base = sample("02_single_agent_multi_test")
    statuses = ["failed", "passed", "error", "passed"]
    results = [
        r.model_copy(update={"status": statuses[i % len(statuses)]})
        for i, r in enumerate(base.results)
    ]
    run = write_run(Sample(base.name, base.plan, base.meta, results, []), tmp_path)
    full = build_report(run)
    lean = build_report(run, details="failures")
    assert {(c.case_id, c.omitted is None) for c in lean.detailed_results} == {
        (r.case_id, r.status != "passed") for r in results
    }
    assert lean.summary == full.summary and lean.agents == full.agents

    def shown(report: object) -> str:
        out = io.StringIO()
        print_console_report(report, Console(file=out, width=120))  # type: ignore[arg-type]
        return out.getvalue()

    assert shown(lean) == shown(full)


def test_deferred_whole_records_build_the_same_report_as_records_held_whole(
    tmp_path: Path,
) -> None:
    """The build reads whole records one at a time as their cases are built (the run's
    transcripts are never all in memory); its JSON is the one built from every record held
    at once (the earlier path), for a repeated run with failures, errors and a torn line."""
    from report import render
    from report.build import build_from_results
    from runtime.plan import load_plan
    from runtime.results import RunMetadata

    base = sample("04_multi_agent_multi_test")
    run = write_run(_repeated(base, 3, {0: {1}, 2: {0, 2}}), tmp_path)
    results = run / "results.jsonl"
    with results.open("a") as fh:
        fh.write('{"case_id": "torn')
    warnings: list[str] = []
    held = read_results(results, warnings)
    meta = RunMetadata.model_validate_json((run / "metadata.json").read_text())
    old = build_from_results(
        held, meta, load_plan(run / "plan.json"), warnings=warnings, generated_at="t"
    )
    new = build_report(run).model_copy(update={"generated_at": "t"})
    assert render(new, "json") == render(old, "json")


def test_whole_records_are_not_all_alive_while_the_report_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    import report.build as build

    run = write_run(sample("04_multi_agent_multi_test"), tmp_path)
    real = build._case_report
    alive: list[int] = []

    def spy(*args: object, **kwargs: object) -> object:
        alive.append(sum(isinstance(o, CaseResult) for o in gc.get_objects()))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build, "_case_report", spy)
    report = build_report(run)
    # The build reads briefs only: no case is built until a sink reads one, and then the
    # whole records are read one at a time.
    assert alive == []
    assert len([c.case_id for c in report.detailed_results]) == len(alive) > 3
    assert max(alive) <= 1, alive
