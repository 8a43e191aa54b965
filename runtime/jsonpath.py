"""JSONPath for extractors and JSON assertions: agent-benchmark's dialect on jsonpath-ng.

The dialect (semantics §3.3, yalp/jsonpath): ``$``, ``.key``, ``["key"]`` / ``['key']``, ``[n]``
with negative indices, slices ``[a:b:c]``, unions ``[0,2]`` / ``["a","b"]``, ``*`` and the
recursive ``..``. As an extension, filters ``[?(@.n > 1)]`` work because jsonpath-ng's
extended parser handles them. Everything else jsonpath-ng can parse (``where``, ``|``,
arithmetic, named operators such as ```len```, ``@`` outside a filter) is refused, so a suite
stays portable and a typo is not silently read as some other construct.

A path is *singular* when it names at most one value (no wildcard, slice, union, ``..`` or
filter). agent-benchmark returns the bare value for a singular path and a list of the matches
otherwise; :func:`find_value` reproduces that, :func:`find` always returns the match list.

The compiler imports this module to check every path at compile time; the runtime compiles
again from the plan's strings, which the cache makes cheap.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonpath_ng import jsonpath as jp
from jsonpath_ng.ext import filter as jp_filter
from jsonpath_ng.ext.parser import parse as _ext_parse

__all__ = ["NO_MATCH", "CompiledPath", "compile_path", "find", "find_value"]


class _NoMatch:
    """Sentinel type: the path matched nothing."""

    _instance: _NoMatch | None = None

    def __new__(cls) -> _NoMatch:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_MATCH"


NO_MATCH = _NoMatch()
"""Returned by :func:`find_value` when the path matched nothing."""


@dataclass(frozen=True)
class CompiledPath:
    """A parsed, dialect-checked JSONPath expression."""

    expr: str
    """The source text as written."""
    singular: bool
    """True when the path can match at most one value (its result is that value, not a list)."""
    _parsed: Any
    """The jsonpath-ng tree (untyped library object)."""

    def find(self, data: Any) -> list[Any]:
        """Every value the path matches in ``data``, in document order."""
        try:
            return [match.value for match in self._parsed.find(data)]
        except (TypeError, ValueError, AttributeError, KeyError, IndexError):
            # Filters comparing unlike types (``"a" > 1``) raise inside jsonpath-ng; a
            # comparison that cannot be made is simply not a match.
            return []


# Node classes of the dialect. Filter is the one extension; its own expressions may use ``@``.
_SINGULAR_NODES: tuple[type, ...] = (jp.Root, jp.Child, jp.Fields, jp.Index)
_PLURAL_NODES: tuple[type, ...] = (jp.Slice, jp.Wildcard, jp.Descendants, jp_filter.Filter)


def _check(node: Any, expr: str) -> bool:
    """Walk the tree; refuse constructs outside the dialect. Returns whether it is singular."""
    if isinstance(node, jp.Child | jp.Descendants):
        left = _check(node.left, expr)
        right = _check(node.right, expr)
        return left and right and not isinstance(node, jp.Descendants)
    if isinstance(node, jp.Fields):
        return len(node.fields) == 1 and node.fields[0] != "*"
    if isinstance(node, jp.Index):
        return len(node.indices) == 1
    if isinstance(node, _SINGULAR_NODES):
        return True
    if isinstance(node, _PLURAL_NODES):
        return False
    name = type(node).__name__
    raise ValueError(
        f"JSONPath {expr!r} uses {name}, which bench does not support; use $, .key, "
        '["key"], [n], [a:b], [0,2], *, .. or a [?(...)] filter'
    )


def _leftmost(node: Any) -> Any:
    while isinstance(node, jp.Child | jp.Descendants):
        node = node.left
    return node


@lru_cache(maxsize=1024)
def compile_path(expr: str) -> CompiledPath:
    """Parse and check ``expr``; raise ValueError with a clear message when it is not valid."""
    text = expr.strip()
    if not text.startswith("$"):
        raise ValueError(f"JSONPath {expr!r} must start with '$' (for example '$.data.id')")
    try:
        # jsonpath-ng warns about deprecated syntax (``|``); the dialect check below refuses
        # those constructs anyway, so the warning would only duplicate the error.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = _ext_parse(text)
    except Exception as exc:  # jsonpath-ng raises several unrelated types (lexer, parser, ply)
        detail = str(exc).strip() or type(exc).__name__
        raise ValueError(f"invalid JSONPath {expr!r}: {detail}") from exc
    singular = _check(parsed, expr)
    if not isinstance(_leftmost(parsed), jp.Root):
        raise ValueError(f"JSONPath {expr!r} must start with '$' (for example '$.data.id')")
    return CompiledPath(expr=expr, singular=singular, _parsed=parsed)


def find(path: CompiledPath | str, data: Any) -> list[Any]:
    """Every value ``path`` matches in ``data`` (an empty list when none)."""
    compiled = compile_path(path) if isinstance(path, str) else path
    return compiled.find(data)


def find_value(path: CompiledPath | str, data: Any) -> Any:
    """agent-benchmark's result: the value for a singular path, the match list otherwise.

    Returns :data:`NO_MATCH` when nothing matched (also for a plural path with no matches).
    """
    compiled = compile_path(path) if isinstance(path, str) else path
    matches = compiled.find(data)
    if not matches:
        return NO_MATCH
    return matches[0] if compiled.singular else matches
