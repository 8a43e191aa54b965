"""``bench export RUN --format json|md``: a run's report through the report package's API."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

NAME = "export"
HELP = "export a run's report as JSON or Markdown (stdout, or -o FILE)"
ORDER = 33


def register(subparsers: Any) -> None:
    """Add ``bench export`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Build the report of run RUN (an id or an unambiguous part of one) and print it as "
            "JSON (the versioned report schema) or Markdown. `bench report` writes every format."
        ),
    )
    p.add_argument("run_id", metavar="RUN")
    p.add_argument("--format", dest="fmt", default="json", metavar="json|md",
                   help="json (default) or md")  # fmt: skip
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help="write to FILE instead of stdout")  # fmt: skip
    p.add_argument(
        "--output-dir", type=Path, default=None,
        help="where runs/ is (default: the current directory)",
    )  # fmt: skip
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``bench export``."""
    import sys

    from runtime.errors import InputError
    from runtime.store import find_run

    fmt = args.fmt.strip().lower()
    fmt = "md" if fmt == "markdown" else fmt
    if fmt not in ("json", "md"):
        raise InputError(f"--format must be json or md, not {args.fmt!r}")
    path = find_run(args.output_dir or Path.cwd(), args.run_id)
    import report
    from report.render import write_format

    built = report.build_report(path)
    if args.output is None:
        out = _EndsWithNewline(sys.stdout)
        write_format(built, fmt, out)  # written as it is rendered, case by case for JSON
        out.finish()
        return 0
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with args.output.open("w", encoding="utf-8") as fh:
            write_format(built, fmt, fh)
    except OSError as exc:
        raise InputError(f"cannot write {args.output}: {exc.strerror}") from exc
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


class _EndsWithNewline:
    """stdout, ended by a newline when what was written did not end with one."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._last = ""

    def write(self, s: str) -> int:
        if s:
            self._out.write(s)
            self._last = s[-1]
        return len(s)

    def finish(self) -> None:
        if self._last != "\n":
            self._out.write("\n")
