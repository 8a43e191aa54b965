"""A case with little text to check is checked on the event loop; the rest in a worker thread.

The hop to a worker thread and back costs more than the built-in checks of a short answer
(runtime/case_finish.py ``INLINE_CHECK_CHARS``); long text, tool calls, dataset metadata and an
evaluator that is not the built-in one still go off the loop
(tests/runtime/test_interrupt_evaluation.py keeps the loop free for those).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import runtime.evaluate as evaluate_module
from runtime import ExecuteOptions, execute
from runtime.case_finish import INLINE_CHECK_CHARS
from runtime.plan import AgentServer, BuiltinAgent, JsonPathExtractor, StdioServer
from runtime.plan.assertions import OutputContains
from runtime.services import Services

from .runtime_helpers import FakePool, case, make_plan, reply, services, unit

LONG = "x" * (INLINE_CHECK_CHARS + 1)


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[bool]]]:
    """For evaluate and extract: whether each of their calls ran on the event loop's thread."""
    seen: dict[str, list[bool]] = {}
    real_evaluate, real_extract = evaluate_module.evaluate, evaluate_module.extract

    def on_loop() -> bool:
        return threading.current_thread() is threading.main_thread()

    def evaluate(assertions: Any, ctx: Any) -> Any:
        seen.setdefault("evaluate", []).append(on_loop())
        return real_evaluate(assertions, ctx)

    def extract(extractors: Any, transcript: Any) -> Any:
        seen.setdefault("extract", []).append(on_loop())
        return real_extract(extractors, transcript)

    monkeypatch.setattr(evaluate_module, "evaluate", evaluate)
    monkeypatch.setattr(evaluate_module, "extract", extract)
    yield seen


def _plan(answer: str, *, tool: bool = False) -> Any:
    checks = [OutputContains(value="x")]
    extractors = [JsonPathExtractor(tool="echo", path="$.a", variable_name="v")]
    units = [unit("u0", [case("u0", 0, "q", assertions=checks, extractors=extractors)])]
    if not tool:
        return make_plan(units, replies=[reply(answer)])
    return make_plan(
        units,
        replies=[reply("calling", ("echo", {"a": 1})), reply(answer)],
        agents=[BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="srv"),))],
        servers=[StdioServer(name="srv", command=("srv",))],
    )


def _services(pool: FakePool | None = None) -> Services:
    """The built-in evaluators (the helpers' ``services()`` has stand-ins), a fake pool."""
    base = Services.default()
    return Services(
        create_provider=base.create_provider,
        open_pool=services(pool).open_pool,
        evaluate=base.evaluate,
        extract=base.extract,
    )


@pytest.mark.anyio
async def test_a_short_answer_is_checked_on_the_event_loop(
    tmp_path: Path, threads: dict[str, list[bool]]
) -> None:
    summary = await execute(
        _plan("x" * 100), ExecuteOptions(output_dir=tmp_path), services=_services()
    )
    assert [r.status for r in summary.results] == ["passed"]
    assert threads == {"extract": [True], "evaluate": [True]}


@pytest.mark.anyio
async def test_a_long_answer_is_checked_in_a_worker_thread(
    tmp_path: Path, threads: dict[str, list[bool]]
) -> None:
    summary = await execute(_plan(LONG), ExecuteOptions(output_dir=tmp_path), services=_services())
    assert [r.status for r in summary.results] == ["passed"]
    assert threads == {"extract": [False], "evaluate": [False]}


@pytest.mark.anyio
async def test_a_case_with_tool_calls_is_checked_in_a_worker_thread(
    tmp_path: Path, threads: dict[str, list[bool]]
) -> None:
    pool = FakePool({"echo": ("srv", lambda args: '{"a": "x"}')})
    summary = await execute(
        _plan("x", tool=True), ExecuteOptions(output_dir=tmp_path), services=_services(pool)
    )
    assert [len(r.transcript.tool_calls) for r in summary.results] == [1]
    assert threads == {"extract": [False], "evaluate": [False]}


@pytest.mark.anyio
async def test_a_replaced_evaluator_is_always_called_off_the_loop(tmp_path: Path) -> None:
    seen: list[bool] = []
    base = _services()
    real = base.evaluate

    def evaluate(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    base.evaluate = evaluate
    await execute(_plan("x"), ExecuteOptions(output_dir=tmp_path), services=base)
    assert seen == [False]
