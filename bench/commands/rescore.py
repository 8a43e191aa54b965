"""``bench rescore RUN [SUITE]``: re-evaluate a run's transcripts against current assertions.

Nothing is called (runtime/rescore.py): the run's transcripts are checked again against the
suite as it is now, so changing an assertion costs nothing. The result is a new run
(``rescored_from`` in its metadata) with the usual console report, reports and exit code.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .execute import add_run_options

NAME = "rescore"
HELP = "re-check a finished run's transcripts against the suite's current assertions (no calls)"
ORDER = 25


def register(subparsers: Any) -> None:
    """Add ``bench rescore`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Evaluate the recorded transcripts of RUN against the current assertions and "
            "extractors of SUITE (default: the suite the run was compiled from, compiled "
            "again with the run's seed), without calling any provider, server or agent. "
            "llm_judge verdicts come from the run's judge cache; a judgement it lacks is a "
            "case error. Writes a new run; exit codes as for `bench execute`."
        ),
    )
    p.add_argument("run", metavar="RUN", help="a run directory, or a run id (or a part of one)")
    p.add_argument(
        "suite", metavar="SUITE_OR_PLAN", nargs="?", default=None,
        help="the suite (.yaml) or plan (.json) to check against (default: the run's suite)",
    )  # fmt: skip
    add_run_options(
        p,
        concurrency="(unused: a rescore makes no calls)",
        output_dir="where runs/ is, for a run id and for the new run (default: the current directory)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``bench rescore``."""
    import anyio

    from bench import __version__
    from bench.sources import report_source
    from bench.terminal import make_console
    from runtime import ExecuteOptions, load_plan
    from runtime.errors import InputError
    from runtime.rescore import rescore
    from runtime.store import PLAN_FILE

    from .execute import parse_formats, report_run

    formats = parse_formats(args.report)
    source = report_source(args.run, args.output_dir)
    if not source.is_dir():
        raise InputError(f"{source} is not a run directory; give runs/<id> or a run id")
    earlier = load_plan(source / PLAN_FILE)
    plan = _current_plan(args.suite, earlier)
    plan = _same_selection(plan, source)
    options = ExecuteOptions(output_dir=args.output_dir, bench_version=__version__)
    if args.output_dir is None:
        options.output_dir = source.parent.parent
    summary = anyio.run(rescore, source, plan, options)
    console = make_console()
    report_run(console, summary, formats, args)
    return int(summary.exit_code)


def _current_plan(suite: str | None, earlier: Any) -> Any:
    """The plan to check against: SUITE, else the run's own suite compiled again as it was."""
    from runtime import load_plan
    from runtime.errors import InputError

    if suite is not None and suite.lower().endswith(".json"):
        return load_plan(Path(suite))
    path = Path(suite) if suite is not None else Path(earlier.sources[0].path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise InputError(f"{path}: expected a suite (.yaml, .yml) or a plan (.json)")
    if not path.exists():
        raise InputError(
            f"the run's suite {path} is not there (relative paths are read from the current "
            "directory); give the suite: bench rescore RUN SUITE.yaml"
        )
    from compiler import compile_suite

    kwargs: dict[str, Any] = {"seed": earlier.seed}
    if earlier.compiled_now:  # the same clock the run's templates read
        from datetime import datetime

        kwargs["now"] = datetime.fromisoformat(earlier.compiled_now)
    return compile_suite(path, **kwargs)


def _same_selection(plan: Any, source: Path) -> Any:
    """The plan cut down as the run's was (--limit/--agents/--repeat), so no case is new."""
    from runtime.results import RunMetadata
    from runtime.selection import select
    from runtime.store import METADATA_FILE

    meta = RunMetadata.model_validate_json((source / METADATA_FILE).read_bytes())
    if meta.filter is None:
        return plan
    return select(plan, meta.filter)[0]
