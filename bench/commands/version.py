"""``bench version``: bench's version, and with ``--deps`` every dependency's, as installed."""

from __future__ import annotations

import argparse
from typing import Any

NAME = "version"
HELP = "print bench's version (--deps: its dependencies'; --check-lock: compare with uv.lock)"
ORDER = 90


def register(subparsers: Any) -> None:
    """Add ``bench version`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(NAME, help=HELP, description=HELP)
    p.add_argument("--deps", action="store_true", help="list the installed dependency closure")
    p.add_argument(
        "--check-lock",
        metavar="UV_LOCK",
        default=None,
        help="exit 1 when an installed dependency's version differs from this uv.lock",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print versions; compare with a lock when asked."""
    from pathlib import Path

    from bench import __version__
    from runtime.errors import InputError

    from ..versions import installed_closure, lock_mismatches, locked_versions

    print(f"bench {__version__}")
    closure = installed_closure()
    if args.deps:
        for name, version in sorted(closure.items()):
            if name != "bench":
                print(f"{name}=={version}")
    if args.check_lock:
        path = Path(args.check_lock)
        try:
            locked = locked_versions(path)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the lock {path}: {exc}") from exc
        problems = lock_mismatches(closure, locked)
        for line in problems:
            print(f"bench: {line}")
        if problems:
            return 1
        print(f"all {len(closure) - 1} dependencies match {path}")
    return 0
