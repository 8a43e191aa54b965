"""The one error hierarchy of bench; every error a user can cause is one of these.

The tree (compile-time errors subclass ``BenchError`` in ``compiler/errors.py``)::

    BenchError                      exit_code 1
    ├── InputError                  exit_code 2   bad input: a plan, a flag, a run id
    │   ├── PlanError               a plan file that does not load, or whose hash is wrong
    │   └── RunStoreError           a run directory that cannot be resumed or read
    └── InfrastructureError         exit_code 3   something outside the suite stopped the run
        ├── ProviderError           an LLM provider failed (after retries)
        │   └── ReplayMissError     a replayed request the cassette has no answer for
        ├── ToolServerError         an MCP tool server failed to start or answer
        │   └── ServerGoneError     its connection is gone (the pool restarts it)
        │       └── ToolReplayMissError  a replayed tool call the cassette lacks
        └── AgentError              an external agent process failed

The CLI catches ``BenchError``, prints ``str(exc)`` without a traceback and exits with
``exc.exit_code``; any other traceback shown to a user is a bug.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AgentError",
    "BenchError",
    "InfrastructureError",
    "InputError",
    "PlanError",
    "ProviderError",
    "ReplayMissError",
    "RunStoreError",
    "ServerGoneError",
    "ToolReplayMissError",
    "ToolServerError",
]


class BenchError(Exception):
    """Root of every error bench raises on purpose; carries its own exit code."""

    exit_code: ClassVar[int] = 1


class InputError(BenchError):
    """The user gave bench something it cannot use (exit code 2)."""

    exit_code: ClassVar[int] = 2


class PlanError(InputError):
    """A plan file is unreadable, of an unknown version, or fails its hash check."""


class RunStoreError(InputError):
    """A run directory is missing, ambiguous, or does not match the plan."""


class InfrastructureError(BenchError):
    """Something outside the suite (a provider, a server, a process) stopped the run."""

    exit_code: ClassVar[int] = 3


class ProviderError(InfrastructureError):
    """An LLM provider call failed; ``status_code`` and ``retry_after`` when known."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        """Name of the provider in the suite."""
        self.status_code = status_code
        """HTTP status of the failed response, if there was one."""
        self.retry_after = retry_after
        """Seconds the provider asked us to wait, from Retry-After or the error text."""


class ToolServerError(InfrastructureError):
    """An MCP tool server could not be started, listed or called."""

    def __init__(self, message: str, *, server: str = "") -> None:
        super().__init__(message)
        self.server = server
        """Name of the server in the suite."""


class ServerGoneError(ToolServerError):
    """The connection to the server is gone (process exited, socket closed): restart it.

    Here rather than in runtime/toolservers so the agent loop can tell it apart without
    importing the MCP client.
    """


class AgentError(InfrastructureError):
    """An external agent process crashed, hung, or spoke something other than JSON lines."""


class ReplayMissError(ProviderError):
    """A replayed run made an LLM request its cassette has no answer for.

    A ``ProviderError`` so the agent loop makes the case an error (never a failure); the
    message names the case and shows how the request differs from the nearest recorded one.
    """


class ToolReplayMissError(ServerGoneError):
    """A replayed run made a tool call its cassette has no answer for.

    A ``ServerGoneError`` because the loop treats it the same way: an infrastructure fault
    that makes the case an error, not a tool error the agent could recover from.
    """
