"""The quickstart suite: compiled from YAML, run through the CLI with real MCP servers, offline."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from bench.cli import main

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "examples" / "quickstart" / "suite.yaml"

pytestmark = pytest.mark.slow


@pytest.mark.requirement("cli:criteria")
@pytest.mark.requirement("run:extractor-feeds-prompt")
def test_quickstart_passes_overall_and_reports_its_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The suite starts its servers with `python`: the interpreter running the tests.
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.chdir(tmp_path)
    code = main(["execute", "-q", str(SUITE), "--report", "json,md", "-o", "out/qs"])
    assert code == 0
    report = json.loads((tmp_path / "out" / "qs.json").read_text())
    summary = report["summary"]
    assert (summary["total"], summary["passed"], summary["failed"], summary["errors"]) == (
        4,
        3,
        1,
        0,
    )
    assert summary["criteria_met"] is True
    cases = {c["test"]: c for c in report["detailed_results"]}
    assert cases["Read it back"]["prompt"] == "Show me note n1."
    assert cases["Convert to Tokyo time"]["status"] == "failed"
    assert "Convert to Tokyo time" in (tmp_path / "out" / "qs.md").read_text()
    # Resuming the finished run recompiles the YAML with its seed and clock: same hash,
    # nothing left to run.
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert main(["execute", "-q", str(SUITE), "--resume", run_dir.name]) == 0
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    assert len(lines) == 4


def test_resume_without_a_target_uses_the_runs_own_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bench execute --resume ID` alone (the issue's form) continues from runs/ID/plan.json."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    assert main(["execute", "-q", str(SUITE)]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    results = run_dir / "results.jsonl"
    lines = results.read_text(encoding="utf-8").splitlines()
    results.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")  # as if killed after 2 cases
    assert main(["execute", "-q", "--resume", run_dir.name[-6:]]) == 0
    statuses = {
        json.loads(line)["case_id"]: json.loads(line)["status"]
        for line in results.read_text(encoding="utf-8").splitlines()
    }
    assert len(statuses) == 4 and sorted(statuses.values()).count("passed") == 3


def test_execute_needs_a_target_or_resume(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["execute"]) == 2
    assert "--resume" in capsys.readouterr().err
