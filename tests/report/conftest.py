"""Fixtures for report tests: sample runs written as run directories, and a headless chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.report.cdp import Browser, find_chromium
from tests.report.samples import LEVELS, sample, write_run

ROOT = Path(__file__).resolve().parents[2]
TEST_OUTPUT = ROOT / "test-output" / "report"


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every sample level written as a run directory."""
    root = tmp_path_factory.mktemp("runs")
    return {level: write_run(sample(level), root) for level in LEVELS}


@pytest.fixture(scope="session")
def test_output() -> Path:
    """test-output/report/, for screenshots and rendered samples a person can look at."""
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    return TEST_OUTPUT


def _install_chromium() -> str | None:
    # Debian's chromium; installed here so a fresh machine (CI) gets it without a manual step.
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-color-emoji"],
    ):
        if subprocess.run(cmd, env=env, capture_output=True, timeout=900).returncode != 0:
            return None
    return find_chromium()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless chromium driven through the DevTools protocol."""
    binary = find_chromium() or _install_chromium()
    if binary is None:
        pytest.skip("chromium is not installed and cannot be (not root, or apt-get failed)")
    b = Browser(binary)
    yield b
    b.close()
