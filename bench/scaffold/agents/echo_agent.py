"""An example external agent made by `bench init`: JSON lines on stdin and stdout.

bench starts this program once per worker and writes one JSON object per case on its stdin::

    {"case_id": "...", "input": "the prompt", "history": [...], "metadata": {...}}

and reads one JSON object per case from its stdout::

    {"output": "the answer", "error": null}

Anything else on stdout breaks the protocol: log to stderr instead (bench keeps it per case).
A real agent would call its LLM here; pointed at OPENAI_BASE_URL (set by bench to its
metrics proxy), every call is measured: tokens, latency, time to first token.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """The agent's reply to one case: here, an echo of the prompt."""
    prompt = str(request.get("input", ""))
    return {"output": f"You said: {prompt}", "error": None}


def main() -> None:
    """Answer each request line with one response line, flushed at once."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(json.loads(line))
        except Exception as exc:  # report the failure for this case and keep serving
            reply = {"output": None, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
