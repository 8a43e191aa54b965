"""The CLI: record the quickstart, fix its failing assertion, then replay and rescore offline.

The suite is copied so it can be edited; after recording, its servers' commands are replaced
by one that leaves a marker if started, and every socket connection is counted.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.cli import main

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

FAILING = """          - type: tool_called
            tool: convert_time
"""
FIXED = """          - type: output_contains
            value: "nine hours"
"""


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "examples" / "quickstart", tmp_path / "quickstart")
    shutil.copytree(ROOT / "examples" / "servers", tmp_path / "servers")
    return tmp_path / "quickstart" / "suite.yaml"


def fix_and_trap(suite: Path, marker: Path) -> None:
    text = suite.read_text()
    assert FAILING in text
    trap = f"python -c \"import pathlib; pathlib.Path('{marker}').touch()\""
    text = text.replace(FAILING, FIXED)
    text = text.replace(
        'command: python "{{TEST_DIR}}/../servers/notes_server.py"', f"command: {trap}"
    )
    text = text.replace(
        "command: python -m mcp_server_time --local-timezone UTC", f"command: {trap}"
    )
    suite.write_text(text)


def count_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    real = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        seen.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


def report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_record_fix_then_replay_and_rescore(
    suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["execute", "-q", str(suite), "--record", "cas", "--report", "json", "-o", "live"])
        == 0
    )
    live = report(tmp_path / "live.json")
    assert live["traffic"]["mode"] == "record"
    assert (live["summary"]["passed"], live["summary"]["failed"]) == (3, 1)
    (run_dir,) = (tmp_path / "runs").iterdir()

    marker = tmp_path / "server-started"
    fix_and_trap(suite, marker)
    seen = count_connections(monkeypatch)
    capsys.readouterr()

    # replay: the same answers, checked against the fixed assertion
    assert main(["execute", str(suite), "--replay", "cas", "--report", "json,md", "-o", "rep"]) == 0
    out = capsys.readouterr().out
    assert "replay of cassette cas" in out
    replayed = report(tmp_path / "rep.json")
    assert (replayed["summary"]["passed"], replayed["summary"]["failed"]) == (4, 0)
    assert replayed["traffic"]["mode"] == "replay" and replayed["traffic"]["misses"] == 0
    assert "**Replay** of cassette `cas`" in (tmp_path / "rep.md").read_text()

    # rescore: the first run's transcripts, the suite's current assertions
    assert main(["rescore", run_dir.name, "--report", "json", "-o", "res"]) == 0
    rescored = report(tmp_path / "res.json")
    assert (rescored["summary"]["passed"], rescored["summary"]["failed"]) == (4, 0)
    assert rescored["rescored_from"] == run_dir.name
    tokyo = {c["test"]: c for c in rescored["detailed_results"]}["Convert to Tokyo time"]
    assert tokyo["status"] == "passed"
    assert "rescore of run" in capsys.readouterr().out

    assert not marker.exists() and seen == []


def test_replay_without_a_cassette_is_an_input_error(
    suite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["execute", str(suite), "--replay", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert "no cassette in nowhere" in err and "Traceback" not in err
    assert main(["execute", str(suite), "--record-missing"]) == 2
    assert "--record-missing needs --replay" in capsys.readouterr().err
