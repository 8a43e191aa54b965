"""Scenario scores per session, per agent and for the run: pure functions over case reports.

The runtime records each scenario turn's scores (``CaseReport.scores``, computed by
runtime/evaluate/scenario_scores.py); this module aggregates them and computes the
composite with versioned weights (docs/scenarios.md). Throughput comes from the measured
usage and timings: a session's output tokens over its cases' durations, and an agent's over
the wall time from its first turn's start to its last turn's end (its sessions run in
parallel, so that is the throughput under that load).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from .case_list import CaseBrief
    from .schema import CaseReport

    Case: TypeAlias = CaseReport | CaseBrief
    """What the scores read: a whole case or its brief (the same scalar fields)."""

__all__ = [
    "COMPOSITE_VERSION",
    "CONSOLE_COLUMNS",
    "SCENARIO_COLUMNS",
    "WEIGHTS",
    "ScenarioScores",
    "adaptability_line",
    "ScenarioSummary",
    "components",
    "composite",
    "scenario_cells",
    "scenario_summary",
    "weights_line",
]

COMPOSITE_VERSION = "scenario-score/1"
"""Version of the composite's formula; any change to ``WEIGHTS`` or to a component bumps it."""
WEIGHTS: dict[str, float] = {
    "quality": 0.50,
    "format_compliance": 0.20,
    "tool_accuracy": 0.15,
    "useful_ratio": 0.10,
    "steering_rate": 0.05,
}
"""PawBench's DQS 1.0.0 weights; a component a scenario does not measure is left out and the
others' weights are scaled to sum to 1 (PawBench counts it as 0)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioScores(_Model):
    """Scenario scores of one session of an agent, or of all of an agent's sessions."""

    agent: str
    session: str | None = None
    """The session (a scenario's agent); None on an agent's total over its sessions."""
    turns: int
    quality: float
    """Mean of the turns' quality (PawBench's turn score: the mean of its checks)."""
    tool_accuracy: float | None = None
    """Mean tool-call accuracy over the turns with tool expectations (right tool, right
    arguments)."""
    format_compliance: float | None = None
    """Share of the turns with a format expectation whose answer had the format."""
    keyword_coverage: float | None = None
    """Mean share of the expected keywords mentioned, over turns with keywords."""
    useful_ratio: float
    """Mean useful-character ratio of the turns (tool arguments and non-filler text)."""
    output_tokens: int
    tokens_per_turn: float
    steering_events: int = 0
    """Turns carrying a steering event or nudge."""
    steering_followed: int = 0
    """Of those, the turns whose answer acted on it."""
    steering_rate: float | None = None
    """``steering_followed / steering_events`` (None without events)."""
    steered_quality: float | None = None
    """Mean quality of the turns carrying a steering event or nudge, followed or not (None
    without events)."""
    unsteered_quality: float | None = None
    """Mean quality of the other turns (None when every turn carries an event)."""
    quality_delta: float | None = None
    """Adaptability: ``steered_quality - unsteered_quality`` (PawBench's nudge quality delta,
    within one run; None unless both are present). Below 0: quality drops when the plan
    changes."""
    composite: float
    """``scenario-score/1``: the weighted mean of the components present."""
    duration_ms: float
    """Session: its turns' durations summed; agent: wall time from its first turn's start to
    its last turn's end."""
    tokens_per_s: float | None = None
    """Output tokens over ``duration_ms`` (None when no time was measured)."""


class ScenarioSummary(_Model):
    """The run's scenario scores (present when any case is a scenario turn)."""

    version: str = COMPOSITE_VERSION
    weights: dict[str, float]
    sessions: list[ScenarioScores]
    agents: list[ScenarioScores]
    tokens_per_s: float | None = None
    """Output tokens of every scenario turn over the run's scenario wall time."""


SCENARIO_COLUMNS = (
    "turns", "quality", "tool acc.", "format", "keywords", "useful", "tok/turn", "steering",
    "score", "tok/s",
)  # fmt: skip
"""Columns after the name, in the Markdown and HTML scenario tables."""
CONSOLE_COLUMNS = (
    "turns", "qual.", "tools", "fmt", "kw", "useful", "tok/turn", "steer", "score", "tok/s",
)  # fmt: skip
"""The same columns, short enough for an 80-column terminal."""


def _steering(s: ScenarioScores, compact: bool) -> str:
    if not s.steering_events:
        return "—"
    if compact:
        return f"{s.steering_followed}/{s.steering_events}"
    return f"{s.steering_followed}/{s.steering_events} ({_pct(s.steering_rate)})"


def scenario_cells(s: ScenarioScores, compact: bool = False) -> list[str]:
    """The cells of one row, as plain text (each format escapes them for its sink);
    ``compact`` (the console): whole percents, steering as followed/events."""
    pct = _pct_whole if compact else _pct
    return [
        str(s.turns),
        pct(s.quality),
        pct(s.tool_accuracy),
        pct(s.format_compliance),
        pct(s.keyword_coverage),
        pct(s.useful_ratio),
        f"{s.tokens_per_turn:,.0f}",
        _steering(s, compact),
        f"{s.composite:.3f}",
        "—" if s.tokens_per_s is None else f"{s.tokens_per_s:,.1f}",
    ]


def adaptability_line(s: ScenarioScores) -> str | None:
    """``quality on steered or nudged turns 50.0% vs 90.0% on the others (-40.0 points)``;
    None when the scores have no delta."""
    if s.quality_delta is None or s.steered_quality is None or s.unsteered_quality is None:
        return None
    return (
        f"quality on steered or nudged turns {_pct(s.steered_quality)} vs "
        f"{_pct(s.unsteered_quality)} on the others ({s.quality_delta * 100:+.1f} points)"
    )


def weights_line(summary: ScenarioSummary) -> str:
    """``score = scenario-score/1: 0.50 quality + ...``."""
    parts = " + ".join(f"{w:.2f} {k}" for k, w in summary.weights.items())
    return f"score = {summary.version}: {parts} (components a scenario lacks are left out)"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _pct_whole(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def composite(components: dict[str, float | None]) -> float:
    """The weighted mean of the components present (keys of ``WEIGHTS``)."""
    present = {k: v for k, v in components.items() if v is not None and k in WEIGHTS}
    total = sum(WEIGHTS[k] for k in present)
    if total == 0:
        return 0.0
    return sum(WEIGHTS[k] * max(0.0, min(1.0, v)) for k, v in present.items()) / total


def _mean(values: Iterable[float]) -> float | None:
    got = list(values)
    return sum(got) / len(got) if got else None


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _wall_ms(cases: Sequence[Case]) -> float:
    starts = [t for c in cases if (t := _time(c.started_at)) is not None]
    ends = [t for c in cases if (t := _time(c.ended_at)) is not None]
    if not starts or not ends:
        return sum(c.duration_ms for c in cases)
    return max(0.0, (max(ends) - min(starts)).total_seconds() * 1000)


def components(turns: Sequence[dict[str, float]]) -> dict[str, float | None]:
    """The composite's components over turns' scores (None: no turn measures it)."""

    def mean_of(key: str) -> float | None:
        return _mean(t[key] for t in turns if key in t)

    events = [t["steering"] for t in turns if "steering" in t]
    return {
        "quality": mean_of("quality") or 0.0,
        "format_compliance": mean_of("format"),
        "tool_accuracy": mean_of("tool_accuracy"),
        "useful_ratio": mean_of("useful_ratio") or 0.0,
        "steering_rate": sum(1 for v in events if v >= 1.0) / len(events) if events else None,
    }


def _scores(agent: str, session: str | None, cases: Sequence[Case], wall_ms: float
            ) -> ScenarioScores:  # fmt: skip
    turns = [c.scores for c in cases if c.scores is not None]
    parts = components(turns)
    events = [t["steering"] for t in turns if "steering" in t]
    output = sum(c.tokens.output for c in cases)
    steered = _mean(t["quality"] for t in turns if "quality" in t and "steering" in t)
    unsteered = _mean(t["quality"] for t in turns if "quality" in t and "steering" not in t)
    return ScenarioScores(
        agent=agent,
        session=session,
        turns=len(turns),
        quality=parts["quality"] or 0.0,
        tool_accuracy=parts["tool_accuracy"],
        format_compliance=parts["format_compliance"],
        keyword_coverage=_mean(t["keywords"] for t in turns if "keywords" in t),
        useful_ratio=parts["useful_ratio"] or 0.0,
        output_tokens=output,
        tokens_per_turn=output / len(turns) if turns else 0.0,
        steering_events=len(events),
        steering_followed=sum(1 for v in events if v >= 1.0),
        steering_rate=parts["steering_rate"],
        steered_quality=steered,
        unsteered_quality=unsteered,
        quality_delta=None if steered is None or unsteered is None else steered - unsteered,
        composite=composite(parts),
        duration_ms=wall_ms,
        tokens_per_s=output / (wall_ms / 1000) if wall_ms > 0 else None,
    )


def scenario_summary(cases: Sequence[Case]) -> ScenarioSummary | None:
    """Scores per (agent, session) and per agent; None when no case is a scenario turn."""
    turns = [c for c in cases if c.scores is not None]
    if not turns:
        return None
    by_session: dict[tuple[str, str], list[Case]] = {}
    by_agent: dict[str, list[Case]] = {}
    for c in turns:
        by_session.setdefault((c.agent, c.session), []).append(c)
        by_agent.setdefault(c.agent, []).append(c)
    sessions = [
        _scores(agent, session, group, sum(c.duration_ms for c in group))
        for (agent, session), group in by_session.items()
    ]
    agents = [_scores(agent, None, group, _wall_ms(group)) for agent, group in by_agent.items()]
    wall = _wall_ms(turns)
    output = sum(c.tokens.output for c in turns)
    return ScenarioSummary(
        weights=dict(WEIGHTS),
        sessions=sessions,
        agents=agents,
        tokens_per_s=output / (wall / 1000) if wall > 0 else None,
    )
