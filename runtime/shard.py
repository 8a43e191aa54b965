"""Shards (``bench execute --shard I/N``): the plan cut into N slices, a pure function of the plan.

Every job of a CI matrix computes the same slices from the same plan without talking to the
others. The unit of slicing is the (agent, session) unit: a session's tests share history, and
all attempts of a repeated unit stay in its slice, so no slice ever splits a conversation.

Slices are balanced by the units' estimated tokens (runtime/estimate.py), not by case count:
longest-processing-time greedy, units taken by estimate descending (ties by unit id), each given
to the slice with the smallest load so far (ties to the lowest index). Within a slice the
units keep plan order. The slice is an ordinary sealed plan; the run records the slice
(``RunMetadata.shard``, with the whole plan's hash) and keeps the whole plan beside it
(``shard-of.json``) so a resume can cut the same slice again and ``bench merge`` can rebuild
the whole run.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, RunStoreError
from .estimate import calls_per_case, unit_tokens
from .plan import Plan, Unit, load_plan
from .results import RunMetadata, RunShard
from .store import METADATA_FILE, PLAN_FILE, find_run

__all__ = [
    "SHARD_OF_FILE",
    "Slice",
    "parse_shard",
    "plan_to_resume",
    "recorded_shard",
    "same_shard",
    "slices",
    "take_shard",
]

SHARD_OF_FILE = "shard-of.json"
"""The whole plan, in the directory of a shard run (plan.json there holds the slice)."""


@dataclass(frozen=True)
class Slice:
    """One slice of a plan: its units in plan order and its estimate."""

    index: int
    """1-based."""
    units: tuple[Unit, ...]
    estimated_tokens: int

    @property
    def cases(self) -> int:
        """Cases (tests x agents) of the slice."""
        return sum(len(u.cases) for u in self.units)

    @property
    def attempts(self) -> int:
        """Results the slice's run holds when complete (cases x their repeats)."""
        return sum(c.repeat for u in self.units for c in u.cases)


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` as ``(2, 4)``; InputError unless it is ``I/N`` with 1 <= I <= N."""
    index, sep, count = text.strip().partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not sep or n < 1:
        raise InputError(f"--shard {text!r}: expected I/N, e.g. 2/4 (the 2nd of 4 slices)")
    if not 1 <= i <= n:
        raise InputError(f"--shard {text!r}: I must be from 1 to {n} (slices count from 1)")
    return i, n


def slices(plan: Plan, count: int) -> list[Slice]:
    """``plan`` cut into ``count`` slices balanced by estimated tokens; InputError when the plan
    has fewer units than ``count`` (a slice would be empty)."""
    owner, loads = _owners(plan, count)
    parts: list[list[Unit]] = [[] for _ in range(count)]
    for k, u in enumerate(plan.units):
        parts[owner[k]].append(u)
    return [
        Slice(index=s + 1, units=tuple(parts[s]), estimated_tokens=loads[s]) for s in range(count)
    ]


def _owners(plan: Plan, count: int) -> tuple[list[int], list[int]]:
    """The slice (0-based) of each unit, and each slice's estimated tokens."""
    if count < 1:
        raise InputError(f"a plan is cut into at least 1 slice, not {count}")
    units = plan.units
    if count > len(units):
        raise InputError(
            f"cannot cut the plan into {count} slices: it has {len(units)} (agent, session) "
            f"units and a session is never split; use at most {len(units)} shards"
        )
    calls = calls_per_case(plan)
    # One pass, each unit read once (a streamed plan parses a unit per read); the callers'
    # second pass takes the units of the slice(s) they want.
    cost: list[int] = []
    ids: list[str] = []
    for u in units:
        cost.append(unit_tokens(u, calls))
        ids.append(u.id)
    order = sorted(range(len(cost)), key=lambda k: (-cost[k], ids[k]))
    loads = [0] * count
    owner = [0] * len(cost)
    lightest = [(0, s) for s in range(count)]  # (load, slice): the least loaded, lowest index first
    for k in order:
        load, target = lightest[0]
        heapq.heapreplace(lightest, (load + cost[k], target))
        loads[target] += cost[k]
        owner[k] = target
    return owner, loads


def take_shard(plan: Plan, index: int, count: int) -> tuple[Plan, RunShard]:
    """The ``index``-th of ``count`` slices of ``plan`` as a sealed plan, and its record."""
    owner, loads = _owners(plan, count)
    chosen = tuple(u for k, u in enumerate(plan.units) if owner[k] == index - 1)
    part = plan.model_copy(update={"units": chosen, "hash": ""}).sealed()
    record = RunShard(
        index=index,
        count=count,
        plan_hash=plan.hash,
        units=len(chosen),
        of_units=len(owner),
        estimated_tokens=loads[index - 1],
        of_estimated_tokens=sum(loads),
    )
    return part, record


def same_shard(a: RunShard | None, b: RunShard | None) -> bool:
    """Whether two records name the same slice (of any plan)."""
    if a is None or b is None:
        return a is b
    return (a.index, a.count) == (b.index, b.count)


def recorded_shard(base: Path, run_id: str) -> RunShard | None:
    """The slice an earlier run was started with (for a resume), read from its metadata."""
    path = find_run(base, run_id) / METADATA_FILE
    try:
        metadata = RunMetadata.model_validate_json(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise RunStoreError(f"cannot read {path}: {exc}") from exc
    return metadata.shard


def plan_to_resume(base: Path, run_id: str) -> Plan:
    """The plan an earlier run was cut from: the whole plan of a shard run, else its plan.json."""
    path = find_run(base, run_id)
    whole = path / SHARD_OF_FILE
    return load_plan(whole if whole.is_file() else path / PLAN_FILE)
