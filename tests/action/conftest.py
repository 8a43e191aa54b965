"""Fixtures of the Action's tests: the fake GitHub API on loopback and report fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.action.fake_github import FakeGitHub, serve

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def github_api() -> Iterator[FakeGitHub]:
    """A fresh fake GitHub API served on 127.0.0.1 for one test."""
    with serve(FakeGitHub()) as fake:
        yield fake
