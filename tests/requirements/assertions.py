"""Assertions, extractors, JSONPath and clarification detection (agent-benchmark docs and semantics)."""

from __future__ import annotations

_DOCS = "agent-benchmark docs, Assertions"
_SEM = "semantics §3"

REQUIREMENTS: dict[str, str] = {
    "assert:tool_called": f"{_DOCS}; {_SEM}: passes if any call has exactly that tool name",
    "assert:tool_not_called": f"{_DOCS}; {_SEM}: passes if no call has that tool name",
    "assert:tool_call_count": f"{_DOCS}; {_SEM}: calls of `tool` (all calls without it) equal `count` exactly",
    "assert:tool_call_order": f"{_DOCS}; {_SEM}: `sequence` is a greedy in-order subsequence of the calls; empty fails",
    "assert:tool_param_equals": f"{_DOCS}; {_SEM}: one single call matches every dot-path param after normalisation (§3.2)",
    "assert:tool_param_matches_regex": f"{_DOCS}; {_SEM}: one single call has every param (Go %v form) matching its unanchored regex",
    "assert:tool_result_matches_json": f"{_DOCS}; {_SEM}: JSONPath over some call's JSON text result normalises to `value`",
    "assert:output_contains": f"{_DOCS}; {_SEM}: final output contains `value`, case-sensitive; empty value passes",
    "assert:output_not_contains": f"{_DOCS}; {_SEM}: final output does not contain `value`",
    "assert:output_regex": f"{_DOCS}; {_SEM}: unanchored regex search on the final output; invalid regex fails",
    "assert:output_json_valid": "agent-benchmark README (trap 13): the final output is JSON, a fenced ```json block accepted",
    "assert:output_matches_json": "agent-benchmark README (trap 13): JSONPath over the output as JSON equals `value`",
    "assert:file_created": "agent-benchmark README (trap 13): a file exists at `path` after the test",
    "assert:max_tokens": f"{_DOCS}; {_SEM}: tokens used <= value; details actual/max",
    "assert:max_latency_ms": f"{_DOCS}; {_SEM}: latency <= value; message 'Latency: Nms (max: Mms)'",
    "assert:no_error_messages": f"{_DOCS}; {_SEM}: the case recorded no errors; details errors",
    "assert:no_hallucinated_tools": f"{_DOCS}; {_SEM}: every called tool is among the agent's tools",
    "assert:no_clarification_questions": f"{_SEM}: fails iff clarification count > 0; passes with a warning when detection is off",
    "assert:no_rate_limit_errors": f"{_SEM} (trap 10 fixed): fails iff this case received a 429",
    "assert:cli_exit_code_equals": "agent-benchmark docs/cli-server.md; semantics §3: first cli call's exit_code equals value",
    "assert:cli_stdout_contains": "agent-benchmark docs/cli-server.md; semantics §3: first cli call's stdout contains value",
    "assert:cli_stdout_regex": "agent-benchmark docs/cli-server.md; semantics §3: first cli call's stdout matches pattern",
    "assert:cli_stderr_contains": "agent-benchmark docs/cli-server.md; semantics §3: first cli call's stderr contains value",
    "assert:anyOf": f"{_DOCS}, Boolean Combinators; {_SEM}.1: passes if at least one child passes; children kept",
    "assert:allOf": f"{_DOCS}, Boolean Combinators; {_SEM}.1: passes if every child passes; depth limit 10",
    "assert:not": f"{_DOCS}, Boolean Combinators; {_SEM}.1: inverts its one child, which is kept",
    "eval:exact_match": "issue 6, Evaluators: the output equals the reference answer after normalisation",
    "eval:f1": "issue 6, Evaluators: token-overlap F1 against the reference is at least a threshold",
    "eval:regex": "issue 6, Evaluators: the output matches a regex (the reference read as one when none is given)",
    "eval:multiple_choice": "issue 6, Evaluators: the option letter the output picks is the reference option",
    "eval:json_match": "issue 6, Evaluators: the output parsed as JSON equals (or contains) the reference JSON",
    "extract:jsonpath": "agent-benchmark docs, Data Extraction; semantics §3.3: jsonpath over content[0].text of every call of `tool`, last match wins, yalp dialect",
    "clarification:patterns": "agent-benchmark docs, Clarification Request Detection: built-in phrases plus additive custom regexes",
    "clarification:judge": "semantics §6: the judge's reply counts as YES when it starts with YES (case-insensitive)",
}
