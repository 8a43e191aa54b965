"""A lean fake OpenAI chat-completions server for benchmarks: asyncio.Protocol, no framework.

The Starlette fakes (``openai_server``) follow a ``FakeLLM`` script and record requests, which
tests need; their cost per request (uvicorn + h11 + Starlette, 0.3-0.4 ms of CPU) competes
with the harness for the machine's cores in latency benchmarks. This server answers every
``POST`` with the same canned non-streamed chat completion after a fixed delay, over
HTTP/1.1 keep-alive with ``Content-Length`` framing, and does little else: the benchmark's
measurement infrastructure, not a test double (no scripting, no faults).

A request with ``"stream": true`` gets a server-sent event stream instead (benchmarks of
``bench load``): the head and a role-only chunk at once, then after the delay ``TOKENS``
content chunks, the finish chunk, the usage chunk and ``[DONE]`` in one write, so the delay
is exactly the time to first token a client should measure.

Run it in its own process (its own GIL)::

    python -m tests.fakes.lean_openai LATENCY_S [TOKENS]

It prints its base URL (``http://127.0.0.1:PORT``), then answers each line read on stdin
with its own CPU seconds so far (user + system), and exits when stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time

import anyio
import anyio.abc

__all__ = ["completion_body", "serve", "stream_parts"]

_MAX_HEAD = 64 * 1024


def completion_body(model: str, text: str = "ok, done") -> bytes:
    """The canned chat completion (usage 12 in / 3 out), as the Starlette fake would send it."""
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 3,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    }
    return json.dumps(body, separators=(",", ":")).encode()


def stream_parts(model: str, tokens: int) -> tuple[bytes, bytes]:
    """A streamed answer of ``tokens`` one-token chunks: (head + role chunk, the rest)."""

    def chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"

    first = chunk({"role": "assistant", "content": ""})
    usage = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [],
        "usage": {"prompt_tokens": 12, "completion_tokens": tokens, "total_tokens": 12 + tokens},
    }
    rest = b"".join(chunk({"content": f"t{i} "}) for i in range(tokens))
    rest += chunk({}, "length")
    rest += b"data: " + json.dumps(usage, separators=(",", ":")).encode() + b"\n\n"
    rest += b"data: [DONE]\n\n"
    head = (
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        f"content-length: {len(first) + len(rest)}\r\nconnection: keep-alive\r\n\r\n"
    )
    return head.encode() + first, rest


def _response(status: str, body: bytes, *, close: bool = False) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    return head.encode() + body


class _Http(asyncio.Protocol):
    """One connection: parse requests off the buffer, answer each after the delay."""

    def __init__(self, latency_s: float, canned: dict[str, bytes], tokens: int = 16) -> None:
        self.latency_s = latency_s
        self.tokens = tokens
        self.canned = canned  # model -> full response bytes, built once per model
        self.buf = bytearray()
        self.streams: dict[str, tuple[bytes, bytes]] = {}
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport; answers are written to it."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the transport: a delayed answer to a closed connection is dropped."""
        self.transport = None

    def data_received(self, data: bytes) -> None:
        """Take every complete request off the buffer (pipelined ones answer in order)."""
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > _MAX_HEAD:
                    self._fail("431 Request Header Fields Too Large")
                return
            head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
            length = 0
            close = False
            for line in head[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding":
                    self._fail("501 Not Implemented")  # clients send JSON with a length
                    return
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            if len(self.buf) < end + 4 + length:
                return
            body = bytes(self.buf[end + 4 : end + 4 + length])
            del self.buf[: end + 4 + length]
            self._answer(head[0], body, close)

    def _answer(self, request_line: str, body: bytes, close: bool) -> None:
        method = request_line.split(" ", 1)[0]
        if method != "POST":
            out = _response("405 Method Not Allowed", b'{"error":"POST only"}', close=close)
        else:
            try:
                request = json.loads(body)
                model = str(request.get("model") or "fake-model")
                stream = request.get("stream") is True
            except (ValueError, AttributeError):
                model, stream = "fake-model", False
            if stream:
                key = f"stream:{model}"
                parts = self.streams.get(key)
                if parts is None:
                    parts = self.streams[key] = stream_parts(model, self.tokens)
                self._write(parts[0], False)
                if self.latency_s > 0:
                    self.loop.call_later(self.latency_s, self._write, parts[1], close)
                else:
                    self._write(parts[1], close)
                return
            out = self.canned.get(model)
            if out is None:
                out = self.canned[model] = _response("200 OK", completion_body(model))
            if close:
                out = _response("200 OK", completion_body(model), close=True)
        if self.latency_s > 0:
            self.loop.call_later(self.latency_s, self._write, out, close)
        else:
            self._write(out, close)

    def _write(self, out: bytes, close: bool) -> None:
        if self.transport is not None:
            self.transport.write(out)
            if close:
                self.transport.close()

    def _fail(self, status: str) -> None:
        self._write(_response(status, b'{"error":"bad request"}', close=True), True)
        self.buf.clear()


async def serve(
    latency_s: float,
    tokens: int = 16,
    *,
    task_status: anyio.abc.TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve on a free loopback port until cancelled (asyncio only); ``tg.start`` gets the URL."""
    loop = asyncio.get_running_loop()
    canned: dict[str, bytes] = {}
    server = await loop.create_server(lambda: _Http(latency_s, canned, tokens), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    task_status.started(f"http://127.0.0.1:{port}")
    async with server:
        await server.serve_forever()


def _cpu_replies(loop: asyncio.AbstractEventLoop, done: asyncio.Future[None]) -> None:
    # stdin is read on a thread so the loop never blocks on it; one CPU reading per line.
    for _ in sys.stdin:
        t = os.times()
        print(t.user + t.system, flush=True)
    loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))


async def _main(latency_s: float, tokens: int) -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    async with anyio.create_task_group() as tg:
        print(await tg.start(serve, latency_s, tokens), flush=True)
        threading.Thread(target=_cpu_replies, args=(loop, done), daemon=True).start()
        await done
        tg.cancel_scope.cancel()


if __name__ == "__main__":
    asyncio.run(
        _main(
            float(sys.argv[1]) if len(sys.argv) > 1 else 0.0,
            int(sys.argv[2]) if len(sys.argv) > 2 else 16,
        )
    )
