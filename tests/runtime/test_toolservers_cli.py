"""agent-benchmark's cli server type: one tool, JSON results, shells, help discovery."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import anyio
import pytest

from runtime.errors import ToolServerError
from runtime.plan import CliServer
from runtime.toolservers import open_server
from runtime.toolservers.cli import parse_subcommands, shell_argv

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

FAKE_CLI = """#!/bin/sh
# A CLI with a COMMANDS: section whose subcommands have their own --help.
case "$1 $2" in
  "--help "|"-h ") printf 'usage: notes [command]\\n\\nCOMMANDS:\\n  add <TEXT>   Add a note\\n  list         List notes\\n  <internal>   Hidden\\n\\nOPTIONS:\\n  --verbose\\n' ;;
  "add --help") echo "notes add TEXT: adds a note" ;;
  "list --help") echo "notes list: lists notes" ;;
  "boom ") echo "to stderr" >&2; exit 3 ;;
  *) echo "ran: $*" ;;
esac
"""


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def cli(**fields: object) -> CliServer:
    return CliServer.model_validate({"name": "cli", **fields})


def body(text: str) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(text)
    return parsed


@pytest.mark.requirement("cli:one-tool")
async def test_one_execute_tool_with_args_string() -> None:
    async with open_server(cli(command="echo", disable_help_auto_discovery=True)) as server:
        default = await server.list_tools()
    async with open_server(
        cli(command="echo", tool_prefix="say", disable_help_auto_discovery=True)
    ) as server:
        prefixed = await server.list_tools()
    assert [t.name for t in default] == ["cli_execute"]
    assert [t.name for t in prefixed] == ["say_execute"]
    assert default[0].description == "Execute echo CLI command with arguments."
    assert default[0].input_schema == {
        "type": "object",
        "properties": {
            "args": {"type": "string", "description": "Command-line arguments to pass to the CLI"}
        },
        "required": [],
    }


@pytest.mark.requirement("cli:result")
@pytest.mark.requirement("cli:shell")
async def test_result_is_exit_code_stdout_stderr_json(tmp_path: Path) -> None:
    tool = script(tmp_path, "notes", FAKE_CLI)
    async with open_server(cli(command=tool, disable_help_auto_discovery=True)) as server:
        ok = await server.call_tool("cli_execute", {"args": "hello 'quoted words'"}, timeout_s=10)
        bad = await server.call_tool("cli_execute", {"args": "boom"}, timeout_s=10)
        bare = await server.call_tool("cli_execute", {}, timeout_s=10)
    assert not ok.is_error
    assert body(ok.text) == {"exit_code": 0, "stdout": "ran: hello quoted words\n", "stderr": ""}
    assert ok.text.startswith('{"exit_code":0,"stdout":')  # compact, as agent-benchmark's Go
    assert bad.is_error
    assert body(bad.text) == {"exit_code": 3, "stdout": "", "stderr": "to stderr\n"}
    assert body(bare.text)["stdout"] == "ran: \n"


@pytest.mark.requirement("cli:result")
async def test_spawn_failure_is_exit_code_minus_one() -> None:
    spec = cli(command="echo", disable_help_auto_discovery=True)
    async with open_server(spec, env={"PATH": "/nonexistent"}) as server:
        result = await server.call_tool("cli_execute", {"args": "x"}, timeout_s=10)
    assert result.is_error
    parsed = body(result.text)
    assert parsed["exit_code"] == -1
    assert "bash" in str(parsed["stderr"])


@pytest.mark.requirement("cli:shell")
async def test_runs_in_working_dir_with_ls_and_git(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("b")
    async with open_server(
        cli(command="ls", shell="sh", working_dir=str(tmp_path), disable_help_auto_discovery=True)
    ) as server:
        listed = await server.call_tool("cli_execute", {"args": "-1"}, timeout_s=10)
    assert body(listed.text)["stdout"] == "a.txt\nb.txt\n"
    async with open_server(
        cli(command="git", tool_prefix="git", working_dir=str(tmp_path))
    ) as server:
        tools = await server.list_tools()
        init = await server.call_tool("git_execute", {"args": "init -q ."}, timeout_s=20)
        status = await server.call_tool("git_execute", {"args": "status --porcelain"}, timeout_s=20)
        wrong = await server.call_tool("git_execute", {"args": "no-such-subcommand"}, timeout_s=20)
    assert "Available commands and options:\nusage: git" in tools[0].description
    assert not init.is_error and (tmp_path / ".git").is_dir()
    assert body(status.text)["stdout"] == "?? a.txt\n?? b.txt\n"
    assert wrong.is_error and body(wrong.text)["exit_code"] != 0


@pytest.mark.requirement("cli:shell")
async def test_missing_working_dir_and_bad_shell_fail_to_start(tmp_path: Path) -> None:
    with pytest.raises(ToolServerError, match="working directory does not exist"):
        async with open_server(cli(command="ls", working_dir=str(tmp_path / "nope"))):
            pass
    with pytest.raises(ToolServerError, match="unsupported shell 'fish'"):
        async with open_server(cli(command="ls", shell="fish")):
            pass


def test_shell_argv_per_shell() -> None:
    assert shell_argv("bash", "ls -l") == ["bash", "-c", "ls -l"]
    assert shell_argv("zsh", "ls") == ["zsh", "-c", "ls"]
    assert shell_argv("pwsh", "ls") == ["pwsh", "-NoProfile", "-NonInteractive", "-Command", "ls"]
    assert shell_argv("PowerShell", "ls")[0] == "powershell"
    assert shell_argv("cmd", "dir") == ["cmd", "/C", "dir"]


@pytest.mark.requirement("tools:timeout")
async def test_tool_timeout_kills_the_command(tmp_path: Path) -> None:
    marker = tmp_path / "late"
    # The shell waits on a child that would touch the marker after 1.5 s: killing only the
    # shell would leave that child running; the whole process group must die.
    async with open_server(cli(command="sh", disable_help_auto_discovery=True)) as server:
        with pytest.raises(ToolServerError, match="tool timeout"):
            await server.call_tool(
                "cli_execute", {"args": f"-c 'sleep 1.5; touch {marker}' & wait"}, timeout_s=0.2
            )
    await anyio.sleep(2.0)
    assert not marker.exists()


@pytest.mark.requirement("cli:help")
async def test_auto_discovery_with_subcommands(tmp_path: Path) -> None:
    tool = script(tmp_path, "notes", FAKE_CLI)
    async with open_server(cli(command=tool)) as server:
        (spec,) = await server.list_tools()
    assert spec.description.startswith(
        f"Execute {tool} CLI command with arguments.\n\nAvailable commands and options:\nusage: notes"
    )
    assert "\n\n=== add ===\nnotes add TEXT: adds a note" in spec.description
    assert "\n\n=== list ===\nnotes list: lists notes" in spec.description
    assert "=== <internal> ===" not in spec.description


@pytest.mark.requirement("cli:help")
async def test_auto_discovery_falls_back_to_dash_h_then_help(tmp_path: Path) -> None:
    tool = script(
        tmp_path,
        "picky",
        '#!/bin/sh\n[ "$1" = "help" ] && echo "picky help text" && exit 0\nexit 1\n',
    )
    async with open_server(cli(command=tool)) as server:
        (spec,) = await server.list_tools()
    assert spec.description.endswith("Available commands and options:\npicky help text")


@pytest.mark.requirement("cli:help")
async def test_explicit_help_commands_and_disabled_discovery(tmp_path: Path) -> None:
    tool = script(tmp_path, "notes", FAKE_CLI)
    many = cli(command=tool, help_commands=(f"{tool} --help", f"{tool} list --help", "false"))
    async with open_server(many) as server:
        (spec,) = await server.list_tools()
    assert "\n\n--- Help Command 2 ---\nnotes list: lists notes" in spec.description
    assert "Help Command 3" not in spec.description  # failed help commands add nothing
    assert "=== add ===" not in spec.description  # several commands: no subcommand discovery
    one = cli(command=tool, help_commands=(f"{tool} -h",))
    async with open_server(one) as server:
        (spec,) = await server.list_tools()
    assert "=== add ===" in spec.description  # a single one also discovers subcommands
    off = cli(command=tool, disable_help_auto_discovery=True)
    async with open_server(off) as server:
        (spec,) = await server.list_tools()
    assert spec.description == f"Execute {tool} CLI command with arguments."


@pytest.mark.requirement("cli:help")
def test_parse_subcommands_like_agent_benchmark() -> None:
    text = "x\nCOMMANDS:\n  session <FILE>  Open\n  -v  verbose\n\n  range <A>  Do\nOPTIONS:\n  later\n"
    assert parse_subcommands(text) == ["session", "range"]
    assert parse_subcommands("COMMANDS\n  one\n") == ["one"]
    assert parse_subcommands("no section here\n  two\n") == []
