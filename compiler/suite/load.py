"""A suite's ``load:`` section: how ``bench load`` loads the suite's provider (flags override it)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .base import SuiteModel
from .scalars import Duration, Text

__all__ = ["LoadDef", "SloDef"]


class SloDef(SuiteModel):
    """Service-level objectives a request must meet to count in goodput (each optional)."""

    ttft: Duration | None = None
    """Time to first token, e.g. ``500ms``."""
    tpot: Duration | None = None
    """Time per output token after the first, e.g. ``50ms``."""
    e2e: Duration | None = None
    """End-to-end latency, e.g. ``10s``."""
    fraction: Annotated[float, Field(gt=0, le=1)] | None = None
    """The knee is the highest level where at least this fraction met the SLO (default 0.9)."""


class LoadDef(SuiteModel):
    """The sweep ``bench load`` runs against this suite (every key has a flag of the same name)."""

    provider: Text | None = None
    """The provider to load (default: the suite's only one)."""
    concurrency: list[Annotated[int, Field(ge=1)]] | None = None
    """Closed loop: requests in flight at each level, e.g. ``[1, 2, 4, 8]``."""
    rate: list[Annotated[float, Field(gt=0)]] | None = None
    """Open loop: requests per second at each level (arrivals shaped by ``burstiness``)."""
    burstiness: Annotated[float, Field(gt=0)] | None = None
    """Gamma shape of the gaps between arrivals: 1 is Poisson (default), below 1 burstier."""
    requests: Annotated[int, Field(ge=1)] | None = None
    """Counted requests per level."""
    duration: Duration | None = None
    """Or: how long each level sends requests, e.g. ``30s``."""
    warmup: Annotated[int, Field(ge=0)] | None = None
    """Requests sent before each level's counted ones, not counted."""
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    """Output cap of each request."""
    seed: int | None = None
    """Seed of the arrival schedule and of generated prompts."""
    slo: SloDef | None = None
    """Goodput's objectives."""

    @model_validator(mode="after")
    def _one_of_each(self) -> LoadDef:
        if self.concurrency is not None and self.rate is not None:
            raise ValueError("give concurrency or rate, not both")
        if self.requests is not None and self.duration is not None:
            raise ValueError("give requests or duration, not both")
        for name in ("concurrency", "rate"):
            if getattr(self, name) == []:
                raise ValueError(f"{name} needs at least one level")
        return self
