"""The suite's response assertions, evaluated on a streamed answer (goodput's second test).

A load request is one user message with no tools and no session, so only the assertions that
read the answer itself apply: the output checks (``output_contains``, ``output_regex``,
``output_matches_json`` ...) and the answer evaluators (``exact_match``, ``f1``, ``regex``,
``multiple_choice``, ``json_match``), alone or combined with ``all_of``/``any_of``/``not``.
They run through the runtime's own evaluation (runtime/evaluate/) on a transcript of that one
exchange; any other assertion (tool calls, files, latency, ``llm_judge``) is left out. A prompt
with none of them has no verdict (``assertions_ok`` stays None).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..evaluate import EvalContext, evaluate
from ..plan import Assertion, Case
from ..transcript import Message, Transcript

__all__ = ["RESPONSE_TYPES", "response_assertions", "suite_judge"]

RESPONSE_TYPES = frozenset(
    {
        "output_contains",
        "output_not_contains",
        "output_regex",
        "output_json_valid",
        "output_matches_json",
        "exact_match",
        "f1",
        "regex",
        "multiple_choice",
        "json_match",
    }
)
"""Assertions decided by the answer's text alone."""


def _answer_only(node: Any) -> bool:
    if node.type in ("all_of", "any_of"):
        return all(_answer_only(c) for c in node.children)
    if node.type == "not":
        return _answer_only(node.child)
    return node.type in RESPONSE_TYPES


def response_assertions(case: Case) -> tuple[Assertion, ...]:
    """The case's top-level assertions that read only the answer."""
    return tuple(a for a in case.assertions if _answer_only(a))


def suite_judge(cases: Sequence[Case]) -> Callable[[int, str], bool | None] | None:
    """A judge for prompts ``cases[i].prompt``: did answer ``text`` to prompt ``i`` pass?

    None when no case has a response assertion (nothing to evaluate).
    """
    checks = [response_assertions(c) for c in cases]
    if not any(checks):
        return None

    def judge(index: int, text: str) -> bool | None:
        case, nodes = cases[index], checks[index]
        if not nodes:
            return None
        prompt = case.prompt if isinstance(case.prompt, str) else ""
        transcript = Transcript(
            messages=[
                Message(role="user", content=prompt),
                Message(role="assistant", content=text),
            ],
            final_output=text,
        )
        ctx = EvalContext(transcript, expected=case.expected, metadata=case.metadata)
        return all(r.passed for r in evaluate(nodes, ctx))

    return judge
