"""``bench retry``: a new run, linked to an earlier one, that re-runs its failed or errored cases.

The rule for sessions: a case is never re-run alone. The tests of a session share one message
history and the variables its extractors bind, so re-running test 3 means re-running tests 1
and 2 first; the whole unit (agent x session) holding a chosen case is run again, and the new
results of all its cases replace the old ones (they belong to one conversation). Units with
no chosen case are not run: their results are copied into the new run.

The new run directory therefore holds a complete, merged run: the same plan.json, metadata with
``parent_run`` set (and the parent's case filter and shard), and results.jsonl with the copied results
first, then the re-run units' results as they finish. Every reader keeps one result per case,
so the merged report counts each case once. Re-run cases carry ``retry`` = the parent's + 1.
With repeats, each attempt of a unit is retried on its own: an attempt holding a failed case
runs again, the unit's other attempts are copied.
A retry is executed as a resume of the new run, so a retry that is itself interrupted can be
resumed like any run, and retried again later.

A run that is not finished (cases without a result) is refused: resume it first.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .errors import RunStoreError
from .plan import Plan, load_plan, work_items
from .results import CaseResult, RunMetadata, result_key
from .store import METADATA_FILE, PLAN_FILE, RESULTS_FILE, RunStore, find_run, read_results

__all__ = ["RetrySetup", "prepare_retry"]


@dataclass
class RetrySetup:
    """A new run ready to execute as a resume: what it re-runs and how it came about."""

    plan: Plan
    run_id: str
    run_dir: Path
    parent: RunMetadata
    chosen: list[str] = field(default_factory=list)
    """Result keys (case ids, with ``@attempt`` when repeated) that failed or errored."""
    rerun_units: list[str] = field(default_factory=list)
    """Units run again: every unit with an attempt holding a chosen result."""
    rerun_cases: int = 0
    """Results produced again (all cases of the re-run unit attempts)."""
    retries: dict[str, int] = field(default_factory=dict)
    """Retry count of each re-run result key."""


def _load_parent(base: Path, run_id: str) -> tuple[Path, RunMetadata, Plan, dict[str, CaseResult]]:
    path = find_run(base, run_id)
    try:
        metadata = RunMetadata.model_validate_json((path / METADATA_FILE).read_bytes())
    except (OSError, ValueError) as exc:
        raise RunStoreError(f"cannot read {path / METADATA_FILE}: {exc}") from exc
    if not (path / PLAN_FILE).is_file():
        raise RunStoreError(f"run {metadata.run_id} has no {PLAN_FILE}; it cannot be retried")
    plan = load_plan(path / PLAN_FILE)
    return path, metadata, plan, read_results(path / RESULTS_FILE)


def prepare_retry(
    base: Path,
    parent_id: str,
    *,
    errors_only: bool = False,
    bench_version: str = "0.0.0",
    run_id: str | None = None,
) -> RetrySetup | None:
    """Create the retry run of ``parent_id`` under ``base``; None when nothing needs retrying."""
    parent_dir, parent, plan, results = _load_parent(base, parent_id)
    keys = [result_key(c.id, a) for c, a in plan.attempts()]
    missing = [k for k in keys if k not in results]
    if missing:
        raise RunStoreError(
            f"run {parent.run_id} is not finished ({len(missing)} of {len(keys)} results "
            f"are missing); finish it first with "
            f"`bench execute {parent_dir / PLAN_FILE} --resume {parent.run_id}`"
        )
    wanted = ("error",) if errors_only else ("failed", "error")
    chosen = [k for k in keys if results[k].status in wanted]
    if not chosen:
        return None
    chosen_set = set(chosen)
    items = work_items(plan.units)
    rerun = [(u, a) for u, a in items if any(result_key(c.id, a) in chosen_set for c in u.cases)]
    rerun_keys = {result_key(c.id, a) for u, a in rerun for c in u.cases}
    store = RunStore.create(base, plan, bench_version=bench_version, run_id=run_id)
    store.write_metadata(
        store.metadata.model_copy(
            update={"parent_run": parent.run_id, "filter": parent.filter, "shard": parent.shard}
        )
    )
    _keep_whole_plan(parent_dir, store.path)
    kept = [results[k] for k in keys if k not in rerun_keys]
    _seed(store.results_path, kept)
    return RetrySetup(
        plan=plan,
        run_id=store.run_id,
        run_dir=store.path,
        parent=parent,
        chosen=chosen,
        rerun_units=list(dict.fromkeys(u.id for u, _ in rerun)),
        rerun_cases=len(rerun_keys),
        retries={k: results[k].retry + 1 for k in rerun_keys},
    )


def _keep_whole_plan(parent_dir: Path, run_dir: Path) -> None:
    """A shard's retry is the same shard: it keeps the whole plan the slice was cut from, so
    ``bench merge`` takes it in place of its parent (runtime/shard.py)."""
    from .shard import SHARD_OF_FILE

    whole = parent_dir / SHARD_OF_FILE
    if not whole.is_file():
        return
    try:
        shutil.copyfile(whole, run_dir / SHARD_OF_FILE)
    except OSError as exc:
        raise RunStoreError(f"cannot copy {whole} to {run_dir}: {exc.strerror}") from exc


def _seed(path: Path, kept: list[CaseResult]) -> None:
    """Replace the new run's empty results.jsonl with the copied results, atomically.

    A kill before the replace leaves an empty results file: a resume then runs every unit,
    which is slower but still correct.
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            for result in kept:
                fh.write(result.model_dump_json().encode("utf-8") + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise RunStoreError(f"cannot write {path}: {exc.strerror}") from exc
