"""What an assertion sees (EvalContext) and the helpers every leaf shares."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..plan import RuntimeTemplate, Span
from ..results import AssertionResult
from ..templating import TemplateRenderError, render
from ..transcript import ToolCall, Transcript

__all__ = [
    "EvalContext",
    "JudgeVerdict",
    "NotEvaluable",
    "call_json",
    "call_text",
    "result",
    "value_of",
]


@dataclass(frozen=True)
class JudgeVerdict:
    """What an llm_judge's judge said (computed before evaluation, which is synchronous)."""

    provider: str
    model: str
    passed: bool | None = None
    """The PASS/FAIL line; None when the reply had none."""
    score: float | None = None
    """The SCORE line, in 0..1; None when the reply had none."""
    reason: str = ""
    """The reply without its verdict and score lines (clipped)."""
    reply: str = ""
    """The judge's reply as received (clipped)."""
    error: str | None = None
    """Why there is no reply (provider failure, rubric that did not render)."""
    cached: bool = False
    """Answered from the run's judge cache: no call was made, nothing was paid."""


@dataclass(frozen=True)
class EvalContext:
    """Everything an assertion may read: the case's transcript and its session state."""

    transcript: Transcript
    variables: Mapping[str, str] = field(default_factory=dict)
    """Session variables, extracted ones included, for RuntimeTemplate values."""
    clarification_enabled: bool = False
    """Whether the agent had clarification detection on (no_clarification_questions)."""
    work_dir: str | None = None
    """Base for relative file_created paths (the process's working directory when None)."""
    expected: str | None = None
    """The case's reference answer (dataset cases), for evaluators without their own."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """The case's metadata (dataset cases); multiple_choice reads ``choices`` from it."""
    judgements: Mapping[int, JudgeVerdict] = field(default_factory=dict)
    """llm_judge verdicts keyed by ``id(node)`` (runtime.judging computes them beforehand)."""


class NotEvaluable(Exception):
    """A leaf cannot be decided (unbound variable, missing data); it fails with this message."""


def value_of(value: str | RuntimeTemplate, ctx: EvalContext) -> str:
    """A plain string as is; a run-time template rendered with the session's variables."""
    return bound_value(value, ctx.variables)


def bound_value(value: str | RuntimeTemplate, variables: Mapping[str, str]) -> str:
    """``value_of`` over bare variables; NotEvaluable when one is unbound or rendering fails."""
    if isinstance(value, str):
        return value
    missing = [name for name in value.variables if name not in variables]
    if missing:
        names = ", ".join(repr(n) for n in missing)
        raise NotEvaluable(
            f"variable {names} is not bound: its extractor in an earlier test matched nothing"
        )
    try:
        return render(value.source, variables)
    except TemplateRenderError as exc:
        raise NotEvaluable(str(exc)) from exc


def call_text(call: ToolCall) -> str | None:
    """The first text block of a call's result; None when the call produced no text."""
    return call.result.first_text() if call.result is not None else None


def call_json(call: ToolCall) -> tuple[Any, str | None]:
    """A call's result as JSON: (data, None), or (None, why it is not JSON).

    agent-benchmark parses ``content[0].text``; we take the first text block and fall back to
    ``structuredContent`` when there is no text at all, so an empty result is a clean mismatch
    and never a crash (semantics §10 trap 12).
    """
    if call.result is None:
        reason = f"call failed: {call.error}" if call.error else "call returned no result"
        return None, reason
    text = call_text(call)
    if text is None:
        if call.result.structured is not None:
            return call.result.structured, None
        return None, "result has no text content"
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, f"result is not JSON ({exc.args[0] if exc.args else exc})"


def result(
    kind: str,
    passed: bool,
    message: str,
    *,
    expected: Any = None,
    actual: Any = None,
    details: dict[str, Any] | None = None,
    span: Span | None = None,
) -> AssertionResult:
    """Build an AssertionResult (a short constructor keeps every leaf readable)."""
    return AssertionResult(
        type=kind,
        passed=passed,
        message=message,
        expected=expected,
        actual=actual,
        details=details or {},
        span=span,
    )
