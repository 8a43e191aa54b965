"""``bench merge``: the runs of a plan's shards pooled into one ordinary run directory.

The merged run holds the whole plan (plan.json), every case and every repeat attempt once
(results.jsonl, in plan order) and metadata computed from those pooled results, so its report
is the report of one run: statistics are recomputed from the results, never averaged from
per-shard figures. Nothing else needs to know it was sharded (``metadata.merge`` says so).

Checked before anything is written, each problem naming the shard: every input comes from the
same whole plan (its hash, recorded by each shard run) cut into the same number of slices; no
shard is given twice; none is missing (unless ``allow_partial``: the missing ones are recorded
and their cases count as not run); every shard ran the slice it claims; no case is recorded
twice. An input is a run directory, a folder holding one (a downloaded artifact), or a zip
archive of either (as actions/upload-artifact makes it). A run made without ``--shard`` counts
as shard 1/1 of its plan.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..clock import utc_now
from ..criteria import criteria_met
from ..errors import InputError, RunStoreError
from ..plan import Plan, load_plan
from ..results import MergedShard, RunMerge, RunMetadata, RunShard, result_key
from ..shard import SHARD_OF_FILE, slices
from .outcomes import Outcomes, read_outcomes, totals_of_outcomes
from .run_store import METADATA_FILE, PLAN_FILE, RESULTS_FILE

__all__ = ["merge_runs"]


@dataclass
class _Input:
    source: str
    """What the user named (a path, an archive)."""
    path: Path
    """The run directory (extracted, for an archive)."""
    metadata: RunMetadata
    shard: RunShard

    @property
    def name(self) -> str:
        return f"shard {self.shard.label} ({self.source})"


def merge_runs(
    sources: Sequence[Path], out: Path, *, bench_version: str, allow_partial: bool = False
) -> RunMetadata:
    """Merge the shard runs ``sources`` into the new run directory ``out``; its metadata."""
    if not sources:
        raise InputError("give the run directories (or archives) of the shards to merge")
    _check_out(out)
    with tempfile.TemporaryDirectory(prefix="bench-merge-") as scratch:
        inputs = [_read_input(src, Path(scratch) / str(n)) for n, src in enumerate(sources)]
        count, missing = _check_inputs(inputs, allow_partial)
        whole = _whole_plan(inputs[0])
        pool = _pool(whole, count, inputs)
        metadata = _metadata(out.name, whole, inputs, count, missing, pool, bench_version)
        _write(out, whole, pool, metadata)
    return metadata


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} already exists; give a new directory for the merged run")


def _read_input(source: Path, scratch: Path) -> _Input:
    if source.is_file() and zipfile.is_zipfile(source):
        root = _extract(source, scratch)
    elif source.is_dir():
        root = source
    else:
        raise InputError(f"{source}: not a run directory or a zip archive of one")
    path = _run_dir(root, source)
    try:
        metadata = RunMetadata.model_validate_json((path / METADATA_FILE).read_bytes())
    except (OSError, ValueError) as exc:
        raise RunStoreError(f"{source}: cannot read {METADATA_FILE}: {exc}") from exc
    shard = metadata.shard or RunShard(index=1, count=1, plan_hash=metadata.plan_hash)
    return _Input(str(source), path, metadata, shard)


def _extract(archive: Path, into: Path) -> Path:
    """Unpack ``archive``; refuses members that would land outside ``into``."""
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                target = (into / member).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise InputError(f"{archive}: member {member!r} points outside the archive")
            zf.extractall(into)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{archive}: cannot unpack: {exc}") from exc
    return into


def _run_dir(root: Path, source: Path) -> Path:
    """``root`` when it is a run directory, else the one run directory below it."""
    if (root / METADATA_FILE).is_file():
        return root
    found = sorted(p.parent for p in root.rglob(METADATA_FILE) if (p.parent / PLAN_FILE).is_file())
    if len(found) != 1:
        what = "no run directory" if not found else f"{len(found)} run directories"
        raise InputError(f"{source}: holds {what}; give one run (directory or archive) per shard")
    return found[0]


def _check_inputs(inputs: list[_Input], allow_partial: bool) -> tuple[int, tuple[int, ...]]:
    first = inputs[0]
    by_index: dict[int, _Input] = {}
    for item in inputs:
        if item.shard.plan_hash != first.shard.plan_hash:
            raise InputError(
                f"{item.name} was cut from a different plan ({_short(item.shard.plan_hash)}) "
                f"than {first.name} ({_short(first.shard.plan_hash)}); merge the shards of one plan"
            )
        if item.shard.count != first.shard.count:
            raise InputError(
                f"{item.name} is one of {item.shard.count} slices, {first.name} one of "
                f"{first.shard.count}; merge the shards of one --shard I/N cut"
            )
        twin = by_index.get(item.shard.index)
        if twin is not None:
            raise InputError(
                f"shard {item.shard.label} is given twice: {twin.source} and {item.source}"
            )
        by_index[item.shard.index] = item
    count = first.shard.count
    missing = tuple(i for i in range(1, count + 1) if i not in by_index)
    if missing and not allow_partial:
        names = ", ".join(f"{i}/{count}" for i in missing)
        raise InputError(
            f"shard {names} {'is' if len(missing) == 1 else 'are'} missing (given: "
            f"{', '.join(f'{i}/{count}' for i in sorted(by_index))}); give every shard's run, "
            "or --allow-partial to merge what is there"
        )
    inputs.sort(key=lambda i: i.shard.index)
    return count, missing


def _short(plan_hash: str) -> str:
    return plan_hash[:19] + "…"


def _whole_plan(item: _Input) -> Plan:
    path = item.path / (SHARD_OF_FILE if item.metadata.shard is not None else PLAN_FILE)
    plan = load_plan(path)  # verifies the content hash
    if plan.hash != item.shard.plan_hash:
        raise RunStoreError(f"{item.name}: {path.name} is not the plan its metadata names")
    return plan


@dataclass
class _Pool:
    """The shards' results without holding them: each key's outcome and where its line is."""

    outcomes: Outcomes
    lines: dict[str, tuple[Path, int, int]]
    """Result key -> (results.jsonl, byte offset, length) of its record."""


def _pool(whole: Plan, count: int, inputs: list[_Input]) -> _Pool:
    """Every input's results, checked against its slice, keyed by result key (streamed: each
    file is read once, as lines, and only outcomes and byte offsets are kept)."""
    cut = slices(whole, count)
    pool = _Pool(Outcomes(), {})
    owner: dict[str, _Input] = {}
    for item in inputs:
        part = cut[item.shard.index - 1]
        expected = whole.model_copy(update={"units": part.units, "hash": ""}).compute_hash()
        if count > 1 and item.metadata.plan_hash != expected:
            raise InputError(
                f"{item.name} did not run slice {item.shard.label} of this plan as this bench "
                "cuts it (made by another bench version?); re-run that shard"
            )
        keys = {result_key(c.id, a) for u in part.units for c in u.cases for a in range(c.repeat)}
        path = item.path / RESULTS_FILE
        spans: dict[str, tuple[int, int]] = {}
        found = read_outcomes(path, spans)
        for key in found.keys():
            if key in owner:
                agent, _, session, test = found.get(key).group  # type: ignore[union-attr]
                raise InputError(
                    f"case {key} ({agent} / {session} / {test}) is "
                    f"recorded twice: in {owner[key].name} and in {item.name}"
                )
            if key not in keys:
                raise InputError(f"{item.name} holds case {key}, which is not in its slice")
            owner[key] = item
            pool.outcomes.adopt(key, found)
            pool.lines[key] = (path, *spans[key])
    return pool


def _metadata(
    run_id: str,
    whole: Plan,
    inputs: list[_Input],
    count: int,
    missing: tuple[int, ...],
    pool: _Pool,
    bench_version: str,
) -> RunMetadata:
    found = (pool.outcomes.get(result_key(c.id, a)) for c, a in whole.attempts())
    results = [o for o in found if o is not None]
    complete = len(results) == whole.attempt_count
    failed = [i for i in inputs if i.metadata.status == "failed"]
    status = "completed" if complete else "failed" if failed else "interrupted"
    error = None
    if status == "failed":
        error = "; ".join(
            f"{i.name} failed: {i.metadata.error or 'no reason recorded'}" for i in failed
        )
    met = complete and criteria_met(
        whole.criteria, [(o.group, o.status) for o in results], whole.attempt_count
    )
    ended = [i.metadata.ended_at for i in inputs if i.metadata.ended_at]
    prices = sorted({i.metadata.price_version for i in inputs if i.metadata.price_version})
    return RunMetadata(
        run_id=run_id,
        plan_hash=whole.hash,
        plan_name=whole.name,
        bench_version=bench_version,
        status=status,
        started_at=min(i.metadata.started_at for i in inputs),
        ended_at=max(ended) if ended else utc_now(),
        case_count=whole.attempt_count,
        totals=totals_of_outcomes(results),
        criteria_met=met,
        error=error,
        filter=inputs[0].metadata.filter,
        merge=RunMerge(
            shards=count,
            merged=tuple(
                MergedShard(index=i.shard.index, run_id=i.metadata.run_id, status=i.metadata.status)
                for i in inputs
            ),
            missing=missing,
        ),
        price_version=", ".join(prices) or None,
    )


def _write(out: Path, whole: Plan, pool: _Pool, metadata: RunMetadata) -> None:
    """Write the run beside ``out`` first, then move it in place: never half a run at ``out``.

    Each record is copied as its shard wrote it (bytes, not re-serialised), one at a time.
    """
    tmp = out.with_name(f".{out.name}.merging")
    sources: dict[Path, BinaryIO] = {}
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        (tmp / PLAN_FILE).write_text(whole.dumps(), encoding="utf-8")
        with open(tmp / RESULTS_FILE, "wb") as fh:
            for case, attempt in whole.attempts():
                where = pool.lines.get(result_key(case.id, attempt))
                if where is None:
                    continue
                path, start, size = where
                src = sources.get(path)
                if src is None:
                    src = sources[path] = open(path, "rb")
                src.seek(start)
                line = src.read(size)
                fh.write(line if line.endswith(b"\n") else line + b"\n")
        (tmp / METADATA_FILE).write_text(
            metadata.model_dump_json(indent=2) + "\n", encoding="utf-8"
        )
        if out.is_dir():
            out.rmdir()  # checked empty
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RunStoreError(f"cannot write the merged run to {out}: {exc}") from exc
    finally:
        for src in sources.values():
            src.close()
