"""Numbers keep their YAML text in string fields; the suite's prices: block reaches the plan."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from runtime.cost import default_table
from runtime.plan import ModelPrice, Plan, parse_plan
from runtime.transcript import TokenUsage
from tests.compiler.conftest import BASE, compile_errors, compile_ok


@pytest.mark.requirement("suite:float-text")
def test_numbers_in_string_fields_keep_their_source_text(write: Callable[..., Path]) -> None:
    text = BASE + (
        "sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: 1.50\n"
        "        assertions:\n"
        "          - {type: output_contains, value: 1.50}\n"
        "          - {type: output_contains, value: 007}\n"
        "          - {type: output_contains, value: 0x1F}\n"
        "          - {type: output_contains, value: 1e3}\n"
        "          - {type: output_contains, value: 2.5}\n"
        "          - {type: tool_param_equals, tool: t, params: {price: 10.0}}\n"
        "          - {type: tool_call_count, count: 2}\n"
    )
    case = compile_ok(write(text)).cases[0]
    assert case.prompt == "1.50"
    values = [a.value for a in case.assertions[:5]]  # type: ignore[union-attr]
    assert values == ["1.50", "007", "0x1F", "1e3", "2.5"]
    assert case.assertions[5].params == {"price": "10.0"}  # type: ignore[union-attr]
    assert case.assertions[6].count == 2  # type: ignore[union-attr]  # int fields still numbers


@pytest.mark.requirement("suite:float-text")
def test_numeric_fields_still_read_numbers(write: Callable[..., Path]) -> None:
    text = BASE.replace("      - text: done\n", "      - {text: done, input_tokens: 010}\n") + (
        "criteria: {success_rate: 0.80}\n"
        "sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: p\n"
        "        assertions: [{type: f1, threshold: 0.50}]\n"
    )
    plan = compile_ok(write(text))
    assert plan.criteria.success_rate == 0.8
    assert plan.cases[0].assertions[0].threshold == 0.5  # type: ignore[union-attr]
    assert plan.providers[0].replies[0].input_tokens == 10  # type: ignore[union-attr]
    assert '"success_rate": 0.8' in plan.dumps()


PRICES = """\
prices:
  my-finetune: {input: 2, output: 8.5, cached_input: 0.5}
  gpt-4o-mini: {input: 0.20, output: 0.80}
sessions:
  - name: s
    tests:
      - {name: t, prompt: p}
"""


@pytest.mark.requirement("suite:prices")
@pytest.mark.requirement("cost:overrides")
def test_prices_block_reaches_the_plan_and_overrides_the_table(write: Callable[..., Path]) -> None:
    plan = compile_ok(write(BASE + PRICES))
    assert plan.prices == {
        "my-finetune": ModelPrice(input=2, output=8.5, cached_input=0.5),
        "gpt-4o-mini": ModelPrice(input=0.2, output=0.8),
    }
    # The runtime builds its table like this (runtime/cost.py's override shape).
    table = default_table().with_overrides(
        {m: p.model_dump(exclude_none=True) for m, p in plan.prices.items()}
    )
    usage = TokenUsage(input=1_000_000, output=1_000_000, cached=0)
    assert table.cost_of("gpt-4o-mini", usage) == pytest.approx(1.0)
    assert table.cost_of("my-finetune", usage) == pytest.approx(10.5)
    assert parse_plan(json.loads(plan.dumps())) == plan


@pytest.mark.requirement("suite:prices")
@pytest.mark.parametrize(
    ("entry", "code"),
    [
        ("m: {input: 1}", "missing-key"),
        ("m: {input: -1, output: 2}", "invalid-value"),
        ("m: {input: 1, output: 2, cache: 1}", "unknown-key"),
    ],
)
def test_bad_prices_are_diagnostics(write: Callable[..., Path], entry: str, code: str) -> None:
    text = (
        BASE
        + "prices:\n  "
        + entry
        + "\nsessions:\n  - name: s\n    tests:\n      - {name: t, prompt: p}\n"
    )
    errors = compile_errors(write(text))
    assert any(e.code == code and e.line == 10 for e in errors), errors


@pytest.mark.requirement("suite:prices")
def test_new_plan_fields_are_left_out_while_empty(write: Callable[..., Path]) -> None:
    """Plans without prices, history or revisions serialise (and hash) as before."""
    plan = compile_ok(
        write(BASE + "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: p}\n")
    )
    data = json.loads(plan.dumps())
    assert "prices" not in data and "history" not in data["units"][0]["cases"][0]
    assert all("revision" not in s for s in data["sources"])
    assert Plan.model_validate(data).compute_hash() == plan.hash
