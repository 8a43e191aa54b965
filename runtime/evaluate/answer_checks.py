"""Evaluators (issue 6): compare the final output with a reference answer.

exact_match and f1 use the SQuAD normalisation (lower case, punctuation and the articles
a/an/the removed, whitespace collapsed) that PacaBench-style harnesses score answers with.
Each evaluator takes its reference from the node (``expected`` / ``pattern``) or, when the
node has none, from the case (``EvalContext.expected``: a dataset row's answer).
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..plan.assertions import ExactMatch, F1Score, JsonMatch, MultipleChoice, RegexEvaluator
from ..plan.templates import RuntimeTemplate
from ..results import AssertionResult
from .context import EvalContext, NotEvaluable, result, value_of
from .output_checks import not_json_result, parse_output_json, preview, regex_result

__all__ = [
    "exact_match",
    "f1",
    "f1_score",
    "json_match",
    "multiple_choice",
    "normalize_answer",
    "pick_choice",
    "regex",
]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)
_LETTERS = "ABCDEFGHIJ"


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    lowered = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", lowered).split())


def f1_score(prediction: str, reference: str) -> float:
    """Token-overlap F1 of the normalised texts (1.0 when both are empty)."""
    pred = normalize_answer(prediction).split()
    ref = normalize_answer(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred)
    recall = common / len(ref)
    return 2 * precision * recall / (precision + recall)


def _reference(value: str | RuntimeTemplate | None, ctx: EvalContext, kind: str) -> str:
    if value is not None:
        return value_of(value, ctx)
    if ctx.expected is None:
        raise NotEvaluable(
            f"{kind} has no expected answer: give `expected`, or use it on a dataset case"
        )
    return ctx.expected


def exact_match(node: ExactMatch, ctx: EvalContext) -> AssertionResult:
    """The output equals the expected answer (normalised unless ``normalize: false``)."""
    want = _reference(node.expected, ctx, node.type)
    output = ctx.transcript.final_output
    if node.normalize:
        got_n, want_n = normalize_answer(output), normalize_answer(want)
    else:
        got_n, want_n = output.strip(), want.strip()
    passed = got_n == want_n
    return result(
        node.type,
        passed,
        "Output matches the expected answer"
        if passed
        else "Output does not match the expected answer",
        expected=want,
        actual=preview(output),
        details={"normalized_expected": want_n, "normalized_actual": preview(got_n)},
        span=node.span,
    )


def f1(node: F1Score, ctx: EvalContext) -> AssertionResult:
    """Token-overlap F1 of output and expected answer is at least ``threshold``."""
    want = _reference(node.expected, ctx, node.type)
    output = ctx.transcript.final_output
    score = f1_score(output, want)
    passed = score >= node.threshold
    return result(
        node.type,
        passed,
        f"F1: {score:.3f} (threshold: {node.threshold:g})",
        expected=want,
        actual=preview(output),
        details={"score": round(score, 6), "threshold": node.threshold},
        span=node.span,
    )


def regex(node: RegexEvaluator, ctx: EvalContext) -> AssertionResult:
    """The output matches ``pattern`` (or the case's expected answer read as a regex)."""
    pattern = node.pattern if node.pattern is not None else _reference(None, ctx, node.type)
    return regex_result(
        node.type,
        pattern,
        ctx.transcript.final_output,
        span=node.span,
        ignore_case=node.ignore_case,
    )


# Ordered from most to least explicit; the first rule that finds a letter decides.
_CHOICE_RULES = (
    # Words in any case, the letter upper-case only: "the answer is a mammal" picks nothing.
    re.compile(r"(?i:\banswer)\s*(?i:is|:|=|-)?\s*(?i:option\s*)?\(?([A-J])\)?(?![A-Za-z])"),
    re.compile(r"(?i:\boption)\s*\(?([A-J])\)?(?![A-Za-z])"),
    re.compile(r"^\s*\**\(?([A-J])\)?\**\s*(?:[.):\-]|$)", re.MULTILINE),
    re.compile(r"\(([A-J])\)"),
)


def pick_choice(output: str, choices: Sequence[str]) -> str | None:
    """The option letter the output picks, or None when it picks none (or several)."""
    letters = _LETTERS[: len(choices)] if choices else _LETTERS
    for rule in _CHOICE_RULES:
        found = {str(m) for m in rule.findall(output) if str(m) in letters}
        if len(found) == 1:
            return found.pop()
        if len(found) > 1:
            return None
    if choices:
        # No letter: accept an answer that names exactly one option's text.
        text = normalize_answer(output)
        named = [
            i for i, c in enumerate(choices) if normalize_answer(c) and normalize_answer(c) in text
        ]
        if len(named) == 1:
            return letters[named[0]]
    # No bare-letter fallback: "A" is also an article, and guessing would inflate scores.
    return None


def _choices(node: MultipleChoice, ctx: EvalContext) -> tuple[str, ...]:
    if node.choices:
        return node.choices
    raw = ctx.metadata.get("choices")
    if isinstance(raw, list | tuple):
        return tuple(str(c) for c in raw)
    return ()


def _expected_letter(want: str, choices: Sequence[str]) -> str | None:
    letters = _LETTERS[: len(choices)] if choices else _LETTERS
    stripped = want.strip().strip("().").upper()
    if len(stripped) == 1 and stripped in letters:
        return stripped
    for index, choice in enumerate(choices):
        if normalize_answer(choice) == normalize_answer(want):
            return letters[index]
    return None


def multiple_choice(node: MultipleChoice, ctx: EvalContext) -> AssertionResult:
    """The option picked in the output (``Answer: B``, ``(B)``, ``B.``...) is the expected one."""
    want = _reference(node.expected, ctx, node.type)
    choices = _choices(node, ctx)
    letter = _expected_letter(want, choices)
    if letter is None:
        raise NotEvaluable(
            f"expected answer '{want}' is not an option letter or one of the choices"
        )
    output = ctx.transcript.final_output
    picked = pick_choice(output, choices)
    if picked is None:
        msg = f"No single option picked in the output (expected {letter})"
    else:
        msg = f"Picked option {picked} (expected {letter})"
    return result(
        node.type,
        picked == letter,
        msg,
        expected=letter,
        actual=picked,
        details={"choices": list(choices), "output_preview": preview(output)},
        span=node.span,
    )


def _json_equal(want: Any, got: Any, partial: bool) -> bool:
    """Deep JSON equality (1 == 1.0, True is not 1); ``partial`` lets objects carry extra keys."""
    if isinstance(want, bool) or isinstance(got, bool):
        return isinstance(want, bool) and isinstance(got, bool) and want == got
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return False
        if not partial and set(want) != set(got):
            return False
        return all(k in got and _json_equal(v, got[k], partial) for k, v in want.items())
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(want) == len(got)
            and all(_json_equal(w, g, partial) for w, g in zip(want, got, strict=True))
        )
    if isinstance(want, int | float) and isinstance(got, int | float):
        return want == got
    return bool(type(want) is type(got) and want == got)


def json_match(node: JsonMatch, ctx: EvalContext) -> AssertionResult:
    """The output parsed as JSON equals the expected JSON (``partial``: contains it)."""
    want_text = _reference(node.expected, ctx, node.type)
    try:
        want = json.loads(want_text)
    except ValueError as exc:
        raise NotEvaluable(f"expected answer is not JSON: {exc}") from exc
    got, problem = parse_output_json(ctx.transcript.final_output)
    if problem is not None:
        return not_json_result(node.type, problem, want, ctx, node.span)
    passed = _json_equal(want, got, node.partial)
    relation = "contains" if node.partial else "equals"
    verdict = relation if passed else f"does not {relation.rstrip('s')}"
    return result(
        node.type,
        passed,
        f"Output JSON {verdict} the expected JSON",
        expected=want,
        actual=got,
        details={"partial": node.partial},
        span=node.span,
    )
