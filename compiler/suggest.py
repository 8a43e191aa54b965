"""Did-you-mean: the closest known spelling for a misspelled key, type or name (difflib)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]


def closest(word: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The best match for ``word`` among ``choices``, compared case-insensitively; None if none is close."""
    options = sorted(set(choices))
    if not options:
        return None
    by_lower = {c.lower(): c for c in options}
    if word.lower() in by_lower:
        return by_lower[word.lower()]
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[match[0]] if match else None


def did_you_mean(word: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """A hint ``did you mean 'x'?`` or None."""
    best = closest(word, choices, cutoff=cutoff)
    return f"did you mean '{best}'?" if best is not None else None
