"""The JSON Schema of the suite language, generated from the suite models (aliases as written)."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from runtime.plan.docstrings import json_schema

from .suite import Document

__all__ = ["SCHEMA_ID", "schema", "schema_json"]

SCHEMA_ID = "https://bench.dev/schemas/suite.json"
"""``$id`` of the schema (a name, not a download location)."""


def schema() -> dict[str, Any]:
    """The schema as a dict: draft 2020-12, with ``$id`` and a title (a fresh copy each call)."""
    return copy.deepcopy(_schema())


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    # generating takes ~0.3 s; the models cannot change within a process
    out = json_schema(Document, by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "bench suite",
        **out,
    }


def schema_json() -> str:
    """The schema as indented JSON with a trailing newline (stable: sorted keys)."""
    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"
