"""``bench runs``: the runs under ``<output dir>/runs``, newest first."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

NAME = "runs"
HELP = "list runs, newest first: id, status, suite, plan hash, totals, start time"
ORDER = 30


def register(subparsers: Any) -> None:
    """Add ``bench runs`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description="List the runs under OUTPUT_DIR/runs, newest first.",
    )
    p.add_argument(
        "--output-dir", type=Path, default=None,
        help="where runs/ is (default: the current directory)",
    )  # fmt: skip
    p.add_argument("-n", "--last", type=int, default=None, metavar="N", help="only the N newest")
    p.add_argument("--json", action="store_true", help="one JSON object per run, one per line")
    p.set_defaults(handler=run)


def short_hash(plan_hash: str) -> str:
    """``sha256:0123…`` shortened to its first 12 hex digits."""
    return plan_hash.split(":", 1)[-1][:12]


def current_totals(path: Path, metadata: Any, latest: Mapping[str, Any] | None = None) -> Any:
    """The run's totals; counted from results.jsonl while it is (or was killed) running.

    metadata.json gets its totals when a run ends, so a run still going, or one killed
    without a chance to write them, is counted from its results instead (``latest``, the
    caller's ``read_results`` of it, saves a second read).
    """
    if metadata.status != "running":
        return metadata.totals
    from runtime.store import RESULTS_FILE, totals_of

    if latest is not None:
        return totals_of(latest.values())
    from runtime.store.outcomes import read_outcomes, totals_of_outcomes

    try:  # outcomes only: no transcript is loaded to count a run
        return totals_of_outcomes(read_outcomes(path / RESULTS_FILE).values())
    except Exception:  # a corrupt file must not stop the listing; metadata totals stand
        return metadata.totals


def merge_text(merge: Any) -> str:
    """``shards 1/4 (run-a), 3/4 (run-c); missing 2/4, 4/4``: what a merged run pooled."""
    n = merge.shards
    text = "shards " + ", ".join(f"{s.index}/{n} ({s.run_id}, {s.status})" for s in merge.merged)
    if merge.missing:
        text += "; missing " + ", ".join(f"{i}/{n}" for i in merge.missing)
    return text


def status_text(metadata: Any) -> str:
    """``completed (retry of X) (shard 2/4)``: the status with what kind of run it is."""
    m = metadata
    status = m.status + (f" (retry of {m.parent_run})" if m.parent_run else "")
    if m.shard is not None:
        status += f" (shard {m.shard.label})"
    if m.merge is not None:
        status += f" (merged {len(m.merge.merged)}/{m.merge.shards} shards)"
    return str(status)


def totals_text(totals: Any, case_count: int) -> str:
    """``passed/cases passed, F failed, E errors`` (errors never folded into failures)."""
    return f"{totals.passed}/{case_count} passed, {totals.failed} failed, {totals.errors} errors"


def run(args: argparse.Namespace) -> int:
    """Handler of ``bench runs``."""
    import json

    from runtime.store import list_runs

    base = args.output_dir or Path.cwd()
    entries = list_runs(base)
    if args.last is not None:
        entries = entries[: max(0, args.last)]
    if args.json:
        for e in entries:
            if e.metadata is None:
                print(json.dumps({"run_id": e.run_id, "problem": e.problem}))
            else:
                print(e.metadata.model_dump_json(exclude={"ai_summary"}))
        return 0
    if not entries:
        print(f"no runs under {base / 'runs'}")
        return 0
    rows: list[tuple[str, ...]] = []
    for e in entries:
        m = e.metadata
        if m is None:
            rows.append((e.run_id, "unreadable", "-", "-", e.problem or "", "-"))
            continue
        rows.append(
            (
                m.run_id,
                status_text(m),
                m.plan_name,
                short_hash(m.plan_hash),
                totals_text(current_totals(e.path, m), m.case_count),
                m.started_at,
            )
        )
    _print_table(("RUN", "STATUS", "SUITE", "PLAN", "RESULTS", "STARTED"), rows)
    return 0


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A rich table: fitted to the terminal, or on a pipe as wide as its content (no wrapping
    at a guessed width, so `grep` and `cut` see one line per run)."""
    import sys

    from rich import box
    from rich.table import Table

    from bench.terminal import make_console

    tty = sys.stdout.isatty()
    table = Table(box=box.SIMPLE_HEAD if tty else None, show_edge=False, pad_edge=False)
    for name in header:
        # Ids, hashes and times stay whole; only the suite and the results may wrap.
        wraps = tty and name in ("SUITE", "RESULTS")
        table.add_column(name, no_wrap=not wraps, overflow="fold" if wraps else "ellipsis")
    for row in rows:
        table.add_row(*row)
    if tty:
        make_console().print(table, markup=False)
        return
    import io

    buf = io.StringIO()
    make_console(file=buf, no_color=True).print(table, markup=False)
    for line in buf.getvalue().splitlines():
        print(line.rstrip())
