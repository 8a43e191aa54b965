"""Typed extractors: bind a session variable from a tool result."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import Frozen, Span

__all__ = ["Extractor", "JsonPathExtractor"]


class JsonPathExtractor(Frozen):
    """Apply ``path`` to the JSON text result of every call of ``tool``; the last match wins."""

    type: Literal["jsonpath"] = "jsonpath"
    tool: str
    path: str
    variable_name: str
    span: Span | None = None


Extractor = Annotated[JsonPathExtractor, Field(discriminator="type")]
"""Any extractor, discriminated on ``type`` (one kind today)."""
