"""A parsed template, and which of its parts stay templates until run time.

A field that reads a run-time variable (an extractor's output) keeps the expressions that need
it as Jinja; everything else is rendered at compile time. ``runtime_shape`` decides which
expressions stay and which compile-time names they need bound; it depends only on the text and
the run-time names, so the engine computes it once per pair.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from jinja2 import TemplateError, meta

from runtime.templating import make_environment, variable_name

from .errors import as_problem
from .problem import TemplateProblem
from .segments import Block, Expr, Segment

__all__ = ["Parsed", "Shape", "runtime_shape", "variable_names"]

# Jinja globals the runtime's environment also has; lipsum is left out because it draws
# from the global random module, which would make a plan depend on more than its seed.
_RUNTIME_GLOBALS = frozenset({"range", "dict", "namespace", "cycler", "joiner"})
_PARSE_ENV = make_environment()


@dataclass(frozen=True, slots=True, eq=False)  # identity hash: a cheap cache key
class Parsed:
    """A template text read once: its segments, its names, and the problem reading it if any."""

    segments: tuple[Segment, ...]
    names: frozenset[str]
    """Free variable names (helpers and Jinja globals excluded)."""
    source: str | None = None
    """Whole-template Jinja source when the text has blocks; None for expression-only text."""
    problem: TemplateProblem | None = None
    locals: frozenset[str] = frozenset()
    """Names the template binds itself (loop variables, {% set %}, macro parameters)."""


_Shape = tuple[tuple[bool, ...], tuple[str, ...], tuple[str, ...], TemplateProblem | None]
"""Per (text, run-time names): kept expressions, names to bind, run-time variables, problem."""


Shape = tuple[tuple[bool, ...], tuple[str, ...], tuple[str, ...], TemplateProblem | None]
"""Per (text, run-time names): kept expressions, names to bind, run-time variables, problem."""


def variable_names(identifiers: Collection[str]) -> frozenset[str]:
    """Names Jinja found, with encoded hyphenated names (``_hb_my_hvar``) decoded."""
    return frozenset(variable_name(n) for n in identifiers)


def runtime_shape(parsed: Parsed, runtime: frozenset[str], reserved: frozenset[str]) -> Shape:
    """Which expressions stay for run time, and which compile-time names they need bound.

    Depends only on the text and the run-time names, so it is computed once per pair.
    """
    kept: list[bool] = []
    skeleton: list[str] = []
    for seg in parsed.segments:
        if isinstance(seg, Expr):
            free = seg.names - reserved
            local = free - parsed.names  # bound by a {% for %} or {% set %} around it
            keep = bool(local) or not free.isdisjoint(runtime)
            kept.append(keep)
            if keep:
                skeleton.append("{{ " + seg.jinja + " }}")
        else:
            kept.append(False)
            if isinstance(seg, Block):
                skeleton.append("{% " + seg.body + " %}")
    if parsed.source is None:
        free_names = frozenset().union(
            *(
                s.names
                for s, k in zip(parsed.segments, kept, strict=True)
                if k and isinstance(s, Expr)
            )
        )
    else:
        # Blocks bind names ({% for x %}, {% set %}); only Jinja knows what stays free.
        try:
            tree = _PARSE_ENV.parse("".join(skeleton))
            free_names = variable_names(meta.find_undeclared_variables(tree))
        except TemplateError as exc:  # pragma: no cover - built from parsed pieces
            return tuple(kept), (), (), as_problem(exc, "".join(skeleton), 0, filters=(), tests=())
    variables = tuple(sorted(free_names & runtime))
    bound = tuple(sorted(free_names - runtime - _RUNTIME_GLOBALS))
    for name in bound:
        if name in reserved or name == "lipsum":
            problem = TemplateProblem(
                f"'{name}' runs at compile time, so it cannot be combined with the run-time "
                f"variable(s) {', '.join(variables)} in one expression",
                hint="compute the compile-time part in a separate {{ ... }} or in a variable",
            )
            return tuple(kept), (), variables, problem
    return tuple(kept), bound, variables, None
