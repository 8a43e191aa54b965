"""Scenario constructs as users write them: injected tools, turn expectations, steering."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .base import SuiteModel
from .scalars import Text

__all__ = [
    "CannedResultDef",
    "ExpectDef",
    "ExpectedFormatDef",
    "ExpectedToolCallDef",
    "InjectedToolDef",
    "SteerDef",
]


class InjectedToolDef(SuiteModel):
    """A tool an ``injected`` server declares (bench extension, docs/scenarios.md)."""

    name: Text
    """Tool name the model calls."""
    description: Text | None = None
    """What the tool does, as the model reads it."""
    parameters: dict[str, Any] | None = None
    """JSON schema of the arguments (default: an object with no declared properties)."""


class CannedResultDef(SuiteModel):
    """One row of an ``injected`` server's table of results."""

    tool: Text | None = None
    """The tool it answers (default: any tool of the server)."""
    turn: Annotated[int, Field(ge=1)] | None = None
    """The 1-based position of the test in its session it answers in (default: every turn)."""
    session: Text | None = None
    """The session it answers in (default: every session)."""
    content: Any
    """The result the model receives: text, or any YAML value (sent as its JSON text)."""
    is_error: bool = False
    """Answer as a tool error."""


class ExpectedToolCallDef(SuiteModel):
    """A tool call the turn should make."""

    name: Text
    """Tool name."""
    arguments: dict[str, Any] = {}
    """Arguments that must be present: a string matches when the actual value contains it
    (case-insensitive), any other value when equal."""


class ExpectedFormatDef(SuiteModel):
    """The format the turn's final answer must have."""

    type: Literal["json", "key_value"]
    """json (a JSON document; a fenced block is unwrapped) or key_value (``KEY: value`` lines)."""
    required: list[Text] = []
    """Keys (top-level JSON fields) the answer must have."""


class ExpectDef(SuiteModel):
    """What a scenario turn is scored against (docs/scenarios.md)."""

    tool_calls_min: Annotated[int, Field(ge=0)] | None = None
    """At least this many tool calls."""
    tool_name_any: list[Text] = []
    """At least one call to one of these tools, with arguments valid for its schema."""
    tool_calls: list[ExpectedToolCallDef] = []
    """Calls that must each be made, with these arguments (tool-call accuracy)."""
    keywords: list[Text] = []
    """Words the answer or the tool arguments should mention (keyword coverage)."""
    format: ExpectedFormatDef | None = None
    """Format the final answer must have (format compliance)."""


class SteerDef(SuiteModel):
    """A steering event or nudge delivered at this turn (docs/scenarios.md)."""

    kind: Literal["steering", "nudge"] = "steering"
    """steering (a new instruction mid-task) or nudge (a hint from another agent)."""
    message: Text | None = None
    """Sent as a user message just before the test's prompt (default: the prompt is the event)."""
    keywords: Annotated[list[Text], Field(min_length=1)]
    """The turn acted on the event when its answer or tool arguments mention any of these."""
