"""Extractor syntax: bind a session variable from a tool's JSON result."""

from __future__ import annotations

from typing import Literal

from .base import SuiteModel
from .scalars import Text

__all__ = ["ExtractorDef"]


class ExtractorDef(SuiteModel):
    """Apply ``path`` to the JSON result of each call of ``tool``; the last match is bound."""

    type: Literal["jsonpath"] = "jsonpath"
    """Extraction method; only ``jsonpath`` exists."""
    tool: Text
    """Tool whose result is read."""
    path: Text
    """JSONPath expression, e.g. ``$.data.user.id``."""
    variable_name: Text
    """Name later prompts and assertions of the session use, e.g. ``{{user_id}}``."""
