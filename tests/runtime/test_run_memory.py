"""A run holds no results in memory: they go to results.jsonl, the run keeps outcomes only.

The memory a run needs must not grow with its size (issue 13; benchmarks/memory_bench.py
prints the peak RSS at 1,000 to 100,000 cases). What a test can check without timing is the
mechanism: while a run goes on, the results of its finished cases are no longer alive.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from runtime import ExecuteOptions, execute
from runtime.results import CaseResult
from runtime.store import read_results

from .runtime_helpers import case, make_plan, reply, services, unit

pytestmark = pytest.mark.anyio


def _alive_results() -> int:
    return sum(isinstance(o, CaseResult) for o in gc.get_objects())


async def test_finished_results_are_not_kept_alive_while_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtime.store import run_store

    units = [
        unit(f"u{i}", [case(f"u{i}", 0, f"q{i}"), case(f"u{i}", 1, f"r{i}")]) for i in range(40)
    ]
    plan = make_plan(units, replies=[reply("answer")])
    alive: list[int] = []
    monkeypatch.setattr(run_store, "LATER_MAX", 4)
    # Earlier tests' garbage (a report's cases in reference cycles) would be counted too: the
    # run freezes the heap it starts with (runner._frozen_heap), so it goes first.
    gc.collect()

    def on_result(result: CaseResult) -> None:
        del result
        alive.append(_alive_results())

    summary = await execute(
        plan,
        ExecuteOptions(output_dir=tmp_path, run_id="r", concurrency=1, on_result=on_result),
        services=services(),
    )
    assert summary.metadata.status == "completed" and summary.metadata.totals.total == 80
    # At concurrency 1, the results alive are the one just written and the lines that wait
    # to be written (a unit's last line is not waited for: at most LATER_MAX of them); a run
    # that kept its results would show 80 alive by the end.
    assert len(alive) == 80 and max(alive) <= 4 + 2, alive
    # The results are all on disk, and the summary reads them back in plan order.
    assert len(read_results(summary.run_dir / "results.jsonl")) == 80
    assert [r.case_id for r in summary.results] == [c.id for c in plan.cases]


async def test_resume_reads_only_outcomes_and_the_totals_count_every_case(tmp_path: Path) -> None:
    units = [unit(f"u{i}", [case(f"u{i}", 0, f"q{i}")]) for i in range(4)]
    plan = make_plan(units, replies=[reply("answer")])
    first = await execute(
        plan, ExecuteOptions(output_dir=tmp_path, run_id="r"), services=services()
    )
    lines = (first.run_dir / "results.jsonl").read_bytes().splitlines(keepends=True)
    (first.run_dir / "results.jsonl").write_bytes(b"".join(lines[:2]))  # two cases lost
    again = await execute(
        plan, ExecuteOptions(output_dir=tmp_path, resume="r"), services=services()
    )
    assert again.metadata.status == "completed"
    assert again.metadata.totals == first.metadata.totals
    assert len((again.run_dir / "results.jsonl").read_bytes().splitlines()) == 4  # 2 re-run
    assert [r.case_id for r in again.results] == [c.id for c in plan.cases]


async def test_stored_results_can_be_streamed_again_after_a_partial_read(tmp_path: Path) -> None:
    """The AI summary reads the stored results twice (the $self judge, then the digest)."""
    from runtime.summary import build_digest

    units = [unit(f"u{i}", [case(f"u{i}", 0, f"q{i}")]) for i in range(3)]
    plan = make_plan(units, replies=[reply("answer")])
    summary = await execute(
        plan, ExecuteOptions(output_dir=tmp_path, run_id="r"), services=services()
    )
    stored = summary.stored
    first = next(iter(stored))
    assert first.case_id == plan.cases[0].id
    assert [r.case_id for r in stored] == [c.id for c in plan.cases]
    assert build_digest(plan, stored) == build_digest(plan, summary.results)


@pytest.mark.parametrize("least", [0.7, 0.8])
async def test_pass_hat_k_verdict_is_counted_as_the_results_file_gives_it(
    tmp_path: Path, least: float
) -> None:
    """The run counts its results as it writes them (per test x agent only for pass^k): its
    verdict and totals are those of the results file."""
    from runtime.criteria import criteria_met
    from runtime.plan import Criteria, PassHatK
    from runtime.plan.assertions import OutputContains

    def repeated(i: int) -> object:
        want = "nope" if i == 2 else "answer"  # u2 fails every attempt
        c = case(f"u{i}", 0, f"q{i}", assertions=[OutputContains(value=want)])
        return unit(f"u{i}", [c.model_copy(update={"repeat": 3})])

    criteria = Criteria(success_rate=0.5, pass_hat_k=PassHatK(k=2, min=least))
    plan = make_plan(
        [repeated(i) for i in range(4)],  # type: ignore[misc]
        replies=[reply("answer")],
        criteria=criteria,
    )
    summary = await execute(
        plan, ExecuteOptions(output_dir=tmp_path, run_id="r"), services=services()
    )
    on_disk = list(read_results(summary.run_dir / "results.jsonl").values())
    pairs = [((r.agent, r.file, r.session, r.test), r.status) for r in on_disk]
    assert summary.metadata.totals.total == len(on_disk) == 12
    assert summary.metadata.totals.passed == 9
    assert summary.criteria_met is criteria_met(criteria, pairs, 12) is (least == 0.7)
