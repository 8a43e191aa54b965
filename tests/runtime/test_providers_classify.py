"""Error classification and Retry-After parsing shared by the adapters; SDKs load lazily."""

from __future__ import annotations

import subprocess
import sys

import pytest

from runtime.providers.classify import decide, parse_retry_after, retry_after_from_text


@pytest.mark.requirement("retry:429-retry-after")
def test_retry_after_header_forms() -> None:
    assert parse_retry_after({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert parse_retry_after({"Retry-After": "12"}) == 12.0
    date = "Wed, 21 Oct 2026 07:28:30 GMT"
    now = 1792567700.0  # 10 s before that date
    assert parse_retry_after({"Retry-After": date}, now=lambda: now) == pytest.approx(10.0)
    assert parse_retry_after({"Retry-After": date}, now=lambda: now + 60) == 0.0
    assert parse_retry_after({"Retry-After": "soon"}) is None


@pytest.mark.requirement("retry:429-error-text")
@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("Rate limit exceeded, retry after 30 seconds", 30.0),
        ("Please try again in 2.5s.", 2.5),
        ("Please retry in 500ms", 0.5),
        ("quota exceeded", None),
    ],
)
def test_wait_named_in_error_text(text: str, seconds: float | None) -> None:
    assert retry_after_from_text(text) == seconds
    assert parse_retry_after({}, text) == seconds


def test_header_beats_text() -> None:
    assert parse_retry_after({"Retry-After": "3"}, "retry after 30 seconds") == 3.0


@pytest.mark.parametrize(
    ("status", "message", "kind"),
    [
        (429, "slow down", "rate_limit"),
        (None, "Error 429: Too Many Requests", "rate_limit"),
        (500, "boom", "transient"),
        (503, "unavailable", "transient"),
        (529, "overloaded", "transient"),
        (408, "request timeout", "transient"),
        (400, "bad request", "fatal"),
        (401, "no key", "fatal"),
        (404, "no model", "fatal"),
    ],
)
def test_status_classification(status: int | None, message: str, kind: str) -> None:
    assert decide(status, message).kind == kind


def test_timeouts_and_connection_errors_are_transient() -> None:
    assert decide(None, "x", timeout=True).kind == "transient"
    assert decide(None, "x", connection=True).kind == "transient"


def test_import_runtime_leaves_sdks_unloaded() -> None:
    code = (
        "import sys, runtime, runtime.retry, runtime.ratelimit, runtime.secrets, "
        "runtime.providers.registry, runtime.providers.scripted\n"
        "from runtime.plan import ScriptedProvider\n"
        "runtime.providers.registry.create_provider(ScriptedProvider(name='s'))\n"
        "loaded = [m for m in ('openai', 'anthropic', 'google.genai', 'httpx2') if m in sys.modules]\n"
        "print(','.join(loaded))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_missing_sdk_is_a_clear_provider_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from runtime.errors import ProviderError
    from runtime.plan import AnthropicProvider
    from runtime.providers.registry import create_provider

    monkeypatch.setitem(sys.modules, "anthropic", None)
    monkeypatch.delitem(sys.modules, "runtime.providers.anthropic", raising=False)
    with pytest.raises(ProviderError, match="needs the anthropic package"):
        create_provider(AnthropicProvider(name="c", model="m"), env={})
