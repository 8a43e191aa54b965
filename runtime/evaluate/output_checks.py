"""Leaves over the final answer (and the file system): contains, regex, JSON, file_created.

Output assertions read ``Transcript.final_output``: the last assistant text only. agent-benchmark
also mixed tool responses and iteration markers into it, so ``output_not_contains: error`` could
trip on a tool's JSON (semantics §10 trap 7); bench does not.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .. import jsonpath
from ..plan import Span
from ..plan.assertions import (
    FileCreated,
    OutputContains,
    OutputJsonValid,
    OutputMatchesJson,
    OutputNotContains,
    OutputRegex,
)
from ..regex import RegexError, compile_go
from ..results import AssertionResult
from .context import EvalContext, result, value_of
from .normalize import normalize

__all__ = [
    "file_created",
    "output_contains",
    "output_json_valid",
    "output_matches_json",
    "output_not_contains",
    "output_regex",
    "not_json_result",
    "preview",
    "regex_result",
    "parse_output_json",
]

_PREVIEW = 200
_FENCE = re.compile(r"```[ \t]*(?:json[c5]?)?[ \t]*\r?\n(.*?)\r?\n?```", re.IGNORECASE | re.DOTALL)


def preview(text: str) -> str:
    """``text`` cut to 200 characters (with ``...``), as results show an output."""
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "..."


def regex_result(
    kind: str,
    pattern: str,
    text: str,
    *,
    span: Span | None,
    label: str = "Output",
    shown: str | None = None,
    details: dict[str, Any] | None = None,
    ignore_case: bool = False,
) -> AssertionResult:
    """Search ``text`` for ``pattern`` (Go's regexp, runtime/regex.py); an invalid pattern
    fails with the regex error.

    ``actual`` is the match, else ``shown`` (default: the text's preview).
    """
    try:
        regex = compile_go(pattern, ignore_case=ignore_case)
    except RegexError as exc:
        return result(kind, False, f"Invalid regex: {exc}", expected=pattern, span=span)
    found = regex.search(text)
    return result(
        kind,
        found is not None,
        f"{label} matches regex '{pattern}': {'true' if found is not None else 'false'}",
        expected=pattern,
        actual=found if found is not None else (preview(text) if shown is None else shown),
        details=details,
        span=span,
    )


def not_json_result(
    kind: str, problem: str, expected: Any, ctx: EvalContext, span: Span | None
) -> AssertionResult:
    """The failure of a JSON leaf whose output did not parse (``problem`` says why)."""
    return result(
        kind,
        False,
        f"Output is not valid JSON: {problem}",
        expected=expected,
        actual=preview(ctx.transcript.final_output),
        span=span,
    )


def parse_output_json(text: str) -> tuple[Any, str | None]:
    """The output as JSON: the whole text, else the first fenced code block that parses.

    Returns (data, None) or (None, why). Models often wrap JSON in a ```json fence; accepting
    it is deliberate, and the whole text is tried first so a fence inside a JSON string is fine.
    """
    stripped = text.strip()
    if not stripped:
        return None, "output is empty"
    try:
        return json.loads(stripped), None
    except ValueError as exc:
        first_error = exc.args[0] if exc.args else str(exc)
    for match in _FENCE.finditer(text):
        try:
            return json.loads(match.group(1)), None
        except ValueError:
            continue
    return None, f"output is not JSON ({first_error})"


def output_contains(node: OutputContains, ctx: EvalContext) -> AssertionResult:
    """The final output contains ``value`` (case-sensitive; an empty value always passes)."""
    needle = value_of(node.value, ctx)
    output = ctx.transcript.final_output
    found = needle in output
    return result(
        node.type,
        found,
        f"Output contains '{needle}': {'true' if found else 'false'}",
        expected=needle,
        actual=preview(output),
        span=node.span,
    )


def output_not_contains(node: OutputNotContains, ctx: EvalContext) -> AssertionResult:
    """The final output does not contain ``value`` (an empty value always fails)."""
    needle = value_of(node.value, ctx)
    output = ctx.transcript.final_output
    absent = needle not in output
    return result(
        node.type,
        absent,
        f"Output does not contain '{needle}': {'true' if absent else 'false'}",
        expected=f"no '{needle}'",
        actual=preview(output),
        span=node.span,
    )


def output_regex(node: OutputRegex, ctx: EvalContext) -> AssertionResult:
    """The final output matches ``pattern`` (search, not full match)."""
    return regex_result(node.type, node.pattern, ctx.transcript.final_output, span=node.span)


def output_json_valid(node: OutputJsonValid, ctx: EvalContext) -> AssertionResult:
    """The final output is JSON (whole, or in a fenced code block)."""
    data, problem = parse_output_json(ctx.transcript.final_output)
    if problem is not None:
        return not_json_result(node.type, problem, "valid JSON", ctx, node.span)
    kind = type(data).__name__ if data is not None else "null"
    return result(
        node.type,
        True,
        "Output is valid JSON",
        expected="valid JSON",
        actual=kind,
        details={"json_type": kind},
        span=node.span,
    )


def output_matches_json(node: OutputMatchesJson, ctx: EvalContext) -> AssertionResult:
    """JSONPath ``path`` over the output parsed as JSON normalises to ``value``."""
    want = value_of(node.value, ctx)
    data, problem = parse_output_json(ctx.transcript.final_output)
    if problem is not None:
        return not_json_result(node.type, problem, want, ctx, node.span)
    try:
        found = jsonpath.find_value(node.path, data)
    except ValueError as exc:
        return result(node.type, False, str(exc), expected=want, span=node.span)
    if found is jsonpath.NO_MATCH:
        return result(
            node.type,
            False,
            f"Output JSONPath '{node.path}' matched nothing",
            expected=want,
            actual=None,
            span=node.span,
        )
    got = normalize(found)
    passed = got == want
    verb = "equals" if passed else "does not equal"
    return result(
        node.type,
        passed,
        f"Output at '{node.path}' is '{got}', which {verb} '{want}'",
        expected=want,
        actual=got,
        span=node.span,
    )


def file_created(node: FileCreated, ctx: EvalContext) -> AssertionResult:
    """A file (or directory) exists at ``path``; relative paths start at the work dir."""
    raw = value_of(node.path, ctx)
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = (Path(ctx.work_dir) if ctx.work_dir is not None else Path.cwd()) / path
    exists = path.exists()
    return result(
        node.type,
        exists,
        f"File '{raw}' was created" if exists else f"File '{raw}' does not exist",
        expected=raw,
        actual=str(path) if exists else None,
        details={"resolved_path": str(path)},
        span=node.span,
    )
