"""Freeze: the seed, the clock, settings and provenance into a sealed ``Plan``.

Same suite + same seed gives byte-identical plan JSON and hash. The clock is recorded only
when a template reads it (``now``, or a faker key built on it); it is ``--now``, else
``SOURCE_DATE_EPOCH``, else the current time (to the second): only a suite whose templates use
the clock needs a pinned one for byte-identical plans.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from runtime.plan import (
    AiSummary,
    Criteria,
    ModelPrice,
    PassHatK,
    Plan,
    Settings,
    SourceFile,
)

from .diagnostics import Diagnostics
from .includes import Suite
from .suite.scalars import duration_ms

__all__ = ["bench_version", "build_plan", "fresh_seed", "parse_now", "resolve_now"]


def bench_version() -> str:
    """The installed bench version (recorded in every plan)."""
    try:
        return version("bench")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+source"


def fresh_seed() -> int:
    """A new random seed (recorded in the plan so the run can be reproduced)."""
    return secrets.randbelow(2**31 - 1) + 1


def parse_now(text: str) -> datetime:
    """An ISO 8601 time (``Z`` allowed; naive means UTC) or Unix seconds; ValueError otherwise."""
    raw = text.strip()
    if raw.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(raw), tz=UTC)
    value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def resolve_now(now: datetime | str | None, env: Mapping[str, str]) -> datetime:
    """The frozen clock: explicit, else SOURCE_DATE_EPOCH, else the current second (UTC)."""
    if isinstance(now, str):
        return parse_now(now)
    if isinstance(now, datetime):
        return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC)
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(UTC).replace(microsecond=0)


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build_settings(suite: Suite, diags: Diagnostics) -> Settings:
    """Plan settings from the suite's settings (one tool timeout whichever key spelled it)."""
    if suite.settings is None:
        return Settings()
    s = suite.settings.value
    timeouts = {
        k: v
        for k, v in (
            ("tool_timeout", s.tool_timeout),
            ("tool_tool_timeout", s.tool_tool_timeout),
            ("timeout", s.timeout),
        )
        if v is not None
    }
    if len({duration_ms(v) for v in timeouts.values()}) > 1:
        keys = list(timeouts)
        diags.add(
            "conflicting-keys",
            f"{' and '.join(keys)} disagree; keep only tool_timeout",
            suite.settings.span(keys[1], key=True),
        )
    timeout = next(iter(timeouts.values()), None)
    return Settings(
        max_iterations=s.max_iterations or 10,
        tool_timeout_ms=duration_ms(timeout) if timeout else None,
        test_delay_ms=duration_ms(s.test_delay) if s.test_delay else 0,
        session_delay_ms=duration_ms(s.session_delay) if s.session_delay else 0,
        concurrency=s.concurrency or 4,
        verbose=s.verbose,
        budget_usd=s.budget_usd,
    )


def build_plan(
    suite: Suite,
    *,
    seed: int,
    now: datetime,
    clock_read: bool = True,
    providers: list[object],
    servers: list[object],
    agents: list[object],
    units: list[object],
    settings: Settings,
    extra_sources: list[SourceFile] | None = None,
) -> Plan:
    """Assemble and seal the plan (``extra_sources``: dataset files, after the YAML files)."""
    crit = suite.criteria.value if suite.criteria else None
    ai = suite.ai_summary.value if suite.ai_summary else None
    plan = Plan(
        bench_version=bench_version(),
        name=suite.name,
        seed=seed,
        compiled_now=_rfc3339(now) if clock_read else None,
        sources=(
            *(SourceFile(path=d.file, sha256=d.sha256) for d in suite.sources),
            *(extra_sources or ()),
        ),
        providers=tuple(providers),
        servers=tuple(servers),
        agents=tuple(agents),
        units=tuple(units),
        settings=settings,
        criteria=Criteria(
            success_rate=crit.success_rate if crit else None,
            pass_hat_k=PassHatK(k=crit.pass_hat_k.k, min=crit.pass_hat_k.min)
            if crit and crit.pass_hat_k
            else None,
        ),
        ai_summary=AiSummary(
            enabled=bool(ai and ai.enabled), judge_provider=ai.judge_provider if ai else None
        ),
        prices={
            model: ModelPrice(input=p.input, output=p.output, cached_input=p.cached_input)
            for model, p in suite.document.prices.items()
        },
    )
    return plan.sealed()
