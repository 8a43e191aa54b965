"""agent-benchmark's ``cli`` server type: a shell command wrapped as one tool.

The tool ``<tool_prefix>_execute`` takes one string ``args`` and runs
``"<command> <args>"`` through the configured shell in ``working_dir``. Its result text is
``{"exit_code": n, "stdout": "...", "stderr": "..."}`` and it is a tool error when the exit
code is not 0; a command that cannot be spawned answers ``exit_code: -1``. At start the
command's help text is gathered (``help_commands``, or auto-discovery trying ``--help``,
``-h``, ``help``, plus ``<command> <sub> --help`` for each subcommand of a ``COMMANDS:``
section) and put into the tool's description.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import ByteReceiveStream, Process

from ..errors import ToolServerError
from ..plan import CliServer
from ..providers.base import ToolSpec
from ..transcript import ToolResult

__all__ = ["CliToolServer", "open_cli_server", "parse_subcommands", "shell_argv"]

HELP_TIMEOUT_S = 10.0
"""Each help command gets this long (agent-benchmark's limit)."""
OUTPUT_LIMIT = 1_000_000
"""Bytes kept of each of stdout and stderr; the rest is read and dropped."""
SHELLS = ("bash", "sh", "zsh", "powershell", "pwsh", "cmd")
_AUTO_HELP = ("--help", "-h", "help", "/?") if sys.platform == "win32" else ("--help", "-h", "help")


def shell_argv(shell: str, command_line: str) -> list[str]:
    """argv running ``command_line`` through ``shell`` the way agent-benchmark does."""
    kind = shell.lower()
    if kind in ("powershell", "pwsh"):
        exe = "pwsh" if shell == "pwsh" else "powershell"
        return [exe, "-NoProfile", "-NonInteractive", "-Command", command_line]
    if kind == "cmd":
        return ["cmd", "/C", command_line]
    if kind in ("bash", "sh", "zsh"):
        return [shell, "-c", command_line]
    raise ToolServerError(f"unsupported shell {shell!r} (supported: {', '.join(SHELLS)})")


def parse_subcommands(help_text: str) -> list[str]:
    """Subcommand names listed under a ``COMMANDS:`` heading (agent-benchmark's parser).

    The section ends at the next line ending in ``:`` that is not an option; lines starting
    with ``-`` or ``<`` are skipped; the first word of every other line is a subcommand.
    """
    found: list[str] = []
    inside = False
    for line in help_text.split("\n"):
        trimmed = line.strip()
        if trimmed.startswith("COMMANDS:") or trimmed == "COMMANDS":
            inside = True
            continue
        if not inside:
            continue
        if trimmed.endswith(":") and not trimmed.startswith("-"):
            break
        if trimmed and not trimmed.startswith("-"):
            word = trimmed.split()[0]
            if not word.startswith(("-", "<")):
                found.append(word)
    return found


class _Completed:
    """What one shell run produced."""

    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr


class CliToolServer:
    """A started cli server; implements the ``ToolServer`` protocol."""

    def __init__(
        self, spec: CliServer, working_dir: str, env: Mapping[str, str], help_text: str
    ) -> None:
        self.name = spec.name
        """The server's name in the suite."""
        self.spec = spec
        self.working_dir = working_dir
        """Where commands run (the spec's, or the current directory)."""
        self.help_text = help_text
        """The help gathered at start ('' when none)."""
        self._env = dict(env)
        self.tool = ToolSpec(
            name=f"{spec.tool_prefix or 'cli'}_execute",
            description=_description(spec.command, help_text),
            input_schema={
                "type": "object",
                "properties": {
                    "args": {
                        "type": "string",
                        "description": "Command-line arguments to pass to the CLI",
                    }
                },
                "required": [],
            },
        )
        """The one tool this server offers."""

    async def list_tools(self) -> list[ToolSpec]:
        """The single ``<tool_prefix>_execute`` tool."""
        return [self.tool]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], *, timeout_s: float | None
    ) -> ToolResult:
        """Run the command with ``arguments["args"]``; the tool timeout kills it."""
        if name != self.tool.name:
            raise ToolServerError(f"server {self.name!r} has no tool {name!r}", server=self.name)
        raw = arguments.get("args")
        args = "" if raw is None else raw if isinstance(raw, str) else json.dumps(raw)
        command_line = f"{self.spec.command} {args}" if args else self.spec.command
        try:
            done = await self.run(command_line, timeout_s=timeout_s)
        except TimeoutError as exc:
            raise ToolServerError(
                f"tool {name!r} of server {self.name!r} did not finish within {timeout_s:g} s "
                "(tool timeout); the command was killed",
                server=self.name,
            ) from exc
        body = {"exit_code": done.exit_code, "stdout": done.stdout, "stderr": done.stderr}
        return ToolResult(
            content=[
                {
                    "type": "text",
                    "text": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                }
            ],
            is_error=done.exit_code != 0,
        )

    async def run(self, command_line: str, *, timeout_s: float | None) -> _Completed:
        """Run ``command_line`` through the shell; ``TimeoutError`` after ``timeout_s``."""
        argv = shell_argv(self.spec.shell, command_line)
        try:
            process = await anyio.open_process(
                argv,
                cwd=self.working_dir,
                env=self._env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # so a timeout kills the shell's children too
            )
        except OSError as exc:
            return _Completed(-1, "", str(exc))
        async with process:
            out = bytearray()
            err = bytearray()
            try:
                with anyio.fail_after(timeout_s if timeout_s is not None else math.inf):
                    async with anyio.create_task_group() as tg:
                        assert process.stdout is not None and process.stderr is not None
                        tg.start_soon(_collect, process.stdout, out)
                        tg.start_soon(_collect, process.stderr, err)
                    code = await process.wait()
            except BaseException:
                _kill_group(process)
                raise
        return _Completed(code, _decode(out), _decode(err))

    async def help_output(self, command_line: str) -> str:
        """stdout of one help command, trimmed; '' on failure, non-zero exit or timeout."""
        try:
            done = await self.run(command_line, timeout_s=HELP_TIMEOUT_S)
        except TimeoutError:
            return ""
        return done.stdout.strip() if done.exit_code == 0 else ""


async def _collect(stream: ByteReceiveStream, into: bytearray) -> None:
    async for chunk in stream:
        room = OUTPUT_LIMIT - len(into)
        if room > 0:
            into += chunk[:room]


def _decode(data: bytearray) -> str:
    return data.decode("utf-8", errors="replace")


def _kill_group(process: Process) -> None:
    with suppress(ProcessLookupError, PermissionError, OSError):
        if sys.platform == "win32":  # pragma: no cover
            process.kill()
        else:
            os.killpg(process.pid, signal.SIGKILL)


def _description(command: str, help_text: str) -> str:
    if not help_text:
        return f"Execute {command} CLI command with arguments."
    return f"Execute {command} CLI command with arguments.\n\nAvailable commands and options:\n{help_text}"


async def _gather_help(server: CliToolServer) -> str:
    """agent-benchmark's help gathering, in its order."""
    spec = server.spec
    if spec.help_commands:
        main = await server.help_output(spec.help_commands[0])
        if not main:
            return ""
        parts = [main]
        if len(spec.help_commands) == 1:
            parts += await _subcommand_help(server, main)
        else:
            for index, extra in enumerate(spec.help_commands[1:], start=2):
                output = await server.help_output(extra)
                if output:
                    parts.append(f"\n\n--- Help Command {index} ---\n{output}")
        return "".join(parts)
    if spec.disable_help_auto_discovery:
        return ""
    for flag in _AUTO_HELP:
        main = await server.help_output(f"{spec.command} {flag}")
        if main:
            return "".join([main, *await _subcommand_help(server, main)])
    return ""


async def _subcommand_help(server: CliToolServer, main: str) -> list[str]:
    parts: list[str] = []
    for sub in parse_subcommands(main):
        output = await server.help_output(f"{server.spec.command} {sub} --help")
        if output:
            parts.append(f"\n\n=== {sub} ===\n{output}")
    return parts


@asynccontextmanager
async def open_cli_server(
    spec: CliServer, *, env: Mapping[str, str] | None = None
) -> AsyncIterator[CliToolServer]:
    """Check the spec, gather the help text, and serve the one tool for the block."""
    if spec.shell.lower() not in SHELLS:
        raise ToolServerError(
            f"server {spec.name!r}: unsupported shell {spec.shell!r} (supported: {', '.join(SHELLS)})",
            server=spec.name,
        )
    working_dir = spec.working_dir or os.getcwd()
    if not Path(working_dir).is_dir():
        raise ToolServerError(
            f"server {spec.name!r}: working directory does not exist: {working_dir}",
            server=spec.name,
        )
    server = CliToolServer(spec, working_dir, os.environ if env is None else env, "")
    help_text = await _gather_help(server)
    if help_text:
        server = CliToolServer(spec, working_dir, os.environ if env is None else env, help_text)
    yield server
