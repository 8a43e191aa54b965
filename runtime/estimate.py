"""The plan's estimated cost before a token is spent: tokenizer-free, from the prompts alone.

What sharding balances on (runtime/shard.py). The estimate of one (agent, session) unit:

- every attempt of the unit is its own conversation (``attempt_of``); in it each test makes at
  most ``max_iterations`` LLM calls (the upper bound ``bench compile`` prints);
- a call of a test sends the system prompt, the test's history turns, every earlier prompt of
  the session with an answer of ``ANSWER_TOKENS`` each, and the test's own prompt: its input
  tokens are those characters / ``CHARS_PER_TOKEN`` (as runtime/ratelimit.py estimates a
  request), plus the earlier answers;
- it answers ``ANSWER_TOKENS``.

So a session's cost grows with its length and with the length of its prompts, not with its
case count alone. Absolute figures are an upper bound (every test using every iteration); the
shares between units are what balancing reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from .plan import Case, Plan, Unit, attempt_of, unit_attempts

__all__ = [
    "ANSWER_TOKENS",
    "CHARS_PER_TOKEN",
    "ProviderEstimate",
    "calls_per_case",
    "expected_tokens",
    "provider_estimates",
    "unit_tokens",
]

CHARS_PER_TOKEN = 4
"""Characters per token of the estimate (English text with common tokenizers)."""
ANSWER_TOKENS = 100
"""Tokens an answer is expected to take (an answer's length is unknown before the run)."""
DEFAULT_CALLS = 10
"""LLM calls per test when ``settings.max_iterations`` is 0 or negative (the loop's default)."""


def calls_per_case(plan: Plan) -> int:
    """The upper bound of LLM calls one test makes: ``settings.max_iterations``."""
    n = plan.settings.max_iterations
    return n if n > 0 else DEFAULT_CALLS


def _chars(case: Case) -> int:
    prompt = case.prompt if isinstance(case.prompt, str) else case.prompt.source
    history = sum(len(str(turn.get("content") or "")) for turn in case.history)
    return len(prompt) + history


def unit_tokens(unit: Unit, calls: int) -> int:
    """Estimated tokens (input and output) of every attempt of ``unit``, ``calls`` per test."""
    total = 0
    for attempt in range(unit_attempts(unit)):
        chars = len(unit.system_prompt or "")
        answers = 0
        for case in attempt_of(unit, attempt).cases:
            chars += _chars(case)
            call = -(-chars // CHARS_PER_TOKEN) + answers + ANSWER_TOKENS
            total += calls * call
            answers += ANSWER_TOKENS
    return total


TOOL_CALLS = 2
"""Expected LLM calls of a test whose agent has tools (one tool round, then the answer);
without tools, 1."""


@dataclass(frozen=True)
class ProviderEstimate:
    """What a plan is expected to spend on one provider (``bench compile`` prints it)."""

    provider: str
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    """None when the price table does not know the model."""


def expected_tokens(unit: Unit, calls: int) -> tuple[int, int]:
    """(input, output) tokens of every attempt of ``unit`` at ``calls`` calls per test, each
    answer ``ANSWER_TOKENS`` long (the same conversation model as ``unit_tokens``)."""
    tokens_in = tokens_out = 0
    for attempt in range(unit_attempts(unit)):
        chars = len(unit.system_prompt or "")
        answers = 0
        for case in attempt_of(unit, attempt).cases:
            chars += _chars(case)
            tokens_in += calls * (-(-chars // CHARS_PER_TOKEN) + answers)
            tokens_out += calls * ANSWER_TOKENS
            answers += ANSWER_TOKENS
    return tokens_in, tokens_out


def provider_estimates(plan: Plan) -> list[ProviderEstimate]:
    """The expected calls, tokens and cost per provider of the built-in agents' units.

    An expectation, not the upper bound: a test makes one call, or ``TOOL_CALLS`` when its
    agent has tools; each answer is ``ANSWER_TOKENS`` long. External agents call their own
    models and are not estimated (judges neither).
    """
    from .cost import table_for
    from .plan import BuiltinAgent
    from .transcript import TokenUsage

    table = table_for(plan.prices)
    sums: dict[str, list[int]] = {}
    for unit in plan.units:
        agent = plan.agent(unit.agent)
        if not isinstance(agent, BuiltinAgent):
            continue
        calls = TOOL_CALLS if agent.servers or agent.skill is not None else 1
        tokens_in, tokens_out = expected_tokens(unit, calls)
        row = sums.setdefault(agent.provider, [0, 0, 0])
        row[0] += calls * sum(len(attempt_of(unit, a).cases) for a in range(unit_attempts(unit)))
        row[1] += tokens_in
        row[2] += tokens_out
    out = []
    for name, (calls, tokens_in, tokens_out) in sums.items():
        spec = plan.provider(name)
        model = spec.model
        usage = TokenUsage(input=tokens_in, output=tokens_out)
        cost = 0.0 if spec.type == "scripted" else table.cost_of(model, usage)
        out.append(ProviderEstimate(name, model, calls, tokens_in, tokens_out, cost))
    return out
