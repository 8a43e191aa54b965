"""bench/terminal.py's consoles apply runtime/sanitize.py to every rendered segment, never
wrap at a guessed width off a terminal, and GitHub's ::stop-commands:: block."""

from __future__ import annotations

import io
import re

import pytest
from rich.table import Table
from rich.text import Text

from bench.terminal import github_commands_stopped, make_console
from runtime.execute import _redactor_for
from runtime.sanitize import environment_secrets, for_terminal, looks_secret

from .runtime_helpers import case, make_plan, reply, unit

HOSTILE = "::add-mask::x\n::error file=a::b\r\x1b[2J\x07\x9b\u2028\u202e ##[group]g ##vso[task]"


def _commands(text: str) -> list[str]:
    return [ln for ln in re.split(r"\r\n|\r|\n", text) if ln.lstrip().startswith("::")]


@pytest.mark.requirement("console:foreign-text")
def test_for_terminal_breaks_legacy_commands_and_line_separators() -> None:
    out = for_terminal(HOSTILE)
    assert "##" not in out and "::" not in out and "\u2028" not in out
    assert "\\u2028" in out and "group" in out


@pytest.mark.requirement("console:foreign-text")
def test_secret_looking_environment_values_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "tok-1234567890")
    monkeypatch.setenv("AUTHOR_NAME", "not a secret at all")
    monkeypatch.setenv("GIT_AUTH", "true")  # too short to be a credential
    assert "tok-1234567890" in environment_secrets()
    assert (
        "not a secret at all" not in environment_secrets() and "true" not in environment_secrets()
    )
    assert looks_secret("GITHUB_TOKEN") and not looks_secret("AUTHOR")
    # The run's redactor (its files) hides it, and so does every console line from then on.
    redact = _redactor_for(make_plan([unit("u", [case("u", 0, "hi")])], replies=[reply("x")]), None)
    assert redact("a tok-1234567890 b") == "a *** b"
    assert for_terminal("a tok-1234567890 b") == "a *** b"


@pytest.mark.requirement("console:foreign-text")
def test_console_segments_pass_the_rule_whatever_the_renderable() -> None:
    buf = io.StringIO()
    console = make_console(file=buf, force_terminal=True, width=40, color_system="standard")
    table = Table("who", "said")
    table.add_row(Text("agent"), HOSTILE)  # a cell nobody sanitised
    console.print(table)
    console.print(Text("::" + "::warning::wrap " * 10, style="red"))  # wrapped at 40 columns
    console.print("a:", Text(":b"), sep="")  # a pair split across two segments
    plain = re.sub(r"\x1b\[[0-9;]*m", "", buf.getvalue())  # rich's own colours may stay
    assert "\x1b" not in plain and "\x07" not in plain and "\r" not in plain
    assert not _commands(plain) and "::" not in plain and "##" not in plain


@pytest.mark.requirement("console:no-guessed-wrap")
def test_a_console_that_is_not_a_terminal_never_wraps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    buf = io.StringIO()
    console = make_console(file=buf)
    long = " ".join(f"word{i}" for i in range(60))
    console.print(Text(long))
    table = Table("name", "value")
    table.add_row("x", long)
    console.print(table)
    lines = buf.getvalue().splitlines()
    assert lines[0] == long
    assert sum(long in line for line in lines[1:]) == 1


@pytest.mark.requirement("console:foreign-text")
def test_stop_commands_block_only_in_github_actions() -> None:
    lines: list[str] = []
    with github_commands_stopped(lines.append, {"GITHUB_ACTIONS": "true"}) as token:
        lines.append("inside")
    assert token and re.fullmatch(r"[0-9a-f]{32}", token)
    assert lines == [f"::stop-commands::{token}", "inside", f"::{token}::"]
    lines.clear()
    with (
        pytest.raises(RuntimeError),
        github_commands_stopped(lines.append, {"GITHUB_ACTIONS": "true"}),
    ):
        raise RuntimeError
    assert lines[-1].endswith("::") and len(lines) == 2  # resumed even when the block fails
    lines.clear()
    with github_commands_stopped(lines.append, {}) as token:
        pass
    assert token is None and lines == []
