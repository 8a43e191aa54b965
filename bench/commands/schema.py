"""``bench schema``: the JSON Schema of the suite language, for editor completion."""

from __future__ import annotations

import argparse
from typing import Any

NAME = "schema"
HELP = "print the JSON Schema of the suite language (for yaml-language-server)"
ORDER = 11


def register(subparsers: Any) -> None:
    """Add ``bench schema`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Print the JSON Schema of suite files. Save it (bench schema > bench.schema.json) and "
            "start a suite with '# yaml-language-server: $schema=bench.schema.json' for completion."
        ),
    )
    p.add_argument("-o", "--output", metavar="FILE", default=None, help="write the schema to FILE")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print or write the schema."""
    from compiler.schema import schema_json
    from runtime.errors import InputError

    text = schema_json()
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise InputError(f"cannot write {args.output}: {exc.strerror}") from exc
        print(f"wrote {args.output}")
    else:
        print(text, end="")
    return 0
