"""A run's budget (issue 13): reached, no new case starts; resumed with more, it finishes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime import ExecuteOptions, execute
from runtime.plan import ModelPrice, ScriptedProvider, ScriptedReply, Settings

from .runtime_helpers import case, make_plan, services, unit

pytestmark = pytest.mark.anyio

PER_CASE = 0.002
"""1,000 input and 1,000 output tokens at $1 per million each."""


def _plan(budget: float | None = None):  # type: ignore[no-untyped-def]
    reply = ScriptedReply(text="done", input_tokens=1000, output_tokens=1000)
    plan = make_plan(
        [unit(f"u{i}", [case(f"u{i}", 0, f"q{i}")]) for i in range(10)],
        providers=[ScriptedProvider(name="p", replies=(reply,))],
        settings=Settings(concurrency=1, budget_usd=budget),
    )
    prices = {"scripted": ModelPrice(input=1.0, output=1.0)}
    return plan.model_copy(update={"prices": prices, "hash": ""}).sealed()


def _lines(run_dir: Path) -> list[str]:
    return [json.loads(x)["case_id"] for x in (run_dir / "results.jsonl").read_text().splitlines()]


@pytest.mark.requirement("run:budget")
async def test_a_budget_reached_halfway_stops_the_run_and_a_higher_one_finishes_it(
    tmp_path: Path,
) -> None:
    plan = _plan(budget=4.5 * PER_CASE)  # reached by the fifth case
    first = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=services(None))
    assert first.metadata.status == "interrupted" and first.exit_code == 130
    assert len(first.results) == 5  # no case started once the budget was reached
    assert first.metadata.stop_reason == "budget reached: $0.0100 spent of $0.0090"
    # The report says the budget stopped it.
    from report import build_report, render

    md = render(build_report(first.run_dir), "md")
    assert "The run is **interrupted**" in md and "budget reached: $0.0100 spent of $0.0090" in md
    # The same budget again: nothing starts.
    again = await execute(
        plan, ExecuteOptions(output_dir=tmp_path, resume=first.run_id), services=services(None)
    )
    assert len(again.results) == 5 and again.metadata.status == "interrupted"
    # A higher budget (the CLI's --budget) finishes it; nothing runs twice.
    done = await execute(
        plan,
        ExecuteOptions(output_dir=tmp_path, resume=first.run_id, budget_usd=1.0),
        services=services(None),
    )
    assert done.metadata.status == "completed" and done.metadata.stop_reason is None
    ids = _lines(done.run_dir)
    assert len(ids) == 10 and len(set(ids)) == 10
    assert done.metadata.totals.cost_usd == pytest.approx(10 * PER_CASE)


async def test_no_budget_no_stop(tmp_path: Path) -> None:
    summary = await execute(_plan(), ExecuteOptions(output_dir=tmp_path), services=services(None))
    assert summary.metadata.status == "completed" and len(summary.results) == 10
    doc = json.loads((summary.run_dir / "metadata.json").read_text())
    assert "stop_reason" not in doc
