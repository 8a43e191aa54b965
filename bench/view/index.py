"""The viewer's read-only index of a run store: which runs exist, their rows, their reports.

A run is found only by name in the listing of the store's directory, never by joining a URL
into a path; a run directory, or one of its files, that resolves outside the store (a
symlink pointing elsewhere) is left out. The list reads each run's metadata.json once
(cached by its size and mtime) and a results.jsonl only for a run still going; a run's report
is built when it is opened and cached the same way.
"""

from __future__ import annotations

import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from report.run_list import RunRow
from report.schema import Report
from runtime.errors import InputError, RunStoreError
from runtime.results import RunMetadata
from runtime.store import METADATA_FILE, PLAN_FILE, RESULTS_FILE, RUNS_DIR, RunEntry

__all__ = ["StoreIndex", "runs_root"]

T = TypeVar("T")
_Stamp = tuple[tuple[int, int], ...]

CACHED_REPORTS = 8
"""Runs whose built report (and rendered pages) stay in memory."""


def runs_root(path: Path) -> Path:
    """The runs directory of ``path``: ``path/runs`` when it has one, else ``path`` itself.

    Raises InputError when neither is a directory.
    """
    if (path / RUNS_DIR).is_dir():
        return path / RUNS_DIR
    if path.is_dir():
        return path
    raise InputError(
        f"{path} is not a run store: give the runs/ directory bench execute writes, "
        "or the directory that holds it"
    )


def _stamp(*paths: Path) -> _Stamp:
    out = []
    for p in paths:
        try:
            st = p.stat()
            out.append((st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((0, -1))
    return tuple(out)


def _duration_ms(started: str, ended: str | None) -> float | None:
    if not ended:
        return None
    try:
        a = datetime.fromisoformat(started.replace("Z", "+00:00"))
        b = datetime.fromisoformat(ended.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, (b - a).total_seconds() * 1000)


class StoreIndex:
    """Read-only access to the runs under one directory (thread-safe: pages are built in
    Starlette's worker threads)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        """The runs directory, symlinks resolved."""
        self._root_text = str(self.root)
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[_Stamp, RunEntry]] = {}
        self._totals: dict[str, tuple[_Stamp, RunRow]] = {}
        self._reports: OrderedDict[tuple[str, str], tuple[_Stamp, object]] = OrderedDict()

    # -- finding runs ----------------------------------------------------------------------

    def _inside(self, path: Path) -> bool:
        try:
            return path.resolve().is_relative_to(self.root)
        except (OSError, RuntimeError):  # a symlink loop
            return False

    def _run_dir(self, name: str) -> Path | None:
        """``root/name`` when ``name`` is an entry of the store's listing holding a run whose
        directory and files all stay inside the store; else None.

        Only a symlink is resolved (a plain directory or file under the resolved root is
        inside by construction), so a store of thousands of runs costs a few ``lstat`` each.
        """
        path = os.path.join(self._root_text, name)  # strings: pathlib costs ~4x per call
        try:
            if os.path.islink(path) and not self._inside(Path(path)):
                return None
            for file in (METADATA_FILE, RESULTS_FILE, PLAN_FILE):
                try:
                    mode = os.lstat(os.path.join(path, file)).st_mode
                except FileNotFoundError:
                    if file == METADATA_FILE:
                        return None
                    continue
                if stat.S_ISLNK(mode) and not self._inside(Path(path, file)):
                    return None
            return Path(path) if os.path.isfile(os.path.join(path, METADATA_FILE)) else None
        except OSError:
            return None

    def names(self) -> list[str]:
        """Directory names of the runs in the store (unsorted)."""
        return [name for name, _ in self._listing()]

    def _listing(self) -> list[tuple[str, Path]]:
        try:
            listing = os.listdir(self.root)
        except OSError:
            return []
        found = ((name, self._run_dir(name)) for name in listing)
        return [(name, path) for name, path in found if path is not None]

    def entry(self, name: str) -> RunEntry | None:
        """The run named ``name`` if the store lists it (an exact directory name), else None."""
        try:
            listed = name in os.listdir(self.root)
        except OSError:
            return None
        path = self._run_dir(name) if listed else None
        return None if path is None else self._load(name, path)

    def _load(self, name: str, path: Path) -> RunEntry:
        stamp = _stamp(path / METADATA_FILE)
        with self._lock:
            cached = self._entries.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            meta = RunMetadata.model_validate_json((path / METADATA_FILE).read_bytes())
            found = RunEntry(path, meta)
        except (OSError, ValueError) as exc:
            found = RunEntry(path, None, f"unreadable {METADATA_FILE}: {exc}")
        with self._lock:
            self._entries[name] = (stamp, found)
        return found

    def entries(self) -> list[RunEntry]:
        """Every run, newest first (by start time, then name), as ``bench runs`` lists them."""
        found = [self._load(name, path) for name, path in self._listing()]
        found.sort(key=lambda e: (e.metadata.started_at if e.metadata else "", e.path.name))
        found.reverse()
        return found

    # -- rows of the list ------------------------------------------------------------------

    def rows(self) -> list[RunRow]:
        """One row per run, newest first."""
        return [self._row(e) for e in self.entries()]

    def _row(self, entry: RunEntry) -> RunRow:
        from bench.commands.runs import current_totals, status_text

        name, m = entry.path.name, entry.metadata
        if m is None:
            return RunRow(run_id=name, problem=entry.problem)
        stamp = _stamp(entry.path / METADATA_FILE, entry.path / RESULTS_FILE)
        with self._lock:
            cached = self._totals.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        # Only a run still going (or killed) is counted from its results.jsonl.
        totals = current_totals(entry.path, m)
        row = RunRow(
            run_id=name,
            suite=m.plan_name,
            status=status_text(m),
            started_at=m.started_at,
            duration_ms=_duration_ms(m.started_at, m.ended_at),
            total=totals.total,
            case_count=m.case_count,
            passed=totals.passed,
            failed=totals.failed,
            errors=totals.errors,
            cost_usd=totals.cost_usd or None,  # the agent's calls, as the report's summary
            git_commit=m.git_commit,
        )
        with self._lock:
            self._totals[name] = (stamp, row)
        return row

    # -- reports ---------------------------------------------------------------------------

    def report(self, name: str) -> Report:
        """The run's report (built from its directory); RunStoreError when it cannot be read."""
        from report import build_report

        return self.cached(name, "report", lambda path: build_report(path))

    def cached(self, name: str, kind: str, make: Callable[[Path], T]) -> T:
        """``make(run dir)`` for the run ``name``, kept while the run's files are unchanged
        (the ``CACHED_REPORTS`` most recently used)."""
        entry = self.entry(name)
        if entry is None:
            raise RunStoreError(f"no run {name!r} in {self.root}")
        path = entry.path
        stamp = _stamp(path / METADATA_FILE, path / RESULTS_FILE, path / PLAN_FILE)
        key = (name, kind)
        with self._lock:
            hit = self._reports.get(key)
            if hit is not None and hit[0] == stamp:
                self._reports.move_to_end(key)
                return hit[1]  # type: ignore[return-value]
        value = make(path)
        with self._lock:
            self._reports[key] = (stamp, value)
            self._reports.move_to_end(key)
            while len(self._reports) > CACHED_REPORTS * 2:
                self._reports.popitem(last=False)
        return value
