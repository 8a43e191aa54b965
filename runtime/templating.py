"""The one sandboxed Jinja environment; the compiler and the runtime both render with it.

Suite text is not HTML: nothing is escaped. Undefined names are errors, the immutable
sandbox refuses attribute tricks such as ``''.__class__.__mro__``, and every render is bounded
in size, operations, time and depth (``runtime.template_sandbox``, ``runtime.template_budget``).

Variable names may contain '-' (``my-var``), as Handlebars allows; Jinja would read that as a
subtraction, so such a name travels in Jinja source as an encoded identifier
(``jinja_name``), and ``render`` binds every hyphenated variable under that identifier too.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError

from .errors import InputError
from .template_budget import TemplateBudgetError, TemplateLimits, replaced_size
from .template_sandbox import BoundedEnvironment

__all__ = [
    "BoundedEnvironment",
    "TemplateBudgetError",
    "TemplateLimits",
    "TemplateRenderError",
    "jinja_name",
    "make_environment",
    "readable_names",
    "render",
    "replaced_size",
    "variable_name",
]


class TemplateRenderError(InputError):
    """A template failed to render (undefined name, sandbox violation, syntax)."""


def _unseeded_random(value: Any) -> Any:
    """Stands in for Jinja's ``random`` filter, which the compiler replaces with a seeded one."""
    raise SecurityError("the 'random' filter is unseeded; use randomValue or randomInt instead")


def make_environment(
    globals_: Mapping[str, Callable[..., Any]] | None = None,
    *,
    limits: TemplateLimits | None = None,
) -> BoundedEnvironment:
    """A fresh sandboxed environment: StrictUndefined, no autoescape, no global randomness,
    bounded by ``limits`` (``runtime.template_budget``)."""
    env = BoundedEnvironment(
        limits,
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


_HYPHEN_PREFIX = "_hb_"
"""Prefix of the Jinja identifier that stands for a variable name containing '-'."""
_ENCODED = re.compile(r"\b_hb_\w+")


def jinja_name(name: str) -> str:
    """The Jinja identifier for variable ``name``: the name itself unless it contains '-'.

    ``my-var`` -> ``_hb_my_hvar``: '_' is written ``__`` and '-' ``_h`` after the prefix, so
    the encoding is reversible (``variable_name``) and no two names share an identifier.
    """
    if "-" not in name:
        return name
    return _HYPHEN_PREFIX + name.replace("_", "__").replace("-", "_h")


def variable_name(identifier: str) -> str:
    """The variable name a Jinja identifier stands for (the inverse of ``jinja_name``)."""
    if not identifier.startswith(_HYPHEN_PREFIX):
        return identifier
    out: list[str] = []
    body = identifier[len(_HYPHEN_PREFIX) :]
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "_":
            pair = body[i : i + 2]
            if pair == "__":
                out.append("_")
            elif pair == "_h":
                out.append("-")
            else:
                return identifier  # not an encoding: a name of its own
            i += 2
        else:
            out.append(ch)
            i += 1
    name = "".join(out)
    # Only a name with a '-' is ever encoded; anything else was written as is.
    return name if "-" in name else identifier


def readable_names(message: str) -> str:
    """``message`` with encoded identifiers written back as the variable names they stand for."""
    if _HYPHEN_PREFIX not in message:
        return message
    return _ENCODED.sub(lambda m: variable_name(m.group()), message)


_THREAD = threading.local()
"""One environment (and its meter) per thread, with the templates compiled in it: extractors
and assertions render in worker threads while the event loop renders prompts, and a meter
counts one render at a time."""
_COMPILED_LIMIT = 4096


def _thread_env() -> tuple[BoundedEnvironment, dict[str, Any]]:
    env: BoundedEnvironment | None = getattr(_THREAD, "env", None)
    if env is None:
        env = _THREAD.env = make_environment()
        _THREAD.compiled = {}
    return env, _THREAD.compiled


def _compiled(env: BoundedEnvironment, compiled: dict[str, Any], source: str) -> Any:
    template = compiled.get(source)
    if template is None:
        if len(compiled) >= _COMPILED_LIMIT:
            compiled.clear()
        template = compiled[source] = env.from_string(source)
    return template


def render(source: str, context: Mapping[str, Any]) -> str:
    """Render a run-time template source with ``context`` (extracted variables)."""
    values = dict(context)
    for name in context:
        if "-" in name:
            values[jinja_name(name)] = context[name]
    env, compiled = _thread_env()
    meter = env.meter
    try:
        template = _compiled(env, compiled, source)
        meter.start()  # the per-template limits; a run has no compile-wide total
        out = str(template.render(values))
        meter.fits(len(out), "the rendered value")
        return out
    except TemplateBudgetError as exc:
        raise TemplateRenderError(
            f"template refused at run time: {exc.message} ({exc.hint})"
        ) from exc
    except TemplateError as exc:
        raise TemplateRenderError(
            f"template failed at run time: {readable_names(str(exc))}"
        ) from exc
    except (RecursionError, SyntaxError) as exc:  # Python's own limits on nesting
        raise TemplateRenderError(
            "template refused at run time: it nests too deeply "
            "(nest fewer parentheses, blocks or calls)"
        ) from exc
    except Exception as exc:  # a value of the wrong type, a failing filter: never a traceback
        raise TemplateRenderError(
            f"template failed at run time: {type(exc).__name__}: {readable_names(str(exc))}"
        ) from exc
