"""``bench scenarios``: the built-in scenarios, run with ``bench execute builtin:NAME``."""

from __future__ import annotations

import argparse
from typing import Any

NAME = "scenarios"
HELP = "list the built-in scenarios (run one: bench execute builtin:NAME --endpoint URL --model M)"
ORDER = 21


def register(subparsers: Any) -> None:
    """Add ``bench scenarios`` to the CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(NAME, help=HELP, description=HELP)
    p.set_defaults(handler=run)


def _about(path: Any) -> str:
    """What the scenario exercises: its file's first two comment lines."""
    text = path.read_text(encoding="utf-8").splitlines()
    lines = [ln[1:].strip() for ln in text if ln.startswith("#")][:2]
    return " ".join(lines).removeprefix("Built-in scenario: ")


def run(args: argparse.Namespace) -> int:
    """Print each built-in scenario's name and what it exercises."""
    from bench.scenarios import scenario_names, scenario_path

    for name in scenario_names():
        print(f"builtin:{name}  {_about(scenario_path(name))}")
    print("run one: bench execute builtin:NAME --endpoint URL --model NAME (docs/scenarios.md)")
    return 0
