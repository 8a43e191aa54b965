"""Suite regexes are Go's regexp: RE2 syntax and semantics, linear-time matching (runtime/regex.py).

Each case names what Go's ``regexp.MatchString`` answers; Python's ``re`` answered differently on
every row of the first table (or refused the pattern).
"""

from __future__ import annotations

import pytest

from runtime.regex import RegexError, compile_go, hint_for, search

GO_SEARCH = [
    # (pattern, text, Go's MatchString)
    (r"^\d+$", "١٢٣", False),  # \d is ASCII in Go; Python's \d takes Arabic-Indic digits
    (r"\w", "é", False),  # \w is ASCII
    (r"\bcafé\b", "xcafé", False),  # \b is an ASCII word boundary: 'é' is not a word char...
    (r"caf\b", "café", True),  # ...so there is a boundary between 'f' and 'é'
    (r"\s", "\u00a0", False),  # \s is [\t\n\f\r ]
    (r"\s", "\v", False),
    (r"^done$", "done\n", False),  # $ is the end of the text, not before a final newline
    (r"(?m)^done$", "x\ndone\ny", True),
    (r"[[:alpha:]]+$", "abc", True),  # POSIX classes (Python: a nested set warning)
    (r"\pL", "é", True),  # Unicode classes (Python: bad escape)
    (r"\p{Greek}", "λ", True),
    (r"\p{Letter}", "é", True),  # Go 1.25 names, which the RE2 library lacks
    (r"\p{greek}", "λ", True),
    (r"\p{ASCII}+$", "abc", True),
    (r"\P{ASCII}", "abc", False),
    (r"[\P{ASCII}]", "aé", True),
    (r"\p{Uppercase_Letter}", "a", False),
    (r"\p{LC}", "a", True),
    (r"\p{Assigned}", "a", True),
    (r"\p{Cn}", "a", False),
    (r"ab\z", "ab", True),
    (r"\Qa.b\E", "axb", False),  # \Q...\E is literal
    (r"\Qa.b", "a.b", True),  # ... to the end when there is no \E
    (r"(?U)<.+>", "<a><b>", True),
    (r"a(?i)B", "ab", True),  # flags anywhere (Python: only at the start)
    (r"(?i)k", "\u212a", True),  # Kelvin sign folds to k, as in Go
    (r"[]a]", "]", True),
    (r"[^]a]", "]", False),
    (r"x*", "", True),
    (r"^(a+)+$", "a" * 10_000 + "b", False),  # linear: no catastrophic backtracking
    (r"é", "a\ud800é", True),  # a lone surrogate in the text reads as U+FFFD
]


@pytest.mark.parametrize(("pattern", "text", "go"), GO_SEARCH)
def test_search_gives_go_verdict(pattern: str, text: str, go: bool) -> None:
    assert (search(pattern, text) is not None) is go


GO_REFUSES = [
    (r"(?=x)", "look-around"),
    (r"(?<!x)y", "look-around"),
    (r"(a)\1", "back-references"),
    (r"a\Z", r"\z"),
    (r"\C", None),  # RE2 accepts "any byte"; Go refuses it
    (r"[\C]", None),
    (r"(?P<名>x)", "ASCII"),  # RE2 accepts Unicode group names; Go does not
    (r"(?<名>x)", "ASCII"),
    (r"a{1001}", None),
    (r"a**", "escape"),
    (r"a++", "possessive"),
    (r"(?x) a", "flags"),
    (r"(unclosed", "parenthesis"),
    (r"\p{Bogus}", "Unicode classes"),
    ("\ud800", None),
]


@pytest.mark.parametrize(("pattern", "hint_has"), GO_REFUSES)
def test_patterns_go_refuses_are_errors_with_a_hint(pattern: str, hint_has: str | None) -> None:
    with pytest.raises(RegexError) as info:
        compile_go(pattern)
    hint = hint_for(str(info.value))
    if hint_has is not None:
        assert hint is not None and hint_has in hint


@pytest.mark.parametrize(
    "pattern",
    [
        r"\pL{1000}",  # Go's budget (~3M instructions); RE2's default 8 MiB refuses it
        r"(a{10}){100}",
        r"(?P<a>x)(?P<a>y)",
        r"(?<name>x)",
        r"(?i)\Qa(b\E",
        r"\x{1F600}\123\v\_",
        r"a{,3}",
    ],
)
def test_patterns_go_accepts_compile(pattern: str) -> None:
    compile_go(pattern)


def test_search_returns_the_leftmost_first_match_and_ignore_case_is_an_option() -> None:
    assert search(r"a|ab", "ab") == "a"  # leftmost-first, as Go (not leftmost-longest)
    assert search(r"é+", "xééy") == "éé"
    assert search(r"\Qab", "AB", ignore_case=True) == "AB"  # not wrapped as (?i:\Qab)
    assert search("ab", "AB") is None
    assert compile_go("ab") is compile_go("ab")  # cached
