"""Leaves over a ``cli`` server's tool result: exit code, stdout, stderr.

A cli tool answers with a JSON object ``{"exit_code": n, "stdout": "...", "stderr": "..."}`` as
its text. agent-benchmark picks the FIRST call whose name equals ``tool`` or ends in
``_execute`` and whose text parses as a JSON object. bench picks the first such call named
exactly ``tool``, and only when there is none falls back to the first other ``*_execute`` call:
the same call whenever the suite names its tool, and no surprise from a second cli server.
A call counts only when its text decodes as Go decodes it into ``CLIResult`` (an integer
``exit_code``, string ``stdout``/``stderr``); a result without ``exit_code`` fails
``cli_exit_code_equals`` rather than reading as 0 (docs/compatibility.md).
"""

from __future__ import annotations

from typing import Any, Literal

from ..plan.assertions import (
    CliExitCodeEquals,
    CliStderrContains,
    CliStdoutContains,
    CliStdoutRegex,
)
from ..results import AssertionResult
from ..transcript import ToolCall
from .context import EvalContext, call_json, result, value_of
from .output_checks import regex_result

__all__ = [
    "cli_exit_code_equals",
    "cli_stderr_contains",
    "cli_stdout_contains",
    "cli_stdout_regex",
    "select_cli_call",
]

_PREVIEW = 200


def select_cli_call(ctx: EvalContext, tool: str) -> tuple[ToolCall, dict[str, Any]] | None:
    """The cli call an assertion reads, with its parsed JSON object (None when there is none)."""
    fallback: tuple[ToolCall, dict[str, Any]] | None = None
    for call in ctx.transcript.tool_calls:
        exact = call.name == tool
        if not exact and not call.name.endswith("_execute"):
            continue
        data, problem = call_json(call)
        if problem is not None or not _is_cli_result(data):
            continue
        if exact:
            return call, data
        if fallback is None:
            fallback = (call, data)
    return fallback


_INT64 = 2**63


def _is_cli_result(data: object) -> bool:
    """Whether Go's ``json.Unmarshal`` into agent-benchmark's ``CLIResult`` succeeds.

    A JSON object whose ``exit_code`` (when present and not null) is an integer in int64 range
    and whose ``stdout`` / ``stderr`` are strings; ``"0"``, ``2.0`` or ``true`` as the exit code
    is a type error there, and such a call is passed over for the next one.
    """
    if not isinstance(data, dict):
        return False
    code = data.get("exit_code")
    if code is not None and (
        isinstance(code, bool) or not isinstance(code, int) or not -_INT64 <= code < _INT64
    ):
        return False
    return all(data.get(key) is None or isinstance(data[key], str) for key in ("stdout", "stderr"))


def _not_found(kind: str, tool: str, expected: Any, node_span: Any) -> AssertionResult:
    return result(
        kind,
        False,
        f"No CLI call of '{tool}' (or any *_execute tool) with a JSON result was found",
        expected=expected,
        actual=None,
        span=node_span,
    )


def _stream(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def _stream_details(call: ToolCall, text: str, key: str) -> dict[str, Any]:
    return {
        "tool": call.name,
        f"{key}_len": len(text),
        f"{key}_preview": text[:_PREVIEW],
    }


def cli_exit_code_equals(node: CliExitCodeEquals, ctx: EvalContext) -> AssertionResult:
    """The selected cli call's ``exit_code`` equals ``value``."""
    picked = select_cli_call(ctx, node.tool)
    if picked is None:
        return _not_found(node.type, node.tool, node.value, node.span)
    call, data = picked
    code = data.get("exit_code")
    if code is None:
        # agent-benchmark reads a missing exit_code as 0 (Go's zero value), so any JSON object
        # "exited 0"; bench fails: a result without an exit code is not a command that ran.
        return result(
            node.type,
            False,
            f"CLI call '{call.name}' has no exit_code in its result",
            expected=node.value,
            actual=None,
            details={"tool": call.name},
            span=node.span,
        )
    passed = code == node.value
    return result(
        node.type,
        passed,
        f"Exit code: {code} (expected {node.value})",
        expected=node.value,
        actual=code,
        details={"tool": call.name, "actual": code, "expected": node.value},
        span=node.span,
    )


def cli_stdout_contains(node: CliStdoutContains, ctx: EvalContext) -> AssertionResult:
    """The selected cli call's stdout contains ``value`` (literal, case-sensitive)."""
    return _stream_contains(node, ctx, "stdout")


def cli_stdout_regex(node: CliStdoutRegex, ctx: EvalContext) -> AssertionResult:
    """The selected cli call's stdout matches ``pattern`` (search)."""
    picked = select_cli_call(ctx, node.tool)
    if picked is None:
        return _not_found(node.type, node.tool, node.pattern, node.span)
    call, data = picked
    stdout = _stream(data, "stdout")
    return regex_result(
        node.type,
        node.pattern,
        stdout,
        span=node.span,
        label="Stdout",
        shown=stdout[:_PREVIEW],
        details=_stream_details(call, stdout, "stdout"),
    )


def cli_stderr_contains(node: CliStderrContains, ctx: EvalContext) -> AssertionResult:
    """The selected cli call's stderr contains ``value`` (literal, case-sensitive)."""
    return _stream_contains(node, ctx, "stderr")


def _stream_contains(
    node: CliStdoutContains | CliStderrContains,
    ctx: EvalContext,
    name: Literal["stdout", "stderr"],
) -> AssertionResult:
    needle = value_of(node.value, ctx)
    picked = select_cli_call(ctx, node.tool)
    if picked is None:
        return _not_found(node.type, node.tool, needle, node.span)
    call, data = picked
    text = _stream(data, name)
    found = needle in text
    return result(
        node.type,
        found,
        f"{name.capitalize()} contains '{needle}': {'true' if found else 'false'}",
        expected=needle,
        actual=text[:_PREVIEW],
        details=_stream_details(call, text, name),
        span=node.span,
    )
