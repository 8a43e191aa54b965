"""Open-loop arrival times: gamma-distributed gaps, as vLLM's ``bench serve`` draws them.

The gaps between requests are gamma distributed with shape ``burstiness`` and mean
``1 / rate``: burstiness 1 is a Poisson process (exponential gaps), below 1 burstier
(more short gaps and a few long ones), above 1 more even; the mean rate is the same.
A seeded ``random.Random`` makes the schedule reproducible.
"""

from __future__ import annotations

import random

__all__ = ["arrival_offsets", "level_rng"]


def level_rng(seed: int, level: float) -> random.Random:
    """The RNG of one level of a sweep: the same seed and level give the same schedule."""
    return random.Random(f"bench-load:{seed}:{level!r}")


def arrival_offsets(rate: float, burstiness: float, count: int, rng: random.Random) -> list[float]:
    """Seconds from the level's start at which each of ``count`` requests is sent.

    The first request goes at 0; each later one a gamma-distributed gap after the previous.
    """
    if rate <= 0 or burstiness <= 0:
        raise ValueError("rate and burstiness must be positive")
    scale = 1.0 / (rate * burstiness)
    out: list[float] = []
    t = 0.0
    for n in range(count):
        if n:
            t += rng.gammavariate(burstiness, scale)
        out.append(t)
    return out
