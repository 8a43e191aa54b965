"""Assertion syntax: the leaf types and the anyOf / allOf / not combinators, any depth.

A node is routed to its model by ``_tag``: a combinator key (``anyOf``, ``allOf``, ``not``) wins,
else the ``type`` value. Each leaf forbids keys it does not read, which is how ``text:`` written
for ``value:`` (an always-passing output_contains in agent-benchmark) becomes an error here.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, WithJsonSchema, model_validator

from .base import SuiteModel
from .scalars import GoInt, Text

__all__ = ["COMBINATOR_KEYS", "LEAF_MODELS", "AssertionSyntax", "assertion_tag"]

COMBINATOR_KEYS = ("anyOf", "allOf", "not")


class _Leaf(SuiteModel):
    """A leaf assertion; subclasses narrow ``type`` to their literal."""

    type: str


class ToolCalledA(_Leaf):
    """Passes if any tool call has exactly this name."""

    type: Literal["tool_called"]
    tool: Text
    """Tool name."""


class ToolNotCalledA(_Leaf):
    """Passes if no tool call has this name."""

    type: Literal["tool_not_called"]
    tool: Text
    """Tool name."""


class ToolCallCountA(_Leaf):
    """Calls of ``tool`` (all calls without ``tool``) must equal ``count``."""

    type: Literal["tool_call_count"]
    tool: Text | None = None
    """Tool name; omit to count every call."""
    count: int | None = None
    """Expected number of calls (the key agent-benchmark reads)."""
    value: int | None = None
    """Same as ``count`` (the spelling of agent-benchmark's examples, which it ignores)."""

    @model_validator(mode="after")
    def _one_count(self) -> ToolCallCountA:
        if self.count is None and self.value is None:
            raise ValueError("tool_call_count needs 'count' (the expected number of calls)")
        if self.count is not None and self.value is not None and self.count != self.value:
            raise ValueError(
                f"tool_call_count has both count: {self.count} and value: {self.value}; keep 'count'"
            )
        return self

    @property
    def expected(self) -> int:
        """The expected count, whichever key gave it."""
        return self.count if self.count is not None else int(self.value or 0)


class ToolCallOrderA(_Leaf):
    """``sequence`` must appear, in order, among the calls (others may interleave)."""

    type: Literal["tool_call_order"]
    sequence: Annotated[list[Text], Field(min_length=1)]
    """Tool names in the order they must be called."""


class ToolParamEqualsA(_Leaf):
    """Some single call of ``tool`` has every listed parameter equal (dot paths reach nested keys)."""

    type: Literal["tool_param_equals"]
    tool: Text
    params: Annotated[dict[str, Text], Field(min_length=1)]
    """Parameter (dot path) -> expected value; values are templates."""


class ToolParamMatchesRegexA(_Leaf):
    """Some single call of ``tool`` has every listed parameter matching its regex."""

    type: Literal["tool_param_matches_regex"]
    tool: Text
    params: Annotated[dict[str, Text], Field(min_length=1)]
    """Parameter (dot path) -> regex (searched, not anchored)."""


class ToolResultMatchesJsonA(_Leaf):
    """For some call of ``tool``, JSONPath ``path`` over its JSON result equals ``value``."""

    type: Literal["tool_result_matches_json"]
    tool: Text
    path: Text
    """JSONPath, e.g. ``$.data.user.name``."""
    value: Text
    """Expected value (a template)."""


class OutputContainsA(_Leaf):
    """The final output contains ``value`` (case-sensitive)."""

    type: Literal["output_contains"]
    value: Text
    """Text to find (a template)."""


class OutputNotContainsA(_Leaf):
    """The final output does not contain ``value``."""

    type: Literal["output_not_contains"]
    value: Text
    """Text that must not appear (a template)."""


class OutputRegexA(_Leaf):
    """The final output matches ``pattern`` (searched, not anchored)."""

    type: Literal["output_regex"]
    pattern: Text
    """Regular expression."""


class OutputJsonValidA(_Leaf):
    """The final output is JSON (a fenced json block is accepted)."""

    type: Literal["output_json_valid"]


class OutputMatchesJsonA(_Leaf):
    """JSONPath ``path`` over the final output (as JSON) equals ``value``."""

    type: Literal["output_matches_json"]
    path: Text
    value: Text


class FileCreatedA(_Leaf):
    """A file exists at ``path`` after the test."""

    type: Literal["file_created"]
    path: Text
    """File path (a template)."""


class MaxTokensA(_Leaf):
    """Tokens used by the test are at most ``value``."""

    type: Literal["max_tokens"]
    value: GoInt


class MaxLatencyMsA(_Leaf):
    """The agent loop took at most ``value`` milliseconds."""

    type: Literal["max_latency_ms"]
    value: GoInt


class NoErrorMessagesA(_Leaf):
    """The test recorded no errors."""

    type: Literal["no_error_messages"]


class NoHallucinatedToolsA(_Leaf):
    """Every called tool exists among the agent's tools."""

    type: Literal["no_hallucinated_tools"]


class NoClarificationQuestionsA(_Leaf):
    """The agent did not ask for clarification instead of acting."""

    type: Literal["no_clarification_questions"]


class NoRateLimitErrorsA(_Leaf):
    """No 429 was received during the test."""

    type: Literal["no_rate_limit_errors"]


class CliExitCodeEqualsA(_Leaf):
    """The first cli call's exit code equals ``value`` (or ``expected``)."""

    type: Literal["cli_exit_code_equals"]
    tool: Text | None = None
    """Tool name; default ``cli_execute``."""
    value: GoInt | None = None
    expected: int | None = None
    """Same as ``value`` (agent-benchmark documents it but always compares with 0)."""

    @model_validator(mode="after")
    def _one_value(self) -> CliExitCodeEqualsA:
        if self.value is None and self.expected is None:
            raise ValueError("cli_exit_code_equals needs 'value' (the expected exit code)")
        if self.value is not None and self.expected is not None and self.value != self.expected:
            raise ValueError(
                f"cli_exit_code_equals has both value: {self.value} and expected: {self.expected}; keep one"
            )
        return self

    @property
    def code(self) -> int:
        """The expected exit code, whichever key gave it."""
        return self.value if self.value is not None else int(self.expected or 0)


class CliStdoutContainsA(_Leaf):
    """The first cli call's stdout contains ``value``."""

    type: Literal["cli_stdout_contains"]
    tool: Text | None = None
    value: Text


class CliStdoutRegexA(_Leaf):
    """The first cli call's stdout matches ``pattern``."""

    type: Literal["cli_stdout_regex"]
    tool: Text | None = None
    pattern: Text


class CliStderrContainsA(_Leaf):
    """The first cli call's stderr contains ``value``."""

    type: Literal["cli_stderr_contains"]
    tool: Text | None = None
    value: Text


class ExactMatchA(_Leaf):
    """The output equals the reference answer after SQuAD normalisation (evaluator)."""

    type: Literal["exact_match"]
    expected: Text | None = None
    """Reference answer (a template); default: the case's expected answer (dataset rows)."""
    normalize: bool = True
    """Lower-case, drop punctuation and a/an/the, collapse whitespace first."""


_Fraction = Annotated[float, Field(ge=0, le=1)]
"""A number from 0 to 1."""


class F1A(_Leaf):
    """Token-overlap F1 between output and reference is at least ``threshold`` (evaluator)."""

    type: Literal["f1"]
    expected: Text | None = None
    """Reference answer (a template); default: the case's expected answer."""
    threshold: _Fraction = 0.5
    """Minimum F1, 0..1."""


class RegexA(_Leaf):
    """The output matches ``pattern``, or the case's expected answer read as a regex (evaluator)."""

    type: Literal["regex"]
    pattern: Text | None = None
    """Regex (searched); default: the case's expected answer is the pattern."""
    ignore_case: bool = False
    """Match regardless of case."""


class MultipleChoiceA(_Leaf):
    """The option the output picks (A, B, ...) is the expected one (evaluator)."""

    type: Literal["multiple_choice"]
    expected: Text | None = None
    """A letter or one choice's text (a template); default: the case's expected answer."""
    choices: list[Text] = []
    """Option texts in order (A, B, ...)."""


def _json_text(value: Any) -> Any:
    """A mapping or list written in YAML becomes its JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


class JsonMatchA(_Leaf):
    """The output parsed as JSON equals (or, ``partial``, contains) the expected JSON (evaluator)."""

    type: Literal["json_match"]
    expected: (
        Annotated[
            Text,
            BeforeValidator(_json_text),
            WithJsonSchema({"type": ["string", "object", "array", "number", "boolean"]}),
        ]
        | None
    ) = None
    """Expected JSON: JSON text (a template) or YAML mapping/list; default: the case's expected."""
    partial: bool = False
    """Objects in the output may have keys the expected JSON does not list (recursively)."""


class LlmJudgeA(_Leaf):
    """A provider of the suite grades the output against a rubric (evaluator)."""

    type: Literal["llm_judge"]
    provider: Text
    """Name of a provider in the suite (the judge)."""
    rubric: Text
    """Jinja template rendered at run time with ``input``, ``output`` and ``expected``."""
    expected: Text | None = None
    """Reference answer shown to the judge (a template); default: the case's expected."""
    threshold: _Fraction | None = None
    """Pass when the judge's score (0..1) is at least this; default: the judge's verdict."""


class AnyOfA(SuiteModel):
    """Passes if at least one child passes."""

    any_of: Annotated[list[AssertionSyntax], Field(alias="anyOf", min_length=1)]


class AllOfA(SuiteModel):
    """Passes if every child passes."""

    all_of: Annotated[list[AssertionSyntax], Field(alias="allOf", min_length=1)]


class NotA(SuiteModel):
    """Passes if its one child fails."""

    not_: Annotated[AssertionSyntax, Field(alias="not")]


LEAF_MODELS: dict[str, type[SuiteModel]] = {
    m.model_fields["type"].annotation.__args__[0]: m  # type: ignore[union-attr]  # Literal["x"] -> "x"
    for m in (
        ToolCalledA,
        ToolNotCalledA,
        ToolCallCountA,
        ToolCallOrderA,
        ToolParamEqualsA,
        ToolParamMatchesRegexA,
        ToolResultMatchesJsonA,
        OutputContainsA,
        OutputNotContainsA,
        OutputRegexA,
        OutputJsonValidA,
        OutputMatchesJsonA,
        FileCreatedA,
        MaxTokensA,
        MaxLatencyMsA,
        NoErrorMessagesA,
        NoHallucinatedToolsA,
        NoClarificationQuestionsA,
        NoRateLimitErrorsA,
        CliExitCodeEqualsA,
        CliStdoutContainsA,
        CliStdoutRegexA,
        CliStderrContainsA,
        ExactMatchA,
        F1A,
        RegexA,
        MultipleChoiceA,
        JsonMatchA,
        LlmJudgeA,
    )
}
"""Leaf type name -> its model."""


def assertion_tag(value: Any) -> str | None:
    """Which model reads this node: a combinator key first, else its ``type``."""
    if isinstance(value, dict):
        for key in COMBINATOR_KEYS:
            if key in value:
                return key
        tag = value.get("type")
        return tag if isinstance(tag, str) else None
    if isinstance(value, AnyOfA):
        return "anyOf"
    if isinstance(value, AllOfA):
        return "allOf"
    if isinstance(value, NotA):
        return "not"
    tag = getattr(value, "type", None)
    return tag if isinstance(tag, str) else None


AssertionSyntax = Annotated[
    Annotated[AnyOfA, Tag("anyOf")]
    | Annotated[AllOfA, Tag("allOf")]
    | Annotated[NotA, Tag("not")]
    | Annotated[ToolCalledA, Tag("tool_called")]
    | Annotated[ToolNotCalledA, Tag("tool_not_called")]
    | Annotated[ToolCallCountA, Tag("tool_call_count")]
    | Annotated[ToolCallOrderA, Tag("tool_call_order")]
    | Annotated[ToolParamEqualsA, Tag("tool_param_equals")]
    | Annotated[ToolParamMatchesRegexA, Tag("tool_param_matches_regex")]
    | Annotated[ToolResultMatchesJsonA, Tag("tool_result_matches_json")]
    | Annotated[OutputContainsA, Tag("output_contains")]
    | Annotated[OutputNotContainsA, Tag("output_not_contains")]
    | Annotated[OutputRegexA, Tag("output_regex")]
    | Annotated[OutputJsonValidA, Tag("output_json_valid")]
    | Annotated[OutputMatchesJsonA, Tag("output_matches_json")]
    | Annotated[FileCreatedA, Tag("file_created")]
    | Annotated[MaxTokensA, Tag("max_tokens")]
    | Annotated[MaxLatencyMsA, Tag("max_latency_ms")]
    | Annotated[NoErrorMessagesA, Tag("no_error_messages")]
    | Annotated[NoHallucinatedToolsA, Tag("no_hallucinated_tools")]
    | Annotated[NoClarificationQuestionsA, Tag("no_clarification_questions")]
    | Annotated[NoRateLimitErrorsA, Tag("no_rate_limit_errors")]
    | Annotated[CliExitCodeEqualsA, Tag("cli_exit_code_equals")]
    | Annotated[CliStdoutContainsA, Tag("cli_stdout_contains")]
    | Annotated[CliStdoutRegexA, Tag("cli_stdout_regex")]
    | Annotated[CliStderrContainsA, Tag("cli_stderr_contains")]
    | Annotated[ExactMatchA, Tag("exact_match")]
    | Annotated[F1A, Tag("f1")]
    | Annotated[RegexA, Tag("regex")]
    | Annotated[MultipleChoiceA, Tag("multiple_choice")]
    | Annotated[JsonMatchA, Tag("json_match")]
    | Annotated[LlmJudgeA, Tag("llm_judge")],
    Discriminator(assertion_tag),
]
"""Any assertion node as written: a leaf (by ``type``) or a combinator (by its key)."""

AnyOfA.model_rebuild()
AllOfA.model_rebuild()
NotA.model_rebuild()
