"""runtime.offload: checks run in long-lived worker threads, never on the event loop."""

from __future__ import annotations

import contextvars
import threading
import time
from functools import partial

import anyio
import pytest

from runtime import offload
from runtime.offload import run_off_loop

pytestmark = pytest.mark.anyio

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("WHO", default="nobody")


async def test_result_comes_back_from_another_thread_in_the_callers_context() -> None:
    WHO.set("case 7")
    loop_thread = threading.get_ident()
    seen = await run_off_loop(lambda: (threading.get_ident(), WHO.get()))
    assert seen[0] != loop_thread
    assert seen[1] == "case 7"


async def test_an_exception_is_raised_to_the_waiter() -> None:
    def boom() -> None:
        raise ValueError("bad pattern")

    with pytest.raises(ValueError, match="bad pattern"):
        await run_off_loop(boom)
    assert await run_off_loop(lambda: 3) == 3  # the worker survived


async def test_many_waiters_each_get_their_own_result() -> None:
    results: dict[int, int] = {}

    async def one(i: int) -> None:
        results[i] = await run_off_loop(lambda: i * i)

    async with anyio.create_task_group() as tg:
        for i in range(300):
            tg.start_soon(one, i)
    assert results == {i: i * i for i in range(300)}


async def test_a_job_that_blocks_holds_neither_the_loop_nor_other_jobs() -> None:
    release, blocked = threading.Event(), threading.Event()

    def stuck() -> str:
        blocked.set()
        release.wait(timeout=10)
        return "late"

    async with anyio.create_task_group() as tg:
        tg.start_soon(run_off_loop, stuck)
        while not blocked.is_set():  # the loop runs while the job blocks
            await anyio.sleep(0.005)
        # Every other job finishes while the first one still blocks its thread.
        with anyio.fail_after(5):
            assert [await run_off_loop(partial(int, n)) for n in range(20)] == list(range(20))
        release.set()


async def test_a_cancelled_waiter_abandons_its_job() -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(timeout=10)
        finished.set()
        return "dropped"

    with anyio.move_on_after(5) as scope:
        async with anyio.create_task_group() as tg:
            tg.start_soon(run_off_loop, slow)
            while not started.is_set():
                await anyio.sleep(0.005)
            tg.cancel_scope.cancel()  # returns at once, the job still running
    assert not scope.cancelled_caught
    assert not finished.is_set()
    release.set()
    assert finished.wait(timeout=5)
    assert await run_off_loop(lambda: "next") == "next"


async def test_idle_workers_retire(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offload, "IDLE_S", 0.05)
    workers = offload._Workers()  # its own threads, all waiting IDLE_S at most
    monkeypatch.setattr(offload, "_workers", workers)
    async with anyio.create_task_group() as tg:
        for _ in range(8):
            tg.start_soon(run_off_loop, lambda: time.sleep(0.02))
    assert 1 <= workers._threads <= 8
    deadline = time.monotonic() + 10
    while workers._threads and time.monotonic() < deadline:
        await anyio.sleep(0.02)
    assert (workers._threads, workers._idle, workers._queued) == (0, 0, 0)
    assert await run_off_loop(lambda: "again") == "again"  # a new worker starts on demand
