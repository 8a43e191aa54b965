"""Scenario tests: a fake OpenAI server answering each conversation from its own script."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bench.cli import main
from runtime.results import CaseResult
from runtime.store import read_results
from tests.fakes import FakeLLM, RecordedRequest, Reply, ToolCallSpec, Usage, serve_in_thread
from tests.fakes.openai_server import openai_app


@dataclass
class Step:
    """How the scripted model answers a turn whose last user message contains ``when``."""

    when: str
    calls: Sequence[tuple[str, dict[str, Any]]] = ()
    answer: str = "done"
    tokens: int = 40


@dataclass
class Script:
    """A responder for ``FakeLLM``: tool calls on a new user message, the answer after the
    tool results. Conversations are told apart by their content, so sessions may run
    concurrently in any order."""

    steps: list[Step] = field(default_factory=list)

    def __call__(self, request: RecordedRequest) -> Reply | None:
        messages = request.body.get("messages", [])
        users = [m for m in messages if m.get("role") == "user"]
        if not users:
            return None
        last_user = str(users[-1].get("content"))
        step = next((s for s in self.steps if s.when in last_user), None)
        if step is None:
            return Reply(text="no script for this turn", usage=Usage(20, 5))
        if messages[-1].get("role") == "tool" or not step.calls:
            return Reply(text=step.answer, usage=Usage(100, step.tokens))
        calls = tuple(
            ToolCallSpec(name=n, arguments=a, id=f"c{i}") for i, (n, a) in enumerate(step.calls)
        )
        return Reply(tool_calls=calls, usage=Usage(100, step.tokens))


@pytest.fixture(scope="session")
def openai_fake() -> Iterator[tuple[FakeLLM, str]]:
    fake = FakeLLM()
    with serve_in_thread(openai_app(fake)) as url:
        yield fake, url


@pytest.fixture
def fake(openai_fake: tuple[FakeLLM, str]) -> FakeLLM:
    return openai_fake[0].reset()


@pytest.fixture
def endpoint(openai_fake: tuple[FakeLLM, str]) -> str:
    return openai_fake[1]


def run_scenario(target: str | Path, endpoint: str, out: Path, *extra: str) -> int:
    """``bench execute TARGET --endpoint URL --model fake-model`` into ``out``."""
    return main(
        [
            "execute",
            "-q",
            str(target),
            "--endpoint",
            endpoint,
            "--model",
            "fake-model",
            "--output-dir",
            str(out),
            *extra,
        ]  # fmt: skip
    )


def results_of(out: Path) -> dict[str, CaseResult]:
    (run_dir,) = (out / "runs").iterdir()
    return read_results(run_dir / "results.jsonl")


def by_test(results: dict[str, CaseResult]) -> dict[tuple[str, str], CaseResult]:
    return {(r.session, r.test): r for r in results.values()}


def tool_messages(fake: FakeLLM) -> list[str]:
    """Contents of every tool message the model was sent, in all requests."""
    seen: list[str] = []
    for req in fake.requests:
        for m in req.body.get("messages", []):
            if m.get("role") == "tool":
                text = m.get("content")
                seen.append(text if isinstance(text, str) else json.dumps(text))
    return seen
