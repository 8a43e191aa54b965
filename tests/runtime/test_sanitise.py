"""runtime/sanitise.py's terminal rule, and bench/terminal.py's consoles that apply it to
every rendered segment."""

from __future__ import annotations

import io
import re

import pytest
from rich.table import Table
from rich.text import Text

from bench.terminal import make_console
from runtime import sanitise
from runtime.sanitise import (
    Redactor,
    github_commands_stopped,
    looks_secret,
    neutralise,
    set_run_redaction,
    terminal,
    terminal_lines,
)

HOSTILE = "::add-mask::x\n::error file=a::b\r\x1b[2J\x07\x9b\u2028\u202e ##[group]g ##vso[task]"


def _starts_command(text: str) -> list[str]:
    return [ln for ln in re.split(r"\r\n|\r|\n", text) if ln.lstrip().startswith("::")]


@pytest.mark.requirement("console:foreign-text")
def test_terminal_is_one_inert_line() -> None:
    out = terminal(HOSTILE)
    assert "\n" not in out and "\r" not in out and "\x1b" not in out and "\x07" not in out
    assert "::" not in out and "##" not in out
    assert "␛[2J" in out and "␇" in out and "\\x9b" in out and "\\u2028" in out
    assert "add-mask" in out and "⏎" in out  # still readable
    assert terminal("x" * 50, limit=10).startswith("x" * 10 + "…")


@pytest.mark.requirement("console:foreign-text")
def test_terminal_lines_keep_lines_but_none_starts_a_command() -> None:
    lines = terminal_lines("ok\n::add-mask::x\r\n  ::error::y")
    assert len(lines) == 3 and not _starts_command("\n".join(lines))
    assert neutralise(neutralise(HOSTILE)) == neutralise(HOSTILE)  # idempotent


@pytest.mark.requirement("console:foreign-text")
def test_secrets_by_name_and_by_registration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "tok-1234567890")
    monkeypatch.setenv("AUTHOR_NAME", "not a secret at all")
    monkeypatch.setattr(sanitise, "_run_redact", None)  # restored after the test
    set_run_redaction(Redactor(["plan-ref-value-42"]).redact)
    out = terminal("a tok-1234567890 b plan-ref-value-42 c not a secret at all")
    assert out == "a *** b *** c not a secret at all"
    assert looks_secret("GITHUB_TOKEN") and not looks_secret("AUTHOR")


@pytest.mark.requirement("console:foreign-text")
def test_console_segments_pass_the_rule_whatever_the_renderable() -> None:
    buf = io.StringIO()
    console = make_console(file=buf, force_terminal=True, width=40, color_system="standard")
    table = Table("who", "said")
    table.add_row(Text("agent"), HOSTILE)
    console.print(table)
    console.print(Text("::" + "::warning::wrap " * 10, style="red"))  # wrapped at 40 columns
    console.print("a:", Text(":b"), sep="")  # a pair split across two segments
    out = buf.getvalue()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)  # rich's own colours are allowed
    assert "\x1b" not in plain and "\x07" not in plain and "\r" not in plain
    assert not _starts_command(plain) and "::" not in plain


@pytest.mark.requirement("console:no-guessed-wrap")
def test_a_console_that_is_not_a_terminal_never_wraps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    buf = io.StringIO()
    console = make_console(file=buf)
    long = "word " * 100
    console.print(Text(long))
    table = Table("name", "value")
    table.add_row("x", long)
    console.print(table)
    lines = buf.getvalue().splitlines()
    assert lines[0] == long.rstrip() or lines[0] == long
    assert any(long.strip() in line for line in lines[1:])


def test_stop_commands_block_only_in_github_actions() -> None:
    buf = io.StringIO()
    with github_commands_stopped(buf, {"GITHUB_ACTIONS": "true"}) as token:
        buf.write("inside\n")
    assert token and buf.getvalue() == f"::stop-commands::{token}\ninside\n::{token}::\n"
    buf = io.StringIO()
    with pytest.raises(RuntimeError), github_commands_stopped(buf, {"GITHUB_ACTIONS": "true"}):
        raise RuntimeError
    assert buf.getvalue().endswith("::\n")  # resumed even when the block fails
    buf = io.StringIO()
    with github_commands_stopped(buf, {}) as token:
        pass
    assert token is None and buf.getvalue() == ""
