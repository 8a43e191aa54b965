"""The cassette: every LLM answer and tool result of a run, as plain, diffable JSON lines.

``<dir>/cassette.jsonl`` starts with a header line (``{"format": "bench-cassette",
"version": 1, ...}``); every other line is one entry:

- ``llm``: a model call (``request`` in canonical form, ``response``: text, tool calls,
  usage, model, stop reason, time to first token; ``latency_ms``);
- ``tool_call``: a tool call (``request``: server, tool, arguments; ``result`` or ``error``;
  ``latency_ms``);
- ``tools``: a tool listing (``request``: the servers asked; ``tools`` with their server).

Each entry carries ``key`` (runtime/replay/canonical.py) and, for calls made by a case,
``case``, ``attempt`` and ``n`` (the key's occurrence in that case's attempt). A later line
with the same coordinates replaces an earlier one (``--record-missing`` appends). Every
string is passed through the run's redactor before it is written: no resolved secret, header
or key reaches the file (the request's canonical form holds none to begin with).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic_core import from_json

from ..clock import utc_now
from ..errors import InputError

__all__ = ["CASSETTE_FILE", "CASSETTE_VERSION", "Cassette", "CassetteError", "redacted"]

CASSETTE_FILE = "cassette.jsonl"
CASSETTE_FORMAT = "bench-cassette"
CASSETTE_VERSION = 1

Coord = tuple[str, str, int, str, int]
"""(kind, case, attempt, key, n): where a case's entry is found."""


class CassetteError(InputError):
    """A cassette directory that is missing, unreadable or of an unknown format version."""


def redacted(value: Any, redact: Callable[[str], str]) -> Any:
    """``value`` with ``redact`` applied to every string in it."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redacted(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v, redact) for v in value]
    return value


class Cassette:
    """An open cassette: an index of its entries, and (when recording) its file to append to.

    ``Cassette.create(dir)`` starts a new one (replacing what was there); ``Cassette.load(dir,
    append=...)`` reads one for replay, and opens it for appending when ``append`` is set.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        """The cassette directory."""
        self._by_coord: dict[Coord, dict[str, Any]] = {}
        self._by_key: dict[tuple[str, str], dict[str, Any]] = {}
        self._by_case: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._fd: int | None = None
        self.redact: Callable[[str], str] = lambda text: text
        """Applied to every string written (the run store's redactor)."""
        self.written = 0
        """Entries appended by this process."""

    @property
    def file(self) -> Path:
        """The cassette's JSON-lines file."""
        return self.path / CASSETTE_FILE

    @classmethod
    def create(cls, path: Path, *, bench_version: str = "", plan_hash: str = "") -> Cassette:
        """Start a new cassette in ``path`` (created if needed; an old cassette is replaced)."""
        cassette = cls(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
            cassette._fd = os.open(cassette.file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as exc:
            raise CassetteError(f"cannot write a cassette in {path}: {exc.strerror}") from exc
        header = {
            "format": CASSETTE_FORMAT,
            "version": CASSETTE_VERSION,
            "created_at": utc_now(),
            "bench_version": bench_version,
            "plan_hash": plan_hash,
        }
        cassette._write_line(header)
        return cassette

    @classmethod
    def load(cls, path: Path, *, append: bool = False) -> Cassette:
        """Read the cassette in ``path``; ``append`` also opens it for new entries."""
        cassette = cls(path)
        try:
            with cassette.file.open(encoding="utf-8") as fh:
                lines = list(fh)
        except FileNotFoundError:
            raise CassetteError(
                f"no cassette in {path} (expected {cassette.file}; record one with "
                f"`bench execute SUITE --record {path}`)"
            ) from None
        except OSError as exc:
            raise CassetteError(f"cannot read the cassette {cassette.file}: {exc}") from exc
        cassette._check_header(lines[0] if lines else "")
        for number, line in enumerate(lines[1:], 2):
            if not line.strip():
                continue
            try:
                entry = from_json(line)  # pydantic-core's parser: about 2x json.loads here
            except ValueError:
                if number == len(lines):
                    continue  # a line cut short when a recording run was killed
                raise CassetteError(f"{cassette.file}:{number}: not a JSON line") from None
            if not isinstance(entry, dict):
                raise CassetteError(f"{cassette.file}:{number}: not a JSON object line")
            cassette._index(entry)
        if append:
            cassette._fd = os.open(cassette.file, os.O_WRONLY | os.O_APPEND)
        return cassette

    def _check_header(self, line: str) -> None:
        try:
            header = json.loads(line)
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or header.get("format") != CASSETTE_FORMAT:
            raise CassetteError(f"{self.file} is not a bench cassette (no header line)")
        version = header.get("version")
        if version != CASSETTE_VERSION:
            raise CassetteError(
                f"{self.file} has cassette format version {version}; this bench reads "
                f"version {CASSETTE_VERSION}: record it again"
            )

    def _index(self, entry: dict[str, Any]) -> None:
        kind, key = str(entry.get("kind")), str(entry.get("key"))
        self._by_key[(kind, key)] = entry
        if "case" in entry:
            coord = (kind, str(entry["case"]), int(entry["attempt"]), key, int(entry["n"]))
            self._by_coord[coord] = entry
            self._by_case.setdefault((kind, str(entry["case"])), []).append(entry)

    def find(self, kind: str, case: str, attempt: int, key: str, n: int) -> dict[str, Any] | None:
        """The entry a case's ``n``-th request with ``key`` gets, if recorded."""
        return self._by_coord.get((kind, case, attempt, key, n))

    def find_any(self, kind: str, key: str) -> dict[str, Any] | None:
        """The latest entry with ``key``, whichever case made it (judges, tool listings)."""
        return self._by_key.get((kind, key))

    def of_case(self, kind: str, case: str) -> list[dict[str, Any]]:
        """Every entry of ``kind`` recorded for ``case`` (all attempts)."""
        return self._by_case.get((kind, case), [])

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every distinct entry (the latest of each)."""
        seen: set[int] = set()
        for entry in [*self._by_coord.values(), *self._by_key.values()]:
            if id(entry) not in seen:
                seen.add(id(entry))
                yield entry

    def add(self, entry: dict[str, Any]) -> None:
        """Append ``entry`` (redacted) and index it; nothing when not open for writing."""
        if self._fd is None:
            return
        clean = redacted(entry, self.redact)
        self._write_line(clean)
        self._index(clean)
        self.written += 1

    def _write_line(self, doc: dict[str, Any]) -> None:
        assert self._fd is not None
        line = json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
        # One write per line on an O_APPEND descriptor: a killed run leaves whole lines
        # (and at worst a last one cut short, which load() skips).
        os.write(self._fd, line.encode("utf-8"))

    def close(self) -> None:
        """Close the file (the index stays readable)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
