"""MCP over stdio with real servers: mcp-server-time (PyPI) and our notes server."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from runtime.errors import ToolServerError
from runtime.plan import SecretRef, StdioServer
from runtime.toolservers import ServerGoneError, open_server

from .toolserver_fixtures import REPO, notes_stdio

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.mark.requirement("server:stdio")
@pytest.mark.requirement("server:tools-listed")
async def test_mcp_server_time_lists_and_answers() -> None:
    spec = StdioServer(
        name="time",
        command=(sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"),
        process_delay_ms=0,
    )
    async with open_server(spec) as server:
        names = {tool.name for tool in await server.list_tools()}
        assert {"get_current_time", "convert_time"} <= names
        result = await server.call_tool("get_current_time", {"timezone": "UTC"}, timeout_s=10)
    assert not result.is_error
    assert json.loads(result.text)["timezone"] == "UTC"


@pytest.mark.requirement("server:stdio")
async def test_notes_server_answers_json_text() -> None:
    async with open_server(notes_stdio()) as server:
        tools = {tool.name: tool for tool in await server.list_tools()}
        assert tools["create_note"].input_schema["properties"]["title"]["type"] == "string"
        created = await server.call_tool("create_note", {"title": "milk"}, timeout_s=10)
        got = await server.call_tool("get_note", {"id": "n1"}, timeout_s=10)
    assert json.loads(created.text) == {
        "data": {"note": {"id": "n1", "title": "milk", "body": "", "tags": []}}
    }
    assert json.loads(got.text)["data"]["note"]["title"] == "milk"
    assert created.content == [{"type": "text", "text": created.text}]


@pytest.mark.requirement("tools:is-error-not-error")
async def test_is_error_result_is_a_result() -> None:
    async with open_server(notes_stdio()) as server:
        result = await server.call_tool("fail", {"message": "nope"}, timeout_s=10)
    assert result.is_error
    assert "nope" in result.text


@pytest.mark.requirement("server:stdio")
async def test_env_inherited_plus_spec_env_with_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BENCH_INHERITED", "from-runner")
    monkeypatch.setenv("BENCH_TOKEN", "s3cret")
    script = tmp_path / "envserver.py"
    script.write_text(
        "import os, json\n"
        "from mcp.server.mcpserver import MCPServer\n"
        "s = MCPServer('env')\n"
        "@s.tool(structured_output=False)\n"
        "def env() -> str:\n"
        "    return json.dumps({k: os.environ.get(k) for k in ('BENCH_INHERITED', 'OWN', 'TOKEN')} | {'cwd': os.getcwd()})\n"
        "s.run('stdio')\n"
    )
    spec = StdioServer(
        name="env",
        command=(sys.executable, str(script)),
        env={"OWN": "plain", "TOKEN": SecretRef(template="Bearer ${BENCH_TOKEN}")},
        working_dir=str(tmp_path),
        process_delay_ms=0,
    )
    async with open_server(spec) as server:
        seen = json.loads((await server.call_tool("env", {}, timeout_s=10)).text)
    assert seen == {
        "BENCH_INHERITED": "from-runner",
        "OWN": "plain",
        "TOKEN": "Bearer s3cret",
        "cwd": str(tmp_path),
    }


@pytest.mark.requirement("tools:timeout")
async def test_tool_timeout_is_a_tool_server_error_and_server_survives() -> None:
    async with open_server(notes_stdio()) as server:
        with pytest.raises(ToolServerError, match=r"did not answer within 0.2 s"):
            await server.call_tool("sleep", {"seconds": 30}, timeout_s=0.2)
        after = await server.call_tool("echo", {"text": "still here"}, timeout_s=10)
    assert after.text == "still here"


@pytest.mark.requirement("server:restart")
async def test_crash_mid_session_raises_server_gone() -> None:
    async with open_server(notes_stdio()) as server:
        with pytest.raises(ServerGoneError, match="connection closed") as info:
            await server.call_tool("crash", {}, timeout_s=10)
        # What the server said on its way out is part of the error, as at start-up.
        assert "server stderr (last lines)" in str(info.value)
        assert "notes: crash requested, exiting with 3" in str(info.value)
        with pytest.raises(ServerGoneError):
            await server.call_tool("echo", {"text": "x"}, timeout_s=10)


@pytest.mark.requirement("server:delays")
async def test_server_delay_bounds_the_handshake() -> None:
    spec = StdioServer(
        name="mute",
        # Reads stdin until it closes and never answers: mute, but exits promptly on teardown.
        command=(sys.executable, "-c", "import sys; sys.stdin.read()"),
        process_delay_ms=0,
        server_delay_ms=300,
    )
    with pytest.raises(
        ToolServerError, match=r"'mute' did not finish the MCP handshake within 0.3 s"
    ):
        async with open_server(spec):
            pytest.fail("a mute server must not open")


@pytest.mark.requirement("server:delays")
async def test_process_delay_waits_before_initialize(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The server only starts reading stdin after 0.4 s; the handshake budget alone (0.2 s)
    # would run out, but process_delay is waited first and is not part of server_delay.
    script = tmp_path / "late.py"
    script.write_text(
        "import time, runpy, sys\n"
        "time.sleep(0.4)\n"
        f"sys.argv = [{str(REPO / 'examples/servers/notes_server.py')!r}]\n"
        f"runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    late = {"name": "late", "command": (sys.executable, str(script))}
    with pytest.raises(ToolServerError, match="handshake"):
        async with open_server(
            StdioServer.model_validate(late | {"process_delay_ms": 0, "server_delay_ms": 200})
        ):
            pass
    # A generous handshake budget: the notes server imports mcp (~2 s of CPU, far more on a
    # loaded machine) after its 0.4 s sleep.
    spec = StdioServer.model_validate(late | {"process_delay_ms": 700, "server_delay_ms": 60_000})
    async with open_server(spec) as server:
        assert (await server.call_tool("echo", {"text": "ok"}, timeout_s=10)).text == "ok"


@pytest.mark.requirement("server:stdio")
async def test_start_failure_shows_captured_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    spec = StdioServer(
        name="broken",
        command=(
            sys.executable,
            "-c",
            "import sys; sys.stderr.write('ImportError: no module x\\n'); sys.exit(1)",
        ),
        process_delay_ms=0,
    )
    with pytest.raises(ToolServerError) as info:
        async with open_server(spec):
            pass
    assert "ImportError: no module x" in str(info.value)
    assert "ImportError" not in capfd.readouterr().err  # captured, not spewed


async def test_missing_command_is_a_clear_error() -> None:
    spec = StdioServer(name="ghost", command=("/nonexistent/bench-mcp",), process_delay_ms=0)
    with pytest.raises(ToolServerError, match=r"'ghost': cannot start '/nonexistent/bench-mcp'"):
        async with open_server(spec):
            pass


async def test_callers_own_exception_passes_through() -> None:
    with pytest.raises(KeyError, match="mine"):
        async with open_server(notes_stdio()):
            raise KeyError("mine")


async def test_a_python_server_failing_under_another_python_says_which_python_ran_it(
    tmp_path: Path,
) -> None:
    # `python` on PATH is not the interpreter bench runs in (bench called as .venv/bin/bench
    # without activating the venv): the start-up error says so, since the server's packages
    # are missing there.
    shim_dir = tmp_path / "bin"
    shim_dir.mkdir()
    shim = shim_dir / "python"
    shim.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'mcp'\" >&2\nexit 1\n")
    shim.chmod(0o755)
    spec = StdioServer(name="notes", command=("python", "server.py"), process_delay_ms=0)
    env = {**os.environ, "PATH": f"{shim_dir}{os.pathsep}{os.environ['PATH']}"}
    with pytest.raises(ToolServerError) as info:
        async with open_server(spec, env=env):
            pass
    message = str(info.value)
    assert "No module named 'mcp'" in message
    assert f"'python' here is {shim}, not the Python bench runs in ({sys.executable})" in message


async def test_no_interpreter_hint_when_python_is_benchs_own(tmp_path: Path) -> None:
    spec = StdioServer(
        name="broken", command=("python", "-c", "raise SystemExit(1)"), process_delay_ms=0
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    with pytest.raises(ToolServerError) as info:
        async with open_server(spec, env=env):
            pass
    assert "not the Python bench runs in" not in str(info.value)
