"""Sessions and tests: tests of one session run in order and share message history."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .assertions import AssertionSyntax
from .base import SuiteModel
from .extractors import ExtractorDef
from .scalars import Duration, Text
from .scenario import ExpectDef, SteerDef

__all__ = ["SessionDef", "TestDef"]


class TestDef(SuiteModel):
    """One prompt, its assertions and extractors."""

    __test__ = False  # not a pytest test class

    name: Text
    """Test name (unique within its session)."""
    description: Text | None = None
    """Free text shown in reports."""
    agent: Text | None = None
    """Run only for this agent (default: every agent)."""
    prompt: Text
    """User message (a template; may use variables bound by earlier extractors)."""
    start_delay: Duration | None = None
    """Pause before the test."""
    assertions: list[AssertionSyntax] = []
    """Checks on the result; the test passes when all pass."""
    extractors: list[ExtractorDef] = []
    """Variables bound from tool results, for later tests of the session."""
    allowed_tools: list[Text] | None = None
    """Offer only these tools during this test."""
    repeat: Annotated[int, Field(ge=1, le=10_000)] | None = None
    """Attempts of this test (overrides the session's and the suite's ``repeat``; bench extension)."""
    expect: ExpectDef | None = None
    """What this turn's scenario scores are computed against (bench extension, docs/scenarios.md)."""
    steer: SteerDef | None = None
    """A steering event or nudge delivered at this turn (bench extension, docs/scenarios.md)."""


class SessionDef(SuiteModel):
    """A conversation: its tests share message history and extracted variables."""

    name: Text
    """Session name."""
    dataset: Text | None = None
    """Name of a dataset: the tests run once per row, each row its own conversation; templates
    may read ``input``, ``expected`` and ``row_id``."""
    tests: Annotated[list[TestDef], Field(min_length=1)]
    """Tests, run in order."""
    allowed_tools: list[Text] | None = None
    """Offer only these tools during the session (an empty list offers none)."""
    repeat: Annotated[int, Field(ge=1, le=10_000)] | None = None
    """Attempts of the session's tests (overrides the suite's ``repeat``; a test may set its own). The session runs as a whole per attempt, with fresh history (bench extension)."""
