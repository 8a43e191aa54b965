"""Every regex and every JSONPath is compiled at compile time, so a bad one is an error at its line.

Regexes are Go's ``regexp`` (RE2 syntax), compiled by runtime/regex.py exactly as the run will
compile them: a pattern Go refuses (look-around, back-references, ``\\Z``, ``\\C``) is a
``bad-regex`` diagnostic with a hint.
"""

from __future__ import annotations

from jinja2 import TemplateSyntaxError, meta

from runtime.jsonpath import compile_path
from runtime.plan import Span
from runtime.regex import RegexError, compile_go, hint_for
from runtime.templating import make_environment

from ..diagnostics import Diagnostics

__all__ = ["RUBRIC_VARIABLES", "check_jsonpath", "check_regex", "check_rubric"]

RUBRIC_VARIABLES = ("input", "output", "expected")
"""The names an llm_judge rubric may read (the runtime renders it with these)."""


def check_regex(pattern: str, span: Span, diags: Diagnostics, *, what: str = "pattern") -> bool:
    """Compile ``pattern``; report a diagnostic and return False when it is not a valid regex."""
    try:
        compile_go(pattern)
    except RegexError as exc:
        text = str(exc)
        # The YAML may quote or escape the pattern, so the value's start is the honest column.
        diags.add(
            "bad-regex",
            f"invalid regular expression in {what}: {text}",
            span,
            hint=hint_for(text),
        )
        return False
    return True


def check_jsonpath(path: str, span: Span, diags: Diagnostics) -> bool:
    """Parse ``path``; report a diagnostic and return False when it is not a supported JSONPath."""
    try:
        compile_path(path)
    except ValueError as exc:
        hint = None
        if not path.startswith("$"):
            hint = f"JSONPath starts at the root: '$.{path.lstrip('.')}'"
        diags.add("bad-jsonpath", str(exc), span, hint=hint)
        return False
    return True


def check_rubric(rubric: str, span: Span, diags: Diagnostics) -> bool:
    """Parse an llm_judge rubric as Jinja; it may read only input, output and expected."""
    env = make_environment()
    try:
        tree = env.parse(rubric)
    except TemplateSyntaxError as exc:
        diags.add(
            "template",
            f"llm_judge rubric is not a valid template: {exc.message} (line {exc.lineno} of the rubric)",
            span,
            hint="the rubric is Jinja: {{ output }}, {% if expected %}...{% endif %}",
        )
        return False
    unknown = sorted(
        meta.find_undeclared_variables(tree) - set(RUBRIC_VARIABLES) - set(env.globals)
    )
    if unknown:
        diags.add(
            "undefined-variable",
            f"llm_judge rubric reads {', '.join(repr(n) for n in unknown)}, "
            "which is not defined when the judge runs",
            span,
            hint="a rubric can read input, output and expected",
        )
        return False
    return True
