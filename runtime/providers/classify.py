"""Shared error classification for the SDK adapters: status -> RetryDecision, Retry-After parsing.

Each adapter maps its SDK's exceptions to (status code, headers, message) and calls
``decide``; the retry loop in ``runtime/retry.py`` acts on the resulting ``RetryDecision``.
Adapters raise ``ProviderCallError`` (a ``ProviderError`` carrying its decision) so callers
that bypass the retry loop still see a bench error, never an SDK exception.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from ..errors import ProviderError
from .base import RetryDecision

__all__ = [
    "ProviderCallError",
    "call_error",
    "decide",
    "json_body",
    "malformed",
    "parse_retry_after",
    "refused_cause",
    "retry_after_from_text",
    "transport_decision",
]

# "retry after 30 seconds", "Please retry in 2.5s", "try again in 20 seconds", "retry after 500ms"
_TEXT_WAIT = re.compile(
    r"(?:retry|try again)\s*(?:after|in)\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s\b|sec(?:ond)?s?)?",
    re.IGNORECASE,
)
_RATE_LIMIT_TEXT = re.compile(
    r"\b429\b|rate[ _-]?limit|too many requests|resource[ _]exhausted", re.I
)
_MAX_MESSAGE = 300


class ProviderCallError(ProviderError):
    """A provider call failed; ``decision`` says whether and when to retry."""

    def __init__(self, message: str, *, provider: str, decision: RetryDecision) -> None:
        super().__init__(
            message,
            provider=provider,
            status_code=decision.status_code,
            retry_after=decision.retry_after,
        )
        self.decision = decision
        """The adapter's classification of this failure."""


def retry_after_from_text(text: str) -> float | None:
    """Seconds named in an error text such as "retry after 30 seconds" (None when absent)."""
    match = _TEXT_WAIT.search(text or "")
    if match is None:
        return None
    value = float(match.group(1))
    unit = (match.group(2) or "s").lower()
    return value / 1000.0 if unit.startswith("m") else value


def parse_retry_after(
    headers: Mapping[str, str] | None,
    text: str = "",
    *,
    now: Callable[[], float] = time.time,
) -> float | None:
    """The wait a response asks for, in seconds, or None.

    Order (agent-benchmark's): ``retry-after-ms`` header, then ``Retry-After`` as seconds or
    an HTTP date, then a wait named in the error text.
    """
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw:
        raw = raw.strip()
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                when = parsedate_to_datetime(raw)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                return max(0.0, when.timestamp() - now())
    return retry_after_from_text(text)


def _shorten(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= _MAX_MESSAGE else flat[: _MAX_MESSAGE - 1] + "…"


def decide(
    status: int | None,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    connection: bool = False,
    timeout: bool = False,
) -> RetryDecision:
    """Classify a failure: 429 -> rate_limit, 5xx/timeout/connection -> transient, else fatal.

    A failure with no status whose text says "429" or "rate limit" counts as a rate limit,
    as agent-benchmark detects them by text.
    """
    text = _shorten(message)
    if timeout:
        return RetryDecision(kind="transient", message=f"request timed out: {text}")
    if connection:
        return RetryDecision(kind="transient", message=f"connection failed: {text}")
    retry_after = parse_retry_after(headers, message)
    if status == 429 or (status is None and _RATE_LIMIT_TEXT.search(message)):
        return RetryDecision(
            kind="rate_limit",
            retry_after=retry_after,
            status_code=status,
            message=f"HTTP 429 rate limited: {text}" if status else f"rate limited: {text}",
        )
    if status is not None and (status >= 500 or status in (408, 409)):
        # 408 Request Timeout and 409 (lock contention) are retried by the SDKs' own
        # policies too; we match them since their retries are disabled.
        return RetryDecision(
            kind="transient",
            retry_after=retry_after,
            status_code=status,
            message=f"HTTP {status}: {text}",
        )
    prefix = f"HTTP {status}: " if status is not None else ""
    return RetryDecision(kind="fatal", status_code=status, message=prefix + text)


def transport_decision(exc: BaseException) -> RetryDecision | None:
    """A transient decision for an HTTP-library timeout or transport error, else None.

    Streams can raise the HTTP library's own exceptions (httpx, httpx2, aiohttp) past the
    SDK's wrappers; they are recognised by name so no HTTP library is imported here.
    """
    names = {cls.__name__ for cls in type(exc).__mro__}
    module = type(exc).__module__.split(".")[0]
    if module not in {"httpx", "httpx2", "httpcore", "httpcore2", "aiohttp"}:
        return None
    if names & {"TimeoutException", "ReadTimeout", "ServerTimeoutError", "TimeoutError"}:
        return decide(None, str(exc) or type(exc).__name__, timeout=True)
    if names & {"TransportError", "NetworkError", "ClientConnectionError", "ClientError"}:
        return decide(None, str(exc) or type(exc).__name__, connection=True)
    return None


def refused_cause(exc: BaseException) -> OSError | None:
    """The socket error under a "timeout" that was really a failed connect, if any.

    The aiohttp transport of some SDK versions (upstream httpx-aiohttp, vendored by openai)
    maps aiohttp's connection errors to HTTPX's ConnectTimeout, so a refused connection would
    read "request timed out"; the OSError it wraps says what happened. (TimeoutError is an
    OSError too: a real timeout stays a timeout.)
    """
    seen: set[int] = set()
    cause = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def call_error(
    provider: str, decision: RetryDecision, redact: Callable[[str], str] | None = None
) -> ProviderCallError:
    """The ``ProviderCallError`` an adapter raises for ``decision`` (message redacted)."""
    message = redact(decision.message) if redact is not None else decision.message
    if message != decision.message:
        decision = RetryDecision(
            kind=decision.kind,
            retry_after=decision.retry_after,
            status_code=decision.status_code,
            message=message,
        )
    return ProviderCallError(
        f"provider '{provider}': {message}", provider=provider, decision=decision
    )


def cut_off(detail: str) -> RetryDecision:
    """A transient decision for a stream that ended before the answer was complete.

    The server said 200 and sent part of the answer, then the connection closed without the
    end marker (a finish reason, ``[DONE]``, ``message_stop``): like a dropped connection, it
    is retried; the partial text is never judged as if it were the answer.
    """
    return RetryDecision(
        kind="transient", message=f"the stream ended before the answer was complete ({detail})"
    )


def malformed(detail: str) -> RetryDecision:
    """A fatal decision for a response that is not what the API promises."""
    return RetryDecision(kind="fatal", message=f"malformed response from the API: {detail}")


def json_body(provider: str, raw: bytes) -> Any:
    """A 200 body read as JSON (the adapters that post through ``client.post``, cast to bytes).

    A body that is not JSON, or not UTF-8, raises the malformed-response ``ProviderCallError``;
    what shape the JSON must have is the caller's to check.
    """
    try:
        return json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise call_error(provider, malformed(f"invalid JSON ({exc})")) from exc
