"""A suite's ``load:`` section: validated with located diagnostics, handed to ``bench load``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from compiler import compile_with_warnings

from .conftest import BASE, NOW, compile_errors

SESSION = "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: hi}\n"


def test_a_valid_load_section_reaches_the_compilation(write: Callable[..., Path]) -> None:
    path = write(
        BASE
        + SESSION
        + "load:\n  provider: p\n  concurrency: [1, 2, 4]\n  requests: 20\n  warmup: 2\n"
        "  max_tokens: 128\n  slo: {ttft: 500ms, tpot: 50ms, e2e: 10s, fraction: 0.95}\n"
    )
    comp = compile_with_warnings(path, seed=1, now=NOW, env={})
    assert comp.load is not None
    assert comp.load.concurrency == [1, 2, 4] and comp.load.requests == 20
    assert comp.load.slo is not None and comp.load.slo.ttft == "500ms"
    assert comp.load.slo.fraction == 0.95
    # the section stays out of the plan: a suite's plan hash does not depend on it
    plain = compile_with_warnings(write(BASE + SESSION, "plain.yaml"), seed=1, now=NOW, env={})
    assert comp.plan.model_dump_json().count("concurrency") == plain.plan.model_dump_json().count(
        "concurrency"
    )


def test_every_mistake_in_the_load_section_is_located(write: Callable[..., Path]) -> None:
    path = write(
        BASE + SESSION + "load:\n  provider: q\n  concurrency: [0, 2]\n  requests: 5\n  warmpu: 1\n"
        "  slo: {ttft: 500, fraction: 2}\n"
    )
    errors = compile_errors(path)
    by_line = sorted((d.line, d.message) for d in errors)
    text = "\n".join(m for _, m in by_line)
    assert [line for line, _ in by_line] == [15, 17, 18, 18], text
    assert "'concurrency' in load" in text
    assert "unknown key 'warmpu' in load" in text
    assert "duration '500' has no unit" in text
    assert "'fraction' in load.slo" in text


def test_the_load_provider_must_be_defined(write: Callable[..., Path]) -> None:
    path = write(BASE + SESSION + "load:\n  provider: pp\n  rate: [1.5]\n")
    (error,) = compile_errors(path)
    assert error.code == "unknown-provider" and error.line == 14
    assert error.hint is not None and "'p'" in error.hint


def test_concurrency_and_rate_together_are_refused(write: Callable[..., Path]) -> None:
    path = write(BASE + SESSION + "load:\n  concurrency: [1]\n  rate: [2]\n")
    (error,) = compile_errors(path)
    assert "concurrency or rate, not both" in error.message
    assert error.line == 14  # the load: section's first key
