"""Validate plain YAML data against the suite models; map every pydantic error to a diagnostic.

pydantic reports every error of a document at once. Each error's ``loc`` is walked along the
data (union tags such as ``output_contains`` in ``assertions.0.output_contains.text`` are not
data keys and are skipped) to a YAML path, and from there to a file:line:col. Did-you-mean hints
come from the keys the model at that place accepts.

Invalid pieces are then pruned (an unknown key is dropped; any other error drops the smallest
assertion, extractor, test, session or entry around it) and the rest validated again, so the
semantic passes still run and report their own problems in the same run.
"""

from __future__ import annotations

import copy
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from .diagnostics import Diagnostics
from .source import SourceDoc, YamlPath
from .suggest import did_you_mean
from .suite import LEAF_MODELS, Document
from .suite.assertions import COMBINATOR_KEYS, AllOfA, AnyOfA, NotA

__all__ = ["Validated", "validate_document"]

_MAX_ROUNDS = 4

_COMBINATORS: dict[str, type[BaseModel]] = {"anyOf": AnyOfA, "allOf": AllOfA, "not": NotA}

_KIND = {
    "Document": "the top level",
    "ProviderDef": "provider",
    "RateLimitsDef": "rate_limits",
    "RetryDef": "retry",
    "ScriptedReplyDef": "scripted reply",
    "ScriptedToolCallDef": "scripted tool call",
    "ServerDef": "server",
    "InjectedToolDef": "injected tool",
    "CannedResultDef": "injected result",
    "ExpectDef": "expect",
    "ExpectedToolCallDef": "expected tool call",
    "ExpectedFormatDef": "expect.format",
    "SteerDef": "steer",
    "AgentDef": "agent",
    "AgentServerDef": "agent server",
    "SkillDef": "skill",
    "ClarificationDef": "clarification_detection",
    "SessionDef": "session",
    "TestDef": "test",
    "ExtractorDef": "extractor",
    "SettingsDef": "settings",
    "CriteriaDef": "criteria",
    "PassHatKDef": "criteria.pass_hat_k",
    "PriceDef": "prices",
    "DatasetDef": "dataset",
    "InputMapDef": "input_map",
    "AiSummaryDef": "ai_summary",
    "LoadDef": "load",
    "SloDef": "load.slo",
    "AnyOfA": "anyOf",
    "AllOfA": "allOf",
    "NotA": "not",
}

_ALWAYS_PASSES = "agent-benchmark ignores it, so there the assertion silently passed"
_KNOWN_MISTAKES: dict[tuple[str, str], str] = {
    ("text", "value"): f"did you mean 'value'? ({_ALWAYS_PASSES})",
    ("substring", "value"): f"did you mean 'value'? ({_ALWAYS_PASSES})",
    ("contains", "value"): f"did you mean 'value'? ({_ALWAYS_PASSES})",
    ("expected_output", "value"): "did you mean 'value'?",
    ("param", "params"): f"did you mean 'params'? ({_ALWAYS_PASSES} whenever the tool was called)",
    ("parameters", "params"): "did you mean 'params'?",
    ("regex", "pattern"): "did you mean 'pattern'?",
    ("init_timeout", "server_delay"): "did you mean 'server_delay'? (the MCP handshake timeout)",
    ("timeout_seconds", "tool_timeout"): "did you mean 'tool_timeout'?",
    ("jsonpath", "path"): "did you mean 'path'?",
}
_KEY_HINTS: dict[tuple[str, str], str] = {
    (
        "agents",
        "SessionDef",
    ): "sessions do not select agents; put 'agent: NAME' on a test to run it for one agent only",
    (
        "agent",
        "SessionDef",
    ): "sessions do not select agents; put 'agent: NAME' on a test to run it for one agent only",
    ("description", "_leaf"): "assertions have no description; use a YAML comment",
    ("name", "_leaf"): "assertions have no name; use a YAML comment",
    ("variable_policy", "Document"): "variable_policy belongs under settings:",
    ("concurrency", "Document"): "concurrency belongs under settings:",
    ("max_iterations", "Document"): "max_iterations belongs under settings:",
    ("success_rate", "Document"): "success_rate belongs under criteria:",
}


@dataclass
class Validated:
    """A validated document, and what had to be pruned to get it."""

    document: Document
    pruned_names: dict[str, set[str]] = field(default_factory=dict)
    """Section -> names of entries dropped as invalid (references to them are not reported again)."""


def _unwrap(tp: Any) -> list[Any]:
    """The concrete types inside Annotated / Optional / unions."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            if arg is not type(None):
                out.extend(_unwrap(arg))
        return out
    return [tp]


def _is_assertion_union(tp: Any) -> bool:
    return any(isinstance(t, type) and t in (AnyOfA, AllOfA, NotA) for t in _unwrap(tp))


def _model_of(tp: Any, node: Any) -> type[BaseModel] | None:
    if _is_assertion_union(tp):
        if isinstance(node, dict):
            for key in COMBINATOR_KEYS:
                if key in node:
                    return _COMBINATORS[key]
            tag = node.get("type")
            return LEAF_MODELS.get(tag) if isinstance(tag, str) else None
        return None
    for t in _unwrap(tp):
        if isinstance(t, type) and issubclass(t, BaseModel):
            return t
    return None


def _fields_by_alias(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f.annotation for name, f in model.model_fields.items()}


def _resolve(data: Any, loc: tuple[Any, ...]) -> tuple[YamlPath, type[BaseModel] | None, bool]:
    """Walk ``loc`` along the data: (YAML path, model owning the last step, whether it is a key).

    The path ends at the mapping that holds a missing or unknown key (``key`` is True), or at
    the value that is wrong.
    """
    path: list[str | int] = []
    node: Any = data
    model: type[BaseModel] | None = Document
    owner: type[BaseModel] | None = Document
    tp: Any = Document
    for i, step in enumerate(loc):
        last = i == len(loc) - 1
        fields = _fields_by_alias(model) if model is not None else None
        if last and isinstance(step, str) and fields is not None and step not in fields:
            return tuple(path), model, True  # an unknown key of ``model``
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            ann = fields.get(step) if fields is not None else None
            owner = model
            node = node[step]
            path.append(step)
            if fields is None:
                tp = typing.get_args(tp)[1] if typing.get_origin(tp) is dict else Any
            else:
                tp = ann
            model = _model_of(tp, node)
            if model is None:  # a dict or list field: keep its type for the next step
                inner = [t for t in _unwrap(tp) if typing.get_origin(t) in (list, dict)]
                tp = inner[0] if inner else tp
            continue
        if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            path.append(step)
            args = typing.get_args(tp)
            tp = args[0] if args else Any
            model = _model_of(tp, node)
            continue
        if last and isinstance(step, str) and fields is not None:
            return tuple(path), model, True  # a missing key of ``model``
        # anything else is a union member tag, not a data key: skip it
    return tuple(path), owner, False


def _kind(model: type[BaseModel] | None, node: Any) -> str:
    if model is None:
        return "this entry"
    if model in LEAF_MODELS.values():
        return f"{model.model_fields['type'].annotation.__args__[0]} assertion"  # type: ignore[union-attr]
    return _KIND.get(model.__name__, model.__name__)


def _at(data: Any, path: YamlPath) -> Any:
    node = data
    for step in path:
        node = node[step]
    return node


def _extra_hint(key: str, model: type[BaseModel] | None, present: set[str]) -> str | None:
    if model is None:
        return None
    is_leaf = model in LEAF_MODELS.values()
    special = _KEY_HINTS.get((key, "_leaf" if is_leaf else model.__name__))
    if special:
        return special
    allowed = set(_fields_by_alias(model)) - present
    for (wrong, right), known in _KNOWN_MISTAKES.items():
        if key == wrong and right in allowed:
            return known
    hint = did_you_mean(key, allowed)
    if hint is None and is_leaf:
        missing = [
            k
            for k, f in model.model_fields.items()
            if f.is_required() and (f.alias or k) not in present
        ]
        if len(missing) == 1:
            hint = f"did you mean '{missing[0]}'?"
    return hint


def _report(doc: SourceDoc, data: Any, err: Any, diags: Diagnostics) -> YamlPath:
    """Add a diagnostic for one pydantic error; return the YAML path it concerns."""
    loc = tuple(err["loc"])
    etype = err["type"]
    path, model, key_step = _resolve(data, loc)
    key = loc[-1] if key_step else None
    kind = _kind(model, None)
    pos = doc.positions
    if etype == "extra_forbidden" and isinstance(key, str):
        parent = _at(data, path)
        present = set(parent) if isinstance(parent, dict) else set()
        diags.add(
            "unknown-key",
            f"unknown key '{key}' in {kind}",
            pos.span((*path, key), key=True),
            hint=_extra_hint(key, model, present),
        )
        return (*path, key)
    if etype == "missing" and isinstance(key, str):
        parent = _at(data, path)
        if isinstance(parent, dict) and model is not None:
            present = set(parent)
            extras = present - set(_fields_by_alias(model))
            if any(f"'{key}'" in (_extra_hint(x, model, present) or "") for x in extras):
                return path  # the unknown key's did-you-mean already names it
        diags.add("missing-key", f"{kind} needs '{key}'", pos.span(path))
        return path
    if etype in ("union_tag_invalid", "union_tag_not_found"):
        node = _at(data, path)
        if not isinstance(node, dict):
            diags.add(
                "invalid-assertion",
                "an assertion is a mapping with 'type' (or anyOf / allOf / not)",
                pos.span(path),
            )
            return path
        tag = node.get("type")
        if etype == "union_tag_invalid" and isinstance(tag, str):
            hint = did_you_mean(tag, LEAF_MODELS) or "run `bench schema` for the list of types"
            diags.add(
                "unknown-assertion",
                f"unknown assertion type '{tag}'",
                pos.span((*path, "type")),
                hint=hint,
            )
        else:
            keys = [k for k in node if isinstance(k, str)]
            hint = None
            for k in keys:
                hint = did_you_mean(k, COMBINATOR_KEYS)
                if hint:
                    break
            diags.add(
                "invalid-assertion",
                "assertion has no 'type' (nor anyOf / allOf / not)"
                if "type" not in node
                else f"assertion 'type' must be a string, got {type(tag).__name__}",
                pos.span(path),
                hint=hint,
            )
        return path
    field_name = next((str(s) for s in reversed(path) if isinstance(s, str)), "value")
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
        diags.add("invalid-value", msg, pos.span(path))
        return path
    if etype == "literal_error":
        value = err.get("input")
        expected = str(err.get("ctx", {}).get("expected", ""))
        choices = [
            c.strip().strip("'") for c in expected.replace(" or ", ", ").split(",") if c.strip()
        ]
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else None
        diags.add(
            "invalid-value",
            f"'{field_name}' must be one of {', '.join(choices)}; got {value!r}",
            pos.span(path),
            hint=hint,
        )
        return path
    got = err.get("input")
    shown = type(got).__name__ if isinstance(got, dict | list) else repr(got)
    nice = {
        "list_type": "a list",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "string_type": "a string",
        "int_type": "an integer",
        "int_parsing": "an integer",
        "int_from_float": "an integer",
        "bool_type": "true or false",
        "bool_parsing": "true or false",
        "float_parsing": "a number",
        "float_type": "a number",
    }.get(etype)
    if nice:
        diags.add(
            "invalid-value", f"'{field_name}' in {kind} must be {nice}, got {shown}", pos.span(path)
        )
    else:
        diags.add("invalid-value", f"'{field_name}' in {kind}: {msg}", pos.span(path))
    return path


_PRUNE_LISTS = {"providers", "servers", "agents", "sessions", "test_files"}


def _prune_target(path: YamlPath, extra: bool) -> YamlPath:
    """What to drop so the rest validates: the key itself for unknown keys, else the item around it."""
    if extra:
        return path
    p = list(path)
    # sessions.i.tests.j.(assertions|extractors).k
    if (
        len(p) >= 6
        and p[0] == "sessions"
        and p[2] == "tests"
        and p[4] in ("assertions", "extractors")
    ):
        return tuple(p[:6])
    if len(p) >= 4 and p[0] == "sessions" and p[2] == "tests":
        return tuple(p[:4])
    if len(p) >= 2 and (p[0] in _PRUNE_LISTS or p[0] == "variables"):
        return tuple(p[:2])
    return tuple(p[:1])


def _delete(data: Any, path: YamlPath) -> None:
    if not path:
        return
    parent = _at(data, path[:-1])
    last = path[-1]
    if isinstance(parent, dict):
        parent.pop(last, None)
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        parent[last] = _PRUNED


_PRUNED = object()


def _compact(node: Any) -> Any:
    if isinstance(node, list):
        return [_compact(x) for x in node if x is not _PRUNED]
    if isinstance(node, dict):
        return {k: _compact(v) for k, v in node.items()}
    return node


def _is_optional(owner: type[BaseModel] | None, key: str | int) -> bool:
    if owner is None or not isinstance(key, str):
        return False
    for name, f in owner.model_fields.items():
        if (f.alias or name) == key:
            return not f.is_required()
    return False


def _translations(node: Any, path: YamlPath, out: dict[YamlPath, dict[int, int]]) -> None:
    """For every list holding pruned markers: old index -> new index, keyed by the list's path."""
    if isinstance(node, dict):
        for k, v in node.items():
            _translations(v, (*path, k), out)
    elif isinstance(node, list):
        if any(x is _PRUNED for x in node):
            mapping: dict[int, int] = {}
            for i, x in enumerate(node):
                if x is not _PRUNED:
                    mapping[i] = len(mapping)
            out[path] = mapping
        for i, x in enumerate(node):
            if x is not _PRUNED:
                _translations(x, (*path, i), out)


def _translator(maps: dict[YamlPath, dict[int, int]]) -> Any:
    def translate(path: YamlPath) -> YamlPath | None:
        new: list[str | int] = []
        for i, step in enumerate(path):
            mapping = maps.get(path[:i]) if isinstance(step, int) else None
            if mapping is not None:
                if step not in mapping:
                    return None  # inside a pruned item
                new.append(mapping[step])
            else:
                new.append(step)
        return tuple(new)

    return translate


def validate_document(doc: SourceDoc, diags: Diagnostics) -> Validated | None:
    """Validate ``doc``; report every error; return what validates after pruning the bad parts.

    Pruning keeps positions honest: when list items are dropped, ``doc.positions`` is remapped
    so later passes, which see the shorter lists, still point at the right lines.
    """
    data: Any = doc.data
    pruned: dict[str, set[str]] = {}
    for round_ in range(_MAX_ROUNDS):
        try:
            return Validated(Document.model_validate(data), pruned)
        except ValidationError as exc:
            if round_ == 0:
                data = copy.deepcopy(data)
            targets: list[YamlPath] = []
            for err in exc.errors(include_url=False):
                loc = tuple(err["loc"])
                path, owner, key_step = _resolve(data, loc)
                if round_ == 0:
                    _report(doc, data, err, diags)
                if err["type"] == "extra_forbidden" and key_step:
                    targets.append((*path, loc[-1]))
                elif not key_step and path and _is_optional(owner, path[-1]):
                    targets.append(path)  # a bad optional value: drop just the key
                else:
                    targets.append(_prune_target(path, False))
            for target in sorted(set(targets), key=len, reverse=True):
                if len(target) == 2 and target[0] in ("providers", "servers", "agents"):
                    entry = _at(data, target)
                    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                        pruned.setdefault(str(target[0]), set()).add(entry["name"])
                try:
                    _delete(data, target)
                except (KeyError, IndexError, TypeError):
                    continue
            maps: dict[YamlPath, dict[int, int]] = {}
            _translations(data, (), maps)
            if maps:
                doc.positions = doc.positions.remapped(_translator(maps))
            data = _compact(data)
    return None
