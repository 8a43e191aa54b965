"""Provider type -> factory; each factory imports its SDK only when called.

Importing ``runtime`` must not load openai, anthropic or google.genai (they cost hundreds of
milliseconds at start-up and most runs use one of them at most), so every adapter module is
imported inside its factory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ..errors import ProviderError
from ..plan import ProviderSpec, ScriptedProvider
from .base import Provider

__all__ = ["create_provider", "optional_extras", "preload_adapters", "provider_types"]

_Factory = Callable[[ProviderSpec, Mapping[str, str] | None], Provider]


def _scripted(spec: ProviderSpec, env: Mapping[str, str] | None) -> Provider:
    from .scripted import ScriptedChatProvider

    assert isinstance(spec, ScriptedProvider)
    return ScriptedChatProvider(spec)


def _openai(spec: ProviderSpec, env: Mapping[str, str] | None) -> Provider:
    from .openai import create

    return create(spec, env)


def _anthropic(spec: ProviderSpec, env: Mapping[str, str] | None) -> Provider:
    from .anthropic import create

    return create(spec, env)


def _google(spec: ProviderSpec, env: Mapping[str, str] | None) -> Provider:
    from .google import create

    return create(spec, env)


_FACTORIES: dict[str, _Factory] = {
    "scripted": _scripted,
    "openai": _openai,
    "azure": _openai,
    "anthropic": _anthropic,
    "bedrock_anthropic": _anthropic,
    "google": _google,
    "vertex": _google,
}


_ADAPTERS = {
    "openai": "openai",
    "azure": "openai",
    "anthropic": "anthropic",
    "bedrock_anthropic": "anthropic",
    "google": "google",
    "vertex": "google",
}
"""Provider type -> its adapter module under runtime.providers (each imports its SDK)."""


def preload_adapters(specs: Iterable[ProviderSpec]) -> None:
    """Import the adapter modules (and so the SDKs) these providers need; errors are left to
    ``create_provider``, which reports them properly.

    Meant for a worker thread: an SDK import costs 1.5-3.4 s of CPU here, which can overlap
    with MCP server processes starting (runtime/runner.py).
    """
    import importlib

    for module in dict.fromkeys(_ADAPTERS[s.type] for s in specs if s.type in _ADAPTERS):
        try:
            importlib.import_module(f"{__package__}.{module}")
        except Exception:  # create_provider raises it with a clear message
            continue


_PACKAGES = {
    "openai": "openai",
    "azure": "openai",
    "anthropic": "anthropic",
    "bedrock_anthropic": "anthropic",
    "google": "google-genai",
    "vertex": "google-genai",
}


def optional_extras(specs: Iterable[ProviderSpec]) -> list[str]:
    """The optional extras of bench (pyproject.toml) that these providers need, sorted.

    Bedrock signs requests with botocore (``bedrock``); Azure with Entra ID authentication
    takes its tokens from azure-identity (``azure``). The GitHub Action installs just these.
    """
    extras: set[str] = set()
    for spec in specs:
        if spec.type == "bedrock_anthropic":
            extras.add("bedrock")
        elif spec.type == "azure" and getattr(spec, "auth", "api_key") == "entra_id":
            extras.add("azure")
    return sorted(extras)


def provider_types() -> list[str]:
    """The provider ``type`` values this runtime can create."""
    return sorted(_FACTORIES)


def create_provider(spec: ProviderSpec, *, env: Mapping[str, str] | None = None) -> Provider:
    """Build the adapter for ``spec``, resolving its secrets from ``env`` (default os.environ).

    Raises ``MissingSecretError`` (an ``InputError``) when a key's variable is unset, and
    ``ProviderError`` when the SDK or an optional extra it needs is not installed.
    """
    factory = _FACTORIES.get(spec.type)
    if factory is None:  # the plan's discriminated union makes this a programming error
        raise ProviderError(f"unknown provider type {spec.type!r}", provider=spec.name)
    try:
        return factory(spec, env)
    except ImportError as exc:
        # The SDKs are dependencies, but a trimmed environment may lack one.
        package = _PACKAGES.get(spec.type, exc.name or "its SDK")
        raise ProviderError(
            f"provider '{spec.name}' (type {spec.type}) needs the {package} package, which "
            f"cannot be imported ({exc}); pip install {package}",
            provider=spec.name,
        ) from exc
