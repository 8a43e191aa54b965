"""aiohttp sends a request in the step that made it, not after every other ready task.

A real aiohttp session posts to a plain-socket server on loopback. Two tasks wake in the same
event-loop round: the first posts, the second peeks at the server's socket. With
``prompt_request_writes`` active the request's bytes are already there when the second task
runs (Python 3.11 through the task factory, 3.12+ through aiohttp's eager writer); without it,
on 3.11, the second task runs first and finds nothing.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from collections.abc import Iterator

import aiohttp
import anyio
import pytest

from runtime.providers.send_order import WRITER, prompt_request_writes

_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok"


class _Server:
    """Accepts one connection; answers each request once ``release`` allows it."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1/chat"
        self.conn: socket.socket | None = None
        self.accepted = threading.Event()
        self.release = threading.Semaphore(0)
        self.closed = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.conn, _ = self.listener.accept()
            self.accepted.set()
            while self.release.acquire() and not self.closed:
                data = b""
                while not data.endswith(b"}"):  # every test body is a JSON object
                    chunk = self.conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                self.conn.sendall(_ANSWER)
        except OSError:  # closed under it at the end of a test
            return

    def waiting_bytes(self) -> bytes:
        """What the client has sent and the server not yet read (empty if nothing)."""
        assert self.conn is not None
        try:
            return self.conn.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return b""

    def close(self) -> None:
        self.closed = True
        self.release.release()
        self.thread.join(timeout=5)
        if self.conn is not None:
            self.conn.close()
        self.listener.close()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    yield srv
    srv.close()


async def _seen_by_the_next_ready_task(server: _Server, session: aiohttp.ClientSession) -> bytes:
    """Post while another task waits to run in the same round; what that task sees sent."""
    go = asyncio.Event()
    seen: list[bytes] = []

    async def poster() -> None:
        await go.wait()
        async with session.post(server.url, data=b'{"q": 2}') as resp:
            await resp.read()

    async def peeker() -> None:
        await go.wait()
        seen.append(server.waiting_bytes())

    async with anyio.create_task_group() as tg:
        tg.start_soon(poster)
        tg.start_soon(peeker)
        await asyncio.sleep(0)  # both now wait on the event, poster first
        go.set()
        await asyncio.sleep(0.05)
        server.release.release()
    return seen[0]


async def _warm(server: _Server, session: aiohttp.ClientSession) -> None:
    """One full request, so the measured one reuses an open connection."""
    server.release.release()
    async with session.post(server.url, data=b'{"q": 1}') as resp:
        assert await resp.read() == b"ok"
    assert server.accepted.is_set()


def test_a_request_leaves_before_the_other_ready_tasks_run(server: _Server) -> None:
    async def main() -> bytes:
        async with aiohttp.ClientSession() as session:
            await _warm(server, session)
            with prompt_request_writes():
                return await _seen_by_the_next_ready_task(server, session)

    sent = asyncio.run(main())
    assert sent.startswith(b"POST /v1/chat HTTP/1.1")
    assert sent.endswith(b'{"q": 2}')


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="aiohttp's writer is eager on 3.12+")
def test_without_it_python_3_11_sends_after_the_other_ready_tasks(server: _Server) -> None:
    async def main() -> bytes:
        async with aiohttp.ClientSession() as session:
            await _warm(server, session)
            return await _seen_by_the_next_ready_task(server, session)

    assert asyncio.run(main()) == b""


def test_the_writer_name_is_aiohttps() -> None:
    from aiohttp.client_reqrep import ClientRequest

    assert ClientRequest.write_bytes.__qualname__ == WRITER


def test_a_task_factory_of_the_host_program_is_left_alone() -> None:
    def own(loop: asyncio.AbstractEventLoop, coro, **kwargs):  # type: ignore[no-untyped-def]
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def main() -> tuple[object, object]:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(own)
        with prompt_request_writes():
            inside = loop.get_task_factory()
        return inside, loop.get_task_factory()

    assert asyncio.run(main()) == (own, own)


def test_the_loop_is_as_it_was_afterwards() -> None:
    async def main() -> object:
        with prompt_request_writes():
            pass
        return asyncio.get_running_loop().get_task_factory()

    assert asyncio.run(main()) is None
