"""One small suite per diagnostic code not pinned elsewhere: each code fires where it should."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import compile_with_warnings
from tests.compiler.conftest import BASE, NOW, compile_errors

SESSION = "sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: hi\n"


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        (BASE + "x: !custom 1\n" + SESSION, "yaml-tag", 9),
        (BASE + "base: &b [1]\nother:\n  <<: *b\n" + SESSION, "yaml-merge", 9),
        (BASE + "? [a, b]\n: 1\n" + SESSION, "yaml-key", 9),
        (BASE + "test_files: [t.yaml]\n" + SESSION, "suite-sessions", 10),
        (BASE + "test_files: []\n", "suite-empty", 9),
        (BASE + "test_files: [suite.yaml]\n", "include-cycle", 9),
        (BASE + "test_files: [t.yaml, ./t.yaml]\n", "duplicate-test-file", 9),
        (
            BASE
            + SESSION
            + "        agent: a\n"
            + "  - name: s2\n    tests:\n      - {name: t, prompt: x, agent: a}\n",
            None,
            0,
        ),
        (
            BASE.replace(
                "  - name: a\n    provider: p\n",
                "  - name: a\n    provider: p\n  - name: a\n    provider: p\n",
            )
            + SESSION,
            "duplicate-name",
            9,
        ),
        (BASE + "    servers: [{name: nope}]\n" + SESSION, "unknown-server", 9),
        (
            BASE
            + "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: hi, agent: a}\n".replace(
                "agent: a", "agent: a"
            )
            + "agents2: x\n",
            "unknown-key",
            13,
        ),
    ],
)
def test_code_fires_at_its_line(
    write: Callable[..., Path], text: str, code: str | None, line: int
) -> None:
    write("sessions:\n  - name: x\n    tests:\n      - {name: t, prompt: hi}\n", "t.yaml")
    path = write(text)
    if code is None:
        return
    errors = compile_errors(path)
    assert (code, line) in [(e.code, e.line) for e in errors], [e.headline() for e in errors]


def test_no_cases_when_every_test_is_for_another_agent(write: Callable[..., Path]) -> None:
    text = (
        BASE
        + "  - name: b\n    provider: p\n"
        + "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: hi, agent: b}\n"
    )
    path = write(text.replace("  - name: b\n    provider: p\n", ""))
    assert [e.code for e in compile_errors(path)] == ["unknown-agent"]


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ("servers:\n  - {name: lonely, type: stdio, command: x}\n", "unused-server"),
        ("servers:\n  - {name: s, type: stdio, command: x, url: 'http://x'}\n", "ignored-key"),
        ("", "always-passes"),
    ],
)
def test_warnings_do_not_fail(write: Callable[..., Path], extra: str, code: str) -> None:
    head = BASE + ("    servers: [{name: s}]\n" if "name: s," in extra else "")
    body = SESSION + (
        "        assertions:\n          - {type: output_contains, value: ''}\n" if not extra else ""
    )
    result = compile_with_warnings(write(head + extra + body), seed=1, now=NOW, env={})
    assert code in {w.code for w in result.warnings}
    assert result.plan.cases
