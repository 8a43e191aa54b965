"""The parity rows end to end: a suite run by `bench execute`, the scripted provider answering
and a real MCP server (mcp-server-time) taking the tool calls, each test's verdict as the row says.

Rows whose tool is the placeholder ``t`` call ``get_current_time`` instead (the server records
any arguments the model sends); rows that need a cli server or are compile errors are covered
by tests/compat/test_parity.py.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.cli import main

from .parity import ROWS, Row

pytestmark = pytest.mark.slow
TOOL = "get_current_time"


def _runnable(row: Row) -> bool:
    return not row.bench.startswith("compile error") and all(
        c.name in ("t", TOOL) for c in row.calls
    )


RUNNABLE = [row for row in ROWS if _runnable(row)]


def _retool(value: Any) -> Any:
    return TOOL if value == "t" else value


def suite_text() -> str:
    replies: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    for i, row in enumerate(RUNNABLE):
        when = f"^row {i}$"
        if row.calls:
            calls = [{"name": TOOL, "arguments": {"timezone": "UTC", **c.args}} for c in row.calls]
            replies.append({"when": when, "tool_calls": calls, "input_tokens": 1})
        # Reported usage (else chars/4 of the whole session is estimated): max_tokens rows.
        replies.append({"when": when, "text": row.output or "done", "input_tokens": row.tokens})
        assertion = {k: _retool(v) for k, v in row.assertion.items()}
        tests.append({"name": f"row {i}", "prompt": f"row {i}", "assertions": [assertion]})
    suite = {
        "providers": [{"name": "scripted", "type": "SCRIPTED", "replies": replies}],
        "servers": [
            {
                "name": "time",
                "type": "stdio",
                "command": "python -m mcp_server_time --local-timezone UTC",
                "process_delay": "0s",
            }
        ],
        "agents": [{"name": "a", "provider": "scripted", "servers": [{"name": "time"}]}],
        "sessions": [{"name": "parity", "tests": tests}],
    }
    return json.dumps(suite, ensure_ascii=False, indent=1)  # JSON is YAML


def test_parity_rows_give_their_verdicts_over_a_real_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(RUNNABLE) >= 20
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "parity.yaml"
    path.write_text(suite_text(), encoding="utf-8")
    main(["execute", "-q", str(path), "--report", "json", "-o", "out/parity"])
    report = json.loads((tmp_path / "out" / "parity.json").read_text())
    cases = {c["test"]: c for c in report["detailed_results"]}
    got = {}
    for i, row in enumerate(RUNNABLE):
        case = cases[f"row {i}"]
        assert case["status"] in ("passed", "failed"), case.get("error")
        got[row.case] = "pass" if case["status"] == "passed" else "fail"
    assert got == {row.case: row.bench for row in RUNNABLE}
    # The real server answered that call: its JSON result has no exit_code.
    [time_row] = [i for i, r in enumerate(RUNNABLE) if r.assertion.get("tool") == TOOL]
    [verdict] = cases[f"row {time_row}"]["assertions"]
    assert "no exit_code" in verdict["message"]
