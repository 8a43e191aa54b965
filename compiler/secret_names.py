"""Which variable names read as secrets, and user variables that hold secret references."""

from __future__ import annotations

import re

from runtime.plan import SecretRef

__all__ = ["SecretAlias", "looks_secret"]

_SECRET_WORDS = frozenset(
    {"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "CREDENTIALS", "PRIVATE", "AUTH"}
    | {"APIKEY", "PASSPHRASE", "PAT"}
)
_WORD_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def looks_secret(name: str) -> bool:
    """True when a variable name reads as a secret: a word part such as KEY, TOKEN, AUTH.

    ``GITHUB_TOKEN``, ``openaiApiKey``, ``DB_PASSWORD`` and ``AUTH`` look secret;
    ``KEYBOARD_LAYOUT`` and ``AUTHOR`` do not (the word must stand alone).
    """
    return any(part.upper() in _SECRET_WORDS for part in _WORD_PARTS.findall(name))


class SecretAlias(str):
    """A user variable whose value reads secrets: ``token: "Bearer {{API_TOKEN}}"``.

    Its text is the placeholder template (``Bearer ${API_TOKEN}``), never a value. Used in a
    credential field it joins that field's ``SecretRef``; used anywhere else it is refused.
    """

    ref: SecretRef

    def __new__(cls, ref: SecretRef) -> SecretAlias:
        """Wrap ``ref``; the string value is its template."""
        obj = super().__new__(cls, ref.template)
        obj.ref = ref
        return obj
