"""The base of every suite-language model: unknown keys are errors, docstrings document the schema."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["SuiteModel"]


class SuiteModel(BaseModel):
    """A section of a suite as users write it (not the plan): extra keys forbidden."""

    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        populate_by_name=False,
        frozen=True,
    )
