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

from .plan import Case, Plan, Unit, attempt_of, unit_attempts

__all__ = ["ANSWER_TOKENS", "CHARS_PER_TOKEN", "calls_per_case", "unit_tokens"]

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
