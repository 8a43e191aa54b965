"""A stdio server's stderr, captured into a bounded tail instead of the console."""

from __future__ import annotations

import asyncio
import os
from typing import TextIO

__all__ = ["StderrTail"]

LIMIT = 16 * 1024
"""Bytes kept: the tail is for error messages, not a log."""


class StderrTail:
    """A pipe the server writes its stderr into; the last ``limit`` bytes are kept."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._read_fd, write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        self._writer: TextIO | None = os.fdopen(write_fd, "w", encoding="utf-8")
        self._buf = bytearray()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def writer(self) -> TextIO:
        """The write end, handed to the process as its stderr."""
        assert self._writer is not None, "writer already closed"
        return self._writer

    def close_writer(self) -> None:
        """Close our copy of the write end once the process holds its own (EOF on exit)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def start(self) -> None:
        """Start reading the pipe whenever it has data, on the running event loop.

        A reader callback rather than a task: it cannot fail, needs no task group, and is
        removed by ``close`` (the runtime runs on asyncio; see the conftest backend).
        """
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._read_fd, self._on_readable)

    def _on_readable(self) -> None:
        if not self._drain():
            self._stop_reading()

    def _stop_reading(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self._read_fd)
            self._loop = None

    def _drain(self) -> bool:
        """Read what is available without blocking; False at EOF or when closed."""
        if self._closed:
            return False
        while True:
            try:
                data = os.read(self._read_fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not data:
                return False
            self._buf += data
            if len(self._buf) > self._limit:
                del self._buf[: len(self._buf) - self._limit]

    def text(self) -> str:
        """The captured tail, decoded leniently (whatever is in the pipe right now included)."""
        self._drain()
        return self._buf.decode("utf-8", errors="replace")

    def close(self) -> None:
        """Stop reading and release both pipe ends."""
        self.close_writer()
        self._stop_reading()
        if not self._closed:
            self._closed = True
            os.close(self._read_fd)
