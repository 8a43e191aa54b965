"""Which case and attempt a request belongs to, so recorded answers are matched per case.

The runner opens a ``case_scope`` around each case; every LLM request and tool call made
inside it (by the agent loop, the clarification judge, llm_judge) sees it through a context
variable, which anyio's child tasks inherit. Matching per (case, attempt) and, within it, by
the request's key and its occurrence keeps replay independent of arrival order, so
``--concurrency`` cannot change which answer a request gets.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from ..clock import end_own_clock, start_own_clock

__all__ = ["CallScope", "case_scope", "current_scope"]


@dataclass
class CallScope:
    """The case a request is made for, and how often each request key occurred in it."""

    case: str
    """The case id ('' outside any case: the run's AI summary)."""
    attempt: int = 0
    label: str = ""
    """The case as users name it (``agent / session / test``), for messages."""
    session: str = ""
    """The session the case belongs to (injected tool servers answer per session)."""
    _seen: dict[str, int] = field(default_factory=dict)

    def occurrence(self, key: str) -> int:
        """How many requests with ``key`` this scope has had answered so far."""
        return self._seen.get(key, 0)

    def answered(self, key: str) -> None:
        """Count an answered request with ``key`` (a failed call that is retried is not)."""
        self._seen[key] = self._seen.get(key, 0) + 1


_scope: ContextVar[CallScope | None] = ContextVar("bench_call_scope", default=None)


def current_scope() -> CallScope | None:
    """The scope of the case in progress in this task (None outside every case)."""
    return _scope.get()


def case_scope(case_id: str, attempt: int, label: str = "", session: str = "") -> _CaseScope:
    """Run the block as case ``case_id``'s attempt ``attempt``, on the case's own clock
    (``with case_scope(...) as scope:``).

    ``label`` names the case in messages (an id such as ``u0002/2`` means nothing to a user);
    ``session`` is the name of the case's session.
    """
    return _CaseScope(CallScope(case_id, attempt, label or case_id, session))


class _CaseScope:
    """``case_scope``'s context manager: a class, as every case enters one (a generator's
    context manager, nested in ``own_clock``'s, cost several times as much)."""

    __slots__ = ("_clock", "_token", "scope")

    def __init__(self, scope: CallScope) -> None:
        self.scope = scope

    def __enter__(self) -> CallScope:
        self._token = _scope.set(self.scope)
        self._clock = start_own_clock()
        return self.scope

    def __exit__(self, *exc_info: object) -> None:
        end_own_clock(self._clock)
        _scope.reset(self._token)
