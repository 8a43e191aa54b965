"""Which variable names read as secrets, and user variables that hold secret references."""

from __future__ import annotations

from runtime.plan import SecretRef
from runtime.sanitize import looks_secret

__all__ = ["SecretAlias", "looks_secret"]


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
