"""``bench init [DIR]``: scaffold a suite that runs at once, an external agent and a workflow.

The files come from bench/scaffold/ (shipped in the wheel):

    DIR/suite.yaml                      scripted provider + notes MCP server: runs offline
    DIR/servers/notes_server.py         the MCP server the suite starts over stdio
    DIR/agents/echo_agent.py            an example external agent (JSON lines on stdin/stdout)
    <git root or DIR>/.github/workflows/bench.yml   the GitHub Action on every pull request
                                        (with --shards N: over an N-job matrix, merged)

Existing files are never overwritten unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

NAME = "init"
HELP = "scaffold a runnable suite, an example external agent and a GitHub workflow"
ORDER = 5

_FILES = (
    ("suite.yaml", "suite.yaml"),
    ("servers/notes_server.py", "servers/notes_server.py"),
    ("agents/echo_agent.py", "agents/echo_agent.py"),
)
_WORKFLOW = "workflows/bench.yml"
_SHARDED_WORKFLOW = "workflows/bench-sharded.yml"


def register(subparsers: Any) -> None:
    """Add ``bench init`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=(
            "Create DIR (default: the current directory) with a suite that runs offline with "
            "the scripted provider and a notes MCP server, an example external agent, and a "
            ".github/workflows/bench.yml (at the enclosing git repository's root, else in DIR)."
        ),
    )
    p.add_argument("directory", metavar="DIR", nargs="?", default=".", type=Path)
    p.add_argument("--force", action="store_true", help="overwrite files that already exist")
    p.add_argument("--no-workflow", action="store_true", help="do not write the workflow")
    p.add_argument(
        "--shards", type=_shards, default=None, metavar="N",
        help="write a workflow that runs the suite over N parallel jobs (compile, an N-job "
        "matrix, merge) and posts one comment for the whole run",
    )  # fmt: skip
    p.set_defaults(handler=run)


def _git_root(start: Path) -> Path | None:
    for parent in (start, *start.parents):
        if (parent / ".git").exists():
            return parent
    return None


def _shards(text: str) -> int:
    """argparse type of ``--shards``: at least 2 jobs (one job is the ordinary workflow)."""
    from .execute import positive

    count = positive(text)
    if count < 2:
        raise argparse.ArgumentTypeError("a sharded workflow has at least 2 shard jobs")
    return count


def _plan(
    target: Path, with_workflow: bool, shards: int | None = None
) -> list[tuple[str, Path, str]]:
    """(scaffold source, destination, text) for every file to write."""
    from importlib.resources import files

    source = files("bench").joinpath("scaffold")
    out = [(src, target / dest, source.joinpath(src).read_text("utf-8")) for src, dest in _FILES]
    if with_workflow:
        root = _git_root(target) or target
        suite = (target / "suite.yaml").relative_to(root).as_posix()
        template = _WORKFLOW if shards is None else _SHARDED_WORKFLOW
        text = source.joinpath(template).read_text("utf-8").replace("__SUITE__", suite)
        text = text.replace("__SHARDS__", str(shards))
        out.append((template, root / ".github" / "workflows" / "bench.yml", text))
    return out


def run(args: argparse.Namespace) -> int:
    """Handler of ``bench init``."""
    from runtime.errors import InputError

    target: Path = args.directory.resolve()
    if target.exists() and not target.is_dir():
        raise InputError(f"{args.directory} exists and is not a directory")
    files = _plan(target, not args.no_workflow, args.shards)
    existing = [dest for _src, dest, _text in files if dest.exists()]
    if existing and not args.force:
        names = ", ".join(str(p) for p in existing)
        raise InputError(f"not overwriting {names}; use --force to replace them")
    try:
        for _src, dest, text in files:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            print(f"created {dest}")
    except OSError as exc:
        raise InputError(f"cannot write the scaffold: {exc}") from exc
    _ignore_runs(_git_root(target) or target)
    suite = target / "suite.yaml"
    shown = suite.relative_to(Path.cwd()) if suite.is_relative_to(Path.cwd()) else suite
    print(f"\nnext: bench execute {shown}    (runs offline, no API key needed)")
    note = _python_note()
    if note:
        print(note)
    return 0


_IGNORE = "runs/"
"""The run store bench execute writes (runs/<run-id>/) is output, not source."""


def _ignore_runs(root: Path) -> None:
    """Add ``runs/`` to ``root/.gitignore`` (created when missing; an existing one is kept and
    gets the line only when it lacks it)."""
    from runtime.errors import InputError

    path = root / ".gitignore"
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        lines = {line.strip() for line in text.splitlines()}
        if lines & {"runs/", "/runs/", "runs", "/runs"}:
            return
        sep = "" if not text or text.endswith("\n") else "\n"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"{sep}# bench's run store (bench execute writes runs/<run-id>/)\n{_IGNORE}\n")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from exc
    print(f"{'updated' if text else 'created'} {path} (ignores {_IGNORE})")


def _python_note() -> str:
    """A note when the ``python`` on PATH is not bench's: the scaffold's server needs ``mcp``."""
    import os
    import shutil
    import sys

    found = shutil.which("python")
    if found is not None and os.path.realpath(found) == os.path.realpath(sys.executable):
        return ""
    activate = Path(sys.executable).parent / "activate"
    how = (
        f"source {activate}"
        if activate.is_file()
        else f"put {Path(sys.executable).parent} first on PATH"
    )
    return (
        "note: the suite starts servers/notes_server.py with the `python` on PATH, which is not "
        f"the Python bench runs in and may lack the `mcp` package; first: {how}"
    )
