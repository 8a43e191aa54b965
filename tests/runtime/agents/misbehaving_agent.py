"""A test agent (stdlib only) whose behaviour per case is chosen by its input.

``echo:TEXT`` answers TEXT; ``segv`` kills itself with SIGSEGV; ``hang`` never answers;
``garbage`` prints a line that is not JSON; ``exit:N`` exits with code N; ``flood`` writes
10 MB to stderr then answers; ``flood-die`` writes 10 MB to stderr then exits 7; ``error``
reports an error; ``list`` answers a JSON list; ``env:NAME`` answers that variable;
``llm`` calls OPENAI_BASE_URL/chat/completions (streaming) and answers the text; ``pid``
answers its process id; ``case`` answers the case id and metadata it was sent;
``history`` answers the number of history items; ``request`` answers the whole request line
it was sent (as JSON text); ``hostile`` reports an error made to attack a console and a CI log
(workflow commands, escape sequences, a long line, its own OPENAI_API_KEY).
"""

import json
import os
import signal
import sys
import time
import urllib.request


def llm(prompt: str) -> str:
    body = json.dumps(
        {
            "model": "gpt-4o-mini",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": prompt}],
        }
    ).encode()
    req = urllib.request.Request(
        os.environ["OPENAI_BASE_URL"] + "/chat/completions",
        data=body,
        headers={"content-type": "application/json", "authorization": "Bearer sk-test"},
    )
    text = ""
    with urllib.request.urlopen(req, timeout=10) as resp:
        for raw in resp:
            line = raw.decode().strip()
            if line.startswith("data:") and line != "data: [DONE]":
                chunk = json.loads(line[5:])
                for choice in chunk.get("choices") or []:
                    text += choice["delta"].get("content") or ""
    return text


def hostile() -> str:
    key = os.environ.get("OPENAI_API_KEY", "")
    return (
        "::add-mask::bench\n::error file=README.md,line=1::pwned\r::stop-commands::tok\n"
        "\x1b[2J\x1b]0;title\x07\u202eevil\u202c "
        + "A" * 290
        + "::warning::after a wrap "
        + f"key={key}"
    )


def flood(die: bool) -> dict:
    block = ("x" * 1023 + "\n") * 1024
    for _ in range(10):
        sys.stderr.write(block)
    sys.stderr.write("LAST LINE OF STDERR\n")
    sys.stderr.flush()
    if die:
        os._exit(7)
    return {"output": "survived the flood", "error": None}


def misbehave(what: str) -> None:
    """The instructions that never answer."""
    if what == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if what == "hang":
        time.sleep(3600)
    if what == "garbage":
        print("Thinking about it... not JSON", flush=True)
        time.sleep(3600)
    if what.startswith("exit:"):
        sys.stderr.write("exiting on purpose\n")
        sys.stderr.flush()
        os._exit(int(what[5:]))


def answer(case: dict) -> dict:
    what = case["input"]
    misbehave(what)
    if what.startswith("echo:"):
        return {"output": what[5:], "error": None, "metrics": {"self_tokens": 1}}
    if what in ("flood", "flood-die"):
        return flood(what == "flood-die")
    if what.startswith("env:"):
        return {"output": os.environ.get(what[4:], "<unset>"), "error": None}
    simple = {
        "error": lambda: {"output": None, "error": "upstream said no"},
        "list": lambda: ["not", "an", "object"],
        "llm": lambda: {"output": llm("hi"), "error": None},
        "pid": lambda: {"output": str(os.getpid()), "error": None},
        "case": lambda: {"output": json.dumps([case["case_id"], case["metadata"]]), "error": None},
        "history": lambda: {"output": str(len(case["history"])), "error": None},
        "request": lambda: {"output": json.dumps(case), "error": None},
        "hostile": lambda: {"output": None, "error": hostile()},
    }
    if what in simple:
        return simple[what]()
    return {"output": None, "error": f"unknown instruction {what!r}"}


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        sys.stdout.write(json.dumps(answer(case)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
