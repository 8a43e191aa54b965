"""Dataset entries: rows of a file (local, in a git repository or on the Hugging Face Hub)
that become test cases."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field

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
    """A local file or folder (relative to the suite file), ``git:<url>[#ref]``, or
    ``hf:OWNER/NAME`` (a dataset repository on the Hugging Face Hub)."""
    path: Text | None = None
    """The data file inside a folder or git repository (required for those sources); for
    ``hf:`` sources, optional: the data file(s) in the repository (a glob) instead of
    config/split, or with ``prepare``, the file it writes."""
    revision: Text | None = None
    """``hf:`` sources: a branch, tag or commit (default ``main``); the plan records the commit."""
    config: Text | None = Field(default=None, validation_alias=AliasChoices("config", "subset"))
    """``hf:`` sources: the configuration (subset) of the dataset card's ``configs:``, or a
    top folder of the repository; default: the card's default one."""
    split: Text | None = None
    """``hf:`` sources: the split (``train``, ``validation``, ``test``...); default ``train``,
    or the only split there is."""
    format: Literal["jsonl", "json", "csv", "parquet"] | None = None
    """Defaults to the file's extension."""
    prepare: Text | None = None
    """Shell command run in the source folder before reading: once per clone for git
    sources, once per revision for ``hf:`` sources (in a copy of the split's files), and for
    local sources only while the data file does not exist yet."""
    input_map: InputMapDef = Field(default_factory=InputMapDef)
    """Which fields feed input, expected, history and metadata."""
    limit: int | None = Field(default=None, ge=1)
    """Keep at most this many rows (after sampling)."""
    sample: int | None = Field(default=None, ge=1)
    """Pick this many rows at random, the same ones for the same seed, in file order."""
    seed: int | None = None
    """Seed for ``sample``; default: the plan's seed."""
