"""``bench merge``: the runs of a plan's shards (``bench execute --shard I/N``) as one run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

NAME = "merge"
HELP = "pool the runs of a plan's shards (directories or zip archives) into one run directory"
ORDER = 25


def register(subparsers: Any) -> None:
    """Add ``bench merge`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Merge the run directories (or zip archives of them, as actions/upload-artifact "
            "makes) of `bench execute --shard I/N` into one run directory OUT holding the whole "
            "plan and every result once; `bench report OUT` renders the pooled report. When the "
            "plan enables ai_summary and every shard finished, the judge writes its verdict over "
            "the merged run (shards do not judge their slices; the judge's key must be set "
            "here, as for bench execute; a judge failure is a warning). Refuses "
            "shards of different plans, a missing shard, a shard given twice, a case recorded "
            "twice. Exit codes: 0 merged, 2 refused."
        ),
    )
    p.add_argument("runs", metavar="RUN_DIR_OR_ZIP", nargs="+", type=Path,
                   help="a shard's run directory, a folder holding one, or a zip of either")  # fmt: skip
    p.add_argument("-o", "--output", metavar="OUT", type=Path, required=True,
                   help="the merged run directory to create (e.g. runs/merged, for bench runs/show)")  # fmt: skip
    p.add_argument("--allow-partial", action="store_true",
                   help="merge the shards given even if some are missing (recorded in the run and its report)")  # fmt: skip
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Merge, then say what was merged."""
    from bench import __version__
    from runtime.store.merge import merge_runs

    m = merge_runs(
        args.runs, args.output, bench_version=__version__, allow_partial=args.allow_partial
    )
    assert m.merge is not None
    t = m.totals
    line = (
        f"merged {len(m.merge.merged)} of {m.merge.shards} shards into {args.output}: "
        f"{t.total} of {m.case_count} cases ({t.passed} passed, {t.failed} failed, "
        f"{t.errors} errors), status {m.status}"
    )
    if m.merge.missing:
        line += "; missing shards " + ", ".join(f"{i}/{m.merge.shards}" for i in m.merge.missing)
    from runtime.sanitize import for_terminal

    print(for_terminal(line, keep_newlines=True))
    _summarise(args.output)
    return 0


def _summarise(run_dir: Path) -> None:
    """The ai_summary verdict over the merged run, as an unsharded run gets it (if enabled)."""
    import anyio

    from runtime.execute import summarise_run
    from runtime.sanitize import for_terminal

    record = anyio.run(summarise_run, run_dir).ai_summary
    if record is not None and record.error:
        print(for_terminal(f"warning: {record.error}"))
    elif record is not None:
        print(f"ai_summary: the verdict of {record.provider} is in {run_dir / 'ai_summary.md'}")
