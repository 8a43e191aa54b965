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
            "written as NAME.<ext>. Every test x agent gets a verdict (regressed, improved, "
            "unchanged, within-noise, new, removed, insufficient-data, not-comparable) from a "
            "one-sided Fisher exact test over its attempts, Holm-corrected at alpha 0.05. "
            "Exit code 0, or 1 with --fail-on regression when any verdict is regressed. "
            "Two load results (bench load's JSON) compare per level: tok/s, TTFT p50/p99, "
            "TPOT, goodput and the knee; a table on a terminal, Markdown when piped or with -o."
        ),
    )
    p.add_argument("base", metavar="BASE", help="base JSON report, run directory or run id")
    p.add_argument("head", metavar="HEAD", help="head JSON report, run directory or run id")
    p.add_argument("--output-dir", type=Path, default=None,
                   help="where runs/ is, for run ids (default: the current directory)")  # fmt: skip
    p.add_argument(
        "-f", "--format", default="md", metavar="FORMATS",
        help="comma-separated: md, html, json, junit (default: md)",
    )  # fmt: skip
    p.add_argument("-o", "--output", default=None, metavar="NAME",
                   help="write NAME.<ext> per format instead of printing Markdown")  # fmt: skip
    p.add_argument("--full-report", metavar="WHERE", default=None,
                   help="where the full report lives, named in a truncated Markdown")  # fmt: skip
    p.add_argument(
        "--fail-on", choices=("regression", "never"), default="never",
        help="exit 1 when any test x agent is regressed (default: never)",
    )  # fmt: skip
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Render HEAD with BASE's deltas; print Markdown or write files."""
    from bench.sources import report_source
    from report import build_report, write_reports
    from report.compare import with_baseline
    from report.formats import normalise_formats
    from report.render import write_format
    from runtime.errors import InputError

    formats = normalise_formats(args.format)
    base_path = report_source(args.base, args.output_dir)
    head_path = report_source(args.head, args.output_dir)
    from report.load import is_load_document

    loads = (is_load_document(base_path), is_load_document(head_path))
    if any(loads):
        if not all(loads):
            which = "BASE" if loads[0] else "HEAD"
            raise InputError(
                f"cannot compare a load result ({which}) with a test report: give two load "
                "results (bench load's JSON) or two test reports"
            )
        return _compare_load(args, formats, base_path, head_path)
    base = build_report(base_path)
    head = build_report(head_path)
    if args.output is None:
        if formats != ["md"] and len(formats) > 1:
            raise InputError("several formats need -o NAME to write them to files")
        # Written to stdout as it is rendered (report/render.py), never held as one string.
        with_deltas = with_baseline(head, base)
        write_format(with_deltas, formats[0], sys.stdout, full_report=args.full_report)
    else:
        for path in write_reports(
            head, formats, args.output, baseline=base, full_report=args.full_report
        ):
            print(f"wrote {path}")
    return _exit_code(base, head, args.fail_on)


def _exit_code(base: Any, head: Any, fail_on: str) -> int:
    from report.verdicts import verdicts

    if fail_on != "regression":
        return 0
    regressed = [v for v in verdicts(base, head) if v.verdict == "regressed"]
    from runtime.sanitize import for_terminal

    for v in regressed:
        line = f"bench: regressed: {v.test} ({v.agent}), p = {v.p_value:.3g}"
        print(for_terminal(line), file=sys.stderr)
    return 1 if regressed else 0


def _compare_load(
    args: argparse.Namespace, formats: list[str], base_path: Path, head_path: Path
) -> int:
    """Two load results: per-level deltas as a console table (on a terminal) or Markdown."""
    from bench.terminal import is_terminal, make_console
    from report.load import read_load_result
    from report.load_compare import compare_load, print_load_compare, render_load_compare_md
    from runtime.errors import InputError

    if formats != ["md"]:
        raise InputError("two load results compare as Markdown only (-f md)")
    if args.fail_on != "never":
        raise InputError("--fail-on applies to test reports, not to load results")
    cmp = compare_load(read_load_result(base_path), read_load_result(head_path))
    if args.output is not None:
        path = Path(args.output + ".md")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_load_compare_md(cmp), encoding="utf-8")
        print(f"wrote {path}")
    elif is_terminal(sys.stdout):
        print_load_compare(cmp, make_console())
    else:
        sys.stdout.write(render_load_compare_md(cmp))
    return 0
