"""bench's one message form -> each provider's wire form (plain dicts, no SDK imports).

The conversation is a list of ``runtime.transcript.Message``: ``system`` first when there is
one, ``assistant`` messages carrying ``tool_calls``, and one ``tool`` message per result.
OpenAI takes that almost as is; Anthropic wants the system prompt apart, tool calls as
``tool_use`` blocks and results as ``tool_result`` blocks inside a user turn; Gemini wants
``model``/``user`` contents with ``functionCall``/``functionResponse`` parts and tool schemas
in its OpenAPI subset.
"""

from __future__ import annotations

import json
from typing import Any

from ..transcript import Message, ToolCall
from .base import ToolSpec

__all__ = [
    "anthropic_messages",
    "anthropic_tools",
    "gemini_contents",
    "gemini_schema",
    "gemini_tools",
    "openai_messages",
    "openai_tools",
    "parse_arguments",
    "system_text",
]


def parse_arguments(raw: str | dict[str, Any] | None) -> tuple[dict[str, Any], str | None]:
    """Tool-call arguments as (parsed object, raw text kept only when it did not parse)."""
    if raw is None or raw == "":
        return {}, None
    if isinstance(raw, dict):
        return raw, None
    try:
        value = json.loads(raw)
    except ValueError:
        return {}, raw
    if isinstance(value, dict):
        return value, None
    return {}, raw


def _arguments_text(call: ToolCall) -> str:
    if call.raw_arguments is not None:
        return call.raw_arguments
    return json.dumps(call.arguments, ensure_ascii=False)


def system_text(messages: list[Message]) -> str:
    """All system messages joined (providers with a separate system field take this)."""
    return "\n\n".join(m.content for m in messages if m.role == "system" and m.content)


# --- OpenAI chat completions ---------------------------------------------------------------


def openai_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Chat-completions ``messages``."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            out.append({"role": "tool", "tool_call_id": m.tool_call_id or "", "content": m.content})
        elif m.role == "assistant" and m.tool_calls:
            out.append(
                {
                    "role": "assistant",
                    # The API rejects "" next to tool calls on some servers; None is the norm.
                    "content": m.content or None,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": _arguments_text(c)},
                        }
                        for c in m.tool_calls
                    ],
                }
            )
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def openai_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """Chat-completions ``tools`` (JSON Schema passes through unchanged)."""
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": t.input_schema or {"type": "object", "properties": {}},
            },
        }
        for t in tools
    ]


# --- Anthropic messages --------------------------------------------------------------------


def anthropic_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages-API ``messages`` (system prompt excluded: pass ``system_text`` apart).

    Consecutive turns of the same role are merged, so the parallel results of one assistant
    turn go back as one user turn with several ``tool_result`` blocks.
    """
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        blocks: list[dict[str, Any]] = []
        if m.role == "tool":
            role = "user"
            blocks.append(
                {"type": "tool_result", "tool_use_id": m.tool_call_id or "", "content": m.content}
            )
        else:
            role = m.role
            if m.content:
                blocks.append({"type": "text", "text": m.content})
            for c in m.tool_calls:
                blocks.append(
                    {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
                )
        if not blocks:
            continue  # the API rejects empty content
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def anthropic_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """Messages-API ``tools``."""
    return [
        {
            "name": t.name,
            "description": t.description,
            "input_schema": t.input_schema or {"type": "object", "properties": {}},
        }
        for t in tools
    ]


# --- Gemini generateContent ----------------------------------------------------------------


def gemini_contents(messages: list[Message]) -> list[dict[str, Any]]:
    """``contents`` for generateContent (system prompt excluded: it is ``systemInstruction``)."""
    names = {c.id: c.name for m in messages for c in m.tool_calls}
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        parts: list[dict[str, Any]] = []
        if m.role == "tool":
            role = "user"
            name = m.name or names.get(m.tool_call_id or "", "")
            response: dict[str, Any] = {"name": name, "response": {"result": m.content}}
            if m.tool_call_id:
                response["id"] = m.tool_call_id
            parts.append({"function_response": response})
        else:
            role = "model" if m.role == "assistant" else "user"
            if m.content:
                parts.append({"text": m.content})
            for c in m.tool_calls:
                parts.append({"function_call": {"id": c.id, "name": c.name, "args": c.arguments}})
        if not parts:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["parts"].extend(parts)
        else:
            out.append({"role": role, "parts": parts})
    return out


# Keys of Gemini's Schema (an OpenAPI 3.0 subset), in JSON Schema spelling -> Gemini spelling.
_GEMINI_KEYS = {
    "description": "description",
    "enum": "enum",
    "format": "format",
    "nullable": "nullable",
    "minimum": "minimum",
    "maximum": "maximum",
    "minItems": "min_items",
    "maxItems": "max_items",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minProperties": "min_properties",
    "maxProperties": "max_properties",
    "pattern": "pattern",
    "title": "title",
    "default": "default",
}
_MAX_REF_DEPTH = 8


def gemini_schema(
    schema: dict[str, Any], _defs: dict[str, Any] | None = None, _depth: int = 0
) -> dict[str, Any]:
    """Reduce a JSON Schema to Gemini's subset.

    ``$ref`` is inlined from ``$defs``/``definitions`` (to a bounded depth: recursive schemas
    become untyped objects), ``type: [X, "null"]`` becomes ``type: X, nullable``, ``const``
    becomes a one-value enum, ``oneOf`` becomes ``anyOf``, enums become strings (Gemini enums
    are strings only), and keywords Gemini rejects (``additionalProperties``, ``$schema``,
    ``examples``, ...) are dropped.
    """
    defs = _defs
    if defs is None:
        defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    if "$ref" in schema:
        target = defs.get(str(schema["$ref"]).rsplit("/", 1)[-1])
        if target is None or _depth >= _MAX_REF_DEPTH:
            return {"type": "OBJECT"}
        return gemini_schema(target, defs, _depth + 1)
    out = _gemini_scalar_keys(schema)
    if isinstance(schema.get("properties"), dict):
        props = {k: gemini_schema(v, defs, _depth) for k, v in schema["properties"].items()}
        out["properties"] = props
        out.setdefault("type", "OBJECT")
        required = [r for r in schema.get("required", []) if r in props]
        if required:
            out["required"] = required
    if isinstance(schema.get("items"), dict):
        out["items"] = gemini_schema(schema["items"], defs, _depth)
    elif out.get("type") == "ARRAY":
        out["items"] = {"type": "STRING"}  # Gemini requires items on arrays
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(alternatives, list):
        out = _gemini_any_of(out, alternatives, defs, _depth)
    return out


def _gemini_scalar_keys(schema: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        if len(non_null) < len(kind):
            out["nullable"] = True
        kind = non_null[0] if non_null else None
    if kind is not None:
        out["type"] = str(kind).upper()
    for key, target_key in _GEMINI_KEYS.items():
        if key in schema:
            out[target_key] = schema[key]
    if "const" in schema:
        out["enum"] = [schema["const"]]
    if "enum" in out:
        # Gemini accepts enum only on strings.
        out["enum"] = [str(v) for v in out["enum"] if v is not None]
        if out.get("type") != "STRING":
            out["type"] = "STRING"
            out.pop("format", None)
    return out


def _gemini_any_of(
    out: dict[str, Any], alternatives: list[Any], defs: dict[str, Any], depth: int
) -> dict[str, Any]:
    options = [a for a in alternatives if isinstance(a, dict) and a.get("type") != "null"]
    if len(options) < len(alternatives):
        out["nullable"] = True
    if len(options) == 1:
        merged = gemini_schema(options[0], defs, depth)
        merged.update({k: v for k, v in out.items() if k not in merged})
        return merged
    if options:
        out["any_of"] = [gemini_schema(a, defs, depth) for a in options]
    return out


def gemini_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """One Gemini ``Tool`` holding a function declaration per tool (empty list when none)."""
    if not tools:
        return []
    declarations = []
    for t in tools:
        decl: dict[str, Any] = {"name": t.name, "description": t.description}
        params = gemini_schema(t.input_schema or {})
        # Gemini rejects an OBJECT with no properties; a tool without arguments has none.
        if params.get("properties"):
            decl["parameters"] = params
        declarations.append(decl)
    return [{"function_declarations": declarations}]
