"""The JSON report: schema, fields, run-directory reading, ordering, ranking, re-rendering."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from report import build_report, render
from report.schema import REPORT_VERSION, schema_text
from runtime.errors import InputError, RunStoreError
from tests.report.samples import LEVELS, sample, write_run

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))


@pytest.mark.requirement("report:json-schema")
def test_committed_schema_is_current() -> None:
    assert (ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8") == schema_text(), (
        "regenerate it: see docs/reports.md (JSON fields)"
    )


@pytest.mark.requirement("report:json-schema")
@pytest.mark.parametrize("level", LEVELS)
def test_every_level_validates_against_the_schema(level: str, runs: dict[str, Path]) -> None:
    data = json.loads(render(build_report(runs[level]), "json"))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["report_version"] == REPORT_VERSION


@pytest.mark.requirement("report:json-fields")
def test_contract_fields(runs: dict[str, Path]) -> None:
    data = json.loads(render(build_report(runs["09_failed_with_errors"]), "json"))
    for key in (
        "report_version",
        "bench_version",
        "generated_at",
        "run_id",
        "suite",
        "plan_hash",
        "seed",
        "status",
        "summary",
        "agents",
        "comparison_summary",
        "detailed_results",
    ):
        assert key in data
    s = data["summary"]
    assert (s["total"], s["passed"], s["failed"], s["errors"]) == (6, 3, 1, 2)
    assert (
        s["pass_rate"] == 0.5 and s["criteria_met"] is False and s["success_rate_required"] is None
    )
    assert s["input_tokens"] > 0 and s["output_tokens"] > 0 and s["cost_usd"] > 0
    assert data["seed"] == 42
    case = next(c for c in data["detailed_results"] if c["status"] == "failed")
    for key in (
        "case_id",
        "agent",
        "provider",
        "provider_type",
        "model",
        "file",
        "session",
        "test",
        "description",
        "span",
        "error",
        "prompt",
        "started_at",
        "ended_at",
        "duration_ms",
        "tokens",
        "latency_ms",
        "ttft_ms",
        "tool_calls",
        "messages",
        "final_output",
        "errors",
        "assertions",
    ):
        assert key in case
    assert case["tokens"] == {
        "input": 240,
        "output": 50,
        "cached": 40,
        "total": 290,
        "estimated": False,
    }
    assert case["ttft_ms"] == 300
    assert case["tool_calls"][0]["arguments"] == {"path": "test.txt"}
    assert case["tool_calls"][0]["result"] == '{"ok": true, "path": "test.txt"}'
    bad = next(a for a in case["assertions"] if not a["passed"])
    assert bad["expected"] == {"path": "test.txt", "content": "Hello"} and bad["actual"] == {
        "path": "test.txt"
    }
    nested = next(a for a in case["assertions"] if a["type"] == "any_of")
    assert [c["type"] for c in nested["children"]] == ["output_contains", "max_latency_ms"]
    errored = next(c for c in data["detailed_results"] if c["status"] == "error")
    assert "503" in errored["error"]
    agents = {a["name"]: a for a in data["agents"]}
    assert agents["claude-agent"]["errors"] == 2 and agents["gemini-agent"]["failed"] == 1


@pytest.mark.requirement("report:comparison-key")
def test_same_test_name_in_two_sessions_does_not_collide(runs: dict[str, Path]) -> None:
    report = build_report(runs["05_single_agent_multi_session"])
    keys = [row.key for row in report.comparison_summary]
    assert keys == [
        "tests.yaml::setup::Create file",
        "tests.yaml::setup::Read file",
        "tests.yaml::cleanup::Create file",
        "tests.yaml::cleanup::Delete file",
    ]
    assert report.summary.tests == 4


@pytest.mark.requirement("report:execution-order")
def test_cases_are_in_plan_order_not_file_order(tmp_path: Path) -> None:
    s = sample("04_multi_agent_multi_test")
    s.results = list(reversed(s.results))
    report = build_report(write_run(s, tmp_path))
    assert [c.case_id for c in report.detailed_results] == [c.id for c in s.plan.cases]


@pytest.mark.requirement("report:latest-result-wins")
def test_latest_line_per_case_wins(runs: dict[str, Path]) -> None:
    lines = (runs["01_single_agent_single_test"] / "results.jsonl").read_text().splitlines()
    assert len(lines) == 2  # a stale errored attempt, then the passing retry
    report = build_report(runs["01_single_agent_single_test"])
    (case,) = report.detailed_results
    assert case.status == "passed" and (case.retry, case.attempt) == (1, 0)
    assert report.summary.criteria_met


@pytest.mark.requirement("report:partial-run")
def test_partial_run_with_a_truncated_last_line(tmp_path: Path) -> None:
    s = sample("02_single_agent_multi_test")
    s.meta = s.meta.model_copy(update={"status": "interrupted", "ended_at": None})
    s.results = [r.model_copy(update={"status": "passed"}) for r in s.results[:2]]
    run = write_run(s, tmp_path)
    with (run / "results.jsonl").open("a") as fh:
        fh.write('{"case_id": "u0000/2", "agent": "gem')  # killed mid-write
    report = build_report(run)
    assert report.summary.total == 2 and report.summary.not_run == 1
    assert report.summary.passed == 2 and report.summary.criteria_met is False
    assert report.warnings and "results.jsonl:4" in report.warnings[0]
    md = render(report, "md")
    assert "interrupted" in md and "1 case(s) of the plan have no result" in md


def test_success_rate_criteria(runs: dict[str, Path]) -> None:
    report = build_report(runs["08_multi_agent_multi_file"])
    assert report.summary.success_rate_required == 0.8
    assert report.summary.pass_rate == pytest.approx(14 / 15)
    assert report.summary.criteria_met


@pytest.mark.requirement("report:leaderboard-order")
def test_leaderboard_ranking(tmp_path: Path) -> None:
    s = sample("04_multi_agent_multi_test")
    # gpt: nothing passes -> disqualified and last; claude and gemini tie on pass rate after
    # this edit, and claude is slower (3.12 s vs 2.34 s) with equal tokens per pass.
    s.results = [
        r.model_copy(update={"status": "failed"})
        if r.agent == "gpt-agent"
        else r.model_copy(update={"status": "passed"})
        for r in s.results
    ]
    report = build_report(write_run(s, tmp_path))
    assert [(a.name, a.rank, a.disqualified) for a in report.agents] == [
        ("gemini-agent", 1, False),
        ("claude-agent", 2, False),
        ("gpt-agent", 3, True),
    ]


@pytest.mark.requirement("report:regenerate")
def test_json_report_re_renders_identically(runs: dict[str, Path], tmp_path: Path) -> None:
    report = build_report(runs["08_multi_agent_multi_file"])
    path = tmp_path / "report.json"
    path.write_text(render(report, "json"))
    again = build_report(path)
    assert again == report
    for fmt in ("md", "html", "junit", "json"):
        assert render(again, fmt) == render(report, fmt)


def test_bad_inputs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(RunStoreError, match="metadata.json"):
        build_report(tmp_path)
    (tmp_path / "x.json").write_text('{"a": 1}')
    with pytest.raises(InputError, match="not a bench JSON report"):
        build_report(tmp_path / "x.json")
    (tmp_path / "y.json").write_text('{"report_version": 99}')
    with pytest.raises(InputError, match="report_version 99"):
        build_report(tmp_path / "y.json")
    (tmp_path / "z.json").write_text("{nope")
    with pytest.raises(InputError, match="not JSON"):
        build_report(tmp_path / "z.json")
