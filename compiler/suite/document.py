"""A suite or test file as a whole, plus settings, criteria and ai_summary."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator

from .agents import AgentDef
from .base import SuiteModel
from .datasets import DatasetDef
from .load import LoadDef
from .providers import ProviderDef
from .scalars import Duration, Text
from .servers import ServerDef
from .sessions import SessionDef

__all__ = ["AiSummaryDef", "CriteriaDef", "Document", "PriceDef", "SettingsDef"]


class SettingsDef(SuiteModel):
    """Run-wide settings."""

    verbose: bool = False
    """Verbose logging."""
    max_iterations: Annotated[int, Field(ge=1)] | None = None
    """LLM calls per test before giving up (default 10)."""
    tool_timeout: Duration | None = None
    """Per tool call timeout (documented key)."""
    tool_tool_timeout: Duration | None = None
    """Same as ``tool_timeout`` (the key agent-benchmark actually reads)."""
    timeout: Duration | None = None
    """Same as ``tool_timeout`` (legacy key)."""
    test_delay: Duration | None = None
    """Pause after each test."""
    session_delay: Duration | None = None
    """Pause between sessions of one agent."""
    variable_policy: (
        Literal["test-only", "suite-only", "merge-test-priority", "merge-suite-priority"] | None
    ) = None
    """Suite files: whose variables apply (default ``suite-only``)."""
    concurrency: Annotated[int, Field(ge=1)] | None = None
    """(agent, session) pairs run at once (default 4; bench extension)."""
    budget_usd: Annotated[float, Field(gt=0)] | None = None
    """Stop starting cases once the run has cost this many USD (agent and judge calls, from the
    price table); cases in flight finish and the run ends interrupted, resumable with a higher
    ``--budget`` (bench extension)."""
    repeat: Annotated[int, Field(ge=1, le=10_000)] | None = None
    """Attempts of every test (default 1; a session or test may set its own): each attempt runs the session afresh, so attempts are independent samples (bench extension)."""


def _rate(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


class PassHatKDef(SuiteModel):
    """A pass^k requirement (bench extension)."""

    k: Annotated[int, Field(ge=1)]
    """Attempts that must all pass (every test needs ``repeat`` of at least k)."""
    min: Annotated[float, Field(ge=0, le=1)]
    """The least mean pass^k over test x agent, 0..1."""


class CriteriaDef(SuiteModel):
    """When the run as a whole passes."""

    success_rate: (
        Annotated[float, BeforeValidator(_rate), WithJsonSchema({"type": ["number", "string"]})]
        | None
    ) = None
    """Fraction of tests that must pass, 0..1 (``0.8`` is 80%)."""
    pass_hat_k: PassHatKDef | None = None
    """Also require the mean pass^k over test x agent (``{k: 5, min: 0.8}``: on average a test
    passes all of 5 attempts with probability 0.8; bench extension)."""

    @field_validator("success_rate")
    @classmethod
    def _fraction(cls, value: float | None) -> float | None:
        if value is not None and not 0 <= value <= 1:
            raise ValueError(
                f"success_rate is a fraction between 0 and 1; for {value:g}% write {value / 100:g}"
            )
        return value


class AiSummaryDef(SuiteModel):
    """An LLM-written verdict on the run."""

    enabled: bool = False
    judge_provider: Text | None = None
    """Provider name, or ``$self`` for the provider of the first result."""


class PriceDef(SuiteModel):
    """A model's price in USD per 1M tokens (overrides or adds to the shipped table)."""

    input: Annotated[float, Field(ge=0)]
    """Per 1M prompt tokens."""
    output: Annotated[float, Field(ge=0)]
    """Per 1M completion tokens."""
    cached_input: Annotated[float, Field(ge=0)] | None = None
    """Per 1M prompt tokens read from the provider's cache; default: the input price."""


class Document(SuiteModel):
    """A test file (providers, agents, sessions) or a suite file (``test_files`` + shared sections)."""

    name: Text | None = None
    """Suite name (suite files)."""
    test_files: list[Text] | None = None
    """Suite files: test files, relative to this file's directory."""
    providers: list[ProviderDef] = []
    """LLM providers."""
    servers: list[ServerDef] = []
    """MCP tool servers."""
    agents: list[AgentDef] = []
    """Agents."""
    sessions: list[SessionDef] = []
    """Sessions of tests (test files)."""
    settings: SettingsDef | None = None
    """Run-wide settings."""
    variables: dict[str, Text] = {}
    """Variables for templates; values may use helpers and other variables."""
    criteria: CriteriaDef | None = None
    """Pass criteria."""
    ai_summary: AiSummaryDef | None = None
    """AI summary of the run."""
    datasets: list[DatasetDef] = []
    """Datasets whose rows become cases of sessions with ``dataset:``."""
    prices: dict[str, PriceDef] = {}
    """Model prices (USD per 1M tokens) overriding or adding to bench's price table."""
    load: LoadDef | None = None
    """How ``bench load`` loads the suite's provider (docs/load-cli.md; bench extension)."""
