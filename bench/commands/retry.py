"""``bench retry RUN [--errors-only]``: re-run a run's failed (or errored) cases in a new run.

See runtime/retry_run.py for the rules: the whole session (agent x session unit) holding a
chosen case runs again, the other results are copied, and the new run (``parent_run`` = RUN)
is a complete, merged run whose report counts each case once.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .execute import add_run_options

NAME = "retry"
HELP = "re-run the failed (or only errored) cases of a run in a new, merged run"
ORDER = 32


def register(subparsers: Any) -> None:
    """Add ``bench retry`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Start a new run linked to RUN (metadata parent_run) that runs again every session "
            "holding a failed or errored case of RUN and copies the other results, so the new "
            "run's report is the merged result, each case once. Exit codes as for execute."
        ),
    )
    p.add_argument("run_id", metavar="RUN", help="a run id, or an unambiguous part of one")
    p.add_argument(
        "--errors-only", action="store_true",
        help="re-run only cases that ended in an error (timeouts, crashes, provider faults)",
    )  # fmt: skip
    add_run_options(
        p,
        concurrency="(agent, session) units at once (default: the plan's)",
        output_dir="where runs/ is; the new run goes there too (default: the current directory)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``bench retry``."""
    from bench import __version__
    from bench.terminal import make_console
    from runtime import ExecuteOptions
    from runtime.retry_run import prepare_retry

    from . import execute as execute_cmd

    formats = execute_cmd.parse_formats(args.report)
    console = make_console()
    base = args.output_dir or Path.cwd()
    setup = prepare_retry(
        base, args.run_id, errors_only=args.errors_only, bench_version=__version__
    )
    if setup is None:
        what = "errored" if args.errors_only else "failed or errored"
        console.print(f"nothing to retry: run {args.run_id} has no {what} cases", markup=False)
        return 0
    kind = "errored" if args.errors_only else "failed/errored"
    console.print(
        f"retry of {setup.parent.run_id}: {len(setup.chosen)} {kind} cases; running "
        f"{len(setup.rerun_units)} sessions again ({setup.rerun_cases} cases), "
        f"{setup.plan.attempt_count - setup.rerun_cases} results copied -> run {setup.run_id}",
        markup=False,
        soft_wrap=True,
    )
    options = ExecuteOptions(
        output_dir=base,
        concurrency=args.concurrency,
        resume=setup.run_id,
        retries=setup.retries,
    )
    summary = execute_cmd.run_plan(
        console, setup.plan, options, quiet=args.quiet, target=str(setup.run_dir / "plan.json")
    )
    if summary.metadata.status == "interrupted":
        return int(summary.exit_code)
    execute_cmd.report_run(console, summary, formats, args)
    return int(summary.exit_code)
