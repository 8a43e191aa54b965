"""``bench github comment`` and ``bench github outputs`` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main
from tests.action.conftest import FIXTURES
from tests.action.fake_github import WRITE_TOKEN, FakeGitHub
from tests.action.test_files import _parse_outputs

REPO, PR = "octo/widgets", 3
_COMMENT_BELOW = ["github", "comment", "--report", str(FIXTURES / "report_below.json")]
_COMMENT_BELOW += ["--markdown", str(FIXTURES / "report_below.md")]
"""Post the report_below fixture's Markdown (the token variable left at its default)."""


def _github_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, event: str, api: FakeGitHub | None
) -> None:
    payload = {"pull_request": {"number": PR}} if event == "pull_request" else {}
    (tmp_path / "event.json").write_text(json.dumps(payload))
    monkeypatch.setenv("GITHUB_EVENT_NAME", event)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(tmp_path / "event.json"))
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output.txt"))
    monkeypatch.setenv("MY_TOKEN", WRITE_TOKEN)
    if api is not None:
        monkeypatch.setenv("GITHUB_API_URL", api.url)


@pytest.mark.requirement("action:comment-update")
def test_comment_command_creates_then_updates(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    github_api: FakeGitHub,
) -> None:
    _github_env(monkeypatch, tmp_path, "pull_request", github_api)
    args = [*_COMMENT_BELOW, "--token-env", "MY_TOKEN"]
    assert main(args) == 0
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "bench: PR comment created:",
        "bench: PR comment updated:",
    ]
    urls = {line.rsplit(" ", 1)[1] for line in lines}
    assert len(urls) == 1 and "#issuecomment-" in urls.pop()
    assert github_api.bodies(REPO, PR) == [(FIXTURES / "report_below.md").read_text()]
    assert [r.method for r in github_api.writes()] == ["POST", "PATCH"]
    assert (tmp_path / "summary.md").read_text().count("<!-- bench-report -->") == 2


@pytest.mark.requirement("action:event")
def test_comment_command_on_push_writes_the_summary_only(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    github_api: FakeGitHub,
) -> None:
    _github_env(monkeypatch, tmp_path, "push", github_api)
    assert main(_COMMENT_BELOW) == 0
    assert "not about a pull request" in capsys.readouterr().out
    assert github_api.requests == []
    assert "2 of 4 cases passed" in (tmp_path / "summary.md").read_text()


def test_comment_command_without_a_token_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    github_api: FakeGitHub,
) -> None:
    _github_env(monkeypatch, tmp_path, "pull_request", github_api)
    assert main(_COMMENT_BELOW) == 0
    assert "no GitHub token in $GITHUB_TOKEN" in capsys.readouterr().out
    assert "no GitHub token" in (tmp_path / "summary.md").read_text()


def test_comment_command_rejects_a_non_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    assert main(["github", "comment", "--report", str(bad)]) == 2
    assert "not a bench JSON report" in capsys.readouterr().err


@pytest.mark.requirement("action:outputs")
def test_outputs_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _github_env(monkeypatch, tmp_path, "push", None)
    report = tmp_path / "report.json"
    report.write_text((FIXTURES / "report_below.json").read_text())
    (tmp_path / "report.md").write_text("md")
    assert main(["github", "outputs", "--report", str(report), "--comment-url", "https://x/1"]) == 0
    out = _parse_outputs((tmp_path / "output.txt").read_text())
    assert out["passed"] == "2" and out["criteria-met"] == "false" and out["pass-rate"] == "0.5"
    assert out["report-json"] == str(report) and out["report-md"] == str(tmp_path / "report.md")
    assert out["report-html"] == "" and out["comment-url"] == "https://x/1"


def test_outputs_command_prints_outside_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    assert main(["github", "outputs", "--report", str(FIXTURES / "report_pass.json")]) == 0
    assert "criteria-met<<ghadelimiter_" in capsys.readouterr().out


def test_github_without_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["github"]) == 2
    assert "comment" in capsys.readouterr().out
