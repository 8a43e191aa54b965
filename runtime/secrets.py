"""Secrets at run time: resolve ``SecretRef`` from the environment, and redact known values.

The plan only ever holds references (``SecretRef(template="${OPENAI_API_KEY}")``); this module
is the one place that turns them into values. Errors name the variable, never a value, and
``Redactor`` (runtime/sanitise.py) scrubs resolved values out of any text before it reaches a
log, a transcript or a report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from .errors import InputError
from .plan import SecretRef
from .sanitise import Redactor

__all__ = ["MissingSecretError", "Redactor", "resolve"]

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MissingSecretError(InputError):
    """A secret reference names an environment variable that is not set (or is empty)."""

    def __init__(self, variable: str, *, what: str = "") -> None:
        where = f" (needed by {what})" if what else ""
        super().__init__(
            f"environment variable {variable} is not set{where}; export it before running"
        )
        self.variable = variable
        """The missing variable's name (never its value)."""


def resolve(
    ref: SecretRef | str | None,
    env: Mapping[str, str] | None = None,
    *,
    what: str = "",
    redactor: Redactor | None = None,
) -> str | None:
    """Turn a secret reference into its value.

    ``None`` stays ``None``; a plain ``str`` is a literal (e.g. a header value with no secret)
    and is returned as is; a ``SecretRef`` has each ``${NAME}`` replaced from ``env``
    (``os.environ`` by default). A missing or empty variable raises ``MissingSecretError``
    naming the variable and ``what`` needed it. When ``redactor`` is given, every resolved
    variable value is registered with it.
    """
    if ref is None:
        return None
    if isinstance(ref, str):
        return ref
    source = os.environ if env is None else env

    def _sub(match: re.Match[str]) -> str:
        name = match.group(1)
        value = source.get(name)
        if not value:
            raise MissingSecretError(name, what=what)
        if redactor is not None:
            redactor.add(value)
        return value

    return _PLACEHOLDER.sub(_sub, ref.template)
