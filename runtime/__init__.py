"""The bench runtime: execute a frozen plan against providers and MCP tool servers.

Public API::

    plan = runtime.load_plan("plan.json")
    summary = anyio.run(runtime.execute, plan, runtime.ExecuteOptions(concurrency=8))
    summary.exit_code  # 0 criteria met, 1 not met, 3 infrastructure

Importing this package loads no provider SDK (they are imported when a plan names them), and
the public names load lazily, so ``import runtime.errors`` (what ``bench --help`` needs) stays
cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .execute import ExecuteOptions as ExecuteOptions
    from .execute import RunSummary as RunSummary
    from .execute import execute as execute
    from .plan import load_plan as load_plan

__all__ = ["ExecuteOptions", "RunSummary", "execute", "load_plan"]

_WHERE = {
    "ExecuteOptions": ".execute",
    "RunSummary": ".execute",
    "execute": ".execute",
    "load_plan": ".plan",
}


def __getattr__(name: str) -> Any:
    """Load a public name on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)
