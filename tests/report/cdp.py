"""A tiny Chrome DevTools Protocol client over a websocket, for the HTML report tests.

Starts Debian's headless ``chromium`` (offline flags, a fresh profile, debugging on a port
chosen by the browser on 127.0.0.1) and drives one page: load a file, collect console
errors, exceptions, dialogs and network requests, evaluate JS, take a screenshot.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

__all__ = ["Browser", "find_chromium"]

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]


def find_chromium() -> str | None:
    """The chromium binary, if installed."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    """One page target: commands and the events it produced."""

    def __init__(self, ws_url: str) -> None:
        # websockets >= 17.1 wants connect() used as a context manager.
        self._cm = connect(ws_url, max_size=64 * 2**20, open_timeout=20)
        self.ws = self._cm.__enter__()
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        """Send a command and wait for its result (events seen meanwhile are kept)."""
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            data = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if data.get("id") == msg_id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data.get("result")
            self.events.append(data)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        """Wait for an event (or return one already seen)."""
        for ev in self.events:
            if ev.get("method") == method:
                return ev
        deadline = time.monotonic() + timeout
        while True:
            data = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            self.events.append(data)
            if data.get("method") == method:
                return data

    def eval(self, expression: str) -> Any:
        """Evaluate JS in the page and return its value."""
        res = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in res:
            raise RuntimeError(f"JS error: {res['exceptionDetails']}")
        return res["result"].get("value")

    def load(self, path: Path) -> None:
        """Open a local file and wait for its load event."""
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_for("Page.loadEventFired")
        self.eval("new Promise(r => setTimeout(r, 50))")  # let DOMContentLoaded handlers settle

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and JS dialogs seen so far."""
        out = []
        for ev in self.events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                out.append(f"console.{p['type']}: {p.get('args')}")
            elif m == "Runtime.exceptionThrown":
                out.append(f"exception: {p.get('exceptionDetails', {}).get('text')}")
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                out.append(f"log: {p['entry'].get('text')}")
            elif m == "Page.javascriptDialogOpening":
                out.append(f"dialog: {p.get('message')}")
        return out

    def requests(self) -> list[str]:
        """URLs the page requested (the document itself included)."""
        return [
            ev["params"]["request"]["url"]
            for ev in self.events
            if ev.get("method") == "Network.requestWillBeSent"
        ]

    def screenshot(self, out: Path) -> None:
        """Full-page PNG screenshot."""
        height = int(self.eval("document.documentElement.scrollHeight"))
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": 1300,
                "height": min(max(height, 600), 6000),
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )
        shot = self.send("Page.captureScreenshot", {"format": "png"})
        out.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        """Close the websocket."""
        self._cm.__exit__(None, None, None)


class Browser:
    """A headless chromium process with a fresh profile; ``page()`` opens a new tab."""

    def __init__(self, binary: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="bench-chromium-")
        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 60
        self.port = 0
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError("chromium exited before it listened")
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
        if not self.port:
            self.close()
            raise RuntimeError("chromium did not open its DevTools port")
        # Keep draining stderr so chromium never blocks on a full pipe.
        self.drainer = threading.Thread(target=self._drain, daemon=True)
        self.drainer.start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for _ in self.proc.stderr:
            pass

    def page(self) -> Page:
        """A new blank tab."""
        resp = httpx.put(f"http://127.0.0.1:{self.port}/json/new?about:blank", timeout=20)
        return Page(resp.json()["webSocketDebuggerUrl"])

    def close(self) -> None:
        """Stop chromium (this process only) and remove its profile."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.drainer.join(timeout=10)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)
