"""Scenario constructs of the plan: injected tool results, turn expectations, steering events.

A scenario (docs/scenarios.md) is a set of sessions whose tests are the turns of a
multi-turn conversation. Its tools are served by an ``InjectedServer`` (no process: canned
results from the table below); each turn may carry expectations the scores are computed
against and a steering event (a new instruction arriving before the turn's prompt).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import Frozen

__all__ = [
    "CannedResult",
    "ExpectedFormat",
    "ExpectedToolCall",
    "InjectedTool",
    "Steer",
    "TurnExpect",
]


class InjectedTool(Frozen):
    """One tool an injected server declares to the model."""

    name: str
    description: str = ""
    input_schema: dict[str, Any] = {}
    """JSON schema of the arguments (an object schema)."""


class CannedResult(Frozen):
    """One row of an injected server's table: what a call is answered with."""

    tool: str | None = None
    """The tool it answers (None: any tool of the server)."""
    turn: int | None = None
    """The 1-based position of the test in its session it answers in (None: every turn)."""
    session: str | None = None
    """The session it answers in (None: every session)."""
    content: str
    """The tool result text the model receives."""
    is_error: bool = False
    """Answer as a tool error (``isError``)."""


class ExpectedToolCall(Frozen):
    """A tool call a turn should make: the tool and the arguments that must be in it."""

    name: str
    arguments: dict[str, Any] = {}
    """Each must be present; a string matches when the actual value contains it
    (case-insensitive), anything else when equal."""


class ExpectedFormat(Frozen):
    """The format the turn's final answer must have."""

    type: Literal["json", "key_value"]
    """``json``: a JSON document (a fenced block is unwrapped); ``key_value``: ``KEY: value``
    lines."""
    required: tuple[str, ...] = ()
    """Keys (or top-level JSON fields) the answer must have."""


class TurnExpect(Frozen):
    """What a scenario turn is scored against (all optional)."""

    tool_calls_min: int | None = None
    """At least this many tool calls."""
    tool_name_any: tuple[str, ...] = ()
    """At least one call to one of these tools (with arguments valid for its schema)."""
    tool_calls: tuple[ExpectedToolCall, ...] = ()
    """Calls that must each be made, with these arguments."""
    keywords: tuple[str, ...] = ()
    """Words the answer or the tool arguments should mention (case-insensitive)."""
    format: ExpectedFormat | None = None
    """Format the final answer must have."""


class Steer(Frozen):
    """A steering event or nudge: a new instruction the turn must act on."""

    kind: Literal["steering", "nudge"] = "steering"
    message: str | None = None
    """Delivered as a user message just before the turn's prompt (None: the prompt itself is
    the event, as in PawBench's format)."""
    keywords: tuple[str, ...] = Field(min_length=1)
    """The turn acted on the event when its answer or tool arguments mention any of these."""
