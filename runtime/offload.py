"""Work off the event loop: long-lived worker threads whose wake-ups of the loop are coalesced.

A case's extractors and assertions check untrusted text, which can take long (a large
answer, a big dataset); they must never hold the event loop, so that other units keep running
and a signal is handled at once (tests/runtime/test_interrupt_evaluation.py). Every case makes
this hop once or twice, so its fixed cost is paid per case: ``anyio.to_thread.run_sync``
(capacity limiter, cancel scope, one loop wake-up per call) cost about as much CPU as the
check itself in a replayed run (benchmarks/replay_bench.py).

``run_off_loop`` keeps the contract and drops the overhead on asyncio: jobs go to one queue
served by long-lived daemon threads, started on demand (a new one whenever none is idle, up to
``MAX_WORKERS``, so a check that blocks never holds the others), each retiring after
``IDLE_S`` without work. A finished job's result is handed back with the others finished
meanwhile: one ``call_soon_threadsafe`` per batch, not per job. A cancelled waiter abandons
its job (the thread finishes it; the result is dropped), as ``abandon_on_cancel`` did. Under
another backend (trio) the job goes through ``anyio.to_thread.run_sync``.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

__all__ = ["IDLE_S", "MAX_WORKERS", "run_off_loop"]

T = TypeVar("T")

MAX_WORKERS = 32
"""Threads at most (anyio's default limit is 40); more jobs than that wait in the queue."""
IDLE_S = 10.0
"""A worker without a job for this long ends (anyio's idle workers end after 10 s too)."""

_Done = tuple["asyncio.Future[Any]", Any, BaseException | None]
_Job = tuple[
    asyncio.AbstractEventLoop, "asyncio.Future[Any]", contextvars.Context, Callable[[], Any]
]


class _Workers:
    """The shared job queue, its threads and the results waiting to be handed back."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        """Workers waiting for a job (a thread being started counts as one)."""
        self._queued = 0
        """Jobs in the queue, not yet taken by a worker."""
        self._done: dict[asyncio.AbstractEventLoop, list[_Done]] = {}

    def submit(self, job: _Job) -> None:
        """Queue ``job``; start a worker when every idle one already has a job waiting."""
        with self._lock:  # queued under the lock: a worker retiring now sees the job
            self._queued += 1
            start = self._queued > self._idle and self._threads < MAX_WORKERS
            if start:
                self._threads += 1
                self._idle += 1
            self._jobs.put(job)
        if start:
            threading.Thread(target=self._work, name="bench-check", daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                loop, future, context, func = self._jobs.get(timeout=IDLE_S)
            except queue.Empty:
                with self._lock:
                    if self._queued == 0:  # retire, unless a job came in as the wait ended
                        self._idle -= 1
                        self._threads -= 1
                        return
                continue
            with self._lock:
                self._idle -= 1
                self._queued -= 1
            result: Any = None
            error: BaseException | None = None
            try:
                result = context.run(func)
            except BaseException as exc:  # handed to the waiter, raised there
                error = exc
            self._hand_back(loop, (future, result, error))
            del result, error, func, context, future
            with self._lock:
                self._idle += 1

    def _hand_back(self, loop: asyncio.AbstractEventLoop, done: _Done) -> None:
        with self._lock:
            waiting = self._done.setdefault(loop, [])
            first = not waiting
            waiting.append(done)
        if first:  # the loop has no hand-back scheduled yet: one wake-up for this batch
            try:
                loop.call_soon_threadsafe(self._release, loop)
            except RuntimeError:  # the loop is closed: nobody waits any more
                with self._lock:
                    self._done.pop(loop, None)

    def _release(self, loop: asyncio.AbstractEventLoop) -> None:
        # On the event loop: resolve every future finished since the last hand-back.
        with self._lock:
            batch = self._done.pop(loop, [])
        for future, result, error in batch:
            if future.done():  # its waiter was cancelled: the job was abandoned
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)


_workers = _Workers()


async def run_off_loop(func: Callable[[], T]) -> T:
    """``func()`` in a worker thread, in the caller's context; the event loop keeps running.

    Cancelling the caller abandons ``func``: its thread runs it to the end, the result is
    dropped.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio (trio)
        return await anyio.to_thread.run_sync(func, abandon_on_cancel=True)
    future: asyncio.Future[T] = loop.create_future()
    _workers.submit((loop, future, contextvars.copy_context(), func))
    return await future
