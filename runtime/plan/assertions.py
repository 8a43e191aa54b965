"""Typed assertion nodes: leaves of every type, and all_of / any_of / not to any depth.

Regexes and JSONPath expressions are checked by the compiler; the runtime compiles them
again (cheaply, cached) from the source strings kept here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Annotated, Literal

from pydantic import Field

from .base import Frozen, Span
from .templates import TemplateStr

__all__ = ["LEAF_TYPES", "Assertion", "judge_nodes"]


class _Node(Frozen):
    span: Span | None = None
    """Where the assertion is written."""


class ToolCalled(_Node):
    """Passes if any call has exactly that tool name."""

    type: Literal["tool_called"] = "tool_called"
    tool: str


class ToolNotCalled(_Node):
    """Passes if no call has that tool name."""

    type: Literal["tool_not_called"] = "tool_not_called"
    tool: str


class ToolCallCount(_Node):
    """Calls of ``tool`` (all calls when None) must equal ``count``."""

    type: Literal["tool_call_count"] = "tool_call_count"
    tool: str | None = None
    count: int


class ToolCallOrder(_Node):
    """``sequence`` must appear as an in-order subsequence of the calls."""

    type: Literal["tool_call_order"] = "tool_call_order"
    sequence: tuple[str, ...]


class ToolParamEquals(_Node):
    """Some single call of ``tool`` matches every dot-path param (normalised comparison)."""

    type: Literal["tool_param_equals"] = "tool_param_equals"
    tool: str
    params: dict[str, TemplateStr]


class ToolParamMatchesRegex(_Node):
    """Some single call of ``tool`` has every param matching its regex (unanchored)."""

    type: Literal["tool_param_matches_regex"] = "tool_param_matches_regex"
    tool: str
    params: dict[str, str]


class ToolResultMatchesJson(_Node):
    """For some call of ``tool``, JSONPath ``path`` over its JSON result equals ``value``."""

    type: Literal["tool_result_matches_json"] = "tool_result_matches_json"
    tool: str
    path: str
    value: TemplateStr


class OutputContains(_Node):
    """Final output contains ``value`` (case-sensitive)."""

    type: Literal["output_contains"] = "output_contains"
    value: TemplateStr


class OutputNotContains(_Node):
    """Final output does not contain ``value``."""

    type: Literal["output_not_contains"] = "output_not_contains"
    value: TemplateStr


class OutputRegex(_Node):
    """Final output matches ``pattern`` (search, not full match)."""

    type: Literal["output_regex"] = "output_regex"
    pattern: str


class OutputJsonValid(_Node):
    """Final output parses as JSON (a fenced ```json block is accepted)."""

    type: Literal["output_json_valid"] = "output_json_valid"


class OutputMatchesJson(_Node):
    """JSONPath ``path`` over the final output (as JSON) equals ``value``."""

    type: Literal["output_matches_json"] = "output_matches_json"
    path: str
    value: TemplateStr


class FileCreated(_Node):
    """A file exists at ``path`` after the test."""

    type: Literal["file_created"] = "file_created"
    path: TemplateStr


class MaxTokens(_Node):
    """Tokens used by the test are at most ``value``."""

    type: Literal["max_tokens"] = "max_tokens"
    value: int


class MaxLatencyMs(_Node):
    """The agent loop took at most ``value`` milliseconds."""

    type: Literal["max_latency_ms"] = "max_latency_ms"
    value: int


class NoErrorMessages(_Node):
    """The case recorded no errors."""

    type: Literal["no_error_messages"] = "no_error_messages"


class NoHallucinatedTools(_Node):
    """Every called tool exists among the agent's tools."""

    type: Literal["no_hallucinated_tools"] = "no_hallucinated_tools"


class NoClarificationQuestions(_Node):
    """No final answer asked for clarification (passes with a note when detection is off)."""

    type: Literal["no_clarification_questions"] = "no_clarification_questions"


class NoRateLimitErrors(_Node):
    """No 429 was received during this case."""

    type: Literal["no_rate_limit_errors"] = "no_rate_limit_errors"


class CliExitCodeEquals(_Node):
    """The first cli call's exit_code equals ``value``."""

    type: Literal["cli_exit_code_equals"] = "cli_exit_code_equals"
    tool: str = "cli_execute"
    value: int


class CliStdoutContains(_Node):
    """The first cli call's stdout contains ``value``."""

    type: Literal["cli_stdout_contains"] = "cli_stdout_contains"
    tool: str = "cli_execute"
    value: TemplateStr


class CliStdoutRegex(_Node):
    """The first cli call's stdout matches ``pattern``."""

    type: Literal["cli_stdout_regex"] = "cli_stdout_regex"
    tool: str = "cli_execute"
    pattern: str


class CliStderrContains(_Node):
    """The first cli call's stderr contains ``value``."""

    type: Literal["cli_stderr_contains"] = "cli_stderr_contains"
    tool: str = "cli_execute"
    value: TemplateStr


class ExactMatch(_Node):
    """The final output equals the expected answer after normalisation (evaluator)."""

    type: Literal["exact_match"] = "exact_match"
    expected: TemplateStr | None = None
    """Reference answer; None means the case's ``expected`` (dataset cases)."""
    normalize: bool = True
    """Lower-case, drop punctuation and the articles a/an/the, collapse whitespace first."""


class F1Score(_Node):
    """Token-overlap F1 between output and expected answer is at least ``threshold`` (evaluator)."""

    type: Literal["f1"] = "f1"
    expected: TemplateStr | None = None
    """Reference answer; None means the case's ``expected``."""
    threshold: float = 0.5
    """Minimum F1 (0..1) to pass."""


class RegexEvaluator(_Node):
    """The final output matches ``pattern``, or the case's expected answer read as a regex."""

    type: Literal["regex"] = "regex"
    pattern: str | None = None
    """Regex (search); None means the case's ``expected`` is the pattern."""
    ignore_case: bool = False


class MultipleChoice(_Node):
    """The option the output picks (A, B, ...) is the expected one (evaluator)."""

    type: Literal["multiple_choice"] = "multiple_choice"
    expected: TemplateStr | None = None
    """The right option: a letter, or one of ``choices``; None means the case's ``expected``."""
    choices: tuple[str, ...] = ()
    """Option texts in order (A, B, ...); empty means letters A-J without texts."""


class JsonMatch(_Node):
    """The output parsed as JSON equals the expected JSON (or contains it, ``partial``)."""

    type: Literal["json_match"] = "json_match"
    expected: TemplateStr | None = None
    """Expected JSON text; None means the case's ``expected``."""
    partial: bool = False
    """Objects may have keys the expected JSON does not list (recursively)."""


class LlmJudge(_Node):
    """An LLM (one of the suite's providers) grades the output against ``rubric`` (evaluator).

    The judge passes when it says so, or, when it returns a score in 0..1 and
    ``pass_threshold`` is set, when the score is at least ``pass_threshold``.
    """

    type: Literal["llm_judge"] = "llm_judge"
    provider: str
    """Name of a provider declared in the suite (checked by the compiler)."""
    rubric: str
    """Jinja source (checked to parse at compile time), rendered at run time with the
    variables ``input``, ``output`` and ``expected``."""
    expected: TemplateStr | None = None
    """Reference answer shown to the judge; None means the case's ``expected``."""
    pass_threshold: float | None = None
    """Minimum score (0..1) to pass when the judge returns a score."""


class AllOf(_Node):
    """Passes if every child passes."""

    type: Literal["all_of"] = "all_of"
    children: tuple[Assertion, ...]


class AnyOf(_Node):
    """Passes if at least one child passes."""

    type: Literal["any_of"] = "any_of"
    children: tuple[Assertion, ...]


class Not(_Node):
    """Passes if the child fails."""

    type: Literal["not"] = "not"
    child: Assertion


Assertion = Annotated[
    ToolCalled
    | ToolNotCalled
    | ToolCallCount
    | ToolCallOrder
    | ToolParamEquals
    | ToolParamMatchesRegex
    | ToolResultMatchesJson
    | OutputContains
    | OutputNotContains
    | OutputRegex
    | OutputJsonValid
    | OutputMatchesJson
    | FileCreated
    | MaxTokens
    | MaxLatencyMs
    | NoErrorMessages
    | NoHallucinatedTools
    | NoClarificationQuestions
    | NoRateLimitErrors
    | CliExitCodeEquals
    | CliStdoutContains
    | CliStdoutRegex
    | CliStderrContains
    | ExactMatch
    | F1Score
    | RegexEvaluator
    | MultipleChoice
    | JsonMatch
    | LlmJudge
    | AllOf
    | AnyOf
    | Not,
    Field(discriminator="type"),
]
"""Any assertion node, discriminated on ``type``."""

AllOf.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()

LEAF_TYPES: tuple[str, ...] = (
    "tool_called",
    "tool_not_called",
    "tool_call_count",
    "tool_call_order",
    "tool_param_equals",
    "tool_param_matches_regex",
    "tool_result_matches_json",
    "output_contains",
    "output_not_contains",
    "output_regex",
    "output_json_valid",
    "output_matches_json",
    "file_created",
    "max_tokens",
    "max_latency_ms",
    "no_error_messages",
    "no_hallucinated_tools",
    "no_clarification_questions",
    "no_rate_limit_errors",
    "cli_exit_code_equals",
    "cli_stdout_contains",
    "cli_stdout_regex",
    "cli_stderr_contains",
    # evaluators (issue 6): compare the output with a reference answer
    "exact_match",
    "f1",
    "regex",
    "multiple_choice",
    "json_match",
    "llm_judge",
)
"""Every leaf assertion type, in the order the docs list them."""


def judge_nodes(assertions: Sequence[Assertion]) -> Iterator[LlmJudge]:
    """Every llm_judge node of an assertion tree, in order (inside any_of / all_of / not too)."""
    for node in assertions:
        if isinstance(node, LlmJudge):
            yield node
        elif isinstance(node, AllOf | AnyOf):
            yield from judge_nodes(node.children)
        elif isinstance(node, Not):
            yield from judge_nodes((node.child,))
