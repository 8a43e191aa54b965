"""``bench execute``: compile (or load) a plan, run it, show progress, summary and reports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

NAME = "execute"
HELP = "run a suite (YAML, compiled in memory) or a plan.json; resume a killed run"
ORDER = 20

_FORMATS = ("html", "md", "json", "junit")


def register(subparsers: Any) -> None:
    """Add ``bench execute`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Run SUITE.yaml (compiled in memory) or a plan.json. Each run gets a directory "
            "runs/<run-id>/ with plan.json, metadata.json and results.jsonl. Exit codes: "
            "0 criteria met, 1 not met, 2 invalid input, 3 infrastructure failure."
        ),
    )
    p.add_argument("target", metavar="SUITE_OR_PLAN", help="a suite .yaml/.yml or a plan .json")
    p.add_argument("--seed", type=int, default=None, help="seed for random values (YAML only)")
    p.add_argument(
        "--concurrency", type=_positive, default=None,
        help="(agent, session) units at once (default: the suite's settings.concurrency)",
    )  # fmt: skip
    p.add_argument(
        "--output-dir", type=Path, default=None,
        help="where runs/<run-id>/ goes (default: the current directory)",
    )  # fmt: skip
    p.add_argument("--resume", metavar="RUN_ID", default=None,
                   help="continue a killed run (an id, or an unambiguous part of one)")  # fmt: skip
    p.add_argument(
        "--report", default=None, metavar="FORMATS",
        help="reports to write, comma-separated: html,md,json,junit",
    )  # fmt: skip
    p.add_argument(
        "-o", "--output", default=None, metavar="NAME",
        help="base name of the reports (NAME.html, ...; default: <run dir>/report)",
    )  # fmt: skip
    p.add_argument("-q", "--quiet", action="store_true", help="no live progress or summary")
    p.set_defaults(handler=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _formats(text: str | None) -> list[str]:
    from runtime.errors import InputError

    if not text:
        return []
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    names = ["md" if n == "markdown" else n for n in names]
    bad = [n for n in names if n not in _FORMATS]
    if bad:
        raise InputError(f"unknown report format {bad[0]!r}; choose from {', '.join(_FORMATS)}")
    return list(dict.fromkeys(names))


def run(args: argparse.Namespace) -> int:
    """Handler of ``bench execute``."""
    import anyio
    from rich.console import Console

    from bench import __version__
    from bench.progress import RunProgress
    from runtime import ExecuteOptions, execute

    formats = _formats(args.report)
    console = Console(highlight=False)
    plan = _load(args)
    with RunProgress(console, len(plan.cases), live=None if not args.quiet else False) as progress:
        options = ExecuteOptions(
            output_dir=args.output_dir,
            concurrency=args.concurrency,
            resume=args.resume,
            bench_version=__version__,
            on_start=None if args.quiet else progress.on_start,
            on_result=None if args.quiet else progress.on_result,
        )
        summary = anyio.run(execute, plan, options)
    _report(console, summary, formats, args)
    return summary.exit_code


def _load(args: argparse.Namespace) -> Any:
    """The plan: loaded from JSON, or compiled from YAML (for a resume, as the run compiled it)."""
    from runtime import load_plan
    from runtime.errors import InputError

    target = Path(args.target)
    if target.suffix.lower() == ".json":
        return load_plan(target)
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise InputError(f"{target}: expected a suite (.yaml, .yml) or a plan (.json)")
    from compiler import compile_suite

    seed, now = args.seed, None
    if args.resume:
        # Recompile exactly as the run did (same seed, same frozen clock), so an unchanged
        # suite yields the same plan hash and the resume is accepted.
        from runtime.store import PLAN_FILE, find_run

        earlier = load_plan(find_run(args.output_dir or Path.cwd(), args.resume) / PLAN_FILE)
        seed = earlier.seed if seed is None else seed
        now = _parse_time(earlier.compiled_now)
    kwargs: dict[str, Any] = {"seed": seed}
    if now is not None:
        kwargs["now"] = now
    return compile_suite(target, **kwargs)


def _parse_time(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _report(console: Any, summary: Any, formats: list[str], args: argparse.Namespace) -> None:
    import report as reports

    if not hasattr(reports, "build_report"):  # reports not built yet in this tree
        _plain_summary(console, summary)
        return
    built = reports.build_report(summary.run_dir)
    if not args.quiet:
        reports.print_console_report(built, console)
    if formats:
        base = Path(args.output) if args.output else summary.run_dir / "report"
        for path in reports.write_reports(built, formats, base):
            console.print(f"wrote {path}", highlight=False, markup=False)
    _verdict(console, summary)


def _plain_summary(console: Any, summary: Any) -> None:
    totals = summary.metadata.totals
    console.print(
        f"Total: {totals.total} | Passed: {totals.passed} | Failed: {totals.failed} | "
        f"Errors: {totals.errors} | Tokens: {totals.input_tokens + totals.output_tokens}",
        highlight=False,
        markup=False,
    )
    _verdict(console, summary)


def _verdict(console: Any, summary: Any) -> None:
    verdict = "criteria met" if summary.criteria_met else "criteria NOT met"
    console.print(
        f"run {summary.run_id}: {verdict} (exit {summary.exit_code}); results in {summary.run_dir}",
        highlight=False,
        markup=False,
    )
