"""``bench github run`` (the Action's main step) with the real ``bench execute`` on small plans.

Each test runs bench execute in a subprocess on a scripted, offline plan, and publishes to the
fake GitHub API on loopback; $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY are files in tmp_path.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.cli import main
from bench.gha.digest import ReportDigest
from bench.gha.inputs import ActionInputs
from bench.gha.run import exit_code_for, run_action
from runtime.errors import InputError
from tests.action.fake_github import READ_TOKEN, WRITE_TOKEN, FakeGitHub
from tests.action.plans import quiz_plan, write_plan
from tests.action.test_files import _parse_outputs

REPO, PR = "octo/widgets", 12


def _env(
    tmp_path: Path, api: FakeGitHub | None, *, event: str = "pull_request", token: str = WRITE_TOKEN
) -> dict[str, str]:
    payload = (
        {"pull_request": {"number": PR}} if event == "pull_request" else {"ref": "refs/heads/main"}
    )
    (tmp_path / "event.json").write_text(json.dumps(payload))
    env = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_WORKSPACE": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
        "GITHUB_TOKEN": token,
        "NO_PROXY": "127.0.0.1",
    }
    if api is not None:
        env["GITHUB_API_URL"] = api.url
    return env


def _inputs(tmp_path: Path, **kw: Any) -> ActionInputs:
    kw.setdefault("plan", str(write_plan(quiz_plan(success_rate=0.9), tmp_path / "plan.json")))
    kw.setdefault("working_directory", str(tmp_path))
    return ActionInputs(**kw)


def _outside_code_fences(markdown: str) -> str:
    kept, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            kept.append(line)
    return "\n".join(kept)


def _outputs(tmp_path: Path) -> dict[str, str]:
    return _parse_outputs((tmp_path / "output.txt").read_text())


@pytest.mark.slow
@pytest.mark.requirement("action:outputs")
@pytest.mark.requirement("action:summary")
@pytest.mark.requirement("action:fail-on")
def test_pull_request_run_publishes_everything(tmp_path: Path, github_api: FakeGitHub) -> None:
    lines: list[str] = []
    result = run_action(_inputs(tmp_path), _env(tmp_path, github_api), echo=lines.append)
    out = _outputs(tmp_path)
    assert result.exit_code == 1  # 3/4 < 0.9: criteria not met
    assert out == result.outputs
    assert {k: out[k] for k in ("passed", "failed", "errors", "pass-rate", "criteria-met")} == {
        "passed": "3",
        "failed": "1",
        "errors": "0",
        "pass-rate": "0.75",
        "criteria-met": "false",
    }
    report_dir = tmp_path / "runner-temp" / "bench-report"
    for fmt, name in (
        ("json", "report.json"),
        ("md", "report.md"),
        ("html", "report.html"),
        ("junit", "report.junit.xml"),
    ):
        assert out[f"report-{fmt}"] == str(report_dir / name) and (report_dir / name).is_file()
    (body,) = github_api.bodies(REPO, PR)
    assert body == (report_dir / "report.md").read_text()
    assert "<script>" not in _outside_code_fences(body)  # agent output cannot become HTML
    assert out["comment-url"].endswith(
        f"/pull/{PR}#issuecomment-{github_api.comments[(REPO, PR)][0]['id']}"
    )
    summary = (tmp_path / "summary.md").read_text()
    assert summary.strip() == body.strip() == (report_dir / "summary.md").read_text().strip()
    assert any("criteria not met; 0 regressed (fail-on: criteria)" in line for line in lines)
    assert WRITE_TOKEN not in json.dumps(out) + summary + "\n".join(lines)


@pytest.mark.slow
@pytest.mark.requirement("action:fail-on")
@pytest.mark.parametrize(
    ("fail_on", "success_rate", "failing", "code"),
    [
        ("never", 0.9, True, 0),
        ("criteria", 0.5, True, 0),
        ("any-failure", 0.5, True, 1),
        ("any-failure", None, False, 0),
    ],
)
def test_fail_on(
    tmp_path: Path, fail_on: str, success_rate: float | None, failing: bool, code: int
) -> None:
    plan = write_plan(quiz_plan(success_rate=success_rate, failing=failing), tmp_path / "p.json")
    inputs = _inputs(tmp_path, plan=str(plan), fail_on=fail_on, report_formats=["json", "md"])
    result = run_action(inputs, _env(tmp_path, None, event="push"), echo=lambda _l: None)
    assert result.exit_code == code
    assert result.outputs["report-html"] == ""


@pytest.mark.slow
@pytest.mark.requirement("action:comment-forbidden")
def test_read_only_token_writes_the_summary_with_the_reason(
    tmp_path: Path, github_api: FakeGitHub
) -> None:
    lines: list[str] = []
    env = _env(tmp_path, github_api, token=READ_TOKEN)
    result = run_action(_inputs(tmp_path, fail_on="never"), env, echo=lines.append)
    assert result.exit_code == 0 and result.outputs["comment-url"] == ""
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("> [!NOTE]\n> No PR comment: GitHub answered 403")
    assert "<!-- bench-report -->" in summary
    assert any(
        line.startswith("::warning title=bench%3A no PR comment::No PR comment") for line in lines
    )
    assert github_api.bodies(REPO, PR) == []


@pytest.mark.slow
@pytest.mark.requirement("action:event")
def test_push_event_writes_the_summary_only(tmp_path: Path, github_api: FakeGitHub) -> None:
    result = run_action(
        _inputs(tmp_path, fail_on="never"),
        _env(tmp_path, github_api, event="push"),
        echo=lambda _l: None,
    )
    assert result.exit_code == 0 and result.outputs["comment-url"] == ""
    assert github_api.requests == []
    assert "<!-- bench-report -->" in (tmp_path / "summary.md").read_text()


@pytest.mark.slow
def test_token_never_reaches_bench_execute(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []

    def runner(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        seen.append(kw["env"])
        return subprocess.run(cmd, **kw)

    env = _env(tmp_path, None, event="push") | {"INPUT_GITHUB_TOKEN": WRITE_TOKEN}
    run_action(_inputs(tmp_path, fail_on="never"), env, runner=runner, echo=lambda _l: None)
    assert seen and all("GITHUB_TOKEN" not in e and "INPUT_GITHUB_TOKEN" not in e for e in seen)
    assert seen[0]["GITHUB_REPOSITORY"] == REPO


@pytest.mark.slow
def test_baseline_is_compared(tmp_path: Path) -> None:
    env = _env(tmp_path, None, event="push")
    first = run_action(_inputs(tmp_path, fail_on="never"), env, echo=lambda _l: None)
    base = tmp_path / "base.json"
    base.write_text(Path(first.outputs["report-json"]).read_text())
    better = write_plan(quiz_plan(success_rate=0.9, failing=False), tmp_path / "better.json")
    second = run_action(
        _inputs(tmp_path, plan=str(better), baseline="base.json"), env, echo=lambda _l: None
    )
    assert second.exit_code == 0
    report = json.loads(Path(second.outputs["report-json"]).read_text())
    assert report.get("baseline"), "the report should carry the baseline comparison"


@pytest.mark.requirement("action:annotations")
def test_invalid_suite_becomes_annotations_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "suite.yaml").write_text("sessions: []\n")
    calls: list[list[str]] = []

    def runner(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        out = "::error file=suite.yaml,line=1,col=1::unknown assertion type 'tool_caled'\n"
        return subprocess.CompletedProcess(cmd, 2, stdout=out, stderr="1 error\n")

    lines: list[str] = []
    inputs = ActionInputs(suite="suite.yaml", working_directory=str(tmp_path / "evals"))
    result = run_action(inputs, _env(tmp_path, None), runner=runner, echo=lines.append)
    assert result.exit_code == 2
    assert calls == [
        [
            sys.executable,
            "-m",
            "bench",
            "compile",
            "suite.yaml",
            "--check",
            "--diagnostics-format",
            "github",
        ]
    ]
    assert (
        lines[0]
        == "::error file=evals/suite.yaml,line=1,col=1::unknown assertion type 'tool_caled'"
    )
    assert "suite is invalid" in (tmp_path / "summary.md").read_text()
    assert set(_outputs(tmp_path).values()) == {""}


def test_execute_without_a_report_fails_the_step(tmp_path: Path) -> None:
    def runner(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 3)

    lines: list[str] = []
    inputs = _inputs(tmp_path, plan="plan.json", fail_on="never")
    result = run_action(inputs, _env(tmp_path, None), runner=runner, echo=lines.append)
    assert result.exit_code == 3
    assert any("without a report" in line for line in lines)


def test_a_missing_working_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="working-directory"):
        run_action(ActionInputs(plan="p.json", working_directory=str(tmp_path / "nope")), {})


@pytest.mark.requirement("action:fail-on")
def test_exit_code_table() -> None:
    below = ReportDigest(total=4, passed=2, failed=2, errors=0, pass_rate=0.5, criteria_met=False)
    lenient = ReportDigest(total=4, passed=3, failed=1, errors=0, pass_rate=0.75, criteria_met=True)
    assert [exit_code_for(f, below, 1) for f in ("criteria", "any-failure", "never")] == [1, 1, 0]
    assert [exit_code_for(f, lenient, 0) for f in ("criteria", "any-failure", "never")] == [0, 1, 0]
    assert exit_code_for("never", lenient, 3) == 3
    # fail-on: regression looks at the verdicts only: a failing run without one passes.
    assert [exit_code_for("regression", below, 1, n) for n in (0, 2)] == [0, 1]
    assert exit_code_for("regression", below, 3, 0) == 3


def test_inputs_from_env() -> None:
    got = ActionInputs.from_env(
        {
            "INPUT_SUITE": " evals/suite.yaml ",
            "INPUT_ARGS": "--seed 7 --concurrency '2'",
            "INPUT_COMMENT": "False",
            "INPUT_REPORT_FORMATS": "html, junit",
            "INPUT_FAIL_ON": "any-failure",
        }
    )
    assert got.target == "evals/suite.yaml" and got.args == ["--seed", "7", "--concurrency", "2"]
    assert got.comment is False and got.fail_on == "any-failure"
    assert got.report_formats == ["json", "md", "html", "junit"]
    assert ActionInputs.from_env({"INPUT_PLAN": "p.json"}).comment is None
    defaults = ActionInputs.from_env({"INPUT_PLAN": "p.json", "INPUT_BASELINE": ""})
    assert (defaults.baseline, defaults.baseline_max_age_days, defaults.artifact_name) == (
        "auto",
        14.0,
        "bench-report",
    )


def test_replay_and_record_inputs_reach_bench_execute(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def runner(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 3)  # no report: the step stops there

    env = _env(tmp_path, None, event="push")
    got = ActionInputs.from_env({"INPUT_PLAN": "p.json", "INPUT_REPLAY": " cassettes/a "})
    assert (got.replay, got.record) == ("cassettes/a", "")
    run_action(_inputs(tmp_path, replay="cassettes/a"), env, runner=runner, echo=lambda _l: None)
    run_action(_inputs(tmp_path, record="cas"), env, runner=runner, echo=lambda _l: None)
    assert calls[0][-2:] == ["--replay", "cassettes/a"] and "--record" not in calls[0]
    assert calls[1][-2:] == ["--record", "cas"] and "--replay" not in calls[1]


@pytest.mark.slow
def test_a_recorded_cassette_is_an_output_and_replays(tmp_path: Path) -> None:
    env = _env(tmp_path, None, event="push")
    run_action(_inputs(tmp_path, record="cas", fail_on="never"), env, echo=lambda _l: None)
    outputs = _outputs(tmp_path)
    assert outputs["cassette"] == str(tmp_path / "cas")
    assert (tmp_path / "cas" / "cassette.jsonl").is_file()
    (tmp_path / "output.txt").unlink()
    result = run_action(_inputs(tmp_path, replay="cas", fail_on="never"), env, echo=lambda _l: None)
    assert result.exit_code == 0 and _outputs(tmp_path)["cassette"] == ""
    assert "**Replay** of cassette" in Path(_outputs(tmp_path)["report-md"]).read_text()


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"INPUT_SUITE": "a", "INPUT_REPLAY": "x", "INPUT_RECORD": "y"}, "at most one"),
        ({}, "exactly one"),
        ({"INPUT_SUITE": "a", "INPUT_PLAN": "b"}, "exactly one"),
        ({"INPUT_SUITE": "a", "INPUT_FAIL_ON": "sometimes"}, "fail-on"),
        ({"INPUT_SUITE": "a", "INPUT_COMMENT_MODE": "edit"}, "comment-mode"),
        ({"INPUT_SUITE": "a", "INPUT_COMMENT": "maybe"}, "comment"),
        ({"INPUT_SUITE": "a", "INPUT_REPORT_FORMATS": "pdf"}, "pdf"),
        ({"INPUT_SUITE": "a", "INPUT_ARGS": "'unclosed"}, "args"),
        ({"INPUT_SUITE": "a", "INPUT_BASELINE_MAX_AGE_DAYS": "soon"}, "baseline-max-age-days"),
    ],
)
def test_bad_inputs(env: dict[str, str], words: str) -> None:
    with pytest.raises(InputError, match=words):
        ActionInputs.from_env(env)


def test_cli_run_reports_bad_inputs_as_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("INPUT_SUITE", raising=False)
    monkeypatch.delenv("INPUT_PLAN", raising=False)
    assert main(["github", "run"]) == 2
    assert "exactly one of the inputs" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.requirement("action:annotations")
def test_real_compile_errors_land_on_the_repository_path(tmp_path: Path) -> None:
    suite = (Path(__file__).parent / "fixtures" / "below_criteria.yaml").read_text()
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "suite.yaml").write_text(suite.replace("sessions:", "sesions:"))
    lines: list[str] = []
    inputs = ActionInputs(suite="suite.yaml", working_directory=str(tmp_path / "evals"))
    result = run_action(inputs, _env(tmp_path, None), echo=lines.append)
    assert result.exit_code == 2
    errors = [line for line in lines if line.startswith("::error ")]
    assert any(
        line.startswith("::error file=evals/suite.yaml,line=") and "sesions" in line
        for line in errors
    ), lines
