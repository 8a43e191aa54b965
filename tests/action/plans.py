"""Small plans built in code for the Action's tests (scripted provider: offline, no key)."""

from __future__ import annotations

from pathlib import Path

from runtime.plan import (
    BuiltinAgent,
    Case,
    Criteria,
    Plan,
    ScriptedProvider,
    ScriptedReply,
    Settings,
    SourceFile,
    Span,
    Unit,
)
from runtime.plan.assertions import OutputContains

SPAN = Span(file="suite.yaml", line=1, col=1)

# (prompt, scripted answer, text the assertion expects)
QUESTIONS = [
    ("capital of France?", "Paris.", "Paris"),
    ("2 + 2?", "4", "4"),
    ("colour of the sky?", "Blue.", "Blue"),
    ("tallest mountain?", "<script>alert(1)</script> K2", "Everest"),
]


def quiz_plan(*, success_rate: float | None, failing: bool = True) -> Plan:
    """Four questions in one session; the last one fails unless ``failing`` is False."""
    questions = QUESTIONS if failing else QUESTIONS[:3]
    cases = tuple(
        Case(
            id=f"u0/{i}",
            test=f"q{i}",
            prompt=prompt,
            assertions=(OutputContains(value=expected),),
            span=SPAN,
        )
        for i, (prompt, _answer, expected) in enumerate(questions)
    )
    replies = tuple(
        ScriptedReply(when=prompt.split()[0], text=answer, input_tokens=10, output_tokens=5)
        for prompt, answer, _expected in questions
    )
    return Plan(
        bench_version="test",
        name="quiz",
        seed=1,
        compiled_now="2026-11-01T00:00:00Z",
        sources=(SourceFile(path="suite.yaml", sha256="0" * 64),),
        providers=(ScriptedProvider(name="p", replies=replies),),
        servers=(),
        agents=(BuiltinAgent(name="agent", provider="p"),),
        units=(
            Unit(id="u0", agent="agent", session="quiz", file="suite.yaml", cases=cases, span=SPAN),
        ),
        settings=Settings(),
        criteria=Criteria(success_rate=success_rate),
    ).sealed()


def write_plan(plan: Plan, path: Path) -> Path:
    """Write ``plan`` as JSON to ``path``."""
    path.write_text(plan.dumps(), encoding="utf-8")
    return path
