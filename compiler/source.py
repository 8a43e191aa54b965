"""Read a YAML file into plain data plus a ``PositionTree`` (line/col of every key and value).

This module reads the file and composes the node graph (with marks), libyaml's or ruamel.yaml's;
``yaml_tree`` walks that graph into plain ``dict`` / ``list`` / scalars, so no model ever holds a
parser type. Hostile or broken input ends in one diagnostic each, fast and in bounded memory:

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
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from runtime.plan import Span

from .diagnostics import Diagnostics
from .yaml_tree import Node, NodeWalker, is_kind, line_text, span0
from .yaml_tree import PositionTree as PositionTree
from .yaml_tree import YamlPath as YamlPath
from .yaml_tree import resolve_plain as resolve_plain

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

_BRACKETS = re.compile(r"[\[\]{}]")


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
# *compose* (nodes with marks); values are resolved by ``yaml_tree.resolve_plain``, so both give
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


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "named pipe"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def _read_text(
    path: Path, display: str, diags: Diagnostics, at: Span | None
) -> tuple[str, bytes] | None:
    where = at or Span(file=display, line=1, col=1)
    try:
        st = path.stat()
        size = st.st_size
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
    if stat.S_ISDIR(st.st_mode):
        diags.add("file-unreadable", f"{display} is a directory, not a YAML file", where)
        return None
    if not stat.S_ISREG(st.st_mode):
        # A FIFO would block the open (and the compile) until something writes to it; a
        # device such as /dev/zero never ends. Only regular files are read.
        diags.add(
            "file-unreadable",
            f"{display} is not a regular file (a {_kind(st.st_mode)})",
            where,
            hint="give the path of a YAML file",
        )
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
        if is_kind(node, "scalar"):
            return 1
        active.add(key)
        total = 1
        if is_kind(node, "sequence"):
            for child in node.value:
                total += size(child)
                if total > MAX_NODES:
                    break
        elif is_kind(node, "mapping"):
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
            span0(file, m.line, m.column),
        )
        return None


class _Recursive(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


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
        elif "{{" in line_text(text, line):
            hint = "quote values that start with '{{', e.g. token: \"{{API_KEY}}\""
        diags.add("yaml-syntax", f"invalid YAML: {problem}", span0(display, line, col), hint=hint)
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
    if not is_kind(root, "mapping"):
        m = root.start_mark
        kind = "a list" if is_kind(root, "sequence") else "a single value"
        diags.add(
            "not-mapping",
            f"the document is {kind}; a suite file is a mapping of sections",
            span0(display, m.line, m.column),
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
    walker = NodeWalker(display, diags, positions, text)
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
    """Deepest nesting of flow collections, before the (recursive) composer sees the text.

    A cheap scan of bracket characters bounds it from above; only when that bound is over the
    limit are the YAML tokens scanned (linear, no recursion), so brackets inside quoted strings,
    block scalars, plain scalars and comments do not count.
    """
    if _bracket_depth(text) <= MAX_FLOW_DEPTH:
        return 0
    try:
        return _token_depth(text)
    except _YAML_ERRORS:
        return _bracket_depth(text)  # not YAML: refused here rather than by a deep recursion


def _bracket_depth(text: str) -> int:
    """Deepest nesting of bracket characters, wherever they are (an upper bound)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


def _token_depth(text: str) -> int:
    """Deepest nesting of flow collections, from the scanner's tokens."""
    depth = deepest = 0
    for token in _scan(text):
        name = type(token).__name__
        if name in ("FlowSequenceStartToken", "FlowMappingStartToken"):
            depth += 1
            deepest = max(deepest, depth)
        elif name in ("FlowSequenceEndToken", "FlowMappingEndToken"):
            depth = max(depth - 1, 0)
    return deepest


def _scan(text: str) -> Iterator[Any]:
    if _LIBYAML:
        import yaml as pyyaml

        return iter(pyyaml.scan(text, Loader=pyyaml.CBaseLoader))
    return iter(YAML(typ="safe", pure=True).scan(text))
