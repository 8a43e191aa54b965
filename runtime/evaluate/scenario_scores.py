"""Scenario scores of one turn: pure functions over the turn's transcript and expectations.

The runtime records these per case (``CaseResult.scores``); report/scenarios.py aggregates
them per session, agent and run and computes the composite. The definitions are in
docs/scenarios.md; where they differ from PawBench's, docs/compatibility.md says how.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..plan import (
    ExpectedFormat,
    ExpectedToolCall,
    InjectedServer,
    ServerSpec,
    Steer,
    TurnExpect,
)
from ..transcript import ToolCall, Transcript

__all__ = [
    "FILLER_LINE",
    "declared_schemas",
    "format_compliant",
    "score_turn",
    "useful_ratio",
]

FILLER_LINE = re.compile(r"^(Sure|Here|I'll|Let me|Of course|Certainly|Great|This|The above|Below)")
"""A line of answer text starting like this is filler (preamble), not useful output."""

_FENCED = re.compile(r"```(?:json)?\s*\n?(.*?)\n?```", re.DOTALL)


def _arguments_text(tc: ToolCall) -> str:
    if tc.raw_arguments is not None:
        return tc.raw_arguments
    return json.dumps(tc.arguments, ensure_ascii=False)


def _answer_text(tr: Transcript) -> str:
    """Everything the model wrote as text in the turn (every assistant message)."""
    texts = [m.content for m in tr.messages if m.role == "assistant" and m.content]
    return "\n".join(texts)


def useful_ratio(text: str, calls: Sequence[ToolCall]) -> float:
    """Useful characters over all characters the model wrote in a turn (0.0 when none).

    Tool-call arguments are useful whole; a non-blank line of answer text is useful unless
    it starts like filler (``FILLER_LINE``). Counted in characters, one method for every
    provider (characters are proportional to tokens for one tokenizer, and no tokenizer is
    needed).
    """
    call_chars = sum(len(_arguments_text(tc)) for tc in calls)
    stripped = text.strip()
    total = call_chars + len(stripped)
    if total == 0:
        return 0.0
    useful = call_chars + sum(
        len(line)
        for line in stripped.split("\n")
        if line.strip() and not FILLER_LINE.match(line.strip())
    )
    return min(useful / total, 1.0)


def format_compliant(text: str, spec: ExpectedFormat) -> bool:
    """Whether ``text`` has the format ``spec`` asks for."""
    stripped = text.strip()
    if spec.type == "json":
        fenced = _FENCED.search(stripped)
        if fenced:
            stripped = fenced.group(1).strip()
        try:
            parsed = json.loads(stripped)
        except ValueError:
            return False
        fields = parsed if isinstance(parsed, dict) else {}
        return all(key in fields for key in spec.required)
    if not stripped:
        return False
    keys = {line.split(":", 1)[0].strip() for line in stripped.split("\n") if ":" in line}
    return all(key in keys for key in spec.required)


def _valid_for(schema: Mapping[str, Any] | None, arguments: dict[str, Any]) -> bool:
    if not schema:
        return True
    import jsonschema

    try:
        validator = jsonschema.validators.validator_for(schema)(schema)
        return bool(validator.is_valid(arguments))
    except jsonschema.SchemaError:
        return True  # a broken schema is the scenario's fault, not the model's


def _value_matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str):
        return isinstance(actual, str) and expected.lower() in actual.lower()
    return bool(expected == actual)


def _good_calls(
    calls: Sequence[ToolCall], schemas: Mapping[str, Mapping[str, Any]]
) -> list[ToolCall]:
    """Calls that reached a tool with arguments valid for its schema."""
    return [
        tc
        for tc in calls
        if not tc.hallucinated
        and tc.raw_arguments is None
        and _valid_for(schemas.get(tc.name), tc.arguments)
    ]


def _matches(expected: ExpectedToolCall, tc: ToolCall) -> bool:
    return tc.name == expected.name and all(
        key in tc.arguments and _value_matches(value, tc.arguments[key])
        for key, value in expected.arguments.items()
    )


def _tool_accuracy(
    expect: TurnExpect, calls: Sequence[ToolCall], schemas: Mapping[str, Mapping[str, Any]]
) -> float | None:
    good = _good_calls(calls, schemas)
    if expect.tool_calls:
        hits = sum(1 for e in expect.tool_calls if any(_matches(e, tc) for tc in good))
        return hits / len(expect.tool_calls)
    if expect.tool_name_any or expect.tool_calls_min is not None:
        named = [tc for tc in good if not expect.tool_name_any or tc.name in expect.tool_name_any]
        enough = expect.tool_calls_min is None or len(calls) >= expect.tool_calls_min
        return 1.0 if named and enough else 0.0
    return None


def _mentions(words: Sequence[str], haystack: str) -> float:
    return sum(1 for w in words if w.lower() in haystack) / len(words)


def declared_schemas(servers: Iterable[ServerSpec]) -> dict[str, dict[str, Any]]:
    """The argument schema of every tool the plan itself declares (its injected servers'), for
    scoring without the servers running (rescore, external agents)."""
    out: dict[str, dict[str, Any]] = {}
    for spec in servers:
        if isinstance(spec, InjectedServer):
            for tool in spec.tools:
                out.setdefault(tool.name, dict(tool.input_schema))
    return out


def score_turn(
    expect: TurnExpect | None,
    steer: Steer | None,
    tr: Transcript,
    schemas: Mapping[str, Mapping[str, Any]],
) -> dict[str, float]:
    """The turn's scores; a score without an expectation to measure it is left out.

    ``schemas`` maps each offered tool to its argument schema. Keys: ``tool_accuracy``,
    ``format``, ``keywords``, ``steering`` (0 or 1), ``quality`` (PawBench's turn score:
    the mean of the checks the turn has), ``useful_ratio`` and ``output_tokens``.
    """
    expect = expect or TurnExpect()
    calls = tr.tool_calls
    text = _answer_text(tr)
    haystack = (text + " " + " ".join(f"{tc.name} {_arguments_text(tc)}" for tc in calls)).lower()
    scores: dict[str, float] = {}
    checks: list[float] = []
    if expect.tool_calls_min is not None:
        checks.append(1.0 if len(calls) >= expect.tool_calls_min else 0.0)
    if expect.tool_name_any:
        checks.append(1.0 if {tc.name for tc in calls} & set(expect.tool_name_any) else 0.0)
    accuracy = _tool_accuracy(expect, calls, schemas)
    if accuracy is not None:
        scores["tool_accuracy"] = accuracy
        if expect.tool_calls:
            checks.append(accuracy)
    if expect.keywords:
        scores["keywords"] = _mentions(expect.keywords, haystack)
        checks.append(scores["keywords"])
    if steer is not None:
        scores["steering"] = 1.0 if any(k.lower() in haystack for k in steer.keywords) else 0.0
        checks.append(scores["steering"])
    if expect.format is not None:
        scores["format"] = 1.0 if format_compliant(tr.final_output, expect.format) else 0.0
    scores["quality"] = sum(checks) / len(checks) if checks else 1.0
    scores["useful_ratio"] = useful_ratio(text, calls)
    scores["output_tokens"] = float(tr.usage.output)
    return scores
