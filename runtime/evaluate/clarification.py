"""Clarification detection: did a final answer ask the user for input instead of acting?

Two forms (semantics §6). ``patterns`` is the older agent-benchmark behaviour: a lower-cased
substring match on 17 built-in English phrases plus optional custom regexes. ``judge`` is the
current one: an LLM answers YES or NO to :data:`JUDGE_SYSTEM_PROMPT`, and a reply counts as YES
when it starts with "YES" (case-insensitive). The agent loop decides which final answers to
check and records the stats; this module only owns the phrases, the prompt and the parsing.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..regex import GoRegex, RegexError, compile_go

__all__ = [
    "BUILTIN_PATTERNS",
    "JUDGE_SYSTEM_PROMPT",
    "detect_by_patterns",
    "judge_user_prompt",
    "parse_judge_reply",
]

BUILTIN_PATTERNS: tuple[str, ...] = (
    "would you like me to",
    "do you want me to",
    "should i proceed",
    "shall i proceed",
    "shall i continue",
    "would you prefer",
    "do you prefer",
    "please confirm",
    "please clarify",
    "can you confirm",
    "can you clarify",
    # Narrower than "let me know if", which also matches polite closings after finished work.
    "let me know if you want me to",
    "let me know if i should",
    "is that correct",
    "is this correct",
    "would you like to",
    "do you want to proceed",
)
"""agent-benchmark's built-in phrases (before commit 51a24e1), matched as lower-case substrings."""

JUDGE_SYSTEM_PROMPT = """\
You classify one response written by an AI assistant that was given a task and tools to do it.

Question: is the assistant asking the user for input, confirmation, permission or clarification \
BEFORE completing the task, instead of acting on its own?

Answer YES when the response stops to ask something the assistant needs before it will act, for \
example "Would you like me to create the file?", "Should I proceed with the deletion?", "Which \
folder do you mean?", or "Please confirm the recipient before I send it."

Answer NO when:
- the response reports work that is already done, or summarises results (including formatted \
summaries, tables and lists);
- the response starts with "Done", "Completed", a check mark such as ✅, or describes its \
actions in the past tense;
- the only question is a polite closing after finished work, such as "Let me know if you need \
anything else" or "Let me know if you want any changes";
- the response explains that the task is impossible or failed, without asking for input.

Reply with exactly one word: YES or NO."""
"""System prompt of the clarification judge; the response under test is the user message."""


def judge_user_prompt(response: str) -> str:
    """The user message sent to the judge: the assistant response to classify, delimited."""
    return (
        f"Assistant response:\n<<<\n{response}\n>>>\n\nIs it asking for clarification? YES or NO."
    )


_REPLY_WRAPPERS = " \t\r\n*_`\"'“”‘’#>"


def parse_judge_reply(reply: str) -> bool:
    """True when the judge's reply starts with YES (case-insensitive), as agent-benchmark reads it.

    Leading whitespace and Markdown or quote characters (``**YES**``, ``"Yes."``) are skipped
    first: a judge that formats its one word still means it. Anything else, NO or an empty
    reply included, is "not a clarification".
    """
    return reply.lstrip(_REPLY_WRAPPERS).upper().startswith("YES")


def _regex(pattern: str) -> GoRegex | None:
    try:
        return compile_go(pattern)
    except RegexError:
        # The compiler checks every pattern; one that still fails here cannot match anything.
        return None


def detect_by_patterns(text: str, patterns: Sequence[str], use_builtin: bool) -> bool:
    """True when ``text`` asks for clarification by the phrase rules.

    With ``use_builtin`` the built-in phrases are matched as substrings of the lower-cased text;
    every entry of ``patterns`` is a regex searched (unanchored, case-sensitive unless it says
    ``(?i)``) in the original text.
    """
    if use_builtin:
        lowered = text.lower()
        if any(phrase in lowered for phrase in BUILTIN_PATTERNS):
            return True
    for pattern in patterns:
        compiled = _regex(pattern)
        if compiled is not None and compiled.search(text) is not None:
            return True
    return False
