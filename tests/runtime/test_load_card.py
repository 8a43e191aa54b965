"""The model card: what a server says about itself, from fake servers on 127.0.0.1.

Each fake answers as one server family does (vLLM, llama.cpp, TGI, Ollama, a bare
OpenAI-compatible proxy, a hostile one); the card keeps an allow-list and never a secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from runtime.load.card import api_root, public_url, read_card
from tests.fakes.serve import serve_in_thread

pytestmark = pytest.mark.anyio

KEY = "sk-load-card-secret-0123456789"

VLLM_MODELS = {
    "object": "list",
    "data": [
        {
            "id": "Qwen/Qwen2.5-1.5B-Instruct",
            "object": "model",
            "created": 1764937221,
            "owned_by": "vllm",
            "root": "/models/Qwen2.5-1.5B-Instruct",
            "parent": None,
            "max_model_len": 32768,
            "permission": [{"id": "modelperm-1", "allow_sampling": True}],
        }
    ],
}
LLAMACPP_MODELS = {
    "object": "list",
    "data": [
        {
            "id": "gemma-3-270m-it-Q4_K_M.gguf",
            "object": "model",
            "created": 1764937221,
            "owned_by": "llamacpp",
            "meta": {
                "vocab_type": 1,
                "n_vocab": 262144,
                "n_ctx_train": 32768,
                "n_params": 268098176,
            },
        }
    ],
}
LLAMACPP_PROPS = {
    "default_generation_settings": {"n_ctx": 4096, "temperature": 0.8, "n_predict": -1},
    "total_slots": 4,
    "model_path": "/home/alice/models/gemma-3-270m-it-Q4_K_M.gguf",
    "chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}" * 50,
    "build_info": "b6100-abc1234",
}
TGI_INFO = {
    "model_id": "meta-llama/Llama-3.1-8B-Instruct",
    "model_sha": "0e9e39f249a16976918f6564b8830bc894c89659",
    "model_pipeline_tag": "text-generation",
    "max_concurrent_requests": 128,
    "max_input_tokens": 4095,
    "max_total_tokens": 4096,
    "version": "3.0.1",
    "sha": "bb9095aa1ee2e2e9fa1dcb9e1ab2a4c8ed6b5b1a",
    "docker_label": "sha-bb9095a",
    "router": "text-generation-router",
}
OLLAMA_MODELS = {
    "object": "list",
    "data": [
        {"id": "llama3.2:3b", "object": "model", "created": 1, "owned_by": "library"},
        {"id": "qwen2.5:7b", "object": "model", "created": 2, "owned_by": "library"},
    ],
}
HOSTILE_MODELS = {
    "object": "list",
    "data": [
        {
            "id": "m",
            "owned_by": "evil\x1b[31m\u202e corp " + "x" * 2000,
            "root": "https://admin:hunter2@example.test/m?token=abc",
            "meta": {"api_key": "sk-leaked", "note": f"Bearer {KEY}", "depth": {"a": {"b": 1}}},
        }
    ],
}

SERVERS: dict[str, dict[str, Any]] = {
    "vllm": {"/v1/models": VLLM_MODELS, "/version": {"version": "0.11.0"}},
    "llamacpp": {"/v1/models": LLAMACPP_MODELS, "/props": LLAMACPP_PROPS},
    "tgi": {"/v1/models": {"object": "list", "data": [{"id": "tgi"}]}, "/info": TGI_INFO},
    "ollama": {"/v1/models": OLLAMA_MODELS, "/api/version": {"version": "0.12.3"}},
    "bare": {},
    "hostile": {"/v1/models": HOSTILE_MODELS, "/props": {"authorization": KEY, "build_info": KEY}},
    "auth": {"/v1/models": VLLM_MODELS},
    "html": {"/v1/models": "<html>login</html>"},
}
SEEN_AUTH: list[str | None] = []


def _app(kind: str) -> Starlette:
    async def handler(request: Request) -> Response:
        SEEN_AUTH.append(request.headers.get("authorization"))
        body = SERVERS[kind].get(request.url.path)
        if kind == "auth" and request.headers.get("authorization") != f"Bearer {KEY}":
            return JSONResponse({"error": "unauthorized"}, 401)
        if body is None:
            return PlainTextResponse("Not Found", 404)
        if isinstance(body, str):
            return Response(body, media_type="text/html")
        return JSONResponse(body)  # uvicorn adds "server: uvicorn"

    paths = ("/v1/models", "/props", "/version", "/info", "/api/version")
    return Starlette(routes=[Route(p, handler) for p in paths])


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield {k: stack.enter_context(serve_in_thread(_app(k))) for k in SERVERS}


async def _card(url: str, model: str | None = "configured-model", **kw: Any) -> Any:
    headers = kw.pop("headers", {})
    async with httpx.AsyncClient(headers=headers) as client:
        return await read_card(client, url + "/v1", model, **kw)


async def test_vllm_card(servers: dict[str, str]) -> None:
    card = await _card(servers["vllm"], "Qwen/Qwen2.5-1.5B-Instruct", tags=["baseline"])
    assert card.model_id == "Qwen/Qwen2.5-1.5B-Instruct"
    assert card.server["model"] == {
        "id": "Qwen/Qwen2.5-1.5B-Instruct",
        "owned_by": "vllm",
        "created": 1764937221,
        "root": "/models/Qwen2.5-1.5B-Instruct",
        "max_model_len": 32768,
    }
    assert card.server["/version"] == {"version": "0.11.0"}
    assert card.server["server_header"] == "uvicorn"
    assert card.tags == ["baseline"]


async def test_llamacpp_card_serves_its_own_id_and_props(servers: dict[str, str]) -> None:
    # llama.cpp answers whatever model a request names; the card says which file it serves.
    card = await _card(servers["llamacpp"], "gpt-4o-mini", fields={"quant": "Q4_K_M"})
    assert card.model_id == "gemma-3-270m-it-Q4_K_M.gguf"
    assert card.server["model"]["meta"]["n_params"] == 268098176
    assert card.server["/props"] == {
        "build_info": "b6100-abc1234",
        "total_slots": 4,
        "n_ctx": 4096,
        "model_file": "gemma-3-270m-it-Q4_K_M.gguf",  # not the user's home directory
    }
    assert "chat_template" not in str(card.server)
    assert card.fields == {"quant": "Q4_K_M"}


async def test_tgi_card(servers: dict[str, str]) -> None:
    card = await _card(servers["tgi"], None)
    assert card.model_id == "tgi"
    info = card.server["/info"]
    assert info["model_id"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert info["version"] == "3.0.1" and info["max_total_tokens"] == 4096
    assert "router" not in info


async def test_ollama_card_picks_the_configured_model_among_several(
    servers: dict[str, str],
) -> None:
    card = await _card(servers["ollama"], "qwen2.5:7b")
    assert card.model_id == "qwen2.5:7b"
    assert card.server["models_served"] == 2
    assert card.server["/api/version"] == {"version": "0.12.3"}
    unknown = await _card(servers["ollama"], "mistral:7b")
    assert unknown.model_id == "mistral:7b"  # not served under that name: the configured one
    assert "model" not in unknown.server


async def test_a_server_that_describes_nothing_gives_the_configured_card(
    servers: dict[str, str],
) -> None:
    for kind in ("bare", "html"):
        card = await _card(servers[kind], "my-model", tags=["t"], fields={"gpu": "A100"})
        assert card.model_id == "my-model"
        assert card.server == {}
        assert (card.tags, card.fields) == (["t"], {"gpu": "A100"})


async def test_an_unreachable_server_gives_the_configured_card() -> None:
    card = await _card("http://127.0.0.1:9", "m", timeout_s=0.5)
    assert card.model_id == "m" and card.server == {}


async def test_the_callers_credentials_reach_the_server_but_never_the_card(
    servers: dict[str, str],
) -> None:
    SEEN_AUTH.clear()
    card = await _card(servers["auth"], "x", headers={"Authorization": f"Bearer {KEY}"})
    assert card.model_id == "Qwen/Qwen2.5-1.5B-Instruct"
    assert f"Bearer {KEY}" in SEEN_AUTH
    assert KEY not in card.model_dump_json()


async def test_hostile_self_descriptions_are_scrubbed(servers: dict[str, str]) -> None:
    card = await _card(servers["hostile"], "m", headers={"Authorization": f"Bearer {KEY}"})
    dumped = card.model_dump_json()
    assert KEY not in dumped  # echoed back in a meta note and in /props
    assert "sk-leaked" not in dumped and "api_key" not in dumped  # secret-named keys dropped
    assert "hunter2" not in dumped and "token=abc" not in dumped
    assert card.server["model"]["root"] == "https://example.test/m"
    owned = card.server["model"]["owned_by"]
    assert "\x1b" not in owned and "\u202e" not in owned and len(owned) <= 300
    assert card.server["model"]["meta"]["depth"] == {"a": None}  # bounded depth
    assert "authorization" not in card.server.get("/props", {})


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("https://user:pw@api.example.test/v1?key=1#x", "https://api.example.test/v1"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    ],
)
def test_public_url(url: str, want: str) -> None:
    assert public_url(url) == want


def test_api_root() -> None:
    assert api_root("http://h:8000/v1/") == ("http://h:8000", "http://h:8000/v1")
    assert api_root("http://h:8000") == ("http://h:8000", "http://h:8000/v1")
    assert api_root("http://u:p@h/proxy/v1?k=1") == ("http://h/proxy", "http://h/proxy/v1")
