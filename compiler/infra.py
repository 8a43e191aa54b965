"""Providers and servers: suite entries to plan specs (rendered, secrets as references).

Agents are lowered in agents.py."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from runtime.plan import (
    AnthropicProvider,
    AzureProvider,
    BedrockAnthropicProvider,
    CliServer,
    Generation,
    GoogleProvider,
    Header,
    HttpServer,
    OpenAIProvider,
    ProviderSpec,
    RateLimits,
    RetryPolicy,
    ScriptedProvider,
    ScriptedReply,
    ScriptedToolCall,
    SecretRef,
    ServerSpec,
    Span,
    SseServer,
    StdioServer,
    VertexProvider,
)

from .checks.patterns import check_regex
from .diagnostics import Diagnostics
from .includes import Located
from .secrets import is_secret_env_name, is_secret_header, split_header
from .suite import ProviderDef, ServerDef
from .suite.providers import GENERATION_KEYS
from .suite.scalars import duration_ms
from .templating.render import Renderer

__all__ = ["lower_env", "lower_generation", "lower_provider", "lower_server", "split_command"]

_NEEDS_TOKEN = {"OPENAI", "ANTHROPIC", "GOOGLE", "GROQ", "AMAZON-ANTHROPIC"}
_APPLIES: dict[str, set[str]] = {
    "OPENAI": {"token", "baseUrl", "stream"},
    "GROQ": {"token", "baseUrl", "stream"},
    "OPENAI_COMPATIBLE": {"token", "baseUrl", "stream"},
    "AZURE": {"token", "baseUrl", "version", "auth_type", "stream"},
    "ANTHROPIC": {"token", "baseUrl", "stream"},
    "AMAZON-ANTHROPIC": {"token", "secret", "location", "baseUrl", "stream"},
    "GOOGLE": {"token", "baseUrl", "stream"},
    "VERTEX": {"project_id", "location", "credentials_path", "baseUrl", "stream"},
    "SCRIPTED": {"replies"},
}
_TYPE_KEYS: set[str] = set().union(*_APPLIES.values())


def _warn_ignored(item: Located[ProviderDef], diags: Diagnostics) -> None:
    p = item.value
    for key in sorted(_TYPE_KEYS - _APPLIES[p.type]):
        if item.doc.positions.has((*item.path, key)) and not (key == "stream" and not p.stream):
            diags.warn(
                "ignored-key",
                f"'{key}' does not apply to {p.type} providers and is ignored",
                item.span(key, key=True),
            )


_TOKEN_ENV = {
    "OPENAI": "OPENAI_API_KEY",
    "ANTHROPIC": "ANTHROPIC_API_KEY",
    "GOOGLE": "GOOGLE_API_KEY",
    "GROQ": "GROQ_API_KEY",
    "AMAZON-ANTHROPIC": "AWS_ACCESS_KEY_ID",
}


def _required(item: Located[ProviderDef]) -> list[tuple[str, str | None]]:
    """(what is missing, hint) for each key the provider's type needs but lacks."""
    p = item.value
    ptype = p.type
    missing: list[tuple[str, str | None]] = []
    if ptype != "SCRIPTED" and not p.model:
        missing.append(("model", None))
    if ptype in _NEEDS_TOKEN and not p.token:
        missing.append(("token", f'token: "{{{{{_TOKEN_ENV[ptype]}}}}}"'))
    if ptype == "AMAZON-ANTHROPIC" and not p.secret:
        missing.append(("secret", 'secret: "{{AWS_SECRET_ACCESS_KEY}}"'))
    if ptype == "AZURE" and (p.auth_type or "api_key") == "api_key" and not p.token:
        missing.append(("token", 'token: "{{AZURE_OPENAI_API_KEY}}", or auth_type: entra_id'))
    if ptype == "AZURE":
        missing += [
            (k, None) for k, v in (("baseUrl", p.base_url), ("version", p.version)) if not v
        ]
    if ptype == "OPENAI_COMPATIBLE" and not p.base_url:
        missing.append(("baseUrl", "e.g. baseUrl: http://localhost:11434/v1 for Ollama"))
    if ptype == "SCRIPTED" and not p.replies:
        missing.append(("replies", None))
    return missing


def _replies(item: Located[ProviderDef], diags: Diagnostics) -> tuple[ScriptedReply, ...] | None:
    ok = True
    replies = []
    for i, rep in enumerate(item.value.replies or []):
        if rep.when is not None:
            ok = check_regex(rep.when, item.span("replies", i, "when"), diags, what="when") and ok
        replies.append(
            ScriptedReply(
                when=rep.when,
                text=rep.text,
                tool_calls=tuple(
                    ScriptedToolCall(name=tc.name, arguments=tc.arguments) for tc in rep.tool_calls
                ),
                input_tokens=rep.input_tokens,
                output_tokens=rep.output_tokens,
                delay_ms=duration_ms(rep.delay) if rep.delay else 0,
            )
        )
    return tuple(replies) if ok else None


def _policies(p: ProviderDef) -> tuple[RateLimits, RetryPolicy]:
    rl = RateLimits()
    if p.rate_limits is not None:
        rl = RateLimits(tpm=p.rate_limits.tpm or None, rpm=p.rate_limits.rpm or None)
    keys: dict[str, Any] = {}
    if p.retry is not None:
        # 0 is a count like any other (no retries), so only an absent key takes the default.
        if p.retry.retry_on_429 is not None:
            keys["retry_on_429"] = p.retry.retry_on_429
        if p.retry.max_retries is not None:
            keys["max_retries"] = p.retry.max_retries
    if p.timeout is not None:
        keys["timeout_ms"] = duration_ms(p.timeout)  # "0": no deadline
    return rl, RetryPolicy(**keys)


_UNSUPPORTED: dict[str, tuple[str, ...]] = {
    "ANTHROPIC": ("temperature", "top_p", "seed"),
    "AMAZON-ANTHROPIC": ("temperature", "top_p", "seed"),
    "SCRIPTED": GENERATION_KEYS,
}
"""Generation keys a provider type's API does not take (Anthropic's messages API, as its
SDK defines it, takes only max_tokens and stop_sequences)."""


def lower_generation(
    item: Located[Any], diags: Diagnostics, *, ptype: str | None, owner: str
) -> Generation | None:
    """The generation parameters of a provider or agent entry; None when one is wrong.

    ``ptype`` is the provider type they are sent to (None: not known here). A key that type
    has no use for is a warning and left out of the plan (``temperature`` on Anthropic, any
    key on SCRIPTED).
    """
    g = item.value
    unsupported = _UNSUPPORTED.get(ptype or "", ())
    why = "" if ptype == "SCRIPTED" else " (their API has none)"
    for key in unsupported:
        if getattr(g, key) is not None:
            diags.warn(
                "ignored-key",
                f"'{key}' does not apply to {ptype} providers{why} and is ignored",
                item.span(key, key=True),
            )
    if ptype == "SCRIPTED":
        return Generation()
    stop = (g.stop,) if isinstance(g.stop, str) else tuple(g.stop or ())
    if any(not s for s in stop):
        diags.add("invalid-value", f"{owner}: an empty stop sequence", item.span("stop"))
        return None
    kept = {k: getattr(g, k) for k in ("temperature", "top_p", "seed") if k not in unsupported}
    return Generation(max_tokens=g.max_tokens, stop=stop, **kept)


def lower_provider(
    item: Located[ProviderDef], ctx: Mapping[str, str], r: Renderer, diags: Diagnostics
) -> ProviderSpec | None:
    """The plan spec of one provider, or None when it has errors (already reported)."""
    p = item.value
    ptype = p.type
    _warn_ignored(item, diags)
    fields = StaticFields(item, ctx, r)
    text = fields.text

    def cred(key: str, value: str | None, *, literal_ok: bool = False) -> SecretRef | None:
        if value is None:
            return None
        out = r.credential(
            value, ctx, item.span(key), what=f"provider '{p.name}' {key}", literal_ok=literal_ok
        )
        if out is None:
            fields.ok = False
            return None
        return SecretRef(template=out) if isinstance(out, str) else out

    model = text("model", p.model)
    base_url = text("baseUrl", p.base_url)
    for key, hint in _required(item):
        diags.add(
            "missing-key",
            f"provider '{p.name}' ({ptype}) needs '{key}'",
            item.span("name"),
            hint=hint,
        )
        fields.ok = False
    token = cred("token", p.token)
    secret = cred("secret", p.secret)
    rl, retry = _policies(p)
    generation = lower_generation(item, diags, ptype=ptype, owner=f"provider '{p.name}'")
    if generation is None:
        fields.ok = False
        generation = Generation()
    common = {
        "name": p.name,
        "rate_limits": rl,
        "retry": retry,
        "generation": generation,
        "span": item.span(),
    }
    spec: ProviderSpec
    if ptype == "SCRIPTED":
        replies = _replies(item, diags)
        if replies is None or not fields.ok:
            return None
        return ScriptedProvider(model=model or "scripted", replies=replies, **common)
    if not fields.ok or model is None:
        return None
    if ptype in ("OPENAI", "GROQ", "OPENAI_COMPATIBLE"):
        flavor = {"OPENAI": "openai", "GROQ": "groq", "OPENAI_COMPATIBLE": "compatible"}[ptype]
        spec = OpenAIProvider(
            model=model, flavor=flavor, api_key=token, base_url=base_url, stream=p.stream, **common
        )
    elif ptype == "AZURE":
        spec = AzureProvider(
            model=model,
            auth=p.auth_type or "api_key",
            api_key=token,
            base_url=base_url or "",
            api_version=text("version", p.version) or "",
            stream=p.stream,
            **common,
        )
    elif ptype == "ANTHROPIC":
        spec = AnthropicProvider(
            model=model, api_key=token, base_url=base_url, stream=p.stream, **common
        )
    elif ptype == "AMAZON-ANTHROPIC":
        spec = BedrockAnthropicProvider(
            model=model,
            access_key=token,
            secret_key=secret,
            region=text("location", p.location),
            base_url=base_url,
            stream=p.stream,
            **common,
        )
    elif ptype == "GOOGLE":
        spec = GoogleProvider(
            model=model, api_key=token, base_url=base_url, stream=p.stream, **common
        )
    else:  # VERTEX
        spec = VertexProvider(
            model=model,
            project_id=text("project_id", p.project_id),
            location=text("location", p.location),
            credentials_path=cred("credentials_path", p.credentials_path, literal_ok=True),
            base_url=base_url,
            stream=p.stream,
            **common,
        )
    return spec if fields.ok else None


def split_command(command: str | None, span: Span, diags: Diagnostics) -> tuple[str, ...] | None:
    """A stdio server's or external agent's command split like a shell's argv.

    None when it cannot be split or is empty (reported at ``span``); ``()`` when there is no
    command (a missing or unrenderable command is reported by the caller).
    """
    if command is None:
        return ()
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        diags.add("invalid-value", f"cannot split command: {exc}", span, hint="balance the quotes")
        return None
    if not argv:
        diags.add("invalid-value", "command is empty", span)
        return None
    return tuple(argv)


def lower_env(
    item: Located[Any],
    env: Mapping[str, str] | None,
    ctx: Mapping[str, str],
    r: Renderer,
    *,
    what: str,
) -> dict[str, str | SecretRef] | None:
    """A process's ``env:`` with secret-looking names as credentials; None when any failed.

    ``what`` prefixes each value's name in messages (``"agent 'x' "``); every problem is reported.
    """
    out: dict[str, str | SecretRef] = {}
    ok = True
    for k, v in (env or {}).items():
        value = r.credential(v, ctx, item.span("env", k), what=f"{what}env {k}",
                             literal_ok=not is_secret_env_name(k))  # fmt: skip
        if value is None:
            ok = False
        else:
            out[k] = value
    return out if ok else None


_SERVER_KEYS = {
    "stdio": {"command", "env", "working_dir"},
    "sse": {"url", "headers"},
    "http": {"url", "headers"},
    "injected": {"tools", "results", "default"},
    "cli": {
        "command",
        "shell",
        "working_dir",
        "tool_prefix",
        "help_commands",
        "help_command",
        "disable_help_auto_discovery",
    },
}
_ALL_SERVER_KEYS = set().union(*_SERVER_KEYS.values())


class StaticFields:
    """Renders one definition's text fields, which must be complete at compile time.

    ``ok`` turns False once a field fails (its problem is already reported), so a lowering
    can report every field's problem before it gives up on the definition.
    """

    def __init__(self, item: Located[Any], ctx: Mapping[str, str], r: Renderer) -> None:
        self.item = item
        self.ctx = ctx
        self.r = r
        self.ok = True

    def text(self, key: str, value: str | None, *sub: str | int) -> str | None:
        """``value`` (the field at ``key``, ``sub``) rendered; None if absent or it failed."""
        if value is None:
            return None
        out = self.r.render_static(value, self.ctx, self.item.span(key, *sub))
        self.ok = self.ok and out is not None
        return out


class _ServerLowering(StaticFields):
    """Renders one server entry's fields; ``ok`` turns False on the first reported problem."""

    def __init__(
        self, item: Located[ServerDef], ctx: Mapping[str, str], r: Renderer, diags: Diagnostics
    ) -> None:
        super().__init__(item, ctx, r)
        self.s = item.value
        self.diags = diags

    def invalid(self, message: str, *where: str | int, hint: str | None = None) -> None:
        self.diags.add("invalid-value", message, self.item.span(*where), hint=hint)
        self.ok = False

    def warn_ignored(self) -> None:
        s, item = self.s, self.item
        for key in sorted(_ALL_SERVER_KEYS - _SERVER_KEYS[s.type]):
            if item.doc.positions.has((*item.path, key)):
                self.diags.warn("ignored-key", f"'{key}' does not apply to {s.type} servers and is ignored",
                                item.span(key, key=True))  # fmt: skip
        if s.tools_from_cli is not None:
            self.diags.warn("ignored-key", "'tools_from_cli' is ignored (agent-benchmark never used it)",
                            item.span("tools_from_cli", key=True))  # fmt: skip

    def common(self) -> dict[str, Any]:
        s = self.s
        out: dict[str, Any] = {"name": s.name, "span": self.item.span()}
        out["lifecycle"] = s.lifecycle
        if s.server_delay:
            out["server_delay_ms"] = duration_ms(s.server_delay)
        if s.process_delay:
            out["process_delay_ms"] = duration_ms(s.process_delay)
        return out

    def stdio(self) -> StdioServer | None:
        s = self.s
        command = self.text("command", s.command)
        argv = split_command(command, self.item.span("command"), self.diags)
        env = lower_env(self.item, s.env, self.ctx, self.r, what="")
        wd = self.text("working_dir", s.working_dir)
        if not self.ok or argv is None or env is None:
            return None
        return StdioServer(command=argv, env=env, working_dir=wd, **self.common())

    def remote(self) -> SseServer | HttpServer | None:
        s = self.s
        url = self.text("url", s.url)
        if url is not None and (not url.startswith(("http://", "https://")) or url != url.strip()):
            self.invalid(f"url must start with http:// or https://, got {url!r}", "url")
        headers: list[Header] = []
        for i, raw in enumerate(s.headers or []):
            parts = split_header(raw)
            if parts is None:
                self.invalid(f"header {raw!r} is not 'Key: Value'", "headers", i,
                             hint='write headers as a list of "Name: value" strings')  # fmt: skip
                continue
            name, value = parts
            out = self.r.credential(value, self.ctx, self.item.span("headers", i), what=f"header {name}",
                                    literal_ok=not is_secret_header(name))  # fmt: skip
            if out is None:
                self.ok = False
            else:
                headers.append(Header(name=name, value=out))
        if not self.ok or url is None:
            return None
        cls = SseServer if s.type == "sse" else HttpServer
        return cls(url=url, headers=tuple(headers), **self.common())

    def cli(self) -> CliServer | None:
        s = self.s
        command = self.text("command", s.command)
        helps = list(s.help_commands or [])
        if s.help_command:
            self.diags.warn("deprecated-key", "'help_command' is deprecated; use help_commands: [...]",
                            self.item.span("help_command", key=True))  # fmt: skip
            helps = [s.help_command, *helps]
        rendered = tuple(self.text("help_commands", h) or "" for h in helps)
        extra: dict[str, Any] = {}
        for key in ("shell", "working_dir", "tool_prefix"):
            val = self.text(key, getattr(s, key))
            if val is not None:
                extra[key] = val
        if extra.get("shell") not in (None, *_SHELLS):
            self.invalid(
                f"unknown shell {extra['shell']!r}", "shell", hint="one of " + ", ".join(_SHELLS)
            )
        if not self.ok or command is None:
            return None
        return CliServer(command=command, help_commands=rendered,
                         disable_help_auto_discovery=s.disable_help_auto_discovery, **extra, **self.common())  # fmt: skip


_SHELLS = ("bash", "sh", "zsh", "pwsh", "powershell", "cmd")


def lower_server(
    item: Located[ServerDef], ctx: Mapping[str, str], r: Renderer, diags: Diagnostics
) -> ServerSpec | None:
    """The plan spec of one server, or None when it has errors (already reported)."""
    low = _ServerLowering(item, ctx, r, diags)
    low.warn_ignored()
    s = item.value
    if s.type == "injected":
        from .scenario import lower_injected

        return lower_injected(item, low.common(), diags)
    need = "command" if s.type in ("stdio", "cli") else "url"
    if not getattr(s, need):
        diags.add("missing-key", f"{s.type} server '{s.name}' needs '{need}'", item.span("name"))
        return None
    if s.type == "stdio":
        return low.stdio()
    if s.type == "cli":
        return low.cli()
    return low.remote()
