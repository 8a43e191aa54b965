"""Case filters (``bench execute --limit N --agents a,b --repeat K``): the plan cut down (and
every case repeated K times), recorded in the run.

A filter makes a new, sealed plan holding only the chosen cases; that plan is what the run
directory's plan.json holds, so reports, resume and retry see exactly what ran. The filter
itself goes into metadata.json (``RunMetadata.filter``), and resuming the run applies it again
to the recompiled suite, which then hashes to the same plan.

``--limit N`` keeps the first N cases *of each agent* in plan order, so agents stay comparable
on the same tests. Cutting a session after its k-th test is sound: history and extracted
variables only flow forward, so the first k tests run exactly as they would in the full plan.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from .errors import InputError, RunStoreError
from .plan import Plan, Unit
from .results import RunFilter, RunMetadata
from .store import METADATA_FILE, find_run

__all__ = ["make_filter", "recorded_filter", "same_filter", "select"]


def make_filter(
    limit: int | None, agents: Sequence[str] | None, repeat: int | None = None
) -> RunFilter | None:
    """The filter the flags ask for, or None when none is given."""
    if limit is None and not agents and repeat is None:
        return None
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, got {limit}")
    if repeat is not None and not 1 <= repeat <= 10_000:
        raise InputError(f"--repeat must be from 1 to 10000, got {repeat}")
    names = tuple(dict.fromkeys(a for a in agents or () if a)) or None
    return RunFilter(limit=limit, agents=names, repeat=repeat)


def select(plan: Plan, wanted: RunFilter) -> tuple[Plan, RunFilter]:
    """The plan cut down to ``wanted``, and the filter with its counts filled in."""
    known = [a.name for a in plan.agents]
    for name in wanted.agents or ():
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; agents: {', '.join(known)}"
            raise InputError(f"--agents: no agent named {name!r} in the plan{hint}")
    keep_agents = set(wanted.agents) if wanted.agents else None
    taken: dict[str, int] = {}
    units: list[Unit] = []
    for unit in plan.units:
        if keep_agents is not None and unit.agent not in keep_agents:
            continue
        room = len(unit.cases)
        if wanted.limit is not None:
            room = min(room, wanted.limit - taken.get(unit.agent, 0))
        if room <= 0:
            continue
        taken[unit.agent] = taken.get(unit.agent, 0) + room
        units.append(
            unit
            if room == len(unit.cases)
            else unit.model_copy(update={"cases": unit.cases[:room]})
        )
    if wanted.repeat is not None:
        units = [
            u.model_copy(
                update={
                    "cases": tuple(c.model_copy(update={"repeat": wanted.repeat}) for c in u.cases)
                }
            )
            for u in units
        ]
    selected = sum(len(u.cases) for u in units)
    if selected == 0:
        raise InputError("the case filter (--limit/--agents) leaves no case to run")
    filtered = plan.model_copy(update={"units": tuple(units), "hash": ""}).sealed()
    record = wanted.model_copy(update={"selected": selected, "of": len(plan.cases)})
    return filtered, record


def recorded_filter(base: Path, run_id: str) -> RunFilter | None:
    """The filter an earlier run was started with (for a resume), read from its metadata."""
    path = find_run(base, run_id) / METADATA_FILE
    try:
        metadata = RunMetadata.model_validate_json(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise RunStoreError(f"cannot read {path}: {exc}") from exc
    return metadata.filter


def same_filter(a: RunFilter | None, b: RunFilter | None) -> bool:
    """Whether two filters ask for the same cases (counts aside)."""
    if a is None or b is None:
        return a is b
    return (
        a.limit == b.limit and set(a.agents or ()) == set(b.agents or ()) and a.repeat == b.repeat
    )
