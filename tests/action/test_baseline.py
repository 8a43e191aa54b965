"""``baseline: auto``: the Action finds the base branch's report through the Actions REST API.

Against the fake GitHub API on 127.0.0.1: list the workflow's runs on the base branch, list a
run's artifacts, download one through GitHub's 302 (to another origin, which must not get the
token), then `bench github run` compares with it and says where the baseline came from.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.gha.baseline import find_baseline
from bench.gha.run import run_action
from tests.action.fake_github import WRITE_TOKEN, FakeGitHub
from tests.action.plans import quiz_plan, write_plan
from tests.action.test_run import PR, REPO, _env, _inputs

WORKFLOW = "bench.yml"
SHA = "0123456789abcdef0123456789abcdef01234567"
NOW = datetime(2026, 12, 5, tzinfo=UTC)


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _environ(api: FakeGitHub) -> dict[str, str]:
    return {
        "GITHUB_API_URL": api.url,
        "GITHUB_WORKFLOW_REF": f"{REPO}/.github/workflows/{WORKFLOW}@refs/pull/{PR}/merge",
        "GITHUB_RUN_ID": "9999",
    }


def _find(api: FakeGitHub, tmp_path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return find_baseline(
        _environ(api),
        repo=REPO,
        base_branch="main",
        out_dir=tmp_path,
        token=WRITE_TOKEN,
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def test_the_newest_base_run_with_a_report_is_fetched_without_leaking_the_token(
    github_api: FakeGitHub, tmp_path: Path
) -> None:
    github_api.add_run(REPO, workflow=WORKFLOW, branch="main", run_id=41, sha="1" * 40,
                       created_at="2026-11-01T00:00:00Z", archive=_zip({"report.json": b"{}"}))  # fmt: skip
    github_api.add_run(REPO, workflow=WORKFLOW, branch="main", run_id=42, sha=SHA,
                       created_at="2026-12-03T00:00:00Z",
                       archive=_zip({"report.json": b'{"base": 42}', "report.html": b"<p>"}))  # fmt: skip
    github_api.add_run(REPO, workflow=WORKFLOW, branch="feature", run_id=43, sha="3" * 40,
                       created_at="2026-12-04T00:00:00Z", archive=_zip({"report.json": b"{}"}))  # fmt: skip
    search = _find(github_api, tmp_path)
    found = search.found
    assert found is not None, search.reason
    assert (found.run_id, found.commit, found.branch) == (42, SHA, "main")
    assert found.age_days == pytest.approx(2.0)
    assert json.loads(found.path.read_text()) == {"base": 42}
    blob = [r for r in github_api.requests if r.path.startswith("/blob/")]
    assert len(blob) == 1 and blob[0].authorization is None  # the token stayed on the API host
    api_calls = [r for r in github_api.requests if r.path.startswith("/repos/")]
    assert all(r.authorization == f"Bearer {WRITE_TOKEN}" for r in api_calls)


def test_expired_and_missing_artifacts_are_reasons_not_errors(
    github_api: FakeGitHub, tmp_path: Path
) -> None:
    assert "no successful run of bench.yml on main" in _find(github_api, tmp_path).reason
    github_api.add_run(REPO, workflow=WORKFLOW, branch="main", run_id=50, sha=SHA,
                       created_at="2026-12-01T00:00:00Z",
                       archive=_zip({"report.json": b"{}"}), expired=True)  # fmt: skip
    search = _find(github_api, tmp_path)
    assert search.found is None and "1 had expired" in search.reason
    github_api.add_run(REPO, workflow=WORKFLOW, branch="main", run_id=51, sha=SHA,
                       created_at="2026-12-02T00:00:00Z", archive=_zip({"other.txt": b"x"}))  # fmt: skip
    search = _find(github_api, tmp_path)
    assert search.found is None and "no report.json" in search.reason


def test_no_workflow_ref_is_a_reason(tmp_path: Path) -> None:
    search = find_baseline({}, repo=REPO, base_branch="main", out_dir=tmp_path)
    assert search.found is None and "GITHUB_WORKFLOW_REF" in search.reason


def _pr_env(tmp_path: Path, api: FakeGitHub) -> dict[str, str]:
    env = _env(tmp_path, api)
    payload = {"pull_request": {"number": PR, "base": {"ref": "main"}}}
    (tmp_path / "event.json").write_text(json.dumps(payload))
    env.update(_environ(api))
    env.update({"GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "9999"})
    return env


@pytest.mark.slow
def test_a_pull_request_is_compared_with_the_base_branch_run(
    github_api: FakeGitHub, tmp_path: Path
) -> None:
    # The base branch's run: every case passed; its report.json is in its artifact.
    base_dir = tmp_path / "base"
    base_dir.mkdir()
    good = write_plan(quiz_plan(success_rate=0.5, failing=False), base_dir / "plan.json")
    first = run_action(
        _inputs(base_dir, plan=str(good), fail_on="never", baseline="none"),
        _env(base_dir, None, event="push"),
        echo=lambda _l: None,
    )
    # ... and make q3 a pass there, so the PR shows a one-attempt pass -> fail flip.
    data = json.loads(Path(first.outputs["report-json"]).read_text())
    for case in data["detailed_results"]:
        if case["test"] == "q3":
            case["status"] = "passed"
    report = json.dumps(data).encode()
    github_api.add_run(REPO, workflow=WORKFLOW, branch="main", run_id=42, sha=SHA,
                       created_at="2026-11-01T00:00:00Z", archive=_zip({"report.json": report}))  # fmt: skip

    lines: list[str] = []
    result = run_action(
        _inputs(tmp_path, fail_on="regression"), _pr_env(tmp_path, github_api), echo=lines.append
    )
    # One attempt per side: a pass -> fail flip is insufficient data, never a regression.
    assert result.exit_code == 0, lines
    (body,) = github_api.bodies(REPO, PR)
    assert "Baseline: [run 42](<https://github.example/octo/widgets/actions/runs/42>)" in body
    assert "at commit 0123456789ab" in body
    assert "days old" in body and "The baseline is" in body  # older than 14 days: a warning
    assert "Verdicts against base" in body and "with too little data" in body
    assert "[Workflow run](<https://github.example/octo/widgets/actions/runs/9999>)" in body
    data = json.loads(Path(result.outputs["report-json"]).read_text())
    assert data["baseline"]["source"]["run_id"] == 42
    assert any("bench: baseline: run 42" in line for line in lines)


@pytest.mark.slow
def test_without_a_base_run_the_comment_says_so(github_api: FakeGitHub, tmp_path: Path) -> None:
    result = run_action(
        _inputs(tmp_path, fail_on="never"), _pr_env(tmp_path, github_api), echo=lambda _l: None
    )
    assert result.exit_code == 0
    (body,) = github_api.bodies(REPO, PR)
    assert "No baseline: no successful run of bench.yml on main yet" in body
