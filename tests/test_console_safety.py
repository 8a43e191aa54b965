"""Issue 10 item 1: foreign text never drives the terminal or GitHub's log, nor leaks a secret.

An external agent reports an error built to attack both (workflow commands at line starts and
after a wrap, ESC sequences, a bidi override, its own API key); ``bench execute`` runs it piped,
as under GitHub Actions, and every byte it printed is checked. runtime/sanitize.py is the rule.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runtime.sanitize import for_terminal, register_secret

AGENT = Path(__file__).parent / "runtime" / "agents" / "misbehaving_agent.py"
SECRET = "sk-console-safety-0123456789"


def _no_command_can_start(text: str) -> None:
    for line in text.splitlines():
        assert not line.lstrip().startswith("::"), line
    # Wrapped anywhere (a terminal, a log viewer), no line can start with "::" either.
    assert "::" not in text


def test_for_terminal_makes_foreign_text_inert() -> None:
    register_secret("hunter2-secret-value")
    text = "a::b\n::error::x\r\x1b[31mred\x07 \u202eflip hunter2-secret-value"
    out = for_terminal(text)
    _no_command_can_start(out)
    assert "\n" not in out and "\r" not in out and "\x1b" not in out and "\x07" not in out
    assert "\\x1b[31mred" in out and "\\u202e" in out
    assert "hunter2-secret-value" not in out and "***" in out
    kept = for_terminal("line one\n::set-output name=x::y\n", keep_newlines=True)
    assert kept.count("\n") == 2
    _no_command_can_start(kept)
    assert for_terminal("x" * 50, limit=10).startswith("x" * 10 + "…")


@pytest.mark.slow
@pytest.mark.parametrize("actions", [True, False])
def test_a_hostile_agent_error_is_inert_on_the_console(tmp_path: Path, actions: bool) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        textwrap.dedent(
            f"""\
            agents:
              - name: ext
                command: {sys.executable} {AGENT}
                env:
                  OPENAI_API_KEY: "${{OPENAI_API_KEY}}"
            sessions:
              - name: s
                tests:
                  - name: attack
                    prompt: hostile
                    assertions: [{{type: output_contains, value: "x"}}]
            """
        )
    )
    env = {**os.environ, "OPENAI_API_KEY": SECRET, "COLUMNS": "80"}
    env.pop("GITHUB_ACTIONS", None)
    if actions:
        env["GITHUB_ACTIONS"] = "true"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "execute", str(suite), "--output-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    printed = done.stdout + done.stderr
    assert done.returncode in (1, 3), printed
    if actions:
        # bench's own ::stop-commands::TOKEN first and ::TOKEN:: last on stderr, nothing
        # else (the pair is checked in tests/runtime/test_console_foreign.py).
        first, *middle, last = done.stderr.splitlines()
        token = first.removeprefix("::stop-commands::")
        assert first != token and last == f"::{token}::"
        printed = done.stdout + "\n".join(middle)
    assert "pwned" in printed  # the error is shown...
    _no_command_can_start(printed)  # ...but cannot act as a workflow command
    assert "\x1b" not in printed and "\x07" not in printed and "\u202e" not in printed
    assert SECRET not in printed
    # The files were already clean (the run store redacts); they stay so.
    for path in (tmp_path / "runs").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path
