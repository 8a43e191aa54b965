"""Wall-clock stamps for records, and a monotonic clock for durations.

Kept in one place so records always carry RFC 3339 UTC times and durations never come from
the wall clock (which can jump).

A replayed case runs on a clock of its own (``own_clock``): each answer taken from a cassette
moves it on by the recorded duration (``advance``), so every latency the case measures (its
LLM calls, its tool calls, the case itself) comes out as it was recorded, though nothing waited.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime

__all__ = [
    "advance",
    "elapsed_ms",
    "end_own_clock",
    "monotonic_ms",
    "own_clock",
    "start_own_clock",
    "utc_now",
]

_shift: ContextVar[list[float] | None] = ContextVar("bench_clock_shift", default=None)
"""The current case's clock offset in ms (a shared cell: child tasks move it too)."""


_second: tuple[int, str] = (-1, "")
"""The last second ``utc_now`` formatted, and its text (every case stamps twice)."""


def utc_now() -> str:
    """The current time as RFC 3339 UTC with milliseconds, e.g. ``2026-11-02T10:00:00.123Z``."""
    global _second
    now = time.time()
    second = int(now)
    micro = round((now - second) * 1_000_000)  # as datetime rounds it
    if micro == 1_000_000:
        second, micro = second + 1, 0
    cached, text = _second
    if second != cached:  # a datetime's isoformat costs as much as the rest of this, each time
        text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second = (second, text)
    return f"{text}.{micro // 1000:03d}Z"


def monotonic_ms() -> float:
    """A monotonic clock in milliseconds (only differences are meaningful)."""
    cell = _shift.get()
    now = time.perf_counter() * 1000.0
    return now + cell[0] if cell is not None else now


@contextmanager
def own_clock() -> Iterator[None]:
    """Give the block (and the tasks it starts) a clock that ``advance`` can move on."""
    token = start_own_clock()
    try:
        yield
    finally:
        end_own_clock(token)


def start_own_clock() -> Token[list[float] | None]:
    """``own_clock`` without a context manager (a case scope starts one per case): from
    here until ``end_own_clock(token)``, in this context."""
    return _shift.set([0.0])


def end_own_clock(token: Token[list[float] | None]) -> None:
    """Back to the clock from before ``start_own_clock`` gave ``token``."""
    _shift.reset(token)


def advance(ms: float) -> None:
    """Move the block's clock on by ``ms`` (nothing outside an ``own_clock`` block)."""
    cell = _shift.get()
    if cell is not None and ms > 0:
        cell[0] += ms


def elapsed_ms(start_ms: float) -> float:
    """Milliseconds since ``start_ms`` (a ``monotonic_ms`` reading), rounded to 0.01 ms."""
    return round(monotonic_ms() - start_ms, 2)
