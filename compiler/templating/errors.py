"""Translating exceptions from Jinja (or from anything a template runs) into TemplateProblems.

The engine must never crash the compiler: whatever parsing or rendering raises becomes a
``TemplateProblem`` quoting the template, with a "did you mean" where a name was mistyped.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

from runtime.templating import TemplateBudgetError, readable_names

from ..suggest import did_you_mean
from .problem import TemplateProblem

__all__ = ["as_problem", "budget_problem", "fresh_copy"]

_NO_FILTER = re.compile(r"No (filter|test) named '([^']+)'")
_UNDEFINED_NAME = re.compile(r"^'([^']+)' is undefined")


def as_problem(
    exc: BaseException,
    original: str,
    offset: int,
    *,
    filters: Collection[str],
    tests: Collection[str],
) -> TemplateProblem:
    """Translate a Jinja (or any) exception into a TemplateProblem for ``original``.

    ``filters`` and ``tests`` are the names the environment knows, for "did you mean".
    """
    if isinstance(exc, TemplateProblem):
        return exc
    if isinstance(exc, TemplateBudgetError):
        return budget_problem(f"'{_clip(original)}' was stopped: {exc.message}", exc.hint, offset)
    if isinstance(exc, RecursionError | SyntaxError):  # Python's own limits on nesting
        return budget_problem(
            f"'{_clip(original)}' nests too deeply",
            "nest fewer parentheses, blocks or calls",
            offset,
        )
    if isinstance(exc, MemoryError):
        return budget_problem(
            f"'{_clip(original)}' needs more memory than there is", "produce smaller values", offset
        )
    if isinstance(exc, SecurityError):
        return TemplateProblem(
            f"'{original}' was refused by the template sandbox: {exc.message}",
            hint="templates may read variables and call helpers and filters, not Python internals",
            offset=offset,
        )
    # A hyphenated name is encoded in Jinja source; messages show it as the suite wrote it.
    message = readable_names(getattr(exc, "message", None) or str(exc))
    missing = _NO_FILTER.search(message)
    if missing is not None:
        kind, name = missing.groups()
        known = filters if kind == "filter" else tests
        return TemplateProblem(
            f"'{original}': unknown {kind} '{name}'",
            hint=did_you_mean(name, list(known)),
            undefined=name,
            offset=offset,
        )
    if isinstance(exc, UndefinedError):
        match = _UNDEFINED_NAME.match(message)
        return TemplateProblem(
            f"'{original}': {message}",
            undefined=match.group(1) if match else None,
            offset=offset,
        )
    if isinstance(exc, TemplateSyntaxError):
        return TemplateProblem(f"'{original}': invalid template syntax: {message}", offset=offset)
    return TemplateProblem(f"'{original}' failed: {type(exc).__name__}: {message}", offset=offset)


def _clip(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def budget_problem(message: str, hint: str, offset: int | None = None) -> TemplateProblem:
    """A template that exceeded its resource budget (``template-budget``)."""
    return TemplateProblem(message, hint=hint, offset=offset, code="template-budget")


def fresh_copy(problem: TemplateProblem) -> TemplateProblem:
    """A copy of ``problem`` to raise: a cached parse problem must not share a traceback."""
    copies = [
        TemplateProblem(
            each.message,
            hint=each.hint,
            undefined=each.undefined,
            offset=each.offset,
            code=each.code,
        )
        for each in problem.every()
    ]
    return TemplateProblem.group(copies)
