"""Read a YAML file into plain data plus a ``PositionTree`` (line/col of every key and value).

ruamel.yaml composes the node graph (with marks); this module walks it into plain ``dict`` /
``list`` / scalars, so no model ever holds a ruamel type. Hostile or broken input ends in one
diagnostic each, fast and in bounded memory:

- a file over ``MAX_FILE_BYTES`` is refused before it is read;
- NUL bytes or invalid UTF-8 ("binary garbage") are refused before parsing;
- YAML syntax errors carry ruamel's problem mark;
- duplicate keys are errors (yaml.v3 rejects them too);
- an alias bomb is detected by counting the *expanded* size over the shared node graph,
  before anything is expanded;
- a document that is not a mapping, an empty file and a missing file are errors.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from runtime.plan import Span

from .diagnostics import Diagnostics
from .suite.scalars import SourceFloat, SourceInt

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "PositionTree",
    "SourceDoc",
    "YamlPath",
    "load_yaml",
]

MAX_FILE_BYTES = 8 * 1024 * 1024
"""Largest suite file read (8 MiB); a 6,000-case suite is about 1 MiB."""
MAX_NODES = 2_000_000
"""Largest document, counted after alias expansion (billion-laughs guard)."""

MAX_FLOW_DEPTH = 200
"""Deepest ``[`` / ``{`` nesting accepted (the parser recurses per level)."""

YamlPath = tuple[str | int, ...]
"""Keys and indices from the document root to a node."""

_STR = "tag:yaml.org,2002:str"
_BRACKETS = re.compile(r"[\[\]{}]")


Node = Any
"""A composed YAML node (ruamel's or libyaml's); ``id`` is scalar, sequence or mapping."""


def _is(node: Node, kind: str) -> bool:
    return getattr(node, "id", None) == kind


_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


def _int(value: int, text: str) -> int:
    return SourceInt(value, text) if str(value) != text else value


def resolve_plain(text: str) -> Any:
    """A plain (unquoted) scalar under the YAML 1.2 core schema: null, bool, int, float or str.

    Resolved here rather than by the parser so both parsers give the same values (libyaml
    resolves YAML 1.1, where ``yes`` is a boolean; here, as in YAML 1.2, it stays a string;
    dates stay strings too, as every field that holds one is a string).
    """
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
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


@dataclass
class SourceDoc:
    """A parsed YAML file: plain data, positions, and provenance."""

    file: str
    """Display path (as given, or relative to the suite's directory)."""
    path: Path
    """Absolute path."""
    text: str
    data: dict[str, Any]
    positions: PositionTree
    sha256: str


# The parser: libyaml through PyYAML when it is installed (about 10x faster: a 6,000-case
# suite composes in 0.2 s instead of 3 s), else ruamel.yaml's pure-Python composer. Both only
# *compose* (nodes with marks); values are resolved by ``resolve_plain`` above, so both give
# the same data and the same positions.
def _ruamel_compose(text: str) -> Node:
    return YAML(typ="safe", pure=True).compose(text)


def _libyaml() -> tuple[Callable[[str], Node], type[Exception], type[Exception]] | None:
    try:
        import yaml as pyyaml  # type: ignore[import-untyped]  # PyYAML ships no type hints
    except ImportError:  # pragma: no cover - depends on the installation
        return None
    if not getattr(pyyaml, "__with_libyaml__", False):  # pragma: no cover
        return None  # PyYAML without libyaml is no faster than ruamel.yaml
    loader = pyyaml.CBaseLoader  # no implicit resolvers: see resolve_plain

    def compose(text: str) -> Node:
        return pyyaml.compose(text, Loader=loader)

    return compose, pyyaml.YAMLError, pyyaml.MarkedYAMLError


_LIBYAML = _libyaml()
_compose: Callable[[str], Node] = _LIBYAML[0] if _LIBYAML else _ruamel_compose
_MARKED_ERRORS: tuple[type[Exception], ...] = (
    MarkedYAMLError,
    *((_LIBYAML[2],) if _LIBYAML else ()),
)
_YAML_ERRORS: tuple[type[Exception], ...] = (YAMLError, *((_LIBYAML[1],) if _LIBYAML else ()))
PARSER = "libyaml" if _LIBYAML else "ruamel"
"""Which parser composes documents here: ``libyaml`` or ``ruamel``."""


def _span(file: str, line0: int, col0: int) -> Span:
    return Span(file=file, line=line0 + 1, col=col0 + 1)


def _read_text(
    path: Path, display: str, diags: Diagnostics, at: Span | None
) -> tuple[str, bytes] | None:
    where = at or Span(file=display, line=1, col=1)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        diags.add(
            "file-not-found",
            f"file not found: {display}",
            where,
            hint="paths in test_files are relative to the suite file's directory" if at else None,
        )
        return None
    except OSError as exc:
        diags.add("file-unreadable", f"cannot read {display}: {exc.strerror}", where)
        return None
    if path.is_dir():
        diags.add("file-unreadable", f"{display} is a directory, not a YAML file", where)
        return None
    if size > MAX_FILE_BYTES:
        diags.add(
            "file-too-large",
            f"{display} is {size / 1048576:.1f} MiB; suite files are limited to "
            f"{MAX_FILE_BYTES // 1048576} MiB",
            where,
            hint="split the suite into test_files",
        )
        return None
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    except OSError as exc:
        diags.add("file-unreadable", f"cannot read {display}: {exc.strerror}", where)
        return None
    if len(raw) > MAX_FILE_BYTES:
        diags.add(
            "file-too-large", f"{display} is larger than {MAX_FILE_BYTES // 1048576} MiB", where
        )
        return None
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        line = raw.count(b"\n", 0, offset) + 1
        diags.add(
            "not-text",
            f"{display} is not a text file (NUL byte at offset {offset})",
            Span(file=display, line=line, col=1),
            hint="is this a binary file?",
        )
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        diags.add(
            "not-text",
            f"{display} is not UTF-8 text (invalid byte at offset {exc.start})",
            Span(file=display, line=line, col=1),
            hint="save the file as UTF-8",
        )
        return None
    return text, raw


def _expanded_size(root: Node, file: str, diags: Diagnostics) -> int | None:
    """Node count after alias expansion, computed over the shared graph without expanding."""
    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        if key in active:
            raise _Recursive(node)
        if _is(node, "scalar"):
            return 1
        active.add(key)
        total = 1
        if _is(node, "sequence"):
            for child in node.value:
                total += size(child)
                if total > MAX_NODES:
                    break
        elif _is(node, "mapping"):
            for k, v in node.value:
                total += size(k) + size(v)
                if total > MAX_NODES:
                    break
        active.discard(key)
        memo[key] = total
        return total

    try:
        return size(root)
    except _Recursive as exc:
        m = exc.node.start_mark
        diags.add(
            "yaml-recursive",
            "recursive alias: a node contains itself",
            _span(file, m.line, m.column),
        )
        return None


class _Recursive(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


class _Walker:
    """Turns a composed node graph into plain data and positions."""

    def __init__(self, file: str, diags: Diagnostics, positions: PositionTree, text: str) -> None:
        self.file = file
        self.diags = diags
        self.positions = positions
        self.text = text

    def scalar(self, node: Node) -> Any:
        tag = str(node.tag or "")
        if tag.startswith("!") and not tag.startswith("!!"):
            m = node.start_mark
            self.diags.add(
                "yaml-tag",
                f"unsupported YAML tag {tag}",
                _span(self.file, m.line, m.column),
                hint="remove the tag; plain scalars, lists and mappings are enough",
            )
        if node.style:  # quoted and block scalars are strings
            return node.value
        return resolve_plain(node.value)

    def walk(self, node: Node, path: YamlPath) -> Any:
        m = node.start_mark
        self.positions.set_value(path, m.line + 1, m.column + 1)
        unquoted = _unquoted_template(node)
        if unquoted is not None:
            self.diags.add(
                "unquoted-template",
                f"'{{{{{unquoted}}}}}' must be quoted: unquoted, YAML reads it as a nested mapping",
                _span(self.file, m.line, m.column),
                hint=f'write "{{{{{unquoted}}}}}" (agent-benchmark rejects the whole file here)',
            )
            return "{{" + unquoted + "}}"
        if _is(node, "scalar"):
            return self.scalar(node)
        if _is(node, "sequence"):
            return [self.walk(child, (*path, i)) for i, child in enumerate(node.value)]
        if _is(node, "mapping"):
            return self.mapping(node, path)
        return None  # pragma: no cover - ruamel has no other node kinds

    def key_text(self, node: Node) -> str | None:
        if not _is(node, "scalar"):
            m = node.start_mark
            hint = None
            if "{{" in _line(self.text, m.line):
                # `token: {{X}}` unquoted reads as a flow mapping nested in a flow mapping
                hint = "quote values that start with '{{', e.g. token: \"{{API_KEY}}\""
            self.diags.add(
                "yaml-key",
                "mapping keys must be plain scalars",
                _span(self.file, m.line, m.column),
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
        out: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        merges: list[Node] = []
        for knode, vnode in node.value:
            if _is(knode, "scalar") and knode.value == "<<" and not knode.style:
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
                    _span(self.file, km.line, km.column),
                    hint="remove one of them; YAML keeps only one value per key",
                )
                continue
            first_seen[key] = km.line + 1
            self.positions.set_key((*path, key), km.line + 1, km.column + 1)
            out[key] = self.walk(vnode, (*path, key))
        for merge in merges:  # `<<: *defaults`: explicit keys win over merged ones
            sources = merge.value if _is(merge, "sequence") else [merge]
            for src in sources:
                if not _is(src, "mapping"):
                    m = src.start_mark
                    self.diags.add(
                        "yaml-merge",
                        "'<<' merges a mapping (or a list of mappings)",
                        _span(self.file, m.line, m.column),
                    )
                    continue
                merged = self.mapping(src, path)
                for k, v in merged.items():
                    out.setdefault(k, v)
        return out


_FAILED: Any = object()


def _parse(text: str, display: str, diags: Diagnostics) -> Node:
    """Compose the document; ``_FAILED`` after a diagnostic (None is an empty document)."""
    try:
        with _no_gc():
            root = _compose(text)
    except _MARKED_ERRORS as exc:
        err: Any = exc
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line, mark.column) if mark is not None else (0, 0)
        problem = err.problem or "invalid YAML"
        if err.context:
            problem = f"{problem} ({err.context})"
        hint = None
        if "found character '\\t'" in problem or "\t" in problem or "tab" in problem:
            hint = "YAML indentation uses spaces, not tabs"
        elif "{{" in _line(text, line):
            hint = "quote values that start with '{{', e.g. token: \"{{API_KEY}}\""
        diags.add("yaml-syntax", f"invalid YAML: {problem}", _span(display, line, col), hint=hint)
        return _FAILED
    except RecursionError:
        diags.add("yaml-too-deep", "YAML nesting is too deep", Span(file=display, line=1, col=1))
        return _FAILED
    except _YAML_ERRORS as exc:
        diags.add("yaml-syntax", f"invalid YAML: {exc}", Span(file=display, line=1, col=1))
        return _FAILED
    return root


def load_yaml(
    path: Path, display: str, diags: Diagnostics, *, at: Span | None = None
) -> SourceDoc | None:
    """Parse one YAML file; on any problem add a diagnostic and return None.

    ``at`` is where the file was referenced (a suite's ``test_files`` entry), used when the
    file itself cannot be read.
    """
    got = _read_text(path, display, diags, at)
    if got is None:
        return None
    text, raw = got
    diags.sources[display] = text
    if not text.strip():
        diags.add(
            "empty-file",
            f"{display} is empty",
            at or Span(file=display, line=1, col=1),
            hint="a test file needs providers, agents and sessions",
        )
        return None
    depth = _flow_depth(text)
    if depth > MAX_FLOW_DEPTH:
        diags.add(
            "yaml-too-deep",
            f"brackets nest {depth} deep; the limit is {MAX_FLOW_DEPTH}",
            Span(file=display, line=1, col=1),
        )
        return None
    root = _parse(text, display, diags)
    if root is _FAILED:
        return None
    if root is None:
        diags.add(
            "empty-file", f"{display} has no YAML document", Span(file=display, line=1, col=1)
        )
        return None
    if not _is(root, "mapping"):
        m = root.start_mark
        kind = "a list" if _is(root, "sequence") else "a single value"
        diags.add(
            "not-mapping",
            f"the document is {kind}; a suite file is a mapping of sections",
            _span(display, m.line, m.column),
            hint="start with keys such as providers:, agents:, sessions:",
        )
        return None
    try:
        total = _expanded_size(root, display, diags)
    except RecursionError:
        diags.add("yaml-too-deep", "YAML nesting is too deep", Span(file=display, line=1, col=1))
        return None
    if total is None:
        return None
    if total > MAX_NODES:
        diags.add(
            "yaml-too-large",
            f"the document expands to more than {MAX_NODES:,} nodes (an alias bomb?)",
            Span(file=display, line=1, col=1),
            hint="use fewer nested aliases (*name)",
        )
        return None
    positions = PositionTree(display)
    walker = _Walker(display, diags, positions, text)
    try:
        with _no_gc():
            data = walker.mapping(root, ())
    except RecursionError:
        diags.add("yaml-too-deep", "YAML nesting is too deep", Span(file=display, line=1, col=1))
        return None
    return SourceDoc(
        file=display,
        path=path.resolve(),
        text=text,
        data=data,
        positions=positions,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC: building ~100k small objects otherwise triggers it again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _flow_depth(text: str) -> int:
    """Deepest nesting of flow brackets (a cheap scan: only bracket characters are visited)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


def _unquoted_template(node: Node) -> str | None:
    """The NAME of an unquoted ``{{NAME}}`` value (a flow map keyed by a flow map), else None."""
    if not _is(node, "mapping") or len(node.value) != 1:
        return None
    key, value = node.value[0]
    if not (_is(value, "scalar") and not value.style and not value.value):
        return None
    if not _is(key, "mapping") or len(key.value) != 1:
        return None
    inner_key, inner_value = key.value[0]
    if not _is(inner_key, "scalar") or not _is(inner_value, "scalar") or inner_value.value:
        return None
    return str(inner_key.value)


def _line(text: str, line0: int) -> str:
    lines = text.splitlines()
    return lines[line0] if 0 <= line0 < len(lines) else ""
