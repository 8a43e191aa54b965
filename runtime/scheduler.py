"""Run units concurrently under a limit; a unit's own cases run in order inside its worker.

``concurrency`` workers in one anyio task group take units from one shared iterator, so units
start in plan order, never more than ``concurrency`` run at once, and a worker that ends a unit
starts the next in the same step: no task per unit (a 100,000-unit plan holds ``concurrency``
tasks, not 100,000) and no scheduling round between one unit and the next, which would put the
next unit's first request behind every other ready task (benchmarks/runtime_bench.py, latency).
Workers whose units never wait (answered from a cassette) would then hold the event loop for
the whole run: every ``YIELD_S`` the worker that finishes a unit gives way once.
The first unit that raises stops the run: the group cancels the others, and the error is
re-raised unwrapped from anyio's exception group so the CLI can map it to an exit code.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio
import anyio.lowlevel

from .errors import BenchError

__all__ = ["YIELD_S", "run_concurrently"]

YIELD_S = 0.005
"""Every this long, the worker that finishes a unit lets the event loop run before its next."""

T = TypeVar("T")


async def run_concurrently(
    items: Sequence[T],
    worker: Callable[[T], Awaitable[None]],
    *,
    concurrency: int,
) -> None:
    """Await ``worker(item)`` for every item, at most ``concurrency`` at a time.

    Items acquire their slot in order. If a worker raises, the others are cancelled and the
    most meaningful error (a BenchError first) is raised as itself, not as an ExceptionGroup.
    """
    pending = iter(items)

    given_way = [time.monotonic()]
    """When a worker last gave way (shared: at most one checkpoint per YIELD_S per run)."""

    async def drain() -> None:
        for item in pending:
            await worker(item)
            # A worker that never waits (answers from a cassette) would keep the loop from
            # everything else: the other workers, written lines, a stop. Give way now and then.
            if time.monotonic() - given_way[0] >= YIELD_S:
                given_way[0] = time.monotonic()
                await anyio.lowlevel.checkpoint()

    try:
        async with anyio.create_task_group() as tg:
            for _ in range(max(1, min(concurrency, len(items)))):
                tg.start_soon(drain)
    except BaseExceptionGroup as group:
        raise _pick(group) from None


def _pick(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error to report from a group: the first BenchError, else the first leaf."""
    leaves = list(_leaves(group))
    for exc in leaves:
        if isinstance(exc, BenchError):
            return exc
    for exc in leaves:
        if not isinstance(exc, anyio.get_cancelled_exc_class()):
            return exc
    return leaves[0]


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        out: list[BaseException] = []
        for inner in exc.exceptions:
            out.extend(_leaves(inner))
        return out
    return [exc]
