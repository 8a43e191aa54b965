"""Clarification detection: built-in phrases, custom regexes, the judge's YES/NO."""

from __future__ import annotations

import pytest

from runtime.evaluate.clarification import (
    BUILTIN_PATTERNS,
    JUDGE_SYSTEM_PROMPT,
    detect_by_patterns,
    judge_user_prompt,
    parse_judge_reply,
)


def test_builtin_patterns_are_agent_benchmarks_seventeen_lowercase_phrases() -> None:
    assert len(BUILTIN_PATTERNS) == 17
    assert all(p == p.lower() for p in BUILTIN_PATTERNS)
    for phrase in (
        "would you like me to",
        "do you want me to",
        "should i proceed",
        "please confirm",
        "is that correct",
    ):
        assert phrase in BUILTIN_PATTERNS


@pytest.mark.requirement("clarification:patterns")
@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("Would you like me to create the file?", True),
        ("DO YOU WANT ME TO delete it?", True),
        ("Should I proceed with the deletion?", True),
        ("Please confirm the recipient.", True),
        ("The file is at /tmp/x. Is that correct?", True),
        ("Done. I created hello.txt.", False),
        ("✅ Created the file. Let me know if you need anything else.", False),
        ("", False),
    ],
)
def test_builtin_phrases(text: str, asked: bool) -> None:
    assert detect_by_patterns(text, (), use_builtin=True) is asked
    assert detect_by_patterns(text, (), use_builtin=False) is False


@pytest.mark.requirement("clarification:patterns")
def test_custom_patterns_are_regexes_additive_or_alone() -> None:
    spanish = "¿Te gustaría que cree el archivo?"
    german = "Möchten Sie, dass ich fortfahre?"
    patterns = ("(?i)¿te gustaría", "(?i)möchten sie")
    assert detect_by_patterns(spanish, patterns, use_builtin=False)
    assert detect_by_patterns(german, patterns, use_builtin=False)
    assert not detect_by_patterns(spanish, (), use_builtin=True)
    # case-sensitive unless the regex says otherwise
    assert not detect_by_patterns("TE GUSTARÍA", ("te gustaría",), use_builtin=False)
    # additive: builtins still apply next to custom patterns
    assert detect_by_patterns("Would you like me to go on?", patterns, use_builtin=True)
    # an invalid regex (refused by the compiler normally) never matches and never raises
    assert not detect_by_patterns("anything", ("(",), use_builtin=False)


@pytest.mark.requirement("clarification:judge")
@pytest.mark.parametrize(
    ("reply", "asked"),
    [
        ("YES", True),
        ("yes", True),
        ("Yes.", True),
        ("  YES - it asks to confirm", True),
        ("**YES**", True),
        ('"Yes"', True),
        ("NO", False),
        ("No, it reports completed work.", False),
        ("", False),
        ("Maybe yes", False),
        ("The answer is YES", False),
    ],
)
def test_parse_judge_reply(reply: str, asked: bool) -> None:
    assert parse_judge_reply(reply) is asked


@pytest.mark.requirement("clarification:judge")
def test_judge_prompt_states_the_rules() -> None:
    prompt = JUDGE_SYSTEM_PROMPT
    assert "YES or NO" in prompt
    for rule in ("past tense", "Done", "✅", "Let me know if"):
        assert rule in prompt
    assert "Would you like me to create it?" in judge_user_prompt("Would you like me to create it?")
