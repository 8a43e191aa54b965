"""Leaves over how the case ran: tokens, latency, errors, hallucinations, clarification, 429s."""

from __future__ import annotations

from ..plan.assertions import (
    MaxLatencyMs,
    MaxTokens,
    NoClarificationQuestions,
    NoErrorMessages,
    NoHallucinatedTools,
    NoRateLimitErrors,
)
from ..results import AssertionResult
from .context import EvalContext, result

__all__ = [
    "max_latency_ms",
    "max_tokens",
    "no_clarification_questions",
    "no_error_messages",
    "no_hallucinated_tools",
    "no_rate_limit_errors",
]


def max_tokens(node: MaxTokens, ctx: EvalContext) -> AssertionResult:
    """Tokens the agent used in this case (input + output, judge calls excluded) <= ``value``."""
    usage = ctx.transcript.usage
    used = usage.total
    details: dict[str, object] = {"actual": used, "max": node.value}
    if usage.estimated:
        details["estimated"] = True
    return result(
        node.type,
        used <= node.value,
        f"Tokens used: {used} (max: {node.value})",
        expected=node.value,
        actual=used,
        details=details,
        span=node.span,
    )


def max_latency_ms(node: MaxLatencyMs, ctx: EvalContext) -> AssertionResult:
    """The agent loop's wall time, in whole milliseconds (truncated as Go's), <= ``value``."""
    latency = int(ctx.transcript.latency_ms)
    return result(
        node.type,
        latency <= node.value,
        f"Latency: {latency}ms (max: {node.value}ms)",
        expected=node.value,
        actual=latency,
        details={"actual": latency, "max": node.value},
        span=node.span,
    )


def no_error_messages(node: NoErrorMessages, ctx: EvalContext) -> AssertionResult:
    """The case recorded no errors (tool failures, max iterations, clarification at warning+)."""
    errors = list(ctx.transcript.errors)
    if errors:
        msg = f"{len(errors)} error message(s); first: {errors[0]}"
    else:
        msg = "No error messages"
    return result(
        node.type,
        not errors,
        msg,
        expected=[],
        actual=errors,
        details={"errors": errors},
        span=node.span,
    )


def no_hallucinated_tools(node: NoHallucinatedTools, ctx: EvalContext) -> AssertionResult:
    """Every called tool is among the agent's tools (agent-level allowed_tools, not narrowed)."""
    available = set(ctx.transcript.available_tools)
    bad: list[str] = []
    for call in ctx.transcript.tool_calls:
        if (call.hallucinated or call.name not in available) and call.name not in bad:
            bad.append(call.name)
    if bad:
        msg = "Has hallucinated tool(s): " + ", ".join(bad)
    else:
        msg = "No hallucinated tools"
    return result(
        node.type,
        not bad,
        msg,
        expected=sorted(available),
        actual=bad,
        details={"hallucinated": bad},
        span=node.span,
    )


def no_clarification_questions(node: NoClarificationQuestions, ctx: EvalContext) -> AssertionResult:
    """No final answer asked for clarification; passes with a warning when detection is off."""
    stats = ctx.transcript.clarification
    if not (ctx.clarification_enabled or stats.enabled):
        return result(
            node.type,
            True,
            "Warning: clarification_detection not enabled on agent - assertion skipped",
            details={
                "warning": "Enable clarification_detection on the agent for this assertion to work"
            },
            span=node.span,
        )
    details = {
        "count": stats.count,
        "iterations": list(stats.iterations),
        "examples": list(stats.examples),
    }
    if stats.count > 0:
        return result(
            node.type,
            False,
            f"Agent asked for clarification {stats.count} time(s)",
            expected=0,
            actual=stats.count,
            details=details,
            span=node.span,
        )
    return result(
        node.type,
        True,
        "No clarification questions detected",
        expected=0,
        actual=0,
        details=details,
        span=node.span,
    )


def no_rate_limit_errors(node: NoRateLimitErrors, ctx: EvalContext) -> AssertionResult:
    """No HTTP 429 was received during this case (not the provider's whole run: trap 10)."""
    stats = ctx.transcript.rate_limits
    seen = sum(1 for e in ctx.transcript.events if e.kind == "rate_limited")
    hits = max(stats.rate_limit_hits, seen)
    details = {
        "rate_limit_hits": hits,
        "retry_count": stats.retry_count,
        "retry_wait_time_ms": stats.retry_wait_ms,
        "retry_success": stats.retry_success_count,
    }
    if hits:
        return result(
            node.type,
            False,
            f"Received {hits} rate limit error(s) (HTTP 429)",
            expected=0,
            actual=hits,
            details=details,
            span=node.span,
        )
    return result(
        node.type,
        True,
        "No rate limit errors (HTTP 429)",
        expected=0,
        actual=0,
        details=details,
        span=node.span,
    )
