"""Record through the official SDKs against the fake servers, stop them, replay.

Every wire format (OpenAI, Anthropic, Gemini, Bedrock through the anthropic SDK), streamed
or not, with a real MCP server over stdio (mcp-server-time). The replay runs after the fake
has stopped (its port is closed) and with the server's command replaced by one that fails if
started; a connection attempt of any socket in the process to the fake's port is counted.
The sentinel keys used while recording appear nowhere in the cassette.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runtime import ExecuteOptions, execute
from runtime.plan import AgentServer, BuiltinAgent, ProviderSpec, StdioServer
from runtime.plan.assertions import OutputContains, ToolCalled
from tests.fakes import FakeLLM, Reply, ToolCallSpec, serve_in_thread
from tests.fakes.anthropic_server import anthropic_app
from tests.fakes.bedrock_server import BedrockAuth, bedrock_app
from tests.fakes.gemini_server import gemini_app
from tests.fakes.openai_server import openai_app

from .provider_kits import (
    BEDROCK_REGION,
    KEY_VAR,
    SECRET_VAR,
    anthropic_spec,
    bedrock_spec,
    google_spec,
    openai_spec,
)
from .runtime_helpers import case, make_plan, unit

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

KEY = "AKIDSENTINELKEY00001"
SECRET = "sentinel-secret-key-0987654321"
ENV = {KEY_VAR: KEY, SECRET_VAR: SECRET}

TIME = StdioServer(
    name="time",
    command=(sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"),
    process_delay_ms=0,
)

KITS: dict[str, tuple[Callable[[FakeLLM], Any], Callable[..., ProviderSpec]]] = {
    "openai": (openai_app, openai_spec),
    "anthropic": (anthropic_app, anthropic_spec),
    "google": (gemini_app, google_spec),
    "bedrock": (lambda fake: bedrock_app(fake, BedrockAuth({KEY: SECRET}, region=BEDROCK_REGION)),
                bedrock_spec),
}  # fmt: skip


def suite(spec: ProviderSpec) -> Any:
    agent = BuiltinAgent(name="agent", provider="p", servers=(AgentServer(name="time"),))
    u1 = unit("u1", [
        case("u1", 0, "what time is it in UTC?",
             assertions=[ToolCalled(tool="get_current_time"), OutputContains(value="noon")]),
        case("u1", 1, "and in words?", assertions=[OutputContains(value="not said")]),
    ])  # fmt: skip
    u2 = unit("u2", [case("u2", 0, "hello", assertions=[OutputContains(value="hi")])])
    return make_plan([u1, u2], providers=[spec], agents=[agent], servers=[TIME])


def script(fake: FakeLLM) -> None:
    fake.default = None  # an unscripted request is a 500: the script must match exactly
    fake.push(
        Reply(tool_calls=(ToolCallSpec("get_current_time", {"timezone": "UTC"}, id="t1"),)),
        Reply(text="It is noon."),
        Reply(text="Twelve o'clock."),
        Reply(text="hi there"),
    )


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("kind", sorted(KITS))
async def test_record_then_replay_with_everything_stopped(
    kind: str, stream: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, spec_for = KITS[kind]
    fake = FakeLLM()
    script(fake)
    cassette = tmp_path / "cassette"
    with serve_in_thread(app(fake)) as url:
        plan = suite(spec_for(url, stream=stream))
        options = ExecuteOptions(output_dir=tmp_path / "live", env=ENV, record=cassette,
                                 concurrency=1)  # fmt: skip
        live = await execute(plan, options)
    assert len(fake.requests) == 4
    statuses = {r.case_id: r.status for r in live.results}
    assert statuses == {"u1/0": "passed", "u1/1": "failed", "u2/0": "passed"}
    text = (cassette / "cassette.jsonl").read_text()
    assert KEY not in text and SECRET not in text
    assert url not in text  # where the provider was is no part of the cassette

    port = int(url.rsplit(":", 1)[1].split("/")[0])
    attempts: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and len(address) >= 2 and address[1] == port:
            attempts.append(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and len(address) >= 2 and address[1] == port:
            attempts.append(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    marker = tmp_path / "started"
    trap = StdioServer(
        name="time",
        command=(sys.executable, "-c",
                 f"import pathlib; pathlib.Path({str(marker)!r}).touch(); raise SystemExit(3)"),
        process_delay_ms=0,
    )  # fmt: skip
    replay_plan = plan.model_copy(update={"servers": (trap,)}).sealed()
    for concurrency in (1, 16):
        replayed = await execute(
            replay_plan,
            # no key in the environment: a replay needs none
            ExecuteOptions(output_dir=tmp_path / f"replay{concurrency}", env={},
                           replay=cassette, concurrency=concurrency),
        )  # fmt: skip
        assert {r.case_id: r.status for r in replayed.results} == statuses
        assert replayed.exit_code == live.exit_code
        assert attempts == [] and not marker.exists()
        for a, b in zip(replayed.results, live.results, strict=True):
            assert a.transcript.final_output == b.transcript.final_output
            assert a.transcript.usage == b.transcript.usage
            assert [c.ttft_ms for c in a.transcript.llm_calls] == [
                c.ttft_ms for c in b.transcript.llm_calls
            ]
