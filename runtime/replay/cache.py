"""The response cache: LLM answers reused across live runs while a suite is being iterated on.

Keyed like the cassette (runtime/replay/canonical.py: the canonical request with its case,
attempt and occurrence, so each repeat attempt has its own entry), stored one JSON file per
answer under the user's cache directory (platformdirs: ``~/.cache/bench/responses`` on
Linux; ``BENCH_CACHE_DIR`` overrides it). Entries expire after ``ttl_days`` (default 14; an
expired entry is ignored and removed by ``prune``). Errors and empty answers are never
stored. Only model answers are cached: tool servers are local, often stateful, and cost
nothing per call; a cached answer still calls the tools it asks for.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_TTL_DAYS", "CacheInfo", "ResponseCache", "default_cache_dir"]

DEFAULT_TTL_DAYS = 14.0
_DAY_S = 86400.0


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``BENCH_CACHE_DIR``, else ``<user cache dir>/bench/responses`` (platformdirs)."""
    env = os.environ if env is None else env
    if env.get("BENCH_CACHE_DIR"):
        return Path(env["BENCH_CACHE_DIR"])
    import platformdirs

    return Path(platformdirs.user_cache_dir("bench", appauthor=False)) / "responses"


@dataclass(frozen=True)
class CacheInfo:
    """What the cache holds."""

    path: Path
    entries: int
    expired: int
    bytes: int
    oldest: float | None
    """Unix time of the oldest entry (None when empty)."""
    newest: float | None


class ResponseCache:
    """A directory of cached answers: ``get``/``put`` by key, ``info``/``prune``/``clear``."""

    def __init__(self, path: Path, *, ttl_days: float = DEFAULT_TTL_DAYS) -> None:
        self.path = path
        self.ttl_s = ttl_days * _DAY_S
        self.redact: Callable[[str], str] = lambda text: text
        """Applied to the stored JSON text (the run's redactor)."""

    @classmethod
    def default(cls, env: Mapping[str, str] | None = None) -> ResponseCache:
        """The user's cache (``BENCH_CACHE_TTL_DAYS`` sets the expiry, default 14 days)."""
        env = os.environ if env is None else env
        ttl = DEFAULT_TTL_DAYS
        raw = env.get("BENCH_CACHE_TTL_DAYS")
        if raw:
            try:
                ttl = float(raw)
            except ValueError:
                from ..errors import InputError

                raise InputError(
                    f"BENCH_CACHE_TTL_DAYS must be a number of days, not {raw!r}"
                ) from None
        return cls(default_cache_dir(env), ttl_days=ttl)

    def _file(self, key: str) -> Path:
        return self.path / key[:2] / f"{key}.json"

    def _expired(self, stored_at: float, now: float) -> bool:
        return now - stored_at > self.ttl_s

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached entry for ``key`` unless absent, unreadable or expired."""
        try:
            doc = json.loads(self._file(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or not isinstance(doc.get("stored_at"), int | float):
            return None
        if self._expired(doc["stored_at"], time.time()):
            return None
        return doc

    def put(self, key: str, entry: Mapping[str, Any]) -> None:
        """Store ``entry`` under ``key`` (atomically; a failure to write is not an error)."""
        target = self._file(key)
        text = self.redact(json.dumps({**entry, "stored_at": time.time()}, ensure_ascii=False))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, target)
        except OSError:
            return  # a full or read-only cache only costs the next run a call

    def _entries(self) -> Iterator[tuple[Path, float | None]]:
        if not self.path.is_dir():
            return
        for file in self.path.glob("*/*.json"):
            try:
                stored = json.loads(file.read_text(encoding="utf-8")).get("stored_at")
            except (OSError, ValueError, AttributeError):
                stored = None
            yield file, stored if isinstance(stored, int | float) else None

    def info(self) -> CacheInfo:
        """Counts, size and age of the entries."""
        now = time.time()
        entries = expired = size = 0
        times: list[float] = []
        for file, stored in self._entries():
            entries += 1
            size += file.stat().st_size
            if stored is None or self._expired(stored, now):
                expired += 1
            if stored is not None:
                times.append(stored)
        return CacheInfo(self.path, entries, expired, size, min(times, default=None),
                         max(times, default=None))  # fmt: skip

    def prune(self) -> int:
        """Remove expired and unreadable entries; returns how many."""
        now = time.time()
        removed = 0
        for file, stored in list(self._entries()):
            if stored is None or self._expired(stored, now):
                file.unlink(missing_ok=True)
                removed += 1
        return removed

    def clear(self) -> int:
        """Remove every entry; returns how many there were."""
        count = sum(1 for _ in self.path.glob("*/*.json")) if self.path.is_dir() else 0
        if self.path.is_dir():
            shutil.rmtree(self.path)
        return count
