"""Secrets at run time: resolve ``SecretRef`` from the environment, and redact known values.

The plan only ever holds references (``SecretRef(template="${OPENAI_API_KEY}")``); this module
is the one place that turns them into values. Errors name the variable, never a value, and
``Redactor`` scrubs resolved values out of any text before it reaches a log, a transcript or a
report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from .errors import InputError
from .plan import SecretRef
from .sanitize import register_secret

__all__ = ["MissingSecretError", "Redactor", "resolve"]

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Values this short are too likely to occur in ordinary text ("1", "on") to be worth
# scrubbing: redacting them would mangle reports without protecting anything real.
_MIN_REDACT_LEN = 4


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


class Redactor:
    """Replaces known secret values with ``***`` in any text."""

    def __init__(self, values: tuple[str, ...] | list[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        """Remember ``value`` as secret (ignored when empty or very short)."""
        if not value or len(value) < _MIN_REDACT_LEN or value in self._values:
            return
        self._values.add(value)
        # Whatever a file sink must not show, no console or log line may show either.
        register_secret(value)
        # Longest first so a secret that contains another is replaced whole.
        ordered = sorted(self._values, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def redact(self, text: str) -> str:
        """``text`` with every known secret value replaced by ``***``."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub("***", text)

    def __repr__(self) -> str:
        # Never show the values themselves, only how many there are.
        return f"Redactor({len(self._values)} values)"
