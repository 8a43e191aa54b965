"""Scenarios shipped with bench, run by name: ``bench execute builtin:NAME``.

Each is a YAML scenario without providers and agents (docs/scenarios.md): the agent under
test comes from ``--endpoint`` and ``--model``. ``bench scenarios`` lists them.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["HERE", "scenario_names", "scenario_path"]

HERE = Path(__file__).resolve().parent


def scenario_names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    return sorted(p.stem for p in HERE.glob("*.yaml"))


def scenario_path(name: str) -> Path:
    """The file of built-in scenario ``name``; ``InputError`` naming the choices otherwise."""
    path = HERE / f"{name}.yaml"
    if name not in scenario_names():
        from runtime.errors import InputError

        raise InputError(
            f"no built-in scenario {name!r}; built-in scenarios: {', '.join(scenario_names())}"
        )
    return path
