"""Tool servers, the cli type and skills (agent-benchmark semantics §2 and §5, issue 3)."""

from __future__ import annotations

REQUIREMENTS = {
    "server:stdio": "semantics §5: stdio server spawned from the command with the runner's env inherited (plus its own), in working_dir",
    "server:delays": "semantics §5 / docs Servers: process_delay (default 300ms) before initialize; server_delay (default 30s) bounds the handshake",
    "server:sse": "semantics §5 / docs Servers: SSE servers connect by url with headers 'Key: Value' sent",
    "server:http": "semantics §5: streamable HTTP servers (bench also sends headers; agent-benchmark ignores them)",
    "server:tools-listed": "semantics §2: each agent lists the tools of its servers at start",
    "server:restart": "issue 3: a server that dies mid-session is an error for the calls it breaks and is started again afterwards",
    "tools:timeout": "semantics §2: the per-call tool timeout is enforced and reported as the call's error",
    "tools:allowed-agent": "semantics §2: agent-level allowed_tools filters a server's tools (empty = all)",
    "tools:first-server-wins": "semantics §2: on a tool-name collision across servers the first server wins",
    "tools:is-error-not-error": "semantics §2: an MCP result with isError is a result, not an execution error",
    "cli:one-tool": "semantics §5: a cli server is ONE tool <tool_prefix>_execute (default cli_execute) with a string arg 'args'",
    "cli:result": "semantics §5: cli result text is JSON {exit_code, stdout, stderr}; isError when exit != 0; spawn failure -> exit_code -1",
    "cli:shell": "semantics §5: '<command> <args>' runs via the shell (bash/sh/zsh -c; powershell/pwsh -Command; cmd /C) in working_dir, which must exist",
    "cli:help": "semantics §5: help_commands or auto-discovery (--help, -h, help) put help in the description; COMMANDS: subcommands fetched with '<command> <sub> --help'",
    "skill:reference-tools": "semantics §5: a skill with references/ files registers list_skill_references and read_skill_reference(filename)",
    "skill:path-escape": "semantics §5: read_skill_reference refuses a filename that escapes the references folder",
}
