"""The one sandboxed Jinja environment; the compiler and the runtime both render with it.

Suite text is not HTML: nothing is escaped. Undefined names are errors, and the immutable
sandbox refuses attribute tricks such as ``''.__class__.__mro__``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import InputError

__all__ = ["TemplateRenderError", "make_environment", "render"]


class TemplateRenderError(InputError):
    """A template failed to render (undefined name, sandbox violation, syntax)."""


_MAX_REPEAT = 1_000_000
"""Characters or items one ``*`` may produce."""
_MAX_EXPONENT = 10_000
"""Largest exponent ``**`` accepts (``2 ** 10**9`` would hang the run)."""


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with ``*`` and ``**`` bounded so a template cannot exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse huge repetitions and exponents, then apply the operator."""
        if operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large (at most {_MAX_EXPONENT})")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(count, int):
                    if len(seq) * count > _MAX_REPEAT:
                        raise SecurityError(f"repeating a value {count} times is too large")
        return super().call_binop(context, operator, left, right)


def _unseeded_random(value: Any) -> Any:
    """Stands in for Jinja's ``random`` filter, which the compiler replaces with a seeded one."""
    raise SecurityError("the 'random' filter is unseeded; use randomValue or randomInt instead")


def make_environment(
    globals_: Mapping[str, Callable[..., Any]] | None = None,
) -> ImmutableSandboxedEnvironment:
    """A fresh sandboxed environment: StrictUndefined, no autoescape, bounded, no global randomness."""
    env = _BoundedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    # Both draw from global randomness: a rendered value must depend on the plan's seed only.
    env.globals.pop("lipsum", None)
    env.filters["random"] = _unseeded_random
    if globals_:
        env.globals.update(globals_)
    return env


@lru_cache(maxsize=1)
def _runtime_env() -> ImmutableSandboxedEnvironment:
    return make_environment()


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Any:
    return _runtime_env().from_string(source)


def render(source: str, context: Mapping[str, Any]) -> str:
    """Render a run-time template source with ``context`` (extracted variables)."""
    try:
        return str(_compiled(source).render(dict(context)))
    except TemplateError as exc:
        raise TemplateRenderError(f"template failed at run time: {exc}") from exc
