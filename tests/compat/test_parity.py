"""Every parity row holds for bench, and docs/compatibility.md holds exactly the rendered table.

A row's assertion is compiled as a suite gives it (so a compile-time refusal is the diagnostic a
user sees) and evaluated on the row's transcript; the row says agent-benchmark's verdict too,
and a row where the two differ must say why (tests/compat/parity.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import compile_suite
from compiler.errors import SuiteInvalid
from runtime.evaluate import EvalContext, evaluate
from runtime.transcript import TokenUsage, ToolCall, ToolResult, Transcript

from .parity import DOC, ROWS, Row, document_table, render

HEAD = """\
providers:
  - name: p
    type: SCRIPTED
    replies:
      - text: done
agents:
  - name: a
    provider: p
sessions:
  - name: s
    tests:
      - name: t
        prompt: p
        assertions:
          - {assertion}
"""


def suite(row: Row, tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(HEAD.format(assertion=json.dumps(row.assertion, ensure_ascii=False)))
    return path


def transcript_of(row: Row) -> Transcript:
    calls = [
        ToolCall(
            id=f"c{i}",
            name=c.name,
            arguments=c.args,
            result=ToolResult(content=[{"type": "text", "text": c.result}]),
        )
        for i, c in enumerate(row.calls)
    ]
    return Transcript(
        final_output=row.output,
        tool_calls=calls,
        usage=TokenUsage(input=row.tokens),
    )


@pytest.mark.parametrize("row", ROWS, ids=[r.case for r in ROWS])
def test_bench_gives_the_verdict_the_row_says(row: Row, tmp_path: Path) -> None:
    assert row.go in ("pass", "fail")
    assert row.same or row.why, "a row where bench differs says why"
    path = suite(row, tmp_path)
    if row.bench.startswith("compile error "):
        code = row.bench.removeprefix("compile error ")
        with pytest.raises(SuiteInvalid) as info:
            compile_suite(path, seed=1, env={})
        assert code in {e.code for e in info.value.errors}, info.value.errors
        return
    plan = compile_suite(path, seed=1, env={})
    [node] = plan.units[0].cases[0].assertions
    [verdict] = evaluate([node], EvalContext(transcript=transcript_of(row), variables={}))
    assert ("pass" if verdict.passed else "fail") == row.bench, verdict.message


def test_the_compatibility_document_holds_the_generated_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert document_table(text) == render(), (
        "docs/compatibility.md's parity table is stale: run "
        "`.venv/bin/python -m tests.compat.parity --write`"
    )
