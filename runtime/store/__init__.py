"""The run store: run directories and their files (``run_store``), the small outcome per case
a run keeps instead of its results (``outcomes``), and the merge of shard runs (``merge``).

The names most callers need are re-exported here from ``run_store``.
"""

from __future__ import annotations

from .run_store import (
    METADATA_FILE,
    PLAN_FILE,
    RESULTS_FILE,
    RUNS_DIR,
    ResultWriter,
    RunEntry,
    RunStore,
    find_run,
    list_runs,
    new_run_id,
    read_results,
    resolve_run,
    totals_of,
)

__all__ = [
    "METADATA_FILE",
    "PLAN_FILE",
    "RESULTS_FILE",
    "RUNS_DIR",
    "ResultWriter",
    "RunEntry",
    "RunStore",
    "find_run",
    "list_runs",
    "new_run_id",
    "read_results",
    "resolve_run",
    "totals_of",
]
