"""A run of a streamed plan (``open_plan``) runs exactly the cases of the whole plan, and
holds no parsed unit after it has run (issue 13: memory that does not grow with the run)."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import ExecuteOptions, execute
from runtime.plan import LazyUnits, Plan, Unit, WorkItems, load_plan, open_plan, work_items
from runtime.plan.assertions import AnyOf, LlmJudge, OutputContains
from runtime.plan.cases import unit_attempts
from runtime.plan.facts import gather
from runtime.results import result_key
from runtime.store import read_results

from .runtime_helpers import case, make_plan, reply, services, unit

pytestmark = pytest.mark.anyio


def _repeated_plan() -> Plan:
    """Sessions of one to three cases, some repeated 2 or 3 times, one case failing."""
    units = []
    for i in range(12):
        cases = [
            case(
                f"u{i}",
                k,
                f"q{i}-{k}",
                assertions=[OutputContains(value="nope" if i == 5 else "answer")],
            ).model_copy(update={"repeat": 1 + (i + k) % 3})
            for k in range(1 + i % 3)
        ]
        units.append(unit(f"u{i}", cases))
    return make_plan(units, replies=[reply("answer")])


def _on_disk(plan_path: Path) -> tuple[Plan, Plan]:
    return load_plan(plan_path), open_plan(plan_path)


def _written(plan: Plan, path: Path) -> Path:
    path.write_text(plan.dumps(), encoding="utf-8")
    return path


def test_work_items_of_a_streamed_plan_are_those_of_the_whole_one(tmp_path: Path) -> None:
    whole, streamed = _on_disk(_written(_repeated_plan(), tmp_path / "plan.json"))
    assert isinstance(streamed.units, LazyUnits)
    items = WorkItems(streamed.units)
    assert list(items) == work_items(whole.units)
    assert items.case_count == sum(len(u.cases) for u, _ in work_items(whole.units))
    assert list(items.first_runs()) == [u for u, a in work_items(whole.units) if a == 0]
    done = {result_key(c.id, a) for c, a in list(whole.attempts())[::2]}
    keep = WorkItems(
        streamed.units, keep=lambda u, a: not all(result_key(c.id, a) in done for c in u.cases)
    )
    assert list(keep) == [
        (u, a)
        for u, a in work_items(whole.units)
        if not all(result_key(c.id, a) in done for c in u.cases)
    ]


async def test_a_streamed_plan_runs_the_same_cases_as_the_whole_one(tmp_path: Path) -> None:
    whole, streamed = _on_disk(_written(_repeated_plan(), tmp_path / "plan.json"))
    runs = []
    for name, plan in (("whole", whole), ("streamed", streamed)):
        summary = await execute(
            plan, ExecuteOptions(output_dir=tmp_path / name, run_id="r"), services=services()
        )
        on_disk = read_results(summary.run_dir / "results.jsonl")
        runs.append(
            (
                summary.metadata.status,
                summary.metadata.totals,
                {
                    k: (r.status, r.prompt, [a.passed for a in r.assertions])
                    for k, r in on_disk.items()
                },
                (summary.run_dir / "plan.json").read_text(encoding="utf-8"),
            )
        )
    assert runs[0] == runs[1]
    assert len(runs[1][2]) == whole.attempt_count  # every case, every attempt, once


async def test_a_streamed_plan_resumes_only_the_missing_work(tmp_path: Path) -> None:
    path = _written(_repeated_plan(), tmp_path / "plan.json")
    first = await execute(
        open_plan(path), ExecuteOptions(output_dir=tmp_path, run_id="r"), services=services()
    )
    results = first.run_dir / "results.jsonl"
    lines = results.read_bytes().splitlines(keepends=True)
    results.write_bytes(b"".join(lines[: len(lines) // 2]))  # killed halfway
    again = await execute(
        open_plan(path), ExecuteOptions(output_dir=tmp_path, resume="r"), services=services()
    )
    assert again.metadata.status == "completed"
    assert again.metadata.totals == first.metadata.totals
    assert set(read_results(results)) == set(read_results_of(first))


def read_results_of(summary: object) -> dict[str, object]:
    return dict(read_results(summary.run_dir / "results.jsonl"))  # type: ignore[attr-defined]


async def test_the_runner_holds_no_unit_after_it_has_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every unit parsed from plan.json is tracked by a weak reference: while the run goes on,
    only the units in flight are alive (gc.get_objects cannot tell: the runner freezes the
    heap, and frozen objects are not listed)."""
    units = [
        unit(f"u{i}", [case(f"u{i}", 0, f"q{i}"), case(f"u{i}", 1, f"r{i}")]) for i in range(40)
    ]
    path = _written(make_plan(units, replies=[reply("answer")]), tmp_path / "plan.json")
    parsed: list[weakref.ref[Unit]] = []
    get, each = LazyUnits.__getitem__, LazyUnits.__iter__

    def tracked_get(self: LazyUnits, index: Any) -> Any:
        got = get(self, index)
        parsed.append(weakref.ref(got))
        return got

    def tracked_iter(self: LazyUnits) -> Iterator[Unit]:
        for got in each(self):
            parsed.append(weakref.ref(got))
            yield got

    monkeypatch.setattr(LazyUnits, "__getitem__", tracked_get)
    monkeypatch.setattr(LazyUnits, "__iter__", tracked_iter)
    plan = open_plan(path)
    alive: list[int] = []

    def on_result(result: object) -> None:
        del result
        alive.append(sum(ref() is not None for ref in parsed))

    summary = await execute(
        plan,
        ExecuteOptions(output_dir=tmp_path, run_id="r", concurrency=2, on_result=on_result),
        services=services(),
    )
    assert summary.metadata.status == "completed" and len(alive) == 80
    # The units in flight (2) and the one being read: a run that held its plan would show 40.
    assert max(alive) <= 4, alive


def test_a_streamed_plan_gathers_its_units_facts_when_opened(tmp_path: Path) -> None:
    """What starting a run asks of the units is known from the pass that checked the hash,
    equal to what reading every unit gives."""
    plan = _repeated_plan()
    judge = AnyOf(children=(OutputContains(value="x"), LlmJudge(provider="j", rubric="r")))
    judged = plan.units[4].cases[1].model_copy(update={"assertions": (judge,)})
    units = list(plan.units)
    units[4] = units[4].model_copy(update={"cases": (units[4].cases[0], judged)})
    whole, streamed = _on_disk(_written(make_plan(units), tmp_path / "plan.json"))
    facts = streamed.units.facts
    assert facts == gather(whole.units)
    assert facts.judges == ("j",)
    assert facts.agents == {"agent": "u0"}
    assert facts.attempts == whole.attempt_count == streamed.attempt_count
    assert facts.case_count == len(whole.cases) == streamed.case_count
    assert list(facts.rounds) == [unit_attempts(u) for u in whole.units]
    assert facts.last_case_id == whole.cases[-1].id


async def test_starting_a_streamed_run_reads_no_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh run reads each unit once to run it and once to count the results at the end;
    the attempt count, the work list, the runner's agents and judges and the tool servers
    come from the facts gathered when the plan was opened (each used to read every unit:
    seconds per pass at 100,000 units)."""
    path = _written(_repeated_plan(), tmp_path / "plan.json")
    plan = open_plan(path)
    reads: list[int] = []
    get, each = LazyUnits.__getitem__, LazyUnits.__iter__

    def counted_get(self: LazyUnits, index: Any) -> Any:
        reads.append(index)
        return get(self, index)

    def counted_iter(self: LazyUnits) -> Iterator[Unit]:
        for i, got in enumerate(each(self)):
            reads.append(i)
            yield got

    monkeypatch.setattr(LazyUnits, "__getitem__", counted_get)
    monkeypatch.setattr(LazyUnits, "__iter__", counted_iter)
    started: list[int] = []
    summary = await execute(
        plan,
        ExecuteOptions(
            output_dir=tmp_path,
            run_id="r",
            on_start=lambda store, done: started.append(len(reads)),
        ),
        services=services(),
    )
    assert summary.metadata.status == "completed"
    assert started == [0]  # nothing read before the first case
    items = len(work_items(load_plan(path).units))
    assert len(reads) <= items + len(plan.units), (len(reads), items)
