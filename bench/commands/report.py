"""``bench report``: render a finished (or partial) run, or a JSON report, in any format."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

NAME = "report"
HELP = "render a run directory or a JSON report as html, md, json, junit (no re-run)"
ORDER = 30


def register(subparsers: Any) -> None:
    """Add ``bench report`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Render the reports of a run directory (runs/<id>/, finished or partial) or "
            "re-render a JSON report written earlier, so templates can change without "
            "re-running anything. A load result (bench load's JSON) renders as html, md "
            "and json with its saturation charts. Prints the console report unless --quiet."
        ),
    )
    p.add_argument(
        "source", metavar="RUN",
        help="a run directory, a report .json, a load result .json (bench load), "
        "or a run id (or an unambiguous part of one)",
    )  # fmt: skip
    p.add_argument("--output-dir", type=Path, default=None,
                   help="where runs/ is, for a run id (default: the current directory)")  # fmt: skip
    p.add_argument(
        "-f", "--format", default="html,md,json", metavar="FORMATS",
        help="comma-separated: html, md, json, junit (default: html,md,json)",
    )  # fmt: skip
    p.add_argument(
        "-o", "--output", default=None, metavar="NAME",
        help="base name: writes NAME.html, NAME.md, NAME.json, NAME.junit.xml "
        "(default: <run dir>/report, or beside the JSON with its name)",
    )  # fmt: skip
    p.add_argument("--baseline", metavar="BASE.json", default=None,
                   help="a base JSON report: show what changed against it")  # fmt: skip
    p.add_argument("--full-report", metavar="WHERE", default=None,
                   help="where the full report lives (a URL or path), named in a truncated Markdown")  # fmt: skip
    p.add_argument("-q", "--quiet", action="store_true", help="do not print the console report")
    p.set_defaults(handler=run)


def default_base(source: Path) -> Path:
    """Where reports go when no -o is given."""
    if source.is_dir():
        return source / "report"
    name = source.name
    for ext in (".junit.xml", ".json"):
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    return source.with_name(name)


def run(args: argparse.Namespace) -> int:
    """Build (or load) the report, write each format, list the files written."""
    from bench.terminal import make_console
    from report import build_report, print_console_report, write_reports
    from report.formats import normalise_formats

    formats = normalise_formats(args.format)  # a bad format fails before any work
    from bench.sources import report_source

    source = report_source(args.source, args.output_dir)
    from report.load import is_load_document

    if is_load_document(source):
        return _run_load(args, source)
    built = build_report(source)
    base_report = build_report(Path(args.baseline)) if args.baseline else None
    console = make_console()
    if not args.quiet:
        print_console_report(built, console)
    out = Path(args.output) if args.output else default_base(source)
    for path in write_reports(
        built, formats, out, baseline=base_report, full_report=args.full_report
    ):
        console.print(f"wrote {path}", markup=False, highlight=False)
    return 0


def _run_load(args: argparse.Namespace, source: Path) -> int:
    """A load result (``bench load``'s JSON): its console table, then each format written."""
    from bench.terminal import make_console
    from report.load import print_load_console, read_load_result, write_load_reports
    from runtime.errors import InputError

    if args.baseline:
        raise InputError(
            "--baseline compares test reports; compare two load results with "
            "`bench compare BASE.json HEAD.json`"
        )
    result = read_load_result(source)
    console = make_console()
    if not args.quiet:
        print_load_console(result, console)
    out = Path(args.output) if args.output else default_base(source)
    for path in write_load_reports(result, args.format, out):
        console.print(f"wrote {path}", markup=False, highlight=False)
    return 0
