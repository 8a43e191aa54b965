"""No secret reaches a cassette, even when a tool or a model echoes one back."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime import ExecuteOptions, execute
from runtime.plan import AgentServer, BuiltinAgent, ScriptedProvider, SecretRef, StdioServer
from runtime.plan.assertions import OutputContains

from .runtime_helpers import FakePool, case, make_plan, reply, services, unit

pytestmark = pytest.mark.anyio

SENTINEL = "tok-SENTINEL-0123456789abcdef"


async def test_an_echoed_secret_is_redacted_in_the_cassette(tmp_path: Path) -> None:
    agent = BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="leaky"),))
    server = StdioServer(
        name="leaky", command=("unused",), env={"TOKEN": SecretRef.from_env("LEAKY_TOKEN")}
    )
    plan = make_plan(
        [unit("u1", [case("u1", 0, "leak", assertions=[OutputContains(value="done")])])],
        providers=[ScriptedProvider(name="p", replies=(reply("", ("env", {})), reply("done")))],
        agents=[agent],
        servers=[server],
    )
    pool = FakePool({"env": ("leaky", lambda _a: f"TOKEN={SENTINEL}")})
    cassette = tmp_path / "cas"
    summary = await execute(
        plan,
        ExecuteOptions(output_dir=tmp_path, env={"LEAKY_TOKEN": SENTINEL}, record=cassette),
        services=services(pool),
    )
    assert summary.results[0].status == "passed"
    text = (cassette / "cassette.jsonl").read_text()
    assert SENTINEL not in text and "TOKEN=***" in text
    # the redacted cassette still replays: the next request is matched on the live text's key
    replayed = await execute(
        plan, ExecuteOptions(output_dir=tmp_path / "r", replay=cassette), services=services(pool)
    )
    assert replayed.results[0].status == "passed"
