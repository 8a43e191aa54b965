"""What tokens cost: a versioned price table shipped as data, overridable per suite.

``runtime/prices.json`` lists list prices per 1M tokens (input, cached input, output) for the
common OpenAI, Anthropic and Gemini models, under a ``price_version`` that reports record so
a cost can always be traced to the prices it used. A suite can override or add models.

Model names are matched exactly after normalising what providers add to them: a provider
prefix (``openai/gpt-4o``, ``models/gemini-2.5-flash``), a date or version suffix
(``gpt-4o-2024-08-06``, ``claude-sonnet-4-5-20250929``, ``gemini-2.0-flash-001``,
``-latest``). There is no prefix guessing (``gpt-4o`` must never price ``gpt-4o-mini``): an
unknown model costs ``None``, never a made-up number.

Cost of a call = (input - cached) x input price + cached x cached-input price
+ output x output price. Judge calls are priced apart from the agent's (``CaseCost``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import InputError
from .transcript import LlmCall, TokenUsage

__all__ = [
    "CaseCost",
    "ModelPrice",
    "PriceTable",
    "case_cost",
    "cost_of",
    "default_table",
    "table_for",
]

_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3}|latest|preview(?:-\d{2}-\d{2,4})?)$")


@dataclass(frozen=True)
class ModelPrice:
    """USD per 1M tokens."""

    input: float
    output: float
    cached_input: float | None = None
    """Price of a cache read; None means the input price."""

    def cost(self, usage: TokenUsage) -> float:
        """USD for ``usage`` (cached tokens are part of ``usage.input``)."""
        cached = min(usage.cached, usage.input)
        cached_price = self.input if self.cached_input is None else self.cached_input
        total = (
            (usage.input - cached) * self.input + cached * cached_price + usage.output * self.output
        )
        return round(total / 1_000_000, 10)


def _normalise(model: str) -> list[str]:
    """Candidate keys for ``model``, most specific first."""
    name = model.strip().lower()
    candidates = [name]
    if "/" in name:
        name = name.rsplit("/", 1)[1]
        candidates.append(name)
    while True:
        stripped = _SUFFIX.sub("", name)
        if stripped == name:
            break
        name = stripped
        candidates.append(name)
    return candidates


_FOUND_MAX = 1024
"""Model names a table remembers the price of (``PriceTable.price_of``)."""


@dataclass(frozen=True)
class PriceTable:
    """Prices per model, with the version they come from."""

    version: str
    prices: Mapping[str, ModelPrice]
    aliases: Mapping[str, str] = field(default_factory=dict)
    _found: dict[str, ModelPrice | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Each model name asked for, and its price: a run asks for the same few every case."""

    def price_of(self, model: str | None) -> ModelPrice | None:
        """The price of ``model``, or None when the table does not know it."""
        if not model:
            return None
        try:
            return self._found[model]
        except KeyError:
            pass
        price = None
        for key in _normalise(model):
            key = self.aliases.get(key, key)
            if key in self.prices:
                price = self.prices[key]
                break
        if len(self._found) < _FOUND_MAX:  # model names come from providers' answers
            self._found[model] = price
        return price

    def cost_of(self, model: str | None, usage: TokenUsage) -> float | None:
        """USD for ``usage`` on ``model``; None for an unknown model."""
        price = self.price_of(model)
        return None if price is None else price.cost(usage)

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]] | None) -> PriceTable:
        """A table where ``overrides`` (model -> {input, output, cached_input}) win.

        Raises InputError naming the model when an entry is not a valid price.
        """
        if not overrides:
            return self
        prices = dict(self.prices)
        for model, entry in overrides.items():
            prices[model.strip().lower()] = _price(model, entry)
        version = f"{self.version}+suite"
        return PriceTable(version=version, prices=prices, aliases=self.aliases)


def _price(model: str, entry: Mapping[str, Any]) -> ModelPrice:
    if not isinstance(entry, Mapping):
        raise InputError(f"price of {model!r} must be a mapping with input and output")
    unknown = set(entry) - {"input", "output", "cached_input"}
    if unknown:
        raise InputError(
            f"price of {model!r} has unknown field(s) {sorted(unknown)}; "
            "use input, output, cached_input (USD per 1M tokens)"
        )
    values: dict[str, float] = {}
    for key in ("input", "output", "cached_input"):
        value = entry.get(key)
        if value is None and key != "cached_input":
            raise InputError(f"price of {model!r} needs {key} (USD per 1M tokens)")
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InputError(f"price of {model!r}: {key} must be a number >= 0, got {value!r}")
            values[key] = float(value)
    return ModelPrice(
        input=values["input"], output=values["output"], cached_input=values.get("cached_input")
    )


@lru_cache(maxsize=1)
def default_table() -> PriceTable:
    """The price table shipped with bench (runtime/prices.json)."""
    text = resources.files("runtime").joinpath("prices.json").read_text(encoding="utf-8")
    data = json.loads(text)
    prices = {name: _price(name, entry) for name, entry in data["models"].items()}
    return PriceTable(
        version=str(data["price_version"]), prices=prices, aliases=dict(data.get("aliases", {}))
    )


def cost_of(
    model: str | None,
    usage: TokenUsage,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> float | None:
    """USD for ``usage`` on ``model`` with the shipped prices (and ``overrides``)."""
    return default_table().with_overrides(overrides).cost_of(model, usage)


def table_for(prices: Any) -> PriceTable:
    """The shipped table with a plan's ``prices`` overrides (None, a mapping, or models).

    Accepts model -> {input, output, cached_input} mappings and pydantic entries alike, so the
    plan can keep its prices in whatever frozen form the compiler gives them.
    """
    if not prices:
        return default_table()
    if hasattr(prices, "model_dump"):
        prices = prices.model_dump(exclude_none=True)
    overrides = {
        str(model): entry.model_dump(exclude_none=True) if hasattr(entry, "model_dump") else entry
        for model, entry in dict(prices).items()
    }
    return default_table().with_overrides(overrides)


@dataclass
class CaseCost:
    """A case's cost, the agent's calls and the judge's kept apart."""

    agent_usd: float | None = None
    """None when no agent call could be priced (or there were none)."""
    judge_usd: float | None = None
    unpriced_models: list[str] = field(default_factory=list)
    """Models that made calls but are not in the table (their calls add nothing)."""


def case_cost(calls: Iterable[LlmCall], table: PriceTable | None = None) -> CaseCost:
    """Sum the cost of ``calls`` by purpose; unknown models are listed, not guessed."""
    table = table or default_table()
    result = CaseCost()
    for call in calls:
        cost = table.cost_of(call.model, call.usage)
        if cost is None:
            if call.usage.total and call.model not in result.unpriced_models:
                result.unpriced_models.append(call.model)
            continue
        if call.purpose == "judge":
            result.judge_usd = round((result.judge_usd or 0.0) + cost, 10)
        else:
            result.agent_usd = round((result.agent_usd or 0.0) + cost, 10)
    return result
