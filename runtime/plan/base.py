"""The base of every plan model: frozen, strict, documented; and the source span."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Frozen", "Span"]


class Frozen(BaseModel):
    """Base of all plan models: immutable, unknown fields rejected.

    Attribute docstrings document the fields; they become schema descriptions through
    runtime/plan/docstrings.py when a schema is generated, not at class creation.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
    )


class Span(Frozen):
    """Where something came from in a suite: file path as given to the compiler, 1-based."""

    file: str
    """Path of the YAML file, relative to the working directory where that is shorter."""
    line: int
    """1-based line."""
    col: int
    """1-based column."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"
