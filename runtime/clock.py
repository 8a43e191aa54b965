"""Wall-clock stamps for records, and a monotonic clock for durations.

Kept in one place so records always carry RFC 3339 UTC times and durations never come from
the wall clock (which can jump).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["elapsed_ms", "monotonic_ms", "utc_now"]


def utc_now() -> str:
    """The current time as RFC 3339 UTC with milliseconds, e.g. ``2026-11-02T10:00:00.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def monotonic_ms() -> float:
    """A monotonic clock in milliseconds (only differences are meaningful)."""
    return time.perf_counter() * 1000.0


def elapsed_ms(start_ms: float) -> float:
    """Milliseconds since ``start_ms`` (a ``monotonic_ms`` reading), rounded to 0.01 ms."""
    return round(monotonic_ms() - start_ms, 2)
