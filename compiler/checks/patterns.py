"""Every regex and every JSONPath is compiled at compile time, so a bad one is an error at its line.

Regexes are Python ``re``; agent-benchmark used Go's RE2. Patterns valid in both mean the same,
except that Python only takes global flags such as ``(?i)`` at the very start.
"""

from __future__ import annotations

import re
import warnings

from runtime.jsonpath import compile_path
from runtime.plan import Span

from ..diagnostics import Diagnostics

__all__ = ["check_jsonpath", "check_regex"]


def check_regex(pattern: str, span: Span, diags: Diagnostics, *, what: str = "pattern") -> bool:
    """Compile ``pattern``; report a diagnostic and return False when it is not a valid regex."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "error"
            )  # Python warns on some ambiguous patterns; treat as errors
            re.compile(pattern)
    except (re.error, FutureWarning, DeprecationWarning) as exc:
        hint = None
        text = str(exc)
        if "global flags not at the start" in text:
            hint = "move the flag to the very start, e.g. '(?i)abc', or scope it: '(?i:abc)'"
        elif "unbalanced parenthesis" in text or "missing )" in text:
            hint = "escape a literal parenthesis as \\( or \\)"
        elif "nothing to repeat" in text:
            hint = "escape a literal *, + or ? with a backslash"
        # The YAML may quote or escape the pattern, so the value's start is the honest column.
        diags.add("bad-regex", f"invalid regular expression in {what}: {text}", span, hint=hint)
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
