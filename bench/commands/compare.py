"""``bench compare``: what newly fails, what newly passes, and the deltas between two reports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

NAME = "compare"
HELP = "compare two JSON reports (or run dirs): newly failing/passing cases, rate, token, latency, cost deltas"
ORDER = 31


def register(subparsers: Any) -> None:
    """Add ``bench compare`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Compare HEAD against BASE per case (matched by agent, file, session and test) "
            "and per agent. Without -o the Markdown is printed; with -o each format is "
            "written as NAME.<ext>. Exit code 0 (use the JSON's summary to gate CI)."
        ),
    )
    p.add_argument("base", metavar="BASE", help="base JSON report or run directory")
    p.add_argument("head", metavar="HEAD", help="head JSON report or run directory")
    p.add_argument(
        "-f", "--format", default="md", metavar="FORMATS",
        help="comma-separated: md, html, json, junit (default: md)",
    )  # fmt: skip
    p.add_argument("-o", "--output", default=None, metavar="NAME",
                   help="write NAME.<ext> per format instead of printing Markdown")  # fmt: skip
    p.add_argument("--full-report", metavar="WHERE", default=None,
                   help="where the full report lives, named in a truncated Markdown")  # fmt: skip
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Render HEAD with BASE's deltas; print Markdown or write files."""
    from report import build_report, render, write_reports
    from report.formats import normalise_formats
    from runtime.errors import InputError

    formats = normalise_formats(args.format)
    for path in (args.base, args.head):
        if not Path(path).exists():
            raise InputError(f"{path} does not exist; give a JSON report or a run directory")
    base = build_report(Path(args.base))
    head = build_report(Path(args.head))
    if args.output is None:
        if formats != ["md"] and len(formats) > 1:
            raise InputError("several formats need -o NAME to write them to files")
        sys.stdout.write(render(head, formats[0], baseline=base, full_report=args.full_report))
        return 0
    for path in write_reports(
        head, formats, args.output, baseline=base, full_report=args.full_report
    ):
        print(f"wrote {path}")
    return 0
