"""Compile-time hardening of the shared sandboxed Jinja environment.

``runtime.templating.make_environment`` gives the immutable sandbox with StrictUndefined.
For compile time this closes what is left between a template and a byte-identical plan:
Jinja's ``random`` filter and ``lipsum`` draw from global randomness, ``'x' * 10**9`` and
``2 ** 10**9`` exhaust memory or time, and an uncalled method prints a memory address.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .helpers import Helpers
from .problem import TemplateProblem

__all__ = ["harden"]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")
_MAX_REPEAT = 1_000_000  # characters or items a `*` may produce at compile time
_MAX_EXPONENT = 10_000


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


def harden(env: ImmutableSandboxedEnvironment, helpers: Helpers) -> ImmutableSandboxedEnvironment:
    """Close the sandbox's remaining gaps for compile time: randomness and huge values."""
    env.globals.pop("lipsum", None)
    env.filters["random"] = helpers.choice
    table = env.binop_table

    def call_binop(context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
            raise TemplateProblem(f"exponent {right} is too large", hint=f"at most {_MAX_EXPONENT}")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(count, int)
                    and len(seq) * count > _MAX_REPEAT
                ):
                    raise TemplateProblem(
                        f"repeating a value {count} times is too large",
                        hint=f"at most {_MAX_REPEAT} items",
                    )
        return table[operator](left, right)

    env.intercepted_binops = frozenset({"*", "**"})
    # Read when templates are compiled, so it must be set before the first one is.
    env.finalize = _finalize
    # Instance attribute on purpose: the generated code calls environment.call_binop.
    setattr(env, "call_binop", call_binop)  # noqa: B010
    return env
