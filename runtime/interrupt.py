"""Stopping a run early: drain on the first Ctrl-C, stop at once on the second.

``StopRequest`` is what ``execute()`` reads (``ExecuteOptions.stop``):

- ``drain()`` (first SIGINT): no unit starts and no further case of a running unit starts;
  the cases in flight finish and their results are written. A unit cut short this way is run
  again from its first case by a resume, like any unfinished unit.
- ``stop_now()`` (second SIGINT, SIGTERM, or SIGHUP): the run's cancel scope is cancelled; cases in
  flight are abandoned without a result, so a resume runs them again.

Either way execute() returns normally with metadata status ``interrupted``.
``run_with_signals`` wires SIGINT, SIGTERM and SIGHUP to a StopRequest while a coroutine runs; it is
for the CLI (a library caller keeps its own signal handling and calls drain()/stop_now()).
Tool servers and external agents run in sessions of their own, so a Ctrl-C typed in a
terminal reaches bench alone, and the cases in flight can finish cleanly.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack
from typing import TypeVar

import anyio

from .errors import BenchError

__all__ = ["StopRequest", "run_with_signals"]

T = TypeVar("T")


class StopRequest:
    """A request to stop a run: ``draining`` (finish what is in flight) or stopped at once."""

    def __init__(self) -> None:
        self.draining = False
        """No new case may start."""
        self.stopped = False
        """Cases in flight are being abandoned."""
        self._scopes: list[anyio.CancelScope] = []

    def drain(self) -> None:
        """Start no new case; let the cases in flight finish."""
        self.draining = True

    def stop_now(self) -> None:
        """Abandon the cases in flight too (cancels every attached scope)."""
        self.draining = True
        self.stopped = True
        for scope in self._scopes:
            scope.cancel()

    def attach(self, scope: anyio.CancelScope) -> None:
        """Let ``stop_now`` cancel ``scope`` (cancelled at once when already stopped)."""
        self._scopes.append(scope)
        if self.stopped:
            scope.cancel()


async def run_with_signals(
    main: Callable[[], Awaitable[T]],
    stop: StopRequest,
    *,
    on_drain: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> T:
    """Await ``main()`` with SIGINT draining (then stopping) ``stop``, SIGTERM and SIGHUP
    stopping it.

    Outside the main thread, or where the event loop cannot take signal handlers (Windows),
    ``main()`` runs without them and Ctrl-C keeps Python's default behaviour.
    """
    with ExitStack() as stack:
        signals = _receive_signals(stack)
        if signals is None:
            return await main()
        outcome: list[T] = []
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(_watch, signals, stop, on_drain, on_stop)
                outcome.append(await main())
                tg.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            raise _unwrap(group) from None
        return outcome[0]


_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""SIGINT drains; SIGTERM and SIGHUP (the terminal or SSH session closed) stop at once."""


def _receive_signals(stack: ExitStack) -> AsyncIterator[signal.Signals] | None:
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        return stack.enter_context(anyio.open_signal_receiver(*_SIGNALS))
    except (NotImplementedError, RuntimeError, ValueError):
        return None  # no signal handlers on this loop (Windows): Ctrl-C stays KeyboardInterrupt


async def _watch(
    signals: AsyncIterator[signal.Signals],
    stop: StopRequest,
    on_drain: Callable[[], None] | None,
    on_stop: Callable[[], None] | None,
) -> None:
    async for signum in signals:
        if signum == signal.SIGINT and not stop.draining:
            stop.drain()
            if on_drain is not None:
                on_drain()
        elif not stop.stopped:
            stop.stop_now()
            if on_stop is not None:
                on_stop()


def _unwrap(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The one meaningful error in a task group's exception group (a BenchError first)."""
    leaves: list[BaseException] = []
    stack: list[BaseException] = [group]
    while stack:
        exc = stack.pop(0)
        if isinstance(exc, BaseExceptionGroup):
            stack.extend(exc.exceptions)
        else:
            leaves.append(exc)
    for exc in leaves:
        if isinstance(exc, BenchError):
            return exc
    cancelled = anyio.get_cancelled_exc_class()
    for exc in leaves:
        if not isinstance(exc, cancelled):
            return exc
    return leaves[0]
