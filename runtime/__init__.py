"""The bench runtime: execute a frozen plan against providers and MCP tool servers.

Public API::

    plan = runtime.load_plan("plan.json")
    summary = anyio.run(runtime.execute, plan, runtime.ExecuteOptions(concurrency=8))
    summary.exit_code  # 0 criteria met, 1 not met, 3 infrastructure

Importing this package loads no provider SDK (they are imported when a plan names them).
"""

from __future__ import annotations

from .execute import ExecuteOptions as ExecuteOptions
from .execute import RunSummary as RunSummary
from .execute import execute as execute
from .plan import load_plan as load_plan

__all__ = ["ExecuteOptions", "RunSummary", "execute", "load_plan"]
