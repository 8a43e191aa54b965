"""The requirements manifest: behaviours the seed docs specify, each with a stable id.

One module per area (``compiler.py``, ``runtime.py``, ...) defines
``REQUIREMENTS: dict[str, str]`` (id -> source and one-line description). Tests link to an id
with ``@pytest.mark.requirement("assert:tool_called")``; tests/test_requirements.py checks
the link both ways.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__ = ["all_requirements"]


def all_requirements() -> dict[str, str]:
    """Every requirement id of every area module."""
    merged: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        for key, text in getattr(mod, "REQUIREMENTS", {}).items():
            assert key not in merged, f"duplicate requirement id {key}"
            merged[key] = text
    return merged
