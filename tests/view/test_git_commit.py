"""A run records the commit it was started from; the viewer's list shows it."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bench.cli import main
from bench.view.app import create_app
from runtime.results import RunMetadata
from tests.runtime.test_runs_cli import three_outcomes_plan

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_execute_records_the_checked_out_commit_and_the_list_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text(SHA + "\n")
    monkeypatch.chdir(tmp_path)
    plan = tmp_path / "plan.json"
    plan.write_text(three_outcomes_plan().dumps())
    assert main(["execute", "-q", str(plan)]) == 1  # the plan fails its criteria on purpose
    (run,) = (tmp_path / "runs").iterdir()
    meta = RunMetadata.model_validate_json((run / "metadata.json").read_bytes())
    assert meta.git_commit == SHA
    page = TestClient(create_app(tmp_path / "runs"), base_url="http://127.0.0.1").get("/").text
    assert f'<code title="{SHA}">{SHA[:12]}</code>' in page


def test_no_repository_no_commit_and_old_metadata_still_reads(tmp_path: Path) -> None:
    meta = RunMetadata(
        run_id="r",
        plan_hash="sha256:0",
        plan_name="p",
        bench_version="0",
        status="completed",
        started_at="2026-11-02T10:00:00.000Z",
        case_count=0,
    )
    assert meta.git_commit is None
    assert "git_commit" not in meta.model_dump_json()  # metadata.json unchanged without one
