"""``bench cache info|prune|clear``: the response cache that ``bench execute --cache`` uses."""

from __future__ import annotations

import argparse
from typing import Any

NAME = "cache"
HELP = "the response cache of `bench execute --cache`: info, prune (expired), clear"
ORDER = 80


def register(subparsers: Any) -> None:
    """Add ``bench cache`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "The response cache holds LLM answers of `bench execute --cache` runs under the "
            "user's cache directory (BENCH_CACHE_DIR overrides it); entries expire after "
            "BENCH_CACHE_TTL_DAYS days (default 14). info: where it is and what it holds; "
            "prune: remove expired entries; clear: remove everything."
        ),
    )
    p.add_argument("action", choices=("info", "prune", "clear"), help="what to do")
    p.set_defaults(handler=run)


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _when(stamp: float | None) -> str:
    if stamp is None:
        return "-"
    from datetime import UTC, datetime

    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def run(args: argparse.Namespace) -> int:
    """Handler of ``bench cache``."""
    from runtime.replay.cache import ResponseCache

    cache = ResponseCache.default()
    if args.action == "prune":
        print(f"removed {cache.prune()} expired entries from {cache.path}")
    elif args.action == "clear":
        print(f"removed {cache.clear()} entries from {cache.path}")
    else:
        info = cache.info()
        print(f"path:    {info.path}")
        print(f"entries: {info.entries} ({info.expired} expired), {_size(info.bytes)}")
        print(f"expiry:  {cache.ttl_s / 86400:g} days")
        print(f"oldest:  {_when(info.oldest)}")
        print(f"newest:  {_when(info.newest)}")
    return 0
