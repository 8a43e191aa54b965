"""The scheduler: bounded concurrency, plan-order start, first error stops the rest."""

from __future__ import annotations

import anyio
import pytest

from runtime.errors import ToolServerError
from runtime.scheduler import run_concurrently

pytestmark = pytest.mark.anyio


@pytest.mark.requirement("run:concurrency")
async def test_never_more_than_the_limit_and_all_items_run() -> None:
    running = peak = 0
    started: list[int] = []

    async def work(i: int) -> None:
        nonlocal running, peak
        started.append(i)
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.005)
        running -= 1

    await run_concurrently(list(range(20)), work, concurrency=4)
    assert peak == 4
    assert started == list(range(20))


async def test_concurrency_one_is_sequential() -> None:
    order: list[str] = []

    async def work(i: int) -> None:
        order.append(f"start {i}")
        await anyio.sleep(0)
        order.append(f"end {i}")

    await run_concurrently([1, 2], work, concurrency=1)
    assert order == ["start 1", "end 1", "start 2", "end 2"]


async def test_first_error_cancels_the_rest_and_is_raised_unwrapped() -> None:
    finished: list[int] = []

    async def work(i: int) -> None:
        if i == 1:
            raise ToolServerError("server x did not start", server="x")
        await anyio.sleep(5)
        finished.append(i)

    with pytest.raises(ToolServerError, match="did not start"):
        await run_concurrently([0, 1, 2], work, concurrency=3)
    assert finished == []


async def test_a_large_plan_holds_one_task_per_slot_not_per_unit() -> None:
    import asyncio

    baseline = len(asyncio.all_tasks())
    seen: list[int] = []

    async def work(i: int) -> None:
        seen.append(len(asyncio.all_tasks()) - baseline)
        await anyio.sleep(0)

    await run_concurrently(list(range(500)), work, concurrency=3)
    assert max(seen) == 3
    assert len(seen) == 500


async def test_workers_that_never_wait_still_let_the_event_loop_run() -> None:
    """Units answered without waiting (a replay) give way every few ms: other tasks, written
    lines and a stop are served during the run, not only after it."""
    import time

    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await anyio.sleep(0)

    async def busy(item: int) -> None:
        time.sleep(0.002)  # work that never suspends

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        await anyio.sleep(0)
        before = ticks
        await run_concurrently(range(100), busy, concurrency=4)
        during = ticks - before
        done = True
    assert during >= 8  # 200 ms of work: a turn every few ms (3 in all when none is given)
