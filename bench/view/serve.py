"""Binding and serving the viewer: loopback by default, uvicorn on a socket we bind ourselves
(so port 0 can pick a free port and the URL is known before the first request)."""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any

from runtime.errors import InputError

__all__ = ["bind", "is_loopback", "serve", "url_of"]


def is_loopback(host: str) -> bool:
    """``host`` names only this machine: a loopback address, or ``localhost``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one); InputError when it
    cannot be bound (the port is taken, the address is not this machine's)."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(f"cannot serve on {host!r}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        hint = "; --port 0 picks a free port" if exc.errno == errno.EADDRINUSE else ""
        raise InputError(f"cannot serve on {host}:{port}: {exc.strerror}{hint}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://127.0.0.1:PORT/`` for a bound socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(app: Any, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until Ctrl-C (or SIGTERM); returns after a clean shutdown.

    No access log (the console stays quiet) and uvicorn's own messages only from warnings
    up. uvicorn re-raises the signal it caught once it has shut down: the caller sees a
    KeyboardInterrupt after Ctrl-C, with the server already closed.
    """
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        date_header=False,
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
