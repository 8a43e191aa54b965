"""``bench view``: a local web viewer over the run store (runs, a run's report, compare two)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

NAME = "view"
HELP = "browse the run store in a local web viewer: runs and trends, a run's report, compare two"
ORDER = 32


def register(subparsers: Any) -> None:
    """Add ``bench view`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Serve a read-only viewer over RUNS_DIR on http://127.0.0.1: the list of runs "
            "with a pass-rate trend per suite, each run's HTML report, and two runs side by "
            "side (outputs diffed, tool calls aligned, changed assertions, bench compare's "
            "verdicts). Nothing is written and no request leaves the machine. Ctrl-C stops it."
        ),
    )
    p.add_argument(
        "runs_dir", metavar="RUNS_DIR", nargs="?", type=Path, default=None,
        help="the runs/ directory, or the directory holding it (default: the current directory)",
    )  # fmt: skip
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")  # fmt: skip
    p.add_argument("--port", type=int, default=8765,
                   help="port to listen on; 0 picks a free one (default: 8765)")  # fmt: skip
    p.add_argument(
        "--allow-remote", action="store_true",
        help="allow a --host other machines can reach (they can then read every run)",
    )  # fmt: skip
    p.add_argument("--open", action="store_true", help="open the viewer in a web browser")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``bench view``: serve until Ctrl-C."""
    import sys

    from bench.view.app import create_app
    from bench.view.index import runs_root
    from bench.view.serve import bind, is_loopback, serve, url_of
    from runtime.errors import InputError
    from runtime.sanitize import for_terminal

    root = runs_root(args.runs_dir or Path.cwd())
    local = is_loopback(args.host)
    if not local and not args.allow_remote:
        raise InputError(
            f"--host {args.host} can be reached from other machines, and the viewer would let "
            "them read every run in the store; add --allow-remote if that is what you want"
        )
    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port} is not a port (0-65535; 0 picks a free one)")
    sock = bind(args.host, args.port)
    app = create_app(root, allowed_hosts=None if not local else _local_hosts(args.host))
    url = url_of(sock)
    # Ctrl-C is how the viewer stops, from the moment the URL is printed (someone reading
    # it may press Ctrl-C before the server runs): a clean stop, exit 0.
    try:
        if not local:
            print(
                f"bench view: warning: listening on {for_terminal(args.host)}: anyone who can "
                "reach this machine can read every run in the store",
                file=sys.stderr,
            )
        print(
            f"bench view: serving {for_terminal(str(root))} at {url} (Ctrl-C to stop)", flush=True
        )
        if args.open:
            import webbrowser

            webbrowser.open(url)
        serve(app, sock)
    except KeyboardInterrupt:
        if sys.stdout.isatty():
            print()  # past the terminal's "^C"
    finally:
        sock.close()
    print("bench view: stopped", flush=True)
    return 0


def _local_hosts(host: str) -> set[str]:
    from bench.view.app import LOOPBACK_HOSTS

    return {*LOOPBACK_HOSTS, host.strip("[]").lower()}
