"""Issue 11: verdicts between two runs through the JSON report, `bench compare --fail-on`, the
Markdown's order, and the case definition hash behind `not-comparable`."""

from __future__ import annotations

import json
import random
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt

from bench.cli import main
from compiler import compile_suite
from report import render
from report.build import build_from_results
from runtime.plan.identity import case_definitions
from runtime.results import RunMetadata
from tests.report.samples import make_case

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())


def _run(name: str, rates: dict[str, float], attempts: int, seed: int) -> Path:
    """A report whose test t (agent a) passed with probability rates[t] in each attempt."""
    rng = random.Random(seed)
    results = []
    for test, p in rates.items():
        for i in range(attempts):
            status = "passed" if rng.random() < p else "failed"
            results.append(
                make_case(
                    case_id=f"{test}#{i}",
                    agent="a",
                    file="suite.yaml",
                    session="s",
                    test=test,
                    status=status,
                )  # fmt: skip
            )
    meta = RunMetadata(
        run_id=name, plan_name="demo", plan_hash="h", bench_version="0.1.0",
        started_at="2026-12-01T00:00:00Z", status="completed", case_count=len(results),
    )  # fmt: skip
    report = build_from_results(results, meta, None, generated_at="2026-12-01T00:00:00Z")
    path = Path(f"{name}.json")
    path.write_text(render(report, "json"))
    return path


@pytest.fixture
def chdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_compare_fails_on_a_regression_and_puts_it_first(
    chdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _run("base", {"drops": 0.9, "steady": 1.0, "coin": 0.5}, 20, seed=1)
    head = _run("head", {"drops": 0.2, "steady": 1.0, "coin": 0.5}, 20, seed=2)
    assert main(["compare", str(base), str(head), "--fail-on", "regression"]) == 1
    out = capsys.readouterr()
    assert "regressed: drops (a)" in out.err
    md = out.out
    # As GitHub renders it: the verdict table lists the regression first, then the flaky test.
    html = MarkdownIt("commonmark").enable("table").render(md)
    section = html[html.index("Verdicts against base") :]
    assert section.index("regressed") < section.index("flaky")
    assert "coin" in section
    assert main(["compare", str(base), str(head)]) == 0  # --fail-on never is the default
    capsys.readouterr()
    assert main(["compare", str(base), str(head), "-f", "json", "-o", "cmp"]) == 0
    data = json.loads((chdir / "cmp.json").read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    verdicts = {v["test"]: v["verdict"] for v in data["baseline"]["verdicts"]}
    assert verdicts["drops"] == "regressed"
    assert verdicts["steady"] == "unchanged"
    assert verdicts["coin"] in ("within-noise", "unchanged")
    cell = data["comparison_summary"][2]["results"]["a"]["stability"]
    assert cell["label"] == "flaky" and cell["attempts"] == 20
    assert set(cell) == {
        "attempts", "passed", "failed", "errors", "pass_rate", "ci95", "pass_at_k",
        "pass_hat_k", "label",
    }  # fmt: skip
    assert data["summary"]["stability"]["flaky"] == 2  # drops (now 20%) and coin


def test_a_single_attempt_flip_does_not_fail_the_gate(
    chdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _run("base", {"t": 1.0}, 1, seed=1)
    head = _run("head", {"t": 0.0}, 1, seed=1)
    assert main(["compare", str(base), str(head), "--fail-on", "regression"]) == 0
    assert "1 with too little data" in capsys.readouterr().out


SUITE = """\
providers:
  - name: m
    type: SCRIPTED
    model: scripted
    replies: [{{text: "ok"}}]
agents:
  - name: a
    provider: m
sessions:
  - name: s
    tests:
{extra}      - name: t
        prompt: "{prompt}"
        assertions:
          - type: output_contains
            value: ok
"""


def _definitions(tmp: Path, name: str, prompt: str, extra: str = "") -> dict[str, str]:
    path = tmp / f"{name}.yaml"
    path.write_text(SUITE.format(prompt=prompt, extra=extra))
    plan = compile_suite(path, seed=1, now="2026-12-01T00:00:00Z")
    defs = case_definitions(plan)
    by_test = {case.test: defs[case.id] for case in plan.cases}
    return by_test


def test_the_definition_changes_with_what_ran_not_with_where_it_stands(tmp_path: Path) -> None:
    same = _definitions(tmp_path, "a", "say ok")
    assert _definitions(tmp_path, "b", "say ok") == same
    # A test added above it moves its line and its id: still the same definition.
    moved = _definitions(
        tmp_path, "c", "say ok", extra='      - name: first\n        prompt: "hello"\n'
    )
    assert moved["t"] == same["t"]
    assert _definitions(tmp_path, "d", "say OK")["t"] != same["t"]


def test_a_version_1_report_still_reads_as_a_baseline(chdir: Path) -> None:
    from report.build import load_report_json

    path = _run("old", {"t": 1.0}, 1, seed=1)
    data = json.loads(path.read_text())
    data["report_version"] = 1
    for case in data["detailed_results"]:
        del case["retry"]
        case["attempt"] = 2  # version 1 counted retries from 1 in `attempt`
    path.write_text(json.dumps(data))
    (case,) = load_report_json(path).detailed_results
    assert (case.attempt, case.retry) == (0, 1)


def test_a_comparison_of_runs_is_what_validating_its_dump_gives(tmp_path: Path) -> None:
    """Verdicts and their counts are assembled without validation (report/verdicts.py): a
    missing field or a wrong type would make the validated copy differ."""
    from report import build_report
    from report.compare import compare
    from report.schema import Baseline
    from tests.report.samples import repeated, sample, write_run

    base = write_run(repeated(sample("04_multi_agent_multi_test"), 4, {}), tmp_path / "b")
    head = write_run(repeated(sample("04_multi_agent_multi_test"), 4, {0: {0, 1, 2, 3}}), tmp_path / "h")  # fmt: skip
    delta = compare(build_report(base), build_report(head))
    assert delta.verdicts and {v.verdict for v in delta.verdicts} >= {"unchanged"}
    again = Baseline.model_validate(delta.model_dump())
    assert again == delta and again.model_dump_json() == delta.model_dump_json()
