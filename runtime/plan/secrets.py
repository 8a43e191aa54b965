"""References to secrets: the plan names where a secret comes from, never its value."""

from __future__ import annotations

import re
from typing import Literal

from .base import Frozen

__all__ = ["SecretRef", "SecretStr"]

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class SecretRef(Frozen):
    """A value assembled at run time from environment variables.

    ``template`` is literal text with ``${NAME}`` placeholders, e.g. ``"Bearer ${API_TOKEN}"``
    for a header or ``"${OPENAI_API_KEY}"`` for a key. Only ``runtime/secrets.py`` resolves it.
    """

    type: Literal["secret"] = "secret"
    template: str
    """Literal text with ``${NAME}`` placeholders for environment variables."""

    @property
    def env(self) -> tuple[str, ...]:
        """The environment variables this reference reads, in order of appearance."""
        return tuple(m.group(1) for m in _PLACEHOLDER.finditer(self.template))

    @classmethod
    def from_env(cls, name: str) -> SecretRef:
        """A reference to one environment variable, taken whole."""
        return cls(template="${" + name + "}")


SecretStr = SecretRef
"""Alias used in field annotations where a credential is expected."""
