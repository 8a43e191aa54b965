"""Leaves over the tool calls: called / not called / count / order / params / JSON results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import jsonpath
from ..plan.assertions import (
    ToolCallCount,
    ToolCalled,
    ToolCallOrder,
    ToolNotCalled,
    ToolParamEquals,
    ToolParamMatchesRegex,
    ToolResultMatchesJson,
)
from ..regex import RegexError, compile_go
from ..results import AssertionResult
from ..transcript import ToolCall
from .context import EvalContext, call_json, result, value_of
from .normalize import go_format, normalize

__all__ = [
    "lookup_param",
    "tool_call_count",
    "tool_call_order",
    "tool_called",
    "tool_not_called",
    "tool_param_equals",
    "tool_param_matches_regex",
    "tool_result_matches_json",
]

_MISSING = object()


def _calls(ctx: EvalContext, tool: str) -> list[ToolCall]:
    return [c for c in ctx.transcript.tool_calls if c.name == tool]


def lookup_param(arguments: dict[str, Any], key: str) -> Any:
    """A call argument by key: the literal key first, then a dot path through nested objects.

    agent-benchmark only walks dot paths, so a flat argument literally named ``a.b`` can never
    match there; trying the literal key first keeps every path it resolves and fixes that.
    Arrays are not indexed (as in agent-benchmark). Returns ``_MISSING`` when absent.
    """
    if key in arguments:
        return arguments[key]
    current: Any = arguments
    for part in key.split("."):
        if not isinstance(current, dict) or part not in current:
            return _MISSING
        current = current[part]
    return current


def tool_called(node: ToolCalled, ctx: EvalContext) -> AssertionResult:
    """Pass if any call has exactly that name."""
    calls = _calls(ctx, node.tool)
    names = [c.name for c in ctx.transcript.tool_calls]
    if calls:
        msg = f"Tool '{node.tool}' was called"
    else:
        msg = f"Tool '{node.tool}' was NOT called"
    return result(
        node.type,
        bool(calls),
        msg,
        expected=node.tool,
        actual=names,
        details={"calls": len(calls)},
        span=node.span,
    )


def tool_not_called(node: ToolNotCalled, ctx: EvalContext) -> AssertionResult:
    """Pass if no call has that name."""
    calls = _calls(ctx, node.tool)
    if calls:
        msg = f"Tool '{node.tool}' was called but should not have been ({len(calls)} call(s))"
    else:
        msg = f"Tool '{node.tool}' was not called (as expected)"
    return result(
        node.type,
        not calls,
        msg,
        expected=f"no call of {node.tool}",
        actual=[c.name for c in ctx.transcript.tool_calls],
        details={"calls": len(calls)},
        span=node.span,
    )


def tool_call_count(node: ToolCallCount, ctx: EvalContext) -> AssertionResult:
    """Calls of ``tool`` (all calls when None) must equal ``count`` exactly."""
    calls = ctx.transcript.tool_calls if node.tool is None else _calls(ctx, node.tool)
    count = len(calls)
    label = "All tools" if node.tool is None else f"Tool '{node.tool}'"
    return result(
        node.type,
        count == node.count,
        f"{label} called {count} times (expected {node.count})",
        expected=node.count,
        actual=count,
        details={"actual": count, "expected": node.count},
        span=node.span,
    )


def tool_call_order(node: ToolCallOrder, ctx: EvalContext) -> AssertionResult:
    """``sequence`` must be an in-order subsequence of the calls (greedy; extras allowed)."""
    names = [c.name for c in ctx.transcript.tool_calls]
    expected = list(node.sequence)
    if not expected:
        return result(
            node.type, False, "No sequence specified", expected=[], actual=names, span=node.span
        )
    matched = 0
    for name in names:
        if matched < len(expected) and name == expected[matched]:
            matched += 1
    passed = matched == len(expected)
    shown = "[" + " ".join(expected) + "]"
    if passed:
        msg = f"Tools called in correct order: {shown}"
    else:
        msg = (
            f"Tool order mismatch: expected {shown}, matched {matched}/{len(expected)}"
            f" (next expected '{expected[matched]}')"
        )
    return result(
        node.type,
        passed,
        msg,
        expected=expected,
        actual=names,
        details={"matched": matched, "total": len(expected)},
        span=node.span,
    )


def _best(per_call: list[tuple[ToolCall, list[str]]]) -> ToolCall:
    """The call with the fewest mismatches (the first on ties): the one a reader compares."""
    return min(per_call, key=lambda item: len(item[1]))[0]


def tool_param_equals(node: ToolParamEquals, ctx: EvalContext) -> AssertionResult:
    """Some single call of ``tool`` matches every listed param after normalisation."""

    def mismatch(key: str, want: Any, got: Any) -> str | None:
        text = normalize(got)
        return None if text == want else f"param '{key}': expected {want}, got {text}"

    expected = {key: value_of(value, ctx) for key, value in node.params.items()}
    return _some_call_matches(
        node,
        ctx,
        expected,
        mismatch,
        passed=f"Tool '{node.tool}' called with correct parameters",
        failed=f"Tool '{node.tool}' called with incorrect parameters: ",
    )


def tool_param_matches_regex(node: ToolParamMatchesRegex, ctx: EvalContext) -> AssertionResult:
    """Some single call of ``tool`` has every listed param matching its regex (search)."""

    def mismatch(key: str, pattern: Any, got: Any) -> str | None:
        try:
            regex = compile_go(pattern)
        except RegexError as exc:
            return f"param '{key}': invalid regex pattern '{pattern}': {exc}"
        text = go_format(got)
        if regex.search(text) is not None:
            return None
        return f"param '{key}': value '{text}' does not match regex '{pattern}'"

    return _some_call_matches(
        node,
        ctx,
        dict(node.params),
        mismatch,
        passed=f"Tool '{node.tool}' called with parameters matching regex patterns",
        failed=f"Tool '{node.tool}' called with parameters not matching regex: ",
    )


def _not_called(
    node: ToolParamEquals | ToolParamMatchesRegex | ToolResultMatchesJson, expected: Any
) -> AssertionResult:
    """The failure of a leaf that reads a call of ``node.tool`` when there was none."""
    return result(
        node.type, False, f"Tool '{node.tool}' was not called", expected=expected, span=node.span
    )


def _some_call_matches(
    node: ToolParamEquals | ToolParamMatchesRegex,
    ctx: EvalContext,
    expected: dict[str, Any],
    mismatch: Callable[[str, Any, Any], str | None],
    *,
    passed: str,
    failed: str,
) -> AssertionResult:
    """Pass when one call of ``node.tool`` has every expected param (``mismatch`` says None).

    A failure lists every call's mismatches after ``failed`` and shows the closest call.
    """
    calls = _calls(ctx, node.tool)
    if not calls:
        return _not_called(node, expected)
    per_call: list[tuple[ToolCall, list[str]]] = []
    for call in calls:
        mismatches: list[str] = []
        for key, want in expected.items():
            got = lookup_param(call.arguments, key)
            problem = f"missing param '{key}'" if got is _MISSING else mismatch(key, want, got)
            if problem is not None:
                mismatches.append(problem)
        if not mismatches:
            return result(
                node.type,
                True,
                passed,
                expected=expected,
                actual=call.arguments,
                details={"calls": len(calls)},
                span=node.span,
            )
        per_call.append((call, mismatches))
    return result(
        node.type,
        False,
        failed + "; ".join(m for _, ms in per_call for m in ms),
        expected=expected,
        actual=_best(per_call).arguments,
        details={"calls": len(calls), "mismatches": [ms for _, ms in per_call]},
        span=node.span,
    )


def tool_result_matches_json(node: ToolResultMatchesJson, ctx: EvalContext) -> AssertionResult:
    """For some call of ``tool``, JSONPath ``path`` over its JSON result normalises to ``value``."""
    want = value_of(node.value, ctx)
    calls = _calls(ctx, node.tool)
    if not calls:
        return _not_called(node, want)
    try:
        path = jsonpath.compile_path(node.path)
    except ValueError as exc:
        return result(node.type, False, str(exc), expected=want, span=node.span)
    mismatches: list[str] = []
    seen: list[str] = []
    for index, call in enumerate(calls, start=1):
        data, problem = call_json(call)
        if problem is not None:
            mismatches.append(f"call {index}: {problem}")
            continue
        found = jsonpath.find_value(path, data)
        if found is jsonpath.NO_MATCH:
            mismatches.append(f"call {index}: JSONPath '{node.path}' matched nothing")
            continue
        got = normalize(found)
        if got == want:
            return result(
                node.type,
                True,
                f"Tool '{node.tool}' result at '{node.path}' equals '{want}'",
                expected=want,
                actual=got,
                details={"calls": len(calls), "call": index},
                span=node.span,
            )
        seen.append(got)
        mismatches.append(f"call {index}: '{node.path}' is '{got}'")
    return result(
        node.type,
        False,
        f"Tool '{node.tool}' result did not match in any call: " + "; ".join(mismatches),
        expected=want,
        actual=seen[0] if len(seen) == 1 else (seen or None),
        details={"calls": len(calls), "mismatches": mismatches},
        span=node.span,
    )
