"""The assertion tree on a transcript: dispatch every leaf, combine all_of / any_of / not.

Combinator results use agent-benchmark's type names (``allOf``, ``anyOf``, ``not``), keep their
children in ``children`` and count them in ``details`` (``passed_count`` / ``failed_count``).
Nesting is limited as in agent-benchmark: a combinator at depth 10 or more (top level is 0)
fails with a depth message, and that failure propagates up through every enclosing
combinator, ``not`` included, so a too-deep tree can never pass by inversion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..plan import Assertion
from ..plan import assertions as nodes
from ..results import AssertionResult
from . import answer_checks, cli_checks, llm_judge, output_checks, run_checks, tool_checks
from .context import EvalContext, NotEvaluable, result

__all__ = ["MAX_DEPTH", "evaluate"]

MAX_DEPTH = 10
"""A combinator at this depth or deeper fails (agent-benchmark's maxCombinatorDepth)."""

_DEPTH_MESSAGE = f"Maximum combinator nesting depth ({MAX_DEPTH}) exceeded"

_Leaf = Callable[[Any, EvalContext], AssertionResult]

_LEAVES: dict[type, _Leaf] = {
    nodes.ToolCalled: tool_checks.tool_called,
    nodes.ToolNotCalled: tool_checks.tool_not_called,
    nodes.ToolCallCount: tool_checks.tool_call_count,
    nodes.ToolCallOrder: tool_checks.tool_call_order,
    nodes.ToolParamEquals: tool_checks.tool_param_equals,
    nodes.ToolParamMatchesRegex: tool_checks.tool_param_matches_regex,
    nodes.ToolResultMatchesJson: tool_checks.tool_result_matches_json,
    nodes.OutputContains: output_checks.output_contains,
    nodes.OutputNotContains: output_checks.output_not_contains,
    nodes.OutputRegex: output_checks.output_regex,
    nodes.OutputJsonValid: output_checks.output_json_valid,
    nodes.OutputMatchesJson: output_checks.output_matches_json,
    nodes.FileCreated: output_checks.file_created,
    nodes.MaxTokens: run_checks.max_tokens,
    nodes.MaxLatencyMs: run_checks.max_latency_ms,
    nodes.NoErrorMessages: run_checks.no_error_messages,
    nodes.NoHallucinatedTools: run_checks.no_hallucinated_tools,
    nodes.NoClarificationQuestions: run_checks.no_clarification_questions,
    nodes.NoRateLimitErrors: run_checks.no_rate_limit_errors,
    nodes.CliExitCodeEquals: cli_checks.cli_exit_code_equals,
    nodes.CliStdoutContains: cli_checks.cli_stdout_contains,
    nodes.CliStdoutRegex: cli_checks.cli_stdout_regex,
    nodes.CliStderrContains: cli_checks.cli_stderr_contains,
    nodes.ExactMatch: answer_checks.exact_match,
    nodes.F1Score: answer_checks.f1,
    nodes.RegexEvaluator: answer_checks.regex,
    nodes.MultipleChoice: answer_checks.multiple_choice,
    nodes.JsonMatch: answer_checks.json_match,
    nodes.LlmJudge: llm_judge.llm_judge,
}


def evaluate(assertions: Sequence[Assertion], ctx: EvalContext) -> list[AssertionResult]:
    """Evaluate each top-level assertion on the case's transcript, in order."""
    return [_evaluate(node, ctx, 0) for node in assertions]


def _evaluate(node: Assertion, ctx: EvalContext, depth: int) -> AssertionResult:
    if isinstance(node, nodes.AllOf):
        return _all_of(node, ctx, depth)
    if isinstance(node, nodes.AnyOf):
        return _any_of(node, ctx, depth)
    if isinstance(node, nodes.Not):
        return _not(node, ctx, depth)
    return _leaf(node, ctx)


def _leaf(node: Any, ctx: EvalContext) -> AssertionResult:
    evaluator = _LEAVES.get(type(node))
    if evaluator is None:
        kind = getattr(node, "type", type(node).__name__)
        return result(kind, False, f"Unknown assertion type: {kind}", span=node.span)
    try:
        return evaluator(node, ctx)
    except NotEvaluable as exc:
        return result(
            node.type,
            False,
            f"Cannot evaluate: {exc}",
            details={"not_evaluable": True},
            span=node.span,
        )
    except Exception as exc:  # a bug in one leaf must not lose the case's other results
        return result(
            node.type,
            False,
            f"Internal error while evaluating: {type(exc).__name__}: {exc}",
            details={"internal_error": True},
            span=node.span,
        )


def _too_deep(kind: str, node: Any) -> AssertionResult:
    return result(
        kind,
        False,
        _DEPTH_MESSAGE,
        details={"depth_exceeded": True, "max_depth": MAX_DEPTH},
        span=node.span,
    )


def _propagated(kind: str, node: Any, children: list[AssertionResult]) -> AssertionResult | None:
    """The depth failure of a child, lifted to this combinator (None when there is none)."""
    if any(child.details.get("depth_exceeded") for child in children):
        return AssertionResult(
            type=kind,
            passed=False,
            message=_DEPTH_MESSAGE,
            details={"depth_exceeded": True, "max_depth": MAX_DEPTH},
            children=children,
            span=node.span,
        )
    return None


def _counts(children: list[AssertionResult]) -> tuple[int, int]:
    passed = sum(1 for child in children if child.passed)
    return passed, len(children) - passed


def _all_of(node: nodes.AllOf, ctx: EvalContext, depth: int) -> AssertionResult:
    if depth >= MAX_DEPTH:
        return _too_deep("allOf", node)
    if not node.children:
        return result("allOf", False, "allOf requires at least one child assertion", span=node.span)
    children = [_evaluate(child, ctx, depth + 1) for child in node.children]
    lifted = _propagated("allOf", node, children)
    if lifted is not None:
        return lifted
    passed_count, failed_count = _counts(children)
    passed = failed_count == 0
    if passed:
        message = f"allOf passed: all {len(children)} assertions passed"
    else:
        message = f"allOf failed: {failed_count} of {len(children)} assertions failed"
    return AssertionResult(
        type="allOf",
        passed=passed,
        message=message,
        expected=f"all {len(children)} pass",
        actual=f"{passed_count} passed",
        details={"passed_count": passed_count, "failed_count": failed_count},
        children=children,
        span=node.span,
    )


def _any_of(node: nodes.AnyOf, ctx: EvalContext, depth: int) -> AssertionResult:
    if depth >= MAX_DEPTH:
        return _too_deep("anyOf", node)
    if not node.children:
        return result("anyOf", False, "anyOf requires at least one child assertion", span=node.span)
    children = [_evaluate(child, ctx, depth + 1) for child in node.children]
    lifted = _propagated("anyOf", node, children)
    if lifted is not None:
        return lifted
    passed_count, failed_count = _counts(children)
    passed = passed_count > 0
    if passed:
        message = f"anyOf passed: {passed_count} of {len(children)} assertions passed"
    else:
        message = f"anyOf failed: none of {len(children)} assertions passed"
    return AssertionResult(
        type="anyOf",
        passed=passed,
        message=message,
        expected=f"at least 1 of {len(children)} pass",
        actual=f"{passed_count} passed",
        details={"passed_count": passed_count, "failed_count": failed_count},
        children=children,
        span=node.span,
    )


def _not(node: nodes.Not, ctx: EvalContext, depth: int) -> AssertionResult:
    if depth >= MAX_DEPTH:
        return _too_deep("not", node)
    child = _evaluate(node.child, ctx, depth + 1)
    lifted = _propagated("not", node, [child])
    if lifted is not None:
        return lifted
    passed = not child.passed
    if passed:
        message = f"not passed: child assertion failed as expected ({child.message})"
    else:
        message = f"not failed: child assertion passed unexpectedly ({child.message})"
    return AssertionResult(
        type="not",
        passed=passed,
        message=message,
        expected="child fails",
        actual="child failed" if not child.passed else "child passed",
        details={"passed_count": int(child.passed), "failed_count": int(not child.passed)},
        children=[child],
        span=node.span,
    )
