"""Strings that can only be completed at run time (they use extractor outputs)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import Frozen

__all__ = ["RuntimeTemplate", "TemplateStr"]


class RuntimeTemplate(Frozen):
    """A Jinja source rendered by the runtime with the session's extracted variables.

    The compiler has already rendered every compile-time part; ``source`` is valid for
    ``runtime.templating.render`` and references only ``variables``, each proven to be bound
    by an earlier extractor of the same session.
    """

    type: Literal["template"] = "template"
    source: str
    """Jinja source; literal text is escaped so only the variables below are expanded."""
    variables: tuple[str, ...]
    """Names of run-time variables the source reads."""


TemplateStr = Annotated[str | RuntimeTemplate, Field(union_mode="left_to_right")]
"""A plain string, or a template to finish at run time."""
