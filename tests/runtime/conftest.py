"""Fixtures shared by runtime tests: fake OpenAI, Anthropic and Gemini servers.

One server per test module (starting uvicorn per test would dominate the run time); ``fake``
hands each test that module's script with its queue and recorded requests cleared, so tests
stay independent. Modules needing a different default reply or a different wire format keep
their own server fixture. Only the OpenAI script has a per-test reset
(``fake``); tests of the other two push what they need and read what they caused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fakes import FakeLLM, serve_in_thread
from tests.fakes.anthropic_server import anthropic_app
from tests.fakes.gemini_server import gemini_app
from tests.fakes.openai_server import openai_app


def _serve(app: Callable[[FakeLLM], Any]) -> Iterator[tuple[FakeLLM, str]]:
    """Serve ``app`` around a fresh script; yield the script and the server's base URL."""
    fake = FakeLLM()
    with serve_in_thread(app(fake)) as url:
        yield fake, url


@pytest.fixture(scope="module")
def openai_server() -> Iterator[tuple[FakeLLM, str]]:
    """A fake OpenAI server for the module: its script and base URL (add ``/v1`` for the SDK)."""
    yield from _serve(openai_app)


@pytest.fixture(scope="module")
def anthropic_server() -> Iterator[tuple[FakeLLM, str]]:
    """A fake Anthropic Messages server for the module: its script and base URL."""
    yield from _serve(anthropic_app)


@pytest.fixture(scope="module")
def gemini_server() -> Iterator[tuple[FakeLLM, str]]:
    """A fake Gemini generateContent server for the module: its script and base URL."""
    yield from _serve(gemini_app)


@pytest.fixture
def fake(openai_server: tuple[FakeLLM, str]) -> FakeLLM:
    """The module's fake OpenAI script, emptied of queued items and recorded requests."""
    return openai_server[0].reset()
