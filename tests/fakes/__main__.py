"""``python -m tests.fakes PROVIDER [LATENCY_S]``: serve a fake, print its URL, run until killed."""

from __future__ import annotations

import sys
import threading

from .serve import build_app, serve_in_thread


def main(argv: list[str]) -> None:
    """Serve ``argv[0]`` (openai, anthropic, gemini) answering "ok" after ``argv[1]`` seconds."""
    provider = argv[0] if argv else "openai"
    latency = float(argv[1]) if len(argv) > 1 else 0.0
    with serve_in_thread(build_app(provider, latency)) as url:
        print(url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
