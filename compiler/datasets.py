"""Load a dataset into rows: local JSONL/JSON/CSV/Parquet files, files in a git repository,
or a split of a dataset on the Hugging Face Hub (``compiler/hf_source.py``).

``load_dataset(spec, base_dir)`` resolves the source, runs the optional ``prepare`` command,
reads the file, maps fields (``input_map``), then samples and limits deterministically.
Every problem is a ``DatasetError`` naming the dataset, the file and, where there is one,
the line or row, so the compiler can turn it into a diagnostic at the ``dataset:`` entry.

git sources (``git:<url>[#ref]``) are cloned by the ``git`` command into a cache folder
keyed by URL and ref (``BENCH_CACHE_DIR`` or ``~/.cache/bench``), once: a later compile reads
the cached clone without touching the network (delete the folder to refresh). The commit
read is returned in ``DatasetInfo.revision`` so a plan can record it. ``hf:`` sources likewise
return the commit, and every file read with its sha256 in ``DatasetInfo.parts``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.errors import InputError

from .suite.datasets import DatasetDef

__all__ = ["DatasetError", "DatasetInfo", "DatasetRow", "default_cache_dir", "load_dataset"]

_GIT_TIMEOUT_S = 600
_PREPARE_TIMEOUT_S = 1800


class DatasetError(InputError):
    """A dataset cannot be fetched, prepared, read or mapped (exit code 2)."""


@dataclass(frozen=True)
class DatasetRow:
    """One row, mapped: what a case built from it needs."""

    id: str
    """Stable within the dataset: the row's ``id`` field, else its position (``0``, ``1``...)."""
    input: str
    expected: str | None = None
    history: tuple[dict[str, Any], ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    line: int = 0
    """Line (JSONL, CSV) or position (JSON) in the file, for diagnostics."""


@dataclass(frozen=True)
class DatasetInfo:
    """Where the rows came from."""

    file: Path
    """The data file read."""
    sha256: str
    """Of the data file's bytes."""
    revision: str | None = None
    """The git commit, for git sources."""
    total_rows: int = 0
    """Rows in the file before sampling and limiting."""
    parts: tuple[tuple[str, str], ...] = ()
    """``hf:`` sources: (file in the repository, sha256) of every file read."""
    note: str | None = None
    """A warning for the user (an ``hf:`` dataset read from the cache, offline)."""


def default_cache_dir() -> Path:
    """``$BENCH_CACHE_DIR/datasets`` or ``~/.cache/bench/datasets``."""
    root = os.environ.get("BENCH_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "bench"
    )
    return Path(root) / "datasets"


def load_dataset(
    spec: DatasetDef,
    base_dir: str | Path,
    *,
    seed: int = 0,
    cache_dir: str | Path | None = None,
) -> list[DatasetRow]:
    """The rows of ``spec`` (sources relative to ``base_dir``); raises DatasetError."""
    return load_dataset_with_info(spec, base_dir, seed=seed, cache_dir=cache_dir)[0]


def load_dataset_with_info(
    spec: DatasetDef,
    base_dir: str | Path,
    *,
    seed: int = 0,
    cache_dir: str | Path | None = None,
) -> tuple[list[DatasetRow], DatasetInfo]:
    """The rows of ``spec`` and where they came from."""
    base = Path(base_dir)
    revision: str | None = None
    if spec.source.startswith("hf:"):
        return _load_hub(spec, seed, Path(cache_dir) if cache_dir else default_cache_dir())
    if spec.source.startswith("git:"):
        root, revision = _git_checkout(spec, Path(cache_dir) if cache_dir else default_cache_dir())
        if spec.path is None:
            raise DatasetError(
                f"dataset {spec.name!r}: a git source needs `path:` (the data file in the repository)"
            )
        file = _inside(spec, root, spec.path)
    else:
        source = (base / spec.source).resolve()
        if spec.path is not None:
            root, file = source, _inside(spec, source, spec.path)
        else:
            root, file = source.parent, source
        if spec.prepare and not file.exists():
            _run_prepare(spec, root)
    if not file.is_file():
        raise DatasetError(f"dataset {spec.name!r}: file {file} does not exist")
    raw = file.read_bytes()
    records = _parse(spec, file, raw)
    rows = [_map_row(spec, file, n, line, rec) for n, (line, rec) in enumerate(records)]
    _check_unique_ids(spec, file, rows)
    info = DatasetInfo(
        file=file,
        sha256=hashlib.sha256(raw).hexdigest(),
        revision=revision,
        total_rows=len(rows),
    )
    return _select(spec, rows, seed), info


def _load_hub(spec: DatasetDef, seed: int, cache: Path) -> tuple[list[DatasetRow], DatasetInfo]:
    """The rows of an ``hf:`` source: every file of its split, in path order, as one table."""
    from .hf_source import fetch_hub_files

    got = fetch_hub_files(spec)
    parts = [(name, _sha256_file(local)) for name, local in got.files]
    read = list(got.files)
    if spec.prepare:
        work = _hub_prepared(spec, got.commit, got.files, cache)
        read = [(name, work / name) for name, _ in got.files]
        if spec.path is not None:
            read = [(spec.path, _inside(spec, work, spec.path))]
            if not read[0][1].is_file():
                raise DatasetError(f"dataset {spec.name!r}: prepare did not write {spec.path}")
            parts.append((f"{spec.path} (prepared)", _sha256_file(read[0][1])))
    rows: list[DatasetRow] = []
    for _, file in read:
        records = _parse(spec, file, file.read_bytes())
        rows += [
            _map_row(spec, file, len(rows) + n, line, rec) for n, (line, rec) in enumerate(records)
        ]
    _check_unique_ids(spec, read[0][1] if read else Path(spec.source), rows)
    info = DatasetInfo(
        file=read[0][1] if read else Path(spec.source),
        sha256=parts[0][1] if parts else hashlib.sha256(b"").hexdigest(),
        revision=got.commit,
        total_rows=len(rows),
        parts=tuple(parts),
        note=got.note,
    )
    return _select(spec, rows, seed), info


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hub_prepared(
    spec: DatasetDef, commit: str, files: tuple[tuple[str, Path], ...], cache: Path
) -> Path:
    """A folder with a copy of the split's files where ``prepare`` ran once (cached)."""
    assert spec.prepare is not None
    names = "\n".join(name for name, _ in files)
    key = hashlib.sha256(f"{spec.source}@{commit}\n{names}\n{spec.prepare}".encode()).hexdigest()
    target = cache / "hf-prepared" / key[:16]
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{key[:16]}.", dir=target.parent))
        try:
            for name, local in files:
                (tmp / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(local, tmp / name)
            _run_prepare(spec, tmp)
            os.replace(tmp, target)  # prepared completely, or not at all
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


# -- sources ---------------------------------------------------------------------------------


def _inside(spec: DatasetDef, root: Path, rel: str) -> Path:
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()):
        raise DatasetError(f"dataset {spec.name!r}: path {rel!r} leaves its source folder")
    return path


def _git(args: list[str], cwd: Path | None, what: str) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="/bin/true")
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise DatasetError(f"{what}: the `git` command is not installed") from None
    except subprocess.TimeoutExpired:
        raise DatasetError(f"{what}: git did not finish within {_GIT_TIMEOUT_S}s") from None
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        raise DatasetError(f"{what}: git {args[0]} failed: {' / '.join(tail) or 'no message'}")
    return done.stdout.strip()


def _git_checkout(spec: DatasetDef, cache: Path) -> tuple[Path, str]:
    """A clone of the source (cached), prepared once; the folder and its commit."""
    url, _, ref = spec.source[len("git:") :].partition("#")
    if not url:
        raise DatasetError(
            f"dataset {spec.name!r}: `git:` needs a URL, e.g. git:https://host/repo.git"
        )
    key = hashlib.sha256(f"{url}#{ref}".encode()).hexdigest()[:16]
    target = cache / key
    what = f"dataset {spec.name!r} ({url})"
    if not (target / ".git").is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=cache))
        try:
            if ref:
                _git(["clone", "--quiet", "--no-checkout", url, str(tmp)], None, what)
                _git(["checkout", "--quiet", ref], tmp, what)
            else:
                _git(["clone", "--quiet", "--depth", "1", url, str(tmp)], None, what)
            # A complete clone appears at once, or not at all (a killed compile leaves tmp).
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    if spec.prepare:
        stamp = (
            target
            / ".git"
            / f"bench-prepared-{hashlib.sha256(spec.prepare.encode()).hexdigest()[:12]}"
        )
        if not stamp.exists():
            _run_prepare(spec, target)
            stamp.write_text(spec.prepare, encoding="utf-8")
    return target, _git(["rev-parse", "HEAD"], target, what)


def _run_prepare(spec: DatasetDef, cwd: Path) -> None:
    assert spec.prepare is not None
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", spec.prepare],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_PREPARE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DatasetError(
            f"dataset {spec.name!r}: prepare did not finish within {_PREPARE_TIMEOUT_S}s"
        ) from None
    if done.returncode != 0:
        tail = done.stderr.strip()[-500:]
        raise DatasetError(
            f"dataset {spec.name!r}: prepare command exited with code {done.returncode}"
            + (f": {tail}" if tail else "")
        )


# -- formats ---------------------------------------------------------------------------------


def _format(spec: DatasetDef, file: Path) -> str:
    if spec.format:
        return spec.format
    ext = file.suffix.lower().lstrip(".")
    if ext in ("jsonl", "ndjson"):
        return "jsonl"
    if ext in ("json", "csv", "parquet"):
        return ext
    raise DatasetError(
        f"dataset {spec.name!r}: cannot tell the format of {file.name}; set `format:` "
        "to jsonl, json, csv or parquet"
    )


def _parse(spec: DatasetDef, file: Path, raw: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(line, record) pairs; every record is a JSON object (CSV rows: strings)."""
    fmt = _format(spec, file)
    where = f"dataset {spec.name!r}: {file}"
    if fmt == "parquet":
        return _parse_parquet(where, raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{where}: not UTF-8 (byte {exc.start})") from None
    if fmt == "jsonl":
        return _parse_jsonl(where, text)
    if fmt == "json":
        return _parse_json(where, text)
    return _parse_csv(where, text)


def _parse_jsonl(where: str, text: str) -> list[tuple[int, dict[str, Any]]]:
    out: list[tuple[int, dict[str, Any]]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}:{n}: not JSON: {exc.msg}") from None
        if not isinstance(rec, dict):
            raise DatasetError(f"{where}:{n}: a row must be a JSON object")
        out.append((n, rec))
    return out


def _parse_json(where: str, text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}:{exc.lineno}: not JSON: {exc.msg}") from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise DatasetError(f"{where}: expected a list of rows (or an object holding one)")
        data = lists[0]
    if not isinstance(data, list):
        raise DatasetError(f"{where}: expected a list of rows")
    out: list[tuple[int, dict[str, Any]]] = []
    for n, rec in enumerate(data):
        if not isinstance(rec, dict):
            raise DatasetError(f"{where}: row {n} must be a JSON object")
        out.append((n, rec))
    return out


def _parse_parquet(where: str, raw: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a Parquet file (pyarrow, the ``bench[hf]`` extra); positions count from 0."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DatasetError(
            f"{where}: reading Parquet needs pyarrow: pip install 'bench[hf]'"
        ) from None
    try:
        table = pq.read_table(pa.BufferReader(raw))
    except (pa.ArrowException, OSError) as exc:
        raise DatasetError(f"{where}: not a readable Parquet file: {exc}") from None
    return [(n, _plain(rec)) for n, rec in enumerate(table.to_pylist())]


def _plain(value: Any) -> Any:
    """A Parquet value as JSON data: dates as ISO text, bytes and decimals as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _parse_csv(where: str, text: str) -> list[tuple[int, dict[str, Any]]]:
    out: list[tuple[int, dict[str, Any]]] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for rec in reader:
        if None in rec:
            raise DatasetError(f"{where}:{reader.line_num}: more fields than the header has")
        out.append((reader.line_num, dict(rec)))
    return out


# -- mapping ---------------------------------------------------------------------------------


_MISSING = object()


def _get(record: Mapping[str, Any], path: str) -> Any:
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _map_row(spec: DatasetDef, file: Path, n: int, line: int, rec: dict[str, Any]) -> DatasetRow:
    m = spec.input_map
    where = f"dataset {spec.name!r}: {file}:{line}"
    value = _get(rec, m.input)
    if value is _MISSING or value is None:
        fields = ", ".join(sorted(rec)) or "none"
        raise DatasetError(
            f"{where}: no field {m.input!r} for the input (fields: {fields}); set input_map.input"
        )
    used = {m.input}
    expected: str | None = None
    exp_field = m.expected or ("expected" if "expected" in rec else None)
    if exp_field is not None:
        used.add(exp_field)
        exp = _get(rec, exp_field)
        if exp is _MISSING and m.expected is not None:
            raise DatasetError(f"{where}: no field {exp_field!r} for the expected answer")
        if exp is not _MISSING and exp is not None:
            expected = _text(exp)
    hist_field = m.history or ("history" if "history" in rec else None)
    history: tuple[dict[str, Any], ...] = ()
    if hist_field is not None:
        used.add(hist_field)
        history = _history(where, hist_field, _get(rec, hist_field))
    id_field = m.id or ("id" if "id" in rec else None)
    row_id = str(n)
    if id_field is not None:
        used.add(id_field)
        raw_id = _get(rec, id_field)
        if raw_id is _MISSING or raw_id in (None, ""):
            if m.id is not None:
                raise DatasetError(f"{where}: no field {id_field!r} for the row id")
        else:
            row_id = _text(raw_id)
    if m.metadata is not None:
        metadata = {}
        for key in m.metadata:
            got = _get(rec, key)
            if got is _MISSING:
                raise DatasetError(f"{where}: no metadata field {key!r}")
            metadata[key] = got
    else:
        metadata = {k: v for k, v in rec.items() if k not in used}
    return DatasetRow(
        id=row_id,
        input=_text(value),
        expected=expected,
        history=history,
        metadata=metadata,
        line=line,
    )


def _history(where: str, name: str, value: Any) -> tuple[dict[str, Any], ...]:
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)  # CSV cells hold JSON text
        except json.JSONDecodeError:
            raise DatasetError(f"{where}: {name!r} is not valid JSON") from None
    if value in (_MISSING, None, ""):
        return ()
    if not isinstance(value, list) or not all(isinstance(h, dict) for h in value):
        raise DatasetError(f"{where}: {name!r} must be a list of messages")
    return tuple(value)


def _check_unique_ids(spec: DatasetDef, file: Path, rows: list[DatasetRow]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        if row.id in seen:
            raise DatasetError(
                f"dataset {spec.name!r}: {file}:{row.line}: row id {row.id!r} repeats "
                f"line {seen[row.id]}; ids must be unique"
            )
        seen[row.id] = row.line


def _select(spec: DatasetDef, rows: list[DatasetRow], seed: int) -> list[DatasetRow]:
    """Sample (seeded, file order kept), then limit."""
    if spec.sample is not None and spec.sample < len(rows):
        rng = random.Random(f"{spec.seed if spec.seed is not None else seed}:{spec.name}")
        keep = sorted(rng.sample(range(len(rows)), spec.sample))
        rows = [rows[i] for i in keep]
    if spec.limit is not None:
        rows = rows[: spec.limit]
    return rows
