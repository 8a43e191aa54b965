"""Which optional extras of bench the Action's suite or plan needs (decided from the plan).

The install step puts bench's base dependencies in place first; this compiles the suite (or
loads the plan) and names the extras its providers need, so only those are added from the lock.
A suite that does not compile needs nothing here: the run step reports its diagnostics.
"""

from __future__ import annotations

from pathlib import Path

from runtime.errors import BenchError

from .inputs import ActionInputs

__all__ = ["extras_for_inputs"]


def extras_for_inputs(inputs: ActionInputs) -> list[str]:
    """The extras for the Action's target, or none when it cannot be read (reported later)."""
    from runtime.providers.registry import optional_extras

    if not inputs.target:
        return []  # the merge stage runs no provider of its own
    target = Path(inputs.working_directory) / inputs.target
    try:
        if inputs.plan:
            from runtime import load_plan

            plan = load_plan(target)
        else:
            from compiler import compile_suite

            plan = compile_suite(target)
    except BenchError:
        return []
    return optional_extras(plan.providers)
