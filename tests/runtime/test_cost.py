"""Cost from the shipped price table: matching model names, overrides, judge kept apart."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from runtime.cost import PriceTable, case_cost, cost_of, default_table
from runtime.errors import InputError
from runtime.transcript import LlmCall, TokenUsage


@pytest.mark.requirement("cost:price-table")
def test_table_is_versioned_package_data_with_all_three_providers() -> None:
    raw = json.loads(resources.files("runtime").joinpath("prices.json").read_text())
    table = default_table()
    assert table.version == raw["price_version"]
    for model in ("gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash"):
        assert table.price_of(model) is not None, model


@pytest.mark.requirement("cost:price-table")
def test_cost_counts_cached_input_at_its_own_price() -> None:
    # gpt-4o-mini: 0.15 in, 0.075 cached, 0.60 out per 1M.
    usage = TokenUsage(input=1_000_000, output=500_000, cached=400_000)
    assert cost_of("gpt-4o-mini", usage) == pytest.approx(0.6 * 0.15 + 0.4 * 0.075 + 0.5 * 0.6)
    assert cost_of("gpt-4o-mini", TokenUsage()) == 0.0


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("openai/gpt-4o-mini", "gpt-4o-mini"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ("models/gemini-2.0-flash-001", "gemini-2.0-flash"),
        ("GPT-4.1", "gpt-4.1"),
    ],
)
def test_model_names_are_normalised(model: str, key: str) -> None:
    table = default_table()
    assert table.price_of(model) == table.prices[key]


def test_no_prefix_guessing_unknown_models_cost_none() -> None:
    table = default_table()
    assert table.price_of("gpt-4o-mini") != table.price_of("gpt-4o")
    assert cost_of("gpt-4o-turbo-max", TokenUsage(input=10)) is None
    assert cost_of(None, TokenUsage(input=10)) is None
    assert cost_of("my-local-llama", TokenUsage(input=10)) is None


@pytest.mark.requirement("cost:overrides")
def test_suite_overrides_replace_and_add_models() -> None:
    overrides = {
        "gpt-4o": {"input": 1, "output": 2},
        "my-local-llama": {"input": 0.0, "output": 0.0, "cached_input": 0.0},
    }
    table = default_table().with_overrides(overrides)
    assert table.version.endswith("+suite")
    assert table.cost_of("gpt-4o", TokenUsage(input=1_000_000, output=1_000_000)) == 3.0
    # without cached_input, cached tokens cost the input price
    assert table.cost_of("gpt-4o", TokenUsage(input=1_000_000, cached=1_000_000)) == 1.0
    assert table.cost_of("my-local-llama", TokenUsage(input=5)) == 0.0
    assert default_table().cost_of("my-local-llama", TokenUsage(input=5)) is None


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"input": 1}, "needs output"),
        ({"input": -1, "output": 1}, "must be a number >= 0"),
        ({"input": 1, "output": 1, "cache": 1}, "unknown field"),
        ({"input": "cheap", "output": 1}, "must be a number"),
    ],
)
def test_bad_override_is_an_input_error_naming_the_model(entry: dict, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        default_table().with_overrides({"m1": entry})
    assert "'m1'" in str(info.value)


@pytest.mark.requirement("cost:judge-apart")
def test_case_cost_keeps_judge_apart_and_lists_unpriced_models() -> None:
    m = 1_000_000
    calls = [
        LlmCall(provider="openai", model="gpt-4o-mini", usage=TokenUsage(input=m, output=0)),
        LlmCall(provider="openai", model="gpt-4o-mini", usage=TokenUsage(input=0, output=m)),
        LlmCall(provider="openai", model="gpt-4o", usage=TokenUsage(input=m), purpose="judge"),
        LlmCall(provider="x", model="mystery", usage=TokenUsage(input=10)),
    ]
    cost = case_cost(calls)
    assert cost.agent_usd == pytest.approx(0.75)
    assert cost.judge_usd == pytest.approx(2.5)
    assert cost.unpriced_models == ["mystery"]
    assert case_cost([]).agent_usd is None


def test_table_is_plain_data() -> None:
    table = PriceTable(version="v", prices={})
    assert table.cost_of("gpt-4o", TokenUsage(input=1)) is None


def test_a_tables_prices_are_its_own_however_often_asked() -> None:
    """A table remembers the prices it found; a table with overrides finds its own."""
    base = default_table()
    usage = TokenUsage(input=1_000_000, output=0)
    name = next(iter(base.prices))
    shipped = [base.cost_of(name, usage) for _ in range(3)]
    assert shipped[0] is not None and len(set(shipped)) == 1
    assert [base.cost_of("no-such-model", usage) for _ in range(2)] == [None, None]
    overridden = base.with_overrides({name: {"input": 1234.0, "output": 1.0},
                                      "no-such-model": {"input": 2.0, "output": 1.0}})  # fmt: skip
    assert overridden.cost_of(name, usage) == 1234.0
    assert overridden.cost_of("no-such-model", usage) == 2.0
    assert base.cost_of(name, usage) == shipped[0] and base.cost_of("no-such-model", usage) is None
