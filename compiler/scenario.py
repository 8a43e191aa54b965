"""Lowering of the scenario constructs (docs/scenarios.md) into plan models.

``lower_injected`` turns an ``injected`` server entry into an ``InjectedServer`` (its tools'
schemas checked, its table's tool names resolved); ``lower_turn`` turns a test's ``expect``
and ``steer`` into the case's ``TurnExpect`` and ``Steer``. Every mistake is reported at its
own key with a fix, all of them at once.
"""

from __future__ import annotations

import json
from typing import Any

from runtime.plan import (
    CannedResult,
    ExpectedFormat,
    ExpectedToolCall,
    InjectedServer,
    InjectedTool,
    Steer,
    TurnExpect,
)

from .diagnostics import Diagnostics
from .includes import Located
from .suggest import did_you_mean
from .suite import ServerDef
from .suite.sessions import TestDef

__all__ = ["DEFAULT_RESULT", "lower_injected", "lower_turn", "result_text"]

DEFAULT_RESULT = '{"status": "ok"}'


def result_text(value: Any) -> str:
    """A canned result as the model reads it: text as is, anything else as its JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _schema_problem(schema: dict[str, Any]) -> str | None:
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        return str(exc.message)
    if schema.get("type", "object") != "object":
        return "the arguments schema must describe an object (type: object)"
    return None


def lower_injected(
    item: Located[ServerDef], common: dict[str, Any], diags: Diagnostics
) -> InjectedServer | None:
    """The plan spec of an ``injected`` server, or None when it has errors (reported)."""
    s = item.value
    ok = True
    if not s.tools:
        diags.add("missing-key", f"injected server '{s.name}' needs 'tools'", item.span("name"),
                  hint="declare the tools: tools: [{name: ..., parameters: {type: object, ...}}]")  # fmt: skip
        return None
    tools: list[InjectedTool] = []
    seen: set[str] = set()
    for i, t in enumerate(s.tools):
        if t.name in seen:
            diags.add(
                "duplicate-name",
                f"tool '{t.name}' is declared twice",
                item.span("tools", i, "name"),
            )
            ok = False
        seen.add(t.name)
        schema = t.parameters or {"type": "object", "properties": {}}
        problem = _schema_problem(schema)
        if problem is not None:
            diags.add("invalid-value", f"tool '{t.name}': invalid parameters schema: {problem}",
                      item.span("tools", i, "parameters"), hint="write a JSON schema of type object")  # fmt: skip
            ok = False
        tools.append(
            InjectedTool(name=t.name, description=t.description or "", input_schema=schema)
        )
    results: list[CannedResult] = []
    for i, r in enumerate(s.results or []):
        if r.tool is not None and r.tool not in seen:
            hint = did_you_mean(r.tool, seen) or "one of: " + ", ".join(sorted(seen))
            diags.add("unknown-reference", f"result for unknown tool '{r.tool}'",
                      item.span("results", i, "tool"), hint=hint)  # fmt: skip
            ok = False
        results.append(
            CannedResult(
                tool=r.tool,
                turn=r.turn,
                session=r.session,
                content=result_text(r.content),
                is_error=r.is_error,
            )  # fmt: skip
        )
    if not ok:
        return None
    default = DEFAULT_RESULT if s.default is None else result_text(s.default)
    return InjectedServer(tools=tuple(tools), results=tuple(results), default=default, **common)


def lower_turn(
    test: Located[TestDef], diags: Diagnostics
) -> tuple[TurnExpect | None, Steer | None]:
    """A test's scenario expectations and steering event (None where it has none)."""
    t = test.value
    expect: TurnExpect | None = None
    if t.expect is not None:
        e = t.expect
        fmt = None
        if e.format is not None:
            fmt = ExpectedFormat(type=e.format.type, required=tuple(e.format.required))
        expect = TurnExpect(
            tool_calls_min=e.tool_calls_min,
            tool_name_any=tuple(e.tool_name_any),
            tool_calls=tuple(
                ExpectedToolCall(name=c.name, arguments=dict(c.arguments)) for c in e.tool_calls
            ),
            keywords=tuple(e.keywords),
            format=fmt,
        )
    steer: Steer | None = None
    if t.steer is not None:
        words = tuple(k for k in t.steer.keywords if k.strip())
        if not words:
            diags.add("invalid-value", "steer.keywords are all blank", test.span("steer", "keywords"),
                      hint="list the words an answer that acts on the event mentions")  # fmt: skip
        else:
            steer = Steer(kind=t.steer.kind, message=t.steer.message, keywords=words)
    return expect, steer
