"""Datasets of sessions with ``dataset:``: loaded once each at compile time, rows for expand.py.

A session names a dataset of its own test file or, in a suite, of the suite file. Each dataset
is read once (``compiler.datasets``), sampled with the plan's seed, and its file recorded in
the plan's sources with its sha256 and, for ``git:`` sources, the commit; an ``hf:`` source
records each file it read (``hf:OWNER/NAME:path``) with its sha256 and the commit.
"""

from __future__ import annotations

import os
from pathlib import Path

from runtime.plan import SourceFile

from .datasets import DatasetError, DatasetRow, load_dataset_with_info
from .diagnostics import Diagnostics
from .includes import Located, Suite
from .suggest import did_you_mean
from .suite import DatasetDef

__all__ = ["ROW_NAMES", "SessionRows", "load_session_rows"]

ROW_NAMES = frozenset({"input", "expected", "row_id"})
"""Names a dataset session's templates may read, bound per row."""

SessionRows = dict[tuple[str, int], list[DatasetRow]]
"""Rows by (test file, session index), for sessions with ``dataset:``."""


def _defined(suite: Suite, diags: Diagnostics) -> dict[str, dict[str, Located[DatasetDef]]]:
    """Datasets visible from each test file: its own, then the suite file's."""
    root = {
        d.name: Located(d, suite.root, ("datasets", i))
        for i, d in reversed(list(enumerate(suite.document.datasets)))
    }
    out: dict[str, dict[str, Located[DatasetDef]]] = {}
    for tf in suite.files:
        seen: dict[str, int] = {}
        own: dict[str, Located[DatasetDef]] = {}
        for i, d in enumerate(tf.document.datasets):
            if d.name in seen:
                diags.add("duplicate-name", f"dataset '{d.name}' is defined twice",
                          tf.doc.positions.span(("datasets", i, "name")))  # fmt: skip
                continue
            seen[d.name] = i
            own[d.name] = Located(d, tf.doc, ("datasets", i))
        out[tf.doc.file] = {**root, **own} if tf.doc is not suite.root else own
    return out


def _shown(item: Located[DatasetDef]) -> str:
    """The dataset file as recorded in the plan: relative to the suite like the YAML files."""
    d = item.value
    if d.source.startswith("git:"):
        return f"{d.source}:{d.path or ''}"
    parts = [os.path.dirname(item.doc.file), d.source, *([d.path] if d.path else [])]
    return os.path.normpath(os.path.join(*parts))


def load_session_rows(
    suite: Suite, seed: int, diags: Diagnostics
) -> tuple[SessionRows, list[SourceFile]]:
    """Rows of every dataset session, and the dataset files read (problems are diagnostics)."""
    visible = _defined(suite, diags)
    loaded: dict[tuple[str, str], list[DatasetRow] | None] = {}
    sources: list[SourceFile] = []
    rows: SessionRows = {}
    for tf in suite.files:
        for i, session in enumerate(tf.sessions):
            name = session.value.dataset
            if name is None:
                continue
            item = visible[tf.doc.file].get(name)
            if item is None:
                known = visible[tf.doc.file]
                hint = did_you_mean(name, known) or (
                    f"defined datasets: {', '.join(sorted(known))}"
                    if known
                    else "add a datasets: section"
                )
                diags.add(
                    "unknown-dataset",
                    f"unknown dataset '{name}'",
                    session.span("dataset"),
                    hint=hint,
                )
                continue
            key = (item.doc.file, name)
            if key not in loaded:
                loaded[key] = _load(item, seed, sources, diags)
            got = loaded[key]
            if got is not None:
                rows[(tf.doc.file, i)] = got
    return rows, sources


def _load(
    item: Located[DatasetDef], seed: int, sources: list[SourceFile], diags: Diagnostics
) -> list[DatasetRow] | None:
    try:
        found, info = load_dataset_with_info(item.value, Path(item.doc.path).parent, seed=seed)
    except DatasetError as exc:
        # At the dataset's definition: that is where the source, path or map is to be fixed.
        diags.add("dataset", str(exc), item.span("source"))
        return None
    if info.note:
        diags.warn("dataset-offline", info.note, item.span("source"))
    if info.parts:
        source = item.value.source.strip()
        sources += [
            SourceFile(path=f"{source}:{name}", sha256=sha, revision=info.revision)
            for name, sha in info.parts
        ]
    else:
        sources.append(SourceFile(path=_shown(item), sha256=info.sha256, revision=info.revision))
    if not found:
        diags.warn("empty-dataset", f"dataset '{item.value.name}' has no rows", item.span("source"))
    return found
