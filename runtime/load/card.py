"""The model card of a load result: which model answered, and what the server says it is.

``read_card`` asks the endpoint, concurrently and with short timeouts, what every
OpenAI-compatible server family tells about itself, and keeps a small allow-list of it:

- ``GET {api}/models``: the model id, with its entry's ``owned_by``, ``created``, ``root``,
  ``parent``, ``max_model_len`` (vLLM) and ``meta`` (llama.cpp: parameters, context, size);
- ``GET /props`` (llama.cpp): ``build_info``, ``total_slots``, the context size and the
  model file's name;
- ``GET /version`` (vLLM), ``GET /info`` (TGI), ``GET /api/version`` (Ollama);
- the ``Server`` response header.

An endpoint that is not served (404, refused, HTML, a timeout) is simply absent: the card
then holds the configured model and the user's own tags and fields. The card never holds a
secret: nothing from the request (the caller's client may carry an API key) is recorded, keys
that read as secrets are dropped, URLs lose their credentials and query strings, and every
string is stripped of control characters and clipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
import httpx

from runtime.sanitize import looks_secret

from .result import ModelCard

__all__ = ["api_root", "public_url", "read_card"]

TEXT_LIMIT = 300
"""Longest string kept from what a server says."""
MAX_BODY = 1024 * 1024

_MODEL_KEYS = ("id", "owned_by", "created", "root", "parent", "max_model_len", "meta")
_TGI_KEYS = (
    "model_id",
    "model_sha",
    "model_dtype",
    "model_device_type",
    "version",
    "sha",
    "docker_label",
    "max_concurrent_requests",
    "max_input_tokens",
    "max_total_tokens",
    "max_batch_total_tokens",
)
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def public_url(url: str) -> str:
    """``url`` without user name, password, query string or fragment (safe to publish)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return ""
    return str(parsed.copy_with(userinfo=b"", query=None, fragment=None))


def api_root(base_url: str) -> tuple[str, str]:
    """(the server's root, the OpenAI API base): ``http://h/v1`` -> (``http://h``, ``http://h/v1``)."""
    url = httpx.URL(public_url(base_url))
    path = url.path.rstrip("/")
    root_path = path[: -len("/v1")] if path.endswith("/v1") else path
    root = str(url.copy_with(path=root_path or "/")).rstrip("/")
    return root, root + "/v1"


async def read_card(
    client: httpx.AsyncClient,
    base_url: str,
    configured_model: str | None,
    tags: Sequence[str] = (),
    fields: Mapping[str, str] | None = None,
    *,
    timeout_s: float = 5.0,
) -> ModelCard:
    """The endpoint's model card: never raises for what the server does or does not serve."""
    root, api = api_root(base_url)
    answers: dict[str, tuple[Any, str | None]] = {}
    probes = {"models": f"{api}/models"} | {path: root + path for path in _SELF_DESCRIPTIONS}

    async def probe(name: str, url: str) -> None:
        got = await _get_json(client, url, timeout_s)
        if got is not None:
            answers[name] = got

    async with anyio.create_task_group() as tg:
        for name, url in probes.items():
            tg.start_soon(probe, name, url)

    secrets = _client_secrets(client)
    server: dict[str, Any] = _redact(_collect(answers, configured_model), secrets)
    model_id = server.pop("_model_id", None) or configured_model
    return ModelCard(
        model_id=_clean_text(model_id) if model_id else None,
        server=server,
        tags=[_clean_text(t) for t in tags],
        fields={_clean_text(k): _clean_text(v) for k, v in (fields or {}).items()},
    )


def _collect(
    answers: Mapping[str, tuple[Any, str | None]], configured: str | None
) -> dict[str, Any]:
    """The allow-listed facts of each answer (``_model_id``: the id the server serves)."""
    server: dict[str, Any] = {}
    if "models" in answers:
        body, header = answers["models"]
        entry, count = _pick_model(body, configured)
        if entry is not None:
            server["_model_id"] = entry["id"]
            server["model"] = _keep(entry, _MODEL_KEYS)
        if count:
            server["models_served"] = count
        if header:
            server["server_header"] = _clean_text(header)
    for path, pick in _SELF_DESCRIPTIONS.items():
        if path not in answers:
            continue
        body, header = answers[path]
        if not isinstance(body, dict):
            continue
        kept = pick(body)
        if kept:
            server[path] = kept
        if header and "server_header" not in server:
            server["server_header"] = _clean_text(header)
    return server


def _version(body: Mapping[str, Any]) -> dict[str, Any]:
    return _keep(body, ("version",))


def _tgi_info(body: Mapping[str, Any]) -> dict[str, Any]:
    return _keep(body, _TGI_KEYS)


def _llamacpp_props(body: Mapping[str, Any]) -> dict[str, Any]:
    kept = _keep(body, ("build_info", "total_slots"))
    settings = body.get("default_generation_settings")
    if isinstance(settings, dict) and isinstance(settings.get("n_ctx"), int):
        kept["n_ctx"] = settings["n_ctx"]
    path = body.get("model_path")
    if isinstance(path, str) and path:
        # The file's name says the model and its quantisation; the directory says nothing
        # about the model and may name a user.
        kept["model_file"] = _clean_text(re.split(r"[\\/]", path)[-1])
    return kept


_SELF_DESCRIPTIONS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "/props": _llamacpp_props,  # llama.cpp
    "/version": _version,  # vLLM
    "/info": _tgi_info,  # TGI
    "/api/version": _version,  # Ollama
}
"""Where each server family describes itself, keyed by path in the card, and what is kept."""

_AUTH_HEADERS = ("authorization", "x-api-key", "api-key", "x-goog-api-key")


def _client_secrets(client: httpx.AsyncClient) -> list[str]:
    """The credentials the caller's client sends: a server that echoes one must not leak it."""
    found: list[str] = []
    for name in _AUTH_HEADERS:
        value = client.headers.get(name)
        if value:
            found.append(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() in ("bearer", "basic", "token"):
                found.append(token)
    return [s for s in found if len(s) >= 4]


def _redact(value: Any, secrets: Sequence[str]) -> Any:
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in sorted(secrets, key=len, reverse=True):
            value = value.replace(secret, "***")
        return value
    if isinstance(value, dict):
        return {_redact(k, secrets): _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, secrets) for v in value]
    return value


async def _get_json(
    client: httpx.AsyncClient, url: str, timeout_s: float
) -> tuple[Any, str | None] | None:
    try:
        response = await client.get(url, timeout=timeout_s)
    except httpx.HTTPError:
        return None
    if response.status_code != 200 or len(response.content) > MAX_BODY:
        return None
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return body, response.headers.get("server")


def _pick_model(body: Any, configured: str | None) -> tuple[dict[str, Any] | None, int]:
    """The models entry of the configured model, else the only one; and how many there are."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None, 0
    entries = [e for e in data if isinstance(e, dict) and isinstance(e.get("id"), str)]
    match = next((e for e in entries if e["id"] == configured), None)
    if match is None and len(entries) == 1:
        match = entries[0]
    return match, len(entries)


def _keep(body: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {k: _clean(body[k]) for k in keys if k in body and body[k] is not None}


def _clean(value: Any, depth: int = 0) -> Any:
    """A JSON value made safe to publish: no secret-named keys, no credentials, bounded."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str):
        return _clean_text(value)
    if depth >= 2:
        return None
    if isinstance(value, dict):
        return {
            _clean_text(str(k)): _clean(v, depth + 1)
            for k, v in list(value.items())[:30]
            if not looks_secret(str(k))
        }
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value[:20]]
    return None


def _clean_text(value: str) -> str:
    text = _URL.sub(lambda m: public_url(m.group(0)) or "<url>", str(value))
    text = _CONTROLS.sub("", text)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"
