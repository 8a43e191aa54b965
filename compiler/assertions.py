"""Assertion syntax to typed plan nodes: templates rendered, regexes and JSONPaths checked."""

from __future__ import annotations

import typing
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from runtime.plan import Assertion, RuntimeTemplate, Span

from .checks.patterns import check_jsonpath, check_regex, check_rubric
from .diagnostics import Diagnostics
from .source import SourceDoc, YamlPath
from .suite import assertions as syn
from .templating.render import Renderer

__all__ = ["AssertionScope", "lower_assertion"]

_PLAN_CLASSES: dict[str, Any] = {
    cls.model_fields["type"].default: cls for cls in typing.get_args(typing.get_args(Assertion)[0])
}
"""Plan node class by type: building the class directly skips the union's dispatch."""


def _node(fields: dict[str, Any]) -> Any:
    return _PLAN_CLASSES[fields["type"]](**fields)


@dataclass
class AssertionScope:
    """What an assertion of one test may read: the context and the run-time variables."""

    doc: SourceDoc
    context: Mapping[str, str]
    runtime_vars: Collection[str]
    later: Mapping[str, Span]
    """Run-time variables bound only by later extractors of the session, with where."""
    renderer: Renderer
    diags: Diagnostics

    def span(self, path: YamlPath, key: bool = False) -> Span:
        """Where ``path`` is written."""
        return self.doc.positions.span(path, key=key)

    def render(self, text: str, path: YamlPath) -> str | RuntimeTemplate | None:
        """Render a templated assertion field."""
        return self.renderer.render(
            text, self.context, self.span(path), runtime_vars=self.runtime_vars, later=self.later
        )


_EVALUATORS = (
    syn.ExactMatchA,
    syn.F1A,
    syn.RegexA,
    syn.MultipleChoiceA,
    syn.JsonMatchA,
    syn.LlmJudgeA,
)


def _evaluator_fields(
    node: syn._Leaf, path: YamlPath, scope: AssertionScope, out: dict[str, Any]
) -> bool:
    """Fill ``out`` for an evaluator or llm_judge; False when a problem was reported."""
    ok = True
    for field in type(node).model_fields:
        value = getattr(node, field)
        if field == "type" or value is None:
            continue
        where = scope.span((*path, field))
        if field == "expected":
            rendered = scope.render(value, (*path, field))
            ok = ok and rendered is not None
            out[field] = rendered
        elif field == "pattern":
            ok = check_regex(value, where, scope.diags) and ok
            out[field] = value
        elif field == "rubric":
            ok = check_rubric(value, where, scope.diags) and ok
            out[field] = value
        elif field == "choices":
            out[field] = tuple(value)
        elif field == "threshold" and isinstance(node, syn.LlmJudgeA):
            out["pass_threshold"] = value
        else:
            out[field] = value
    return ok


def _leaf_fields(node: syn._Leaf, path: YamlPath, scope: AssertionScope) -> dict[str, Any] | None:
    ok = True
    out: dict[str, Any] = {"type": node.type, "span": scope.span(path)}

    def render(field: str, text: str, *sub: str) -> Any:
        nonlocal ok
        value = scope.render(text, (*path, field, *sub))
        ok = ok and value is not None
        return value

    if isinstance(node, syn.ToolCallCountA):
        out.update(tool=node.tool, count=node.expected)
    elif isinstance(node, syn.CliExitCodeEqualsA):
        out.update(value=node.code)
        if node.tool:
            out["tool"] = node.tool
    elif isinstance(node, syn.ToolParamEqualsA):
        out.update(
            tool=node.tool, params={k: render("params", v, k) for k, v in node.params.items()}
        )
    elif isinstance(node, _EVALUATORS):
        ok = _evaluator_fields(node, path, scope, out)
    elif isinstance(node, syn.ToolParamMatchesRegexA):
        for k, v in node.params.items():
            ok = (
                check_regex(v, scope.span((*path, "params", k)), scope.diags, what=f"params.{k}")
                and ok
            )
        out.update(tool=node.tool, params=dict(node.params))
    else:
        for field in type(node).model_fields:
            if field == "type":
                continue
            value = getattr(node, field)
            if value is None:
                continue
            if field in ("pattern",):
                ok = check_regex(value, scope.span((*path, field)), scope.diags) and ok
                out[field] = value
            elif field == "path" and node.type != "file_created":
                ok = check_jsonpath(value, scope.span((*path, field)), scope.diags) and ok
                out[field] = value
            elif field in ("value", "path") and isinstance(value, str):
                out[field] = render(field, value)
            else:
                out[field] = value
    return out if ok else None


def lower_assertion(node: Any, path: YamlPath, scope: AssertionScope) -> Any | None:
    """The plan node for one assertion (any depth), or None when it has errors (reported)."""
    if isinstance(node, syn.AnyOfA | syn.AllOfA):
        key = "anyOf" if isinstance(node, syn.AnyOfA) else "allOf"
        items = node.any_of if isinstance(node, syn.AnyOfA) else node.all_of
        children = [lower_assertion(child, (*path, key, i), scope) for i, child in enumerate(items)]
        if any(c is None for c in children):
            return None
        kind = "any_of" if key == "anyOf" else "all_of"
        return _node({"type": kind, "children": tuple(children), "span": scope.span(path)})
    if isinstance(node, syn.NotA):
        child = lower_assertion(node.not_, (*path, "not"), scope)
        if child is None:
            return None
        return _node({"type": "not", "child": child, "span": scope.span(path)})
    fields = _leaf_fields(node, path, scope)
    if fields is None:
        return None
    if (
        isinstance(node, syn.OutputContainsA | syn.CliStdoutContainsA | syn.CliStderrContainsA)
        and node.value == ""
    ):
        scope.diags.warn(
            "always-passes",
            f"{node.type} with an empty value always passes",
            scope.span((*path, "value")),
        )
    return _node(fields)
