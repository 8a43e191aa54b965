"""A composed YAML node graph into plain data and a ``PositionTree``.

``source`` reads a file and composes it (with either parser); this module owns what follows:
the YAML 1.2 value resolver for plain scalars, the walk that turns nodes into plain ``dict`` /
``list`` / scalars (duplicate keys, ``<<`` merges, tags and unquoted ``{{X}}`` diagnosed on the
way), and the positions every later stage reports against. No model ever holds a parser type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from runtime.plan import Span

from .diagnostics import Diagnostics
from .suite.scalars import SourceFloat, SourceInt

__all__ = [
    "Node",
    "NodeWalker",
    "PositionTree",
    "YamlPath",
    "is_kind",
    "line_text",
    "resolve_plain",
    "span0",
    "unquoted_template",
]

YamlPath = tuple[str | int, ...]
"""Keys and indices from the document root to a node."""

Node = Any
"""A composed YAML node (ruamel's or libyaml's); ``id`` is scalar, sequence or mapping."""


def is_kind(node: Node, kind: str) -> bool:
    """True when ``node`` is a ``scalar``, ``sequence`` or ``mapping`` node, as ``kind`` says."""
    return getattr(node, "id", None) == kind


def span0(file: str, line0: int, col0: int) -> Span:
    """The span of a 0-based parser mark (line and column as the parser counts them)."""
    return Span(file=file, line=line0 + 1, col=col0 + 1)


def line_text(text: str, line0: int) -> str:
    """Line ``line0`` (0-based) of ``text``; empty past the end."""
    lines = text.splitlines()
    return lines[line0] if 0 <= line0 < len(lines) else ""


_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


_NOT_TEXT_START = frozenset("-+.0123456789")
"""First characters of the scalars that may be numbers (``.inf`` and ``.nan`` included)."""


def _int(value: int, text: str) -> int:
    return SourceInt(value, text) if str(value) != text else value


def resolve_plain(text: str) -> Any:
    """A plain (unquoted) scalar under the YAML 1.2 core schema: null, bool, int, float or str.

    Resolved here rather than by the parser so both parsers give the same values (libyaml
    resolves YAML 1.1, where ``yes`` is a boolean; here, as in YAML 1.2, it stays a string;
    dates stay strings too, as every field that holds one is a string).
    """
    # Most suite scalars are words: the first character rules out every other type at once.
    first = text[:1]
    if first in _NOT_TEXT_START:
        pass
    elif first in "~nN":
        return None if _NULL.match(text) else text
    elif first in "tTfF":
        return _BOOL.get(text, text)
    else:
        return text
    if not text:
        return None
    if _INT.match(text):
        return _int(int(text), text)
    if _OCT.match(text):
        return _int(int(text[2:], 8), text)
    if _HEX.match(text):
        return _int(int(text[2:], 16), text)
    if _FLOAT.match(text):
        # A string field gets the text as written (yaml.v3 does): 1.50 stays "1.50".
        value = float(text)
        return SourceFloat(text) if str(value) != text else value
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


class PositionTree:
    """1-based positions of values and of mapping keys, by path; lookups fall back to ancestors."""

    def __init__(self, file: str) -> None:
        self.file = file
        """Display path of the file."""
        self._values: dict[YamlPath, tuple[int, int]] = {}
        self._keys: dict[YamlPath, tuple[int, int]] = {}

    def set_value(self, path: YamlPath, line: int, col: int) -> None:
        """Record where the value at ``path`` starts (1-based)."""
        self._values.setdefault(path, (line, col))

    def set_key(self, path: YamlPath, line: int, col: int) -> None:
        """Record where the key of the mapping entry at ``path`` starts (1-based)."""
        self._keys.setdefault(path, (line, col))

    def span(self, path: YamlPath, *, key: bool = False) -> Span:
        """Where ``path`` is written: its key (``key=True``) or value, else its nearest ancestor."""
        p = tuple(path)
        while True:
            found = (self._keys.get(p) if key else None) or self._values.get(p)
            if found is None and not key:
                found = self._keys.get(p)
            if found is not None:
                return Span(file=self.file, line=found[0], col=found[1])
            if not p:
                return Span(file=self.file, line=1, col=1)
            p = p[:-1]

    def remapped(self, translate: Callable[[YamlPath], YamlPath | None]) -> PositionTree:
        """A copy with every path translated (``None`` drops it); used after pruning list items."""
        out = PositionTree(self.file)
        for src, dst in ((self._values, out._values), (self._keys, out._keys)):
            for path, pos in src.items():
                new = translate(path)
                if new is not None:
                    dst.setdefault(new, pos)
        return out

    def has(self, path: YamlPath) -> bool:
        """True when ``path`` was written in the file."""
        return tuple(path) in self._values


class NodeWalker:
    """Turns a composed node graph into plain data and positions."""

    def __init__(self, file: str, diags: Diagnostics, positions: PositionTree, text: str) -> None:
        self.file = file
        self.diags = diags
        self.positions = positions
        self.text = text

    def scalar(self, node: Node) -> Any:
        """A scalar's value: quoted and block scalars as written, plain ones resolved."""
        tag = node.tag
        if type(tag) is not str:  # ruamel's nodes carry a Tag object
            tag = str(tag or "")
        if tag[:1] == "!" and not tag.startswith("!!"):
            m = node.start_mark
            self.diags.add(
                "yaml-tag",
                f"unsupported YAML tag {tag}",
                span0(self.file, m.line, m.column),
                hint="remove the tag; plain scalars, lists and mappings are enough",
            )
        if node.style:  # quoted and block scalars are strings
            return node.value
        return resolve_plain(node.value)

    def walk(self, node: Node, path: YamlPath) -> Any:
        """The plain value of ``node`` at ``path``, recording its position."""
        m = node.start_mark
        self.positions.set_value(path, m.line + 1, m.column + 1)
        kind = node.id
        if kind == "scalar":
            return self.scalar(node)
        if kind == "sequence":
            return [self.walk(child, (*path, i)) for i, child in enumerate(node.value)]
        unquoted = unquoted_template(node)
        if unquoted is not None:
            self.diags.add(
                "unquoted-template",
                f"'{{{{{unquoted}}}}}' must be quoted: unquoted, YAML reads it as a nested mapping",
                span0(self.file, m.line, m.column),
                hint=f'write "{{{{{unquoted}}}}}" (agent-benchmark rejects the whole file here)',
            )
            return "{{" + unquoted + "}}"
        if kind == "mapping":
            return self.mapping(node, path)
        return None  # pragma: no cover - ruamel has no other node kinds

    def key_text(self, node: Node) -> str | None:
        """A mapping key as text; None (after a diagnostic) when it is not a plain scalar."""
        if node.id != "scalar":
            m = node.start_mark
            hint = None
            if "{{" in line_text(self.text, m.line):
                # `token: {{X}}` unquoted reads as a flow mapping nested in a flow mapping
                hint = "quote values that start with '{{', e.g. token: \"{{API_KEY}}\""
            self.diags.add(
                "yaml-key",
                "mapping keys must be plain scalars",
                span0(self.file, m.line, m.column),
                hint=hint,
            )
            return None
        value = self.scalar(node)
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def mapping(self, node: Node, path: YamlPath) -> dict[str, Any]:
        """A mapping as a dict: duplicate keys diagnosed, ``<<`` merges applied under explicit keys."""
        out: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        merges: list[Node] = []
        for knode, vnode in node.value:
            if knode.id == "scalar" and knode.value == "<<" and not knode.style:
                merges.append(vnode)
                continue
            key = self.key_text(knode)
            if key is None:
                continue
            km = knode.start_mark
            if key in first_seen:
                self.diags.add(
                    "duplicate-key",
                    f"duplicate key '{key}' (first defined at line {first_seen[key]})",
                    span0(self.file, km.line, km.column),
                    hint="remove one of them; YAML keeps only one value per key",
                )
                continue
            first_seen[key] = km.line + 1
            self.positions.set_key((*path, key), km.line + 1, km.column + 1)
            out[key] = self.walk(vnode, (*path, key))
        for merge in merges:  # `<<: *defaults`: explicit keys win over merged ones
            sources = merge.value if is_kind(merge, "sequence") else [merge]
            for src in sources:
                if not is_kind(src, "mapping"):
                    m = src.start_mark
                    self.diags.add(
                        "yaml-merge",
                        "'<<' merges a mapping (or a list of mappings)",
                        span0(self.file, m.line, m.column),
                    )
                    continue
                merged = self.mapping(src, path)
                for k, v in merged.items():
                    out.setdefault(k, v)
        return out


def unquoted_template(node: Node) -> str | None:
    """The NAME of an unquoted ``{{NAME}}`` value (a flow map keyed by a flow map), else None."""
    if not is_kind(node, "mapping") or len(node.value) != 1:
        return None
    key, value = node.value[0]
    if not (is_kind(value, "scalar") and not value.style and not value.value):
        return None
    if not is_kind(key, "mapping") or len(key.value) != 1:
        return None
    inner_key, inner_value = key.value[0]
    if not is_kind(inner_key, "scalar") or not is_kind(inner_value, "scalar") or inner_value.value:
        return None
    return str(inner_key.value)
