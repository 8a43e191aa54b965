"""Compile-time hardening of the shared sandboxed Jinja environment.

``runtime.templating.make_environment`` gives the immutable sandbox with StrictUndefined.
For compile time this closes what is left between a template and a byte-identical plan:
Jinja's ``random`` filter and ``lipsum`` draw from global randomness, and an uncalled method
prints a memory address. (Size, time and depth are bounded by the environment itself:
``runtime.template_budget``.)
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Undefined

from runtime.templating import BoundedEnvironment

from .helpers import Helpers
from .problem import TemplateProblem

__all__ = ["harden"]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")


def _finalize(value: Any) -> Any:
    """Refuse output whose text would carry a memory address (``<built-in method ... at 0x..>``).

    Such text differs on every run, so one stray ``{{ name.upper }}`` would break the
    byte-identical plan promise.
    """
    if isinstance(value, Undefined):
        return value  # printing it raises the precise "is undefined" error
    if callable(value):
        name = getattr(value, "__name__", type(value).__name__)
        raise TemplateProblem(
            f"'{name}' is a function; its text would differ on every run",
            hint=f"call it: {name}(...)",
        )
    if _ADDRESS.search(value if isinstance(value, str) else str(value)):
        raise TemplateProblem(
            "the value prints a memory address, which would differ on every run",
            hint="print plain values (strings, numbers), not functions or objects",
        )
    return value


def harden(env: BoundedEnvironment, helpers: Helpers) -> BoundedEnvironment:
    """Close the sandbox's remaining gaps for compile time: randomness and memory addresses."""
    env.globals.pop("lipsum", None)
    env.filters["random"] = helpers.choice
    bounded = env.finalize
    assert bounded is not None

    def finalize(value: Any) -> Any:
        if type(value) is str:  # the common case, and text carries no address unless it says so
            if " at 0x" in value:
                _finalize(value)
            return value
        return _finalize(bounded(value))  # the size first: str() of a huge list is the harm

    # Read when templates are compiled, so it must be set before the first one is.
    env.finalize = finalize
    return env
