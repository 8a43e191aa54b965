"""THE contract between compiler and runtime: a frozen plan, versioned and hashed.

The compiler builds these models; the runtime only reads them. Every model is frozen,
forbids unknown fields, and every union is discriminated on ``type``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from ..errors import PlanError
from .agents import (
    AgentServer,
    AgentSpec,
    BuiltinAgent,
    ClarificationDetection,
    ExternalAgent,
    Skill,
)
from .assertions import LEAF_TYPES, Assertion
from .base import Frozen, Span
from .cases import Case, Unit, attempt_of, unit_attempts, work_items
from .extractors import Extractor, JsonPathExtractor
from .facts import known_facts
from .providers import (
    DEFAULT_TIMEOUT_MS,
    AnthropicProvider,
    AzureProvider,
    BedrockAnthropicProvider,
    Generation,
    GoogleProvider,
    OpenAIProvider,
    ProviderSpec,
    RateLimits,
    RetryPolicy,
    ScriptedProvider,
    ScriptedReply,
    ScriptedToolCall,
    VertexProvider,
)
from .scenario import (
    CannedResult,
    ExpectedFormat,
    ExpectedToolCall,
    InjectedTool,
    Steer,
    TurnExpect,
)
from .secrets import SecretRef
from .servers import (
    CliServer,
    Header,
    HttpServer,
    InjectedServer,
    ServerSpec,
    SseServer,
    StdioServer,
)
from .stream import LazyUnits, WorkItems, open_plan
from .templates import RuntimeTemplate, TemplateStr

__all__ = [
    "DEFAULT_TIMEOUT_MS",
    "LazyUnits",
    "WorkItems",
    "LEAF_TYPES",
    "PLAN_VERSION",
    "AgentServer",
    "AgentSpec",
    "AiSummary",
    "AnthropicProvider",
    "Assertion",
    "AzureProvider",
    "BedrockAnthropicProvider",
    "BuiltinAgent",
    "CannedResult",
    "Case",
    "ClarificationDetection",
    "CliServer",
    "Criteria",
    "ExpectedFormat",
    "ExpectedToolCall",
    "ExternalAgent",
    "Extractor",
    "Frozen",
    "Generation",
    "GoogleProvider",
    "Header",
    "HttpServer",
    "InjectedServer",
    "InjectedTool",
    "JsonPathExtractor",
    "ModelPrice",
    "OpenAIProvider",
    "Plan",
    "PassHatK",
    "ProviderSpec",
    "RateLimits",
    "RetryPolicy",
    "RuntimeTemplate",
    "ScriptedProvider",
    "ScriptedReply",
    "ScriptedToolCall",
    "SecretRef",
    "ServerSpec",
    "Settings",
    "Skill",
    "SourceFile",
    "Span",
    "SseServer",
    "StdioServer",
    "Steer",
    "TemplateStr",
    "TurnExpect",
    "Unit",
    "VertexProvider",
    "attempt_of",
    "load_plan",
    "open_plan",
    "unit_attempts",
    "work_items",
]

PLAN_VERSION = 1
"""Bumped on any change a plan reader must know about."""


class Settings(Frozen):
    """Run-wide settings."""

    max_iterations: int = 10
    """LLM calls per test before giving up."""
    tool_timeout_ms: int | None = None
    """Per tool call; None means no limit."""
    test_delay_ms: int = 0
    """Pause after each test."""
    session_delay_ms: int = 0
    """Pause between sessions of one agent."""
    concurrency: int = 4
    """(agent, session) units run at once."""
    verbose: bool = False
    budget_usd: float | None = Field(default=None, exclude_if=lambda v: v is None)
    """Stop starting cases once the run's measured cost (agent and judge calls) reaches this
    many USD; None: no budget. Left out of plan.json while unset."""


class PassHatK(Frozen):
    """``criteria.pass_hat_k``: the mean pass^k over test x agent must reach ``min``."""

    k: int = Field(ge=1)
    min: float = Field(ge=0, le=1)


class Criteria(Frozen):
    """When the run as a whole passes."""

    success_rate: float | None = None
    """Fraction of cases that must pass (0..1); None means all must pass."""
    pass_hat_k: PassHatK | None = Field(default=None, exclude_if=lambda v: v is None)
    """Also require the mean over test x agent of pass^k (all k attempts pass) to reach
    ``min`` (runtime/criteria.py); left out of plan.json when not set."""


class AiSummary(Frozen):
    """An LLM-written verdict over the run."""

    enabled: bool = False
    judge_provider: str | None = None
    """Provider name; ``$self`` means the provider of the first result."""


class ModelPrice(Frozen):
    """A suite's price for one model, USD per 1M tokens (overrides runtime/prices.json)."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    """Price of a prompt-cache read; None means the input price."""


class SourceFile(Frozen):
    """A file the plan was compiled from, for provenance."""

    path: str
    sha256: str
    revision: str | None = Field(default=None, exclude_if=lambda v: v is None)
    """Git commit the file was read at (datasets from ``git:`` sources)."""


class Plan(Frozen):
    """The frozen execution plan: everything the runtime needs, nothing secret."""

    plan_version: int = PLAN_VERSION
    bench_version: str
    name: str
    """Suite name (or the test file's stem)."""
    seed: int
    """Seed every random value came from."""
    compiled_now: str | None = Field(default=None, exclude_if=lambda v: v is None)
    """The frozen clock (RFC 3339, UTC) the ``now`` helper read; None (left out of plan.json)
    when no template read it, so the same suite and seed give the same bytes at any time."""
    sources: tuple[SourceFile, ...]
    providers: tuple[ProviderSpec, ...]
    servers: tuple[ServerSpec, ...] = ()
    agents: tuple[AgentSpec, ...]
    units: tuple[Unit, ...]
    settings: Settings = Settings()
    criteria: Criteria = Criteria()
    ai_summary: AiSummary = AiSummary()
    # Left out of plan.json and the hash while empty, so plans compiled before it still verify.
    prices: dict[str, ModelPrice] = Field(default={}, exclude_if=lambda v: not v)
    """Suite price overrides by model name; build the table with
    ``default_table().with_overrides({m: p.model_dump(exclude_none=True) ...})``."""
    hash: str = ""
    """sha256 of the canonical JSON of every other field."""

    def canonical_json(self) -> str:
        """Canonical JSON of the plan without its hash: compact, fields in model order.

        pydantic's own serializer, in one pass: about 3x faster than sorting the keys of a
        model dump (0.21 s against 0.66 s for a 6,000-case plan), which every compile and
        every run start pay. Plans hashed the older way (sorted keys) still verify.
        """
        return self.materialized().model_dump_json(exclude={"hash"})

    def materialized(self) -> Plan:
        """This plan with every unit in memory (a plan from ``open_plan`` loads its units on
        demand; serialising one needs them all, so only small or sliced plans do it)."""
        if isinstance(self.units, tuple):
            return self
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self).model_construct(**{**fields, "units": tuple(self.units)})

    def write(self, path: Path) -> None:
        """Write the plan as plan.json. A streamed plan copies the file it was verified from
        (same content, so the same hash) instead of holding its units to dump them."""
        from .stream import LazyUnits

        if isinstance(self.units, LazyUnits):
            shutil.copyfile(self.units.path, path)
        else:
            path.write_text(self.dumps(), encoding="utf-8")

    def compute_hash(self) -> str:
        """The content hash over ``canonical_json``."""
        return "sha256:" + hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def legacy_hash(self) -> str:
        """The hash bench wrote before 2026-12: over a key-sorted dump of the same content."""
        data = self.materialized().model_dump(mode="json", exclude={"hash"})
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    def sealed(self) -> Plan:
        """A copy with ``hash`` filled in."""
        return self.model_copy(update={"hash": self.compute_hash()})

    def dumps(self) -> str:
        """The plan as written to plan.json: indented, fields in model order, trailing newline.

        pydantic's own serializer: ~8x faster than ``json.dumps(indent=2)`` over a model dump
        (0.11 s against 0.9 s for a 6,000-case plan), which the compile and every run start pay.
        The file's key order does not matter to the hash, which is over ``canonical_json``.
        """
        return self.materialized().model_dump_json(indent=2) + "\n"

    @property
    def cases(self) -> list[Case]:
        """Every case in plan order."""
        return [case for unit in self.units for case in unit.cases]

    @property
    def case_count(self) -> int:
        """How many cases the plan holds (a streamed plan's units are read one at a time)."""
        facts = known_facts(self.units)
        if facts is not None:
            return facts.case_count
        return sum(len(unit.cases) for unit in self.units)

    @property
    def attempt_count(self) -> int:
        """Results a complete run holds: every case once per attempt (``repeat``)."""
        facts = known_facts(self.units)
        if facts is not None:
            return facts.attempts
        return sum(case.repeat for unit in self.units for case in unit.cases)

    def attempts(self) -> Iterator[tuple[Case, int]]:
        """Every (case, attempt) of the plan: plan order, a case's attempts together (lazily:
        a streamed plan holds one unit at a time)."""
        for unit in self.units:
            for case in unit.cases:
                for a in range(case.repeat):
                    yield case, a

    def provider(self, name: str) -> ProviderSpec:
        """The provider named ``name``."""
        return next(p for p in self.providers if p.name == name)

    def agent(self, name: str) -> AgentSpec:
        """The agent named ``name``."""
        return next(a for a in self.agents if a.name == name)

    def server(self, name: str) -> ServerSpec:
        """The server named ``name``."""
        return next(s for s in self.servers if s.name == name)


def parse_plan(data: Any, *, source: str = "<plan>") -> Plan:
    """Validate plan data, check its version and hash; raise PlanError with a clear message."""
    if not isinstance(data, dict):
        raise PlanError(f"{source}: a plan is a JSON object, got {type(data).__name__}")
    version = data.get("plan_version")
    if version != PLAN_VERSION:
        raise PlanError(
            f"{source}: plan_version {version!r} is not supported by this bench "
            f"(it reads version {PLAN_VERSION}); recompile the suite with `bench compile`"
        )
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise PlanError(
            f"{source}: not a valid plan ({exc.error_count()} problem(s)); first at {loc}: {first['msg']}"
        ) from exc
    if plan.hash != plan.compute_hash() and plan.hash != plan.legacy_hash():
        raise PlanError(
            f"{source}: the plan's hash does not match its content (edited by hand?); "
            "recompile the suite with `bench compile`"
        )
    return plan


def load_plan(path: str | Path) -> Plan:
    """Read and verify a plan.json file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"cannot read plan {p}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(f"{p}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from exc
    return parse_plan(data, source=str(p))
