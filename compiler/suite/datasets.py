"""Dataset entries: rows of a file (local or in a git repository) that become test cases."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import SuiteModel
from .scalars import Text

__all__ = ["DatasetDef", "InputMapDef"]


class InputMapDef(SuiteModel):
    """Which field of a row feeds which part of a case (dots reach into nested objects)."""

    input: Text = "input"
    """The field sent to the agent as its input (the prompt)."""
    expected: Text | None = None
    """The reference answer for evaluators; default: ``expected`` when rows have it."""
    history: Text | None = None
    """Earlier conversation turns (a list of ``{role, content}``); default: ``history``."""
    metadata: list[Text] | None = None
    """Fields passed as metadata; default: every field not mapped above."""
    id: Text | None = None
    """A stable row id; default: ``id`` when rows have it, else the row's position."""


class DatasetDef(SuiteModel):
    """A dataset as PacaBench writes it: a source, an optional prepare step, a field mapping."""

    name: Text
    """Name used in case ids and reports."""
    source: Text
    """A local file or folder (relative to the suite file), or ``git:<url>[#ref]``."""
    path: Text | None = None
    """The data file inside a folder or git repository (required for those sources)."""
    format: Literal["jsonl", "json", "csv"] | None = None
    """Defaults to the file's extension."""
    prepare: Text | None = None
    """Shell command run in the source folder before reading: once per clone for git
    sources, and for local sources only while the data file does not exist yet."""
    input_map: InputMapDef = Field(default_factory=InputMapDef)
    """Which fields feed input, expected, history and metadata."""
    limit: int | None = Field(default=None, ge=1)
    """Keep at most this many rows (after sampling)."""
    sample: int | None = Field(default=None, ge=1)
    """Pick this many rows at random, the same ones for the same seed, in file order."""
    seed: int | None = None
    """Seed for ``sample``; default: the plan's seed."""
