"""The base of every suite-language model: unknown keys are errors, docstrings document the schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["SuiteModel"]


class SuiteModel(BaseModel):
    """A section of a suite as users write it (not the plan): extra keys forbidden."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=False,
        frozen=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        # yaml.v3 decodes an empty or null value as the field's zero value; so do we:
        # ``providers:`` with nothing under it is no providers, ``token: ~`` is no token.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data
