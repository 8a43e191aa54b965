"""One external agent process: JSON lines in and out, a bounded stderr tail, a clean kill.

A ``Worker`` owns one long-lived process started in its own session (so a kill reaches the
agent's children too). ``ask(line, timeout_s)`` writes one request line and waits for one
answer line; any way the exchange can go wrong comes back as a ``WorkerFault`` with a
reason a user can act on, and the process is gone afterwards (the pool starts a new one).
stderr is drained continuously by a task into a ring of the last ``STDERR_LIMIT`` bytes, so
an agent flooding stderr can neither block on a full pipe nor grow bench's memory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream

__all__ = ["MAX_LINE", "STDERR_LIMIT", "StderrRing", "Worker", "WorkerFault"]

STDERR_LIMIT = 64 * 1024
"""Bytes of stderr kept per case (the tail: where the traceback is)."""
MAX_LINE = 16 * 1024 * 1024
"""Longest answer line accepted; a longer one is a protocol fault, not a memory problem."""
_KILL_GRACE_S = 2.0


class WorkerFault(Exception):
    """The process failed the exchange (crash, hang, garbage, exit); it has been stopped."""


class StderrRing:
    """The last ``limit`` bytes written, and how many earlier bytes were dropped."""

    def __init__(self, limit: int = STDERR_LIMIT) -> None:
        self.limit = limit
        self._buf = bytearray()
        self._dropped = 0

    def write(self, data: bytes) -> None:
        """Append ``data``, dropping the oldest bytes beyond the limit."""
        self._buf += data
        excess = len(self._buf) - self.limit
        if excess > 0:
            del self._buf[:excess]
            self._dropped += excess

    def take(self) -> str:
        """The text captured since the last take (lenient UTF-8), then start over."""
        text = self._buf.decode("utf-8", errors="replace")
        if self._dropped:
            text = f"[... {self._dropped} earlier bytes of stderr dropped ...]\n" + text
        self._buf = bytearray()
        self._dropped = 0
        return text


def describe_exit(code: int | None) -> str:
    """'exited with code 3' or 'was killed by signal SIGSEGV' (or 'is still running')."""
    if code is None:
        return "is still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"was killed by signal {name}"
    return f"exited with code {code}"


class Worker:
    """One agent process speaking JSON lines; started with ``start`` inside a task group."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | None,
        name: str,
    ) -> None:
        self.command = list(command)
        self.env = dict(env)
        self.cwd = cwd
        self.name = name
        self.stderr = StderrRing()
        self._proc: anyio.abc.Process | None = None
        self._stdout: BufferedByteReceiveStream | None = None
        self._drained = anyio.Event()

    @property
    def alive(self) -> bool:
        """Whether a process is running."""
        return self._proc is not None and self._proc.returncode is None

    async def start(self, tg: anyio.abc.TaskGroup) -> None:
        """Start the process; its stderr drain runs in ``tg``."""
        try:
            proc = await anyio.open_process(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.cwd,
                env=self.env,
                start_new_session=True,
            )
        except OSError as exc:
            raise WorkerFault(
                f"could not start {self.command[0]!r}: {exc.strerror or exc}"
            ) from exc
        self._proc = proc
        assert proc.stdout is not None
        self._stdout = BufferedByteReceiveStream(proc.stdout)
        self._drained = anyio.Event()
        tg.start_soon(self._drain_stderr, proc, self._drained)

    async def _drain_stderr(self, proc: anyio.abc.Process, done: anyio.Event) -> None:
        assert proc.stderr is not None
        try:
            async for chunk in proc.stderr:
                self.stderr.write(chunk)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass
        finally:
            done.set()

    async def ask(self, line: bytes, timeout_s: float) -> dict[str, Any]:
        """Send one request line; the answer object, or ``WorkerFault`` (process stopped)."""
        proc, stdout = self._proc, self._stdout
        assert proc is not None and stdout is not None and proc.stdin is not None
        answer: bytes | None = None
        reason = ""
        with anyio.move_on_after(timeout_s) as scope:
            try:
                await proc.stdin.send(line)
                answer = await self._read_line(stdout)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, BrokenPipeError):
                reason = "closed its stdin"
            except anyio.IncompleteRead:
                reason = "closed stdout"
            except anyio.DelimiterNotFound:
                reason = f"wrote a line longer than {MAX_LINE} bytes"
        if scope.cancelled_caught:
            await self.stop(kill=True)
            raise WorkerFault(
                f"agent did not answer within {timeout_s:g}s (timeout); the process was killed"
            )
        if answer is None:
            code = await self._wait_exit()
            raise WorkerFault(f"agent process {describe_exit(code)} before answering ({reason})")
        try:
            data = json.loads(answer)
        except ValueError:
            await self.stop(kill=True)
            preview = answer[:200].decode("utf-8", errors="replace")
            raise WorkerFault(
                f"agent wrote a line that is not JSON on stdout: {preview!r} "
                "(stdout is for protocol lines only; log to stderr)"
            ) from None
        if not isinstance(data, dict):
            await self.stop(kill=True)
            raise WorkerFault(
                f"agent answered with JSON {type(data).__name__}, not an object "
                'like {"output": "...", "error": null}'
            )
        return data

    async def _read_line(self, stdout: BufferedByteReceiveStream) -> bytes:
        while True:
            raw = await stdout.receive_until(b"\n", MAX_LINE)
            if raw.strip():
                return raw.rstrip(b"\r")
            # Blank lines carry nothing; skip them rather than call them garbage.

    async def _wait_exit(self) -> int | None:
        """The exit code once the process has ended (killed if it lingers); stderr drained."""
        proc = self._proc
        if proc is None:
            return None
        with anyio.move_on_after(_KILL_GRACE_S):
            await proc.wait()
        if proc.returncode is None:
            await self.stop(kill=True)
        else:
            await self._finish()
        return proc.returncode

    async def stop(self, *, kill: bool = False) -> None:
        """End the process: close stdin and wait (graceful), or kill its whole group."""
        proc = self._proc
        if proc is None:
            return
        with anyio.CancelScope(shield=True):
            if not kill and proc.returncode is None and proc.stdin is not None:
                # EOF on stdin is the agent's cue to exit on its own.
                await proc.stdin.aclose()
                with anyio.move_on_after(_KILL_GRACE_S):
                    await proc.wait()
            if proc.returncode is None:
                _kill_group(proc.pid)
                await proc.wait()
            await self._finish()

    async def _finish(self) -> None:
        proc, self._proc, self._stdout = self._proc, None, None
        if proc is None:
            return
        with anyio.CancelScope(shield=True):
            # Children may keep stderr open after the agent died; do not wait forever.
            with anyio.move_on_after(_KILL_GRACE_S):
                await self._drained.wait()
            await proc.aclose()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
