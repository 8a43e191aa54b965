"""The one sandboxed Jinja environment; the compiler and the runtime both render with it.

Suite text is not HTML: nothing is escaped. Undefined names are errors, and the immutable
sandbox refuses attribute tricks such as ``''.__class__.__mro__``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import InputError

__all__ = ["TemplateRenderError", "make_environment", "render"]


class TemplateRenderError(InputError):
    """A template failed to render (undefined name, sandbox violation, syntax)."""


def make_environment(
    globals_: Mapping[str, Callable[..., Any]] | None = None,
) -> ImmutableSandboxedEnvironment:
    """A fresh sandboxed environment with StrictUndefined and no autoescape."""
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
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
