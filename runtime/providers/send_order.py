"""Send an aiohttp request's body in the step that made the request, on Python 3.11 too.

aiohttp writes a request's headers and body from a task of its own (``write_bytes``). On
Python 3.12+ it starts that task eagerly, so the bytes leave inside the step that called
``post``. On 3.11 there are no eager tasks: the writer is queued behind every task already
ready to run. When 50 answers arrive together, the event loop first finishes all 50 cases'
work (SDK parsing, assertions, the result line) and only then sends the 50 next requests, so
they leave together, come back together, and every round pays for the whole batch's CPU:
measured +9-11% over the ideal wall time for 500 cases x 200 ms at concurrency 50, against
+4-6% with the writer run at once (benchmarks/runtime_bench.py, latency scenario).

``prompt_request_writes()`` gives 3.11 the same order as 3.12: while it is active, the event
loop's task factory moves a new ``write_bytes`` task's first step to the front of the ready
queue, so it runs straight after the step that created it. Nothing else changes: other tasks
are created as usual, and an event loop that is not asyncio's own (uvloop), a loop that
already has a task factory, or a Python with eager tasks is left alone. It reads one private
attribute of asyncio's loop (``_ready``, the deque of ready callbacks), checked before use.
"""

from __future__ import annotations

import asyncio
import collections
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["prompt_request_writes"]

WRITER = "ClientRequest.write_bytes"
"""The qualified name of aiohttp's request-writer coroutine (aiohttp/client_reqrep.py)."""


@contextmanager
def prompt_request_writes() -> Iterator[None]:
    """Run aiohttp's request writers as soon as they are created, for the block's duration."""
    loop = _tunable_loop()
    if loop is None:
        yield
        return
    ready: collections.deque[asyncio.Handle] = loop._ready  # type: ignore[attr-defined]

    def factory(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any
    ) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        if getattr(coro, "__qualname__", None) == WRITER and ready:
            step = ready[-1]  # Task() has just queued its first step with call_soon
            if getattr(step._callback, "__self__", None) is task:  # type: ignore[attr-defined]
                ready.rotate(1)  # from the back of the queue to the front
        return task

    loop.set_task_factory(factory)  # type: ignore[arg-type]
    try:
        yield
    finally:
        if loop.get_task_factory() is factory:
            loop.set_task_factory(None)


def _tunable_loop() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop when it needs and allows the change, else None."""
    if sys.version_info >= (3, 12):
        return None  # aiohttp starts its writer eagerly (eager_start=True) there
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None  # not asyncio (trio): aiohttp is not used there
    if loop.get_task_factory() is not None:
        return None  # the host program's own factory wins
    if not isinstance(getattr(loop, "_ready", None), collections.deque):
        return None  # not asyncio's own loop implementation
    return loop
