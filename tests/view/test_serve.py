"""bench view on a real uvicorn: loopback only unless told otherwise, raw path tricks refused,
Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.cli import main
from bench.view.app import create_app
from bench.view.serve import bind, is_loopback, url_of
from tests.view.conftest import BASE_ID, HEAD_ID

pytestmark = pytest.mark.slow


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for name in ("tcp", "tcp6"):
        path = Path(f"/proc/net/{name}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                found.add(addr)
    return found


@pytest.fixture
def served(store: Path) -> Iterator[str]:
    """The viewer on a real uvicorn in a thread, on a free loopback port; yields its URL."""
    import uvicorn

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(store), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield url_of(sock)
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()


def test_binds_loopback_by_default_and_port_zero_picks_one() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        host, port = sock.getsockname()[:2]
        assert host == "127.0.0.1" and port > 0
        assert url_of(sock) == f"http://127.0.0.1:{port}/"
        if Path("/proc/net/tcp").exists():
            assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
    finally:
        sock.close()
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("::")


def _raw_get(url: str, target: str, host: str | None = None) -> tuple[int, str]:
    """GET ``target`` byte for byte (no client-side normalisation of ``..``)."""
    m = re.match(r"http://([\d.]+):(\d+)/", url)
    assert m
    with socket.create_connection((m.group(1), int(m.group(2))), timeout=30) as s:
        s.sendall(
            f"GET {target} HTTP/1.1\r\nHost: {host or m.group(1)}\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def test_real_server_serves_pages_and_refuses_raw_path_tricks(served: str) -> None:
    assert httpx.get(served).status_code == 200
    assert httpx.get(f"{served}runs/{BASE_ID}").status_code == 200
    r = httpx.get(f"{served}compare", params={"base": BASE_ID, "head": HEAD_ID})
    assert r.status_code == 200 and "Side by side" in r.text
    for target in (
        "/runs/..",
        "/runs/../../../../etc/passwd",
        "/runs/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/runs/%2e%2e/%2e%2e/etc/passwd",
        "/runs/%2fetc%2fpasswd",
        f"/runs/{BASE_ID}/../../../../etc/passwd",
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "http://127.0.0.1/../../etc/passwd",
        "/compare?base=..%2f..%2fetc%2fpasswd&head=..",
    ):
        status, body = _raw_get(served, target)
        assert status in (400, 404), target
        assert "root:" not in body
    assert _raw_get(served, "/", host="attacker.example")[0] == 400
    assert httpx.post(served).status_code == 405


def _start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench", "view", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_prints_the_url_serves_loopback_and_stops_cleanly_on_ctrl_c(store: Path) -> None:
    proc = _start_cli(str(store.parent), "--port", "0")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"at (http://127\.0\.0\.1:(\d+)/) \(Ctrl-C to stop\)", line)
        assert m, line
        url, port = m.group(1), int(m.group(2))
        if Path("/proc/net/tcp").exists():
            assert _listening_addresses(port) == {"0100007F"}
        r = httpx.get(url, timeout=30)
        assert r.status_code == 200 and BASE_ID in r.text
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Traceback" not in out
    assert "bench view: stopped" in out


def test_cli_refuses_a_reachable_host_without_allow_remote(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["view", str(store), "--host", "0.0.0.0", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "--allow-remote" in err and "Traceback" not in err


def test_cli_with_allow_remote_warns_that_the_store_is_readable(store: Path) -> None:
    proc = _start_cli(str(store), "--host", "0.0.0.0", "--port", "0", "--allow-remote")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving" in line, line
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert "warning" in err and "can read every run" in err
    assert proc.returncode == 0 and "Traceback" not in err, (out, err)


def test_cli_errors_are_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["view", str(tmp_path / "nowhere")]) == 2
    assert "not a run store" in capsys.readouterr().err
    taken = bind("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        assert main(["view", str(tmp_path), "--port", str(port)]) == 2
        err = capsys.readouterr().err
        assert "cannot serve on 127.0.0.1" in err and "--port 0" in err
    finally:
        taken.close()
    assert main(["view", str(tmp_path), "--port", "70000"]) == 2
    assert os.path.isdir(tmp_path) and list(tmp_path.iterdir()) == []  # nothing written
