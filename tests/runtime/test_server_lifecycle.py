"""Server lifecycles (run / agent / session), the warm pool, start-up failures, shutdown.

A wrapper around bench's notes server appends its pid to a log file at every start, so the
tests count starts and check that every started process is gone when the run ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from runtime import ExecuteOptions, execute
from runtime.errors import ToolServerError
from runtime.plan import (
    AgentServer,
    BuiltinAgent,
    ScriptedReply,
    ScriptedToolCall,
    ServerSpec,
    Settings,
    StdioServer,
    work_items,
)
from runtime.services import Services

from .runtime_helpers import FakePool, case, make_plan, reply, unit
from .toolserver_fixtures import NOTES_SERVER

pytestmark = [pytest.mark.anyio]

ROOT = Path(__file__).resolve().parents[2]
_WRAP = (
    "import os, sys, runpy; open(sys.argv[1], 'a').write(f'{os.getpid()}\\n');"
    " sys.argv = [sys.argv[2]]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def logged_notes(log: Path, lifecycle: str, name: str = "notes") -> StdioServer:
    """The notes server, appending its pid to ``log`` each time it starts."""
    return StdioServer(
        name=name,
        command=(sys.executable, "-c", _WRAP, str(log), str(NOTES_SERVER)),
        process_delay_ms=0,
        lifecycle=lifecycle,  # type: ignore[arg-type]
    )


def starts(log: Path) -> list[int]:
    return [int(x) for x in log.read_text().split()] if log.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def note_plan(log: Path, lifecycle: str, *, agents: int = 1, sessions: int = 4, **kw: Any):  # type: ignore[no-untyped-def]
    """``agents`` x ``sessions`` one-case units; each case creates a note, whose id tells
    how many notes that server instance held before (n1 = a fresh server)."""
    names = [f"a{i}" for i in range(agents)]
    units, replies = [], []
    for a in names:
        for s in range(sessions):
            uid = f"{a}-s{s}"
            prompt = f"note {uid}"
            units.append(unit(uid, [case(uid, 0, prompt)], agent=a))
            replies += [
                reply("", ("create_note", {"title": uid}), when=f"^{prompt}$"),
                reply("done", when=f"^{prompt}$"),
            ]
    return make_plan(
        units,
        replies=replies,
        agents=[
            BuiltinAgent(name=a, provider="p", servers=(AgentServer(name="notes"),)) for a in names
        ],
        servers=[logged_notes(log, lifecycle)],
        **kw,
    )


def note_ids(summary: Any) -> list[str]:
    out = []
    for r in sorted(summary.results, key=lambda r: r.case_id):
        (call,) = r.transcript.tool_calls
        out.append(call.result.content[0]["text"].split('"id": "')[1].split('"')[0])
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lifecycle", "expected_starts"), [("run", 1), ("agent", 2), ("session", 6)]
)
async def test_a_server_starts_once_per_lifecycle_scope(
    tmp_path: Path, lifecycle: str, expected_starts: int
) -> None:
    log = tmp_path / "starts.log"
    plan = note_plan(log, lifecycle, agents=2, sessions=3, settings=Settings(concurrency=3))
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path))
    assert {r.status for r in summary.results} == {"passed"}
    assert len(starts(log)) == expected_starts
    ids = note_ids(summary)
    if lifecycle == "session":
        assert set(ids) == {"n1"}  # every unit saw a fresh server
    elif lifecycle == "run":
        assert sorted(ids) == [f"n{i}" for i in range(1, 7)]  # one shared instance
    else:
        assert sorted(ids) == ["n1", "n1", "n2", "n2", "n3", "n3"]  # one per agent
    assert not [pid for pid in starts(log) if alive(pid)]


class CountingServices:
    """Services whose pools count how many are open at once (FakePool tools, slow calls)."""

    def __init__(self) -> None:
        self.open = 0
        self.max_open = 0
        self.opened = 0

    @asynccontextmanager
    async def open_pool(self, servers: Sequence[ServerSpec], env: Any) -> AsyncIterator[FakePool]:
        self.open += 1
        self.opened += 1
        self.max_open = max(self.max_open, self.open)
        try:
            await anyio.sleep(0.02)  # start-up
            yield FakePool({"nap": ("notes", lambda _args: anyio.sleep(0.03))})
        finally:
            self.open -= 1

    def services(self) -> Services:
        from .runtime_helpers import simple_evaluate, simple_extract

        base = Services.default()
        return Services(
            create_provider=base.create_provider,
            open_pool=self.open_pool,
            evaluate=simple_evaluate,
            extract=simple_extract,
        )


@pytest.mark.parametrize(("concurrency", "ahead"), [(1, 2), (2, 1), (3, 3)])
async def test_the_warm_pool_starts_ahead_but_never_beyond_its_bound(
    tmp_path: Path, concurrency: int, ahead: int
) -> None:
    from runtime.runner import UnitRunner
    from runtime.store import RunStore

    units, replies = [], []
    for u in range(8):
        uid = f"u{u}"
        units.append(unit(uid, [case(uid, 0, f"q {uid}")]))
        replies += [reply("", ("nap", {}), when=f"^q {uid}$"), reply("ok", when=f"^q {uid}$")]
    plan = make_plan(
        units,
        replies=replies,
        agents=[BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="notes"),))],
        servers=[StdioServer(name="notes", command=("unused",))],
    )
    counting = CountingServices()
    store = RunStore.create(tmp_path, plan, bench_version="test")
    runner = UnitRunner(plan, store, counting.services(), concurrency=concurrency, warm_ahead=ahead)
    await runner.run(work_items(plan.units))
    assert counting.opened == 8  # one pool per unit, none opened twice
    assert counting.max_open <= concurrency + ahead
    assert counting.max_open > concurrency  # some unit's servers started ahead of it


@pytest.mark.slow
@pytest.mark.parametrize("ahead", [0, 2])
async def test_a_server_failing_at_start_up_gives_the_same_error_with_or_without_warm_pool(
    tmp_path: Path, ahead: int
) -> None:
    from runtime.runner import UnitRunner
    from runtime.store import RunStore

    broken = StdioServer(
        name="broken",
        command=(sys.executable, "-c", "import sys; sys.stderr.write('no luck\\n'); sys.exit(3)"),
        process_delay_ms=0,
    )
    units = [unit(f"u{i}", [case(f"u{i}", 0, "hi")]) for i in range(4)]
    plan = make_plan(
        units,
        replies=[reply("hello")],
        agents=[BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="broken"),))],
        servers=[broken],
    )
    store = RunStore.create(tmp_path, plan, bench_version="test")
    runner = UnitRunner(plan, store, Services.default(), concurrency=1, warm_ahead=ahead)
    with pytest.raises(ToolServerError) as info:
        await runner.run(work_items(plan.units))
    assert info.value.server == "broken"
    assert "no luck" in str(info.value)


@pytest.mark.slow
@pytest.mark.parametrize("signals", [(signal.SIGTERM,), (signal.SIGINT, signal.SIGINT)])
def test_no_server_outlives_an_interrupted_run(
    tmp_path: Path, signals: tuple[signal.Signals, ...]
) -> None:
    log = tmp_path / "starts.log"
    units, replies = [], []
    for u in range(6):
        uid = f"u{u}"
        units.append(unit(uid, [case(uid, 0, f"q {uid}")]))
        when = f"^q {uid}$"
        replies += [
            ScriptedReply(when=when, delay_ms=400, tool_calls=(
                ScriptedToolCall(name="create_note", arguments={"title": uid}),
                ScriptedToolCall(name="echo", arguments={"text": uid}),)),
            ScriptedReply(when=when, text="done", delay_ms=400),
        ]  # fmt: skip
    plan = make_plan(
        units,
        replies=replies,
        agents=[
            BuiltinAgent(
                name="agent",
                provider="p",
                servers=(AgentServer(name="notes"), AgentServer(name="shared")),
            )
        ],
        servers=[logged_notes(log, "session"), logged_notes(log, "run", name="shared")],
    )
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(plan.dumps())
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "execute", "-q", str(plan_path),
         "--output-dir", str(tmp_path), "--concurrency", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(starts(log)) < 4 and time.monotonic() < deadline:  # shared + 2 running + warm
        time.sleep(0.02)
    assert len(starts(log)) >= 4
    assert proc.stderr is not None
    for i, sig in enumerate(signals):
        proc.send_signal(sig)
        if i + 1 < len(signals):
            assert "finishing the cases in flight" in proc.stderr.readline().decode()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    time.sleep(0.2)
    assert not [pid for pid in starts(log) if alive(pid)]


async def test_servers_start_while_the_provider_sdk_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10 item 19: the first unit's servers start while the SDK imports (in a thread),
    not after: here the import takes 0.5 s, and the pool is opened before it ends."""
    import threading

    from runtime.providers import registry

    events: list[str] = []
    importing = threading.Event()

    def slow_preload(specs: Any) -> None:
        importing.set()
        time.sleep(0.5)
        events.append("sdk imported")

    monkeypatch.setattr(registry, "preload_adapters", slow_preload)

    @asynccontextmanager
    async def pool(specs: Sequence[ServerSpec], env: Any) -> AsyncIterator[FakePool]:
        events.append("server started" if importing.is_set() else "server started first")
        yield FakePool({"echo": ("notes", lambda a: "ok")})

    plan = make_plan(
        [unit("u1", [case("u1", 0, "hi")]), unit("u2", [case("u2", 0, "hi")])],
        agents=[BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="notes"),))],
        servers=[StdioServer(name="notes", command=("unused",))],
        replies=[reply("done")],
        settings=Settings(concurrency=1),  # more units than slots: the warm pool is on
    )
    services = Services.default()
    services.open_pool = pool  # type: ignore[assignment]
    summary = await execute(plan, ExecuteOptions(output_dir=tmp_path), services=services)
    assert [r.status for r in summary.results] == ["passed", "passed"]
    assert events[:2] == ["server started", "sdk imported"]


@pytest.mark.parametrize("lifecycle", ["run", "agent"])
async def test_a_resume_of_later_attempts_only_still_opens_the_run_and_agent_servers(
    tmp_path: Path, lifecycle: str
) -> None:
    """A repeated run killed after every first attempt: the resume runs only second
    attempts. Their run- and agent-lifecycle servers open as in any run (they were chosen
    from the first attempts alone, so such a resume ran its agents without their tools)."""
    log = tmp_path / "starts.log"
    plan = note_plan(log, lifecycle, sessions=2)
    plan = plan.model_copy(
        update={
            "units": tuple(
                u.model_copy(
                    update={"cases": tuple(c.model_copy(update={"repeat": 2}) for c in u.cases)}
                )
                for u in plan.units
            ),
            "hash": "",
        }
    ).sealed()
    first = await execute(plan, ExecuteOptions(output_dir=tmp_path, run_id="r"))
    results = first.run_dir / "results.jsonl"
    kept = [
        line for line in results.read_bytes().splitlines(keepends=True) if b'"attempt":0' in line
    ]
    assert len(kept) == 2
    results.write_bytes(b"".join(kept))  # killed once every first attempt was written
    again = await execute(plan, ExecuteOptions(output_dir=tmp_path, resume="r"))
    assert again.metadata.status == "completed"
    later = [r for r in again.results if r.attempt == 1]
    assert len(later) == 2
    for r in later:
        (call,) = r.transcript.tool_calls
        assert not call.hallucinated and call.result is not None and not call.result.is_error
    assert not [pid for pid in starts(log) if alive(pid)]
