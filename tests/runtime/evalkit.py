"""Small builders for evaluation tests: transcripts, tool calls and assertion nodes from dicts."""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from runtime.evaluate import EvalContext, evaluate
from runtime.plan import Assertion
from runtime.results import AssertionResult
from runtime.transcript import ToolCall, ToolResult, Transcript

_ASSERTION: TypeAdapter[Any] = TypeAdapter(Assertion)


def node(data: dict[str, Any]) -> Any:
    """A plan assertion node from its plan JSON form."""
    return _ASSERTION.validate_python(data)


def call(
    name: str,
    args: dict[str, Any] | None = None,
    *,
    result: Any = None,
    text: str | None = None,
    content: list[dict[str, Any]] | None = None,
    structured: Any = None,
    error: str | None = None,
    hallucinated: bool = False,
) -> ToolCall:
    """A recorded tool call; ``result`` is JSON-encoded into a text block, ``text`` used as is."""
    tool_result: ToolResult | None
    if error is not None:
        tool_result = None
    elif content is not None:
        tool_result = ToolResult(content=content, structured=structured)
    elif text is not None:
        tool_result = ToolResult(content=[{"type": "text", "text": text}], structured=structured)
    elif result is not None:
        tool_result = ToolResult(content=[{"type": "text", "text": json.dumps(result)}])
    else:
        tool_result = ToolResult(content=[], structured=structured)
    return ToolCall(
        id=f"call-{name}",
        name=name,
        arguments=args or {},
        result=tool_result,
        error=error,
        hallucinated=hallucinated,
    )


def transcript(calls: list[ToolCall] | None = None, output: str = "", **fields: Any) -> Transcript:
    """A transcript with these calls and final output."""
    return Transcript(tool_calls=calls or [], final_output=output, **fields)


def check(
    data: dict[str, Any],
    tr: Transcript,
    *,
    variables: dict[str, str] | None = None,
    clarification: bool = False,
    work_dir: str | None = None,
) -> AssertionResult:
    """Evaluate one assertion (given as plan JSON) on a transcript."""
    ctx = EvalContext(
        transcript=tr,
        variables=variables or {},
        clarification_enabled=clarification,
        work_dir=work_dir,
    )
    [res] = evaluate([node(data)], ctx)
    return res
