"""An external agent for bench: JSON lines on stdin/stdout, an LLM through the OpenAI SDK.

bench starts this program once per worker and keeps it running. For each case it writes one
line ``{"case_id", "input", "history", "metadata"}``; the agent answers with one line
``{"output": "...", "error": null}``. Logs go to stderr (bench keeps the tail per case).

The SDK reads ``OPENAI_BASE_URL`` from the environment, which bench points at its metrics
proxy, so every call is measured (tokens, latency, time to first token) without the agent
doing anything. Streaming is on, as most real agents have it.
"""

import json
import sys

from openai import OpenAI


def main() -> None:
    client = OpenAI()  # OPENAI_API_KEY and OPENAI_BASE_URL come from the environment
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            messages = [*case.get("history", []), {"role": "user", "content": case["input"]}]
            stream = client.chat.completions.create(
                model=case.get("metadata", {}).get("model", "gpt-4o-mini"),
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
            )
            text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
            answer = {"output": text, "error": None}
        except Exception as exc:  # report, do not crash: the next case still runs
            print(f"case {case.get('case_id')}: {exc!r}", file=sys.stderr)
            answer = {"output": None, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
