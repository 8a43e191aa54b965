"""A fake OpenAI server in a child process, shared by the benchmark scripts.

The fake runs apart so its CPU time is neither the measured process's nor competes with it
for the GIL. It prints its base URL, then answers each line read on stdin with its own CPU
seconds so far, and exits when stdin closes (tests/fakes/lean_openai.py speaks the same).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["FakeProcess", "cpu_s"]

ROOT = Path(__file__).resolve().parents[1]

_STARLETTE = """
import os, sys
sys.path.insert(0, {root!r})
from tests.fakes import FakeLLM, Reply, Usage, serve_in_thread
from tests.fakes.openai_server import openai_app
fake = FakeLLM(default=Reply(text={text!r}, usage=Usage(12, {output})), latency_s={latency})
fake.record_requests = False
with serve_in_thread(openai_app(fake)) as url:
    print(url, flush=True)
    while sys.stdin.readline():  # one line per request for a CPU reading
        t = os.times()
        print(t.user + t.system, flush=True)
"""


def cpu_s() -> float:
    """This process's CPU seconds so far (user + system, every thread)."""
    t = os.times()
    return t.user + t.system


class FakeProcess:
    """A fake OpenAI server process: ``url`` to call it, ``cpu_s()`` for its CPU so far."""

    def __init__(self, cmd: list[str]) -> None:
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    @classmethod
    def starlette(cls, text: str, output_tokens: int, latency_s: float = 0.0) -> FakeProcess:
        """The tests' scripted fake (uvicorn + Starlette) answering ``text`` to every request,
        with 12 input and ``output_tokens`` output tokens."""
        script = _STARLETTE.format(
            root=str(ROOT), text=text, output=output_tokens, latency=latency_s
        )
        return cls([sys.executable, "-c", script])

    @classmethod
    def lean(cls, latency_s: float = 0.0) -> FakeProcess:
        """tests/fakes/lean_openai.py: an asyncio.Protocol server with a canned answer."""
        return cls([sys.executable, "-m", "tests.fakes.lean_openai", str(latency_s)])

    def cpu_s(self) -> float:
        """The fake server process's CPU seconds so far (user + system)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("cpu\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        """Close its stdin (it exits) and wait for it."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
