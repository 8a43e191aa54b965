"""Suite regexes: Go's ``regexp`` syntax and semantics, on RE2, in time linear in the text.

agent-benchmark compiles every pattern a suite gives with Go's ``regexp.Compile`` and matches
with ``MatchString`` (an unanchored search). Go's ``regexp`` is RE2's design, and the RE2 library
(google-re2) with these options means the same: ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII;
``^`` and ``$`` are the start and end of the text unless ``(?m)``; ``.`` does not match a newline
unless ``(?s)``; leftmost-first (Perl-like) alternation; ``[[:alpha:]]``, ``\\pL``, ``\\z``,
``\\Q...\\E`` and ``(?U)`` work; look-around and back-references do not exist. Matching never
backtracks, so an agent's answer cannot make a pattern run for minutes.

Where Go's parser and RE2's differ, this module follows Go (docs/compatibility.md, "Regexes"):

- ``\\C`` (any byte) is refused, as Go refuses it.
- Capture names are ASCII letters, digits and ``_`` (RE2 also takes other Unicode letters).
- ``\\p{...}`` takes Go 1.25's names: case-insensitive, ignoring ``_``, ``-`` and spaces
  (``\\p{greek}``, ``\\p{Letter}``, ``\\p{Uppercase_Letter}``), and ``ASCII``, ``Assigned``,
  ``Cn`` and ``LC``, which RE2 does not know; they are rewritten to classes RE2 reads.
- Go allows programs of about 3 million instructions (``\\pL{1000}``); RE2's default 8 MiB
  budget refuses that, so the budget is raised to 64 MiB.

Text is matched as UTF-8; a lone surrogate (from a JSON ``\\ud800``) reads as U+FFFD, as Go's
JSON decoder makes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import re2

__all__ = ["GoRegex", "RegexError", "compile_go", "hint_for", "search"]

_MAX_MEM = 64 << 20
"""RE2's memory budget per pattern: room for what Go accepts (its limit is ~3.3M instructions)."""

_SURROGATES = re.compile("[\ud800-\udfff]")  # a class, so the search is linear


class RegexError(ValueError):
    """A pattern Go's ``regexp.Compile`` refuses; the message is the parser's reason."""


@dataclass(frozen=True)
class GoRegex:
    """A compiled suite regex."""

    pattern: str
    _compiled: re2._Regexp

    def search(self, text: str) -> str | None:
        """The leftmost-first match of an unanchored search in ``text``, or None."""
        found = self._compiled.search(_utf8(text))
        if found is None:
            return None
        matched: bytes = found.group(0)
        return matched.decode("utf-8", "replace")


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text).encode("utf-8")


def search(pattern: str, text: str, *, ignore_case: bool = False) -> str | None:
    """Compile ``pattern`` (cached) and search ``text``; RegexError when it is invalid."""
    return compile_go(pattern, ignore_case=ignore_case).search(text)


@lru_cache(maxsize=1024)
def compile_go(pattern: str, *, ignore_case: bool = False) -> GoRegex:
    """Compile a suite regex with Go's syntax (cached); raises RegexError when Go would refuse it.

    ``ignore_case`` is a leading ``(?i)``, given as an option so that a pattern ending in an
    unterminated ``\\Q`` is not changed by wrapping it.
    """
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_MEM
    options.case_sensitive = not ignore_case
    source = _to_re2(pattern)
    try:
        compiled = re2.compile(_utf8_pattern(source), options)
    except re2.error as exc:
        raise RegexError(_message(exc)) from None
    return GoRegex(pattern, compiled)


def _utf8_pattern(source: str) -> bytes:
    try:
        return source.encode("utf-8")
    except UnicodeEncodeError:
        raise RegexError("invalid UTF-8 in the pattern (a lone surrogate)") from None


def _message(exc: re2.error) -> str:
    raw = exc.args[0] if exc.args else str(exc)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if text.startswith("pattern too large"):
        return "expression too large"
    return text


def hint_for(message: str) -> str | None:
    """A fix for a RegexError message, when the usual cause is known."""
    if "(?=" in message or "(?!" in message or "(?<=" in message or "(?<!" in message:
        return "look-around does not exist in Go/RE2 regexes: match the text itself, or split the check into two assertions (a `not` for the negative case)"
    if re.search(r"invalid escape sequence: \\[1-9]", message):
        return "back-references do not exist in Go/RE2 regexes: repeat the group's pattern instead"
    if "\\Z" in message:
        return "write \\z for the end of the text (Go has no \\Z); `$` means the same without (?m)"
    if "missing closing )" in message or "unexpected )" in message or "missing )" in message:
        return "escape a literal parenthesis as \\( or \\)"
    if "missing argument to repetition operator" in message or "bad repetition operator" in message:
        return "escape a literal *, + or ? with a backslash; possessive (a++) and nested (a**) repeats do not exist"
    if "invalid named capture" in message:
        return "a group name is ASCII letters, digits and _: (?P<name>...) or (?<name>...)"
    if "(?#" in message or "(?x" in message:
        return "Go/RE2 flags are i, m, s and U; comments and (?x) do not exist"
    if (
        "invalid character class range: \\p" in message
        or "invalid character class range: \\P" in message
    ):
        return "Unicode classes are categories (\\pL, \\p{Lu}, \\p{Letter}) or scripts (\\p{Greek})"
    return None


# --- Go's parser where RE2's differs ------------------------------------------------------

_CATEGORY_ALIASES = {
    "Other": "C",
    "Control": "Cc",
    "Format": "Cf",
    "Unassigned": "Cn",
    "Privateuse": "Co",
    "Surrogate": "Cs",
    "Letter": "L",
    "Casedletter": "LC",
    "Lowercaseletter": "Ll",
    "Modifierletter": "Lm",
    "Otherletter": "Lo",
    "Titlecaseletter": "Lt",
    "Uppercaseletter": "Lu",
    "Mark": "M",
    "Combiningmark": "M",
    "Spacingmark": "Mc",
    "Enclosingmark": "Me",
    "Nonspacingmark": "Mn",
    "Number": "N",
    "Decimalnumber": "Nd",
    "Digit": "Nd",
    "Letternumber": "Nl",
    "Othernumber": "No",
    "Punctuation": "P",
    "Punct": "P",
    "Connectorpunctuation": "Pc",
    "Dashpunctuation": "Pd",
    "Closepunctuation": "Pe",
    "Finalpunctuation": "Pf",
    "Initialpunctuation": "Pi",
    "Otherpunctuation": "Po",
    "Openpunctuation": "Ps",
    "Symbol": "S",
    "Currencysymbol": "Sc",
    "Modifiersymbol": "Sk",
    "Mathsymbol": "Sm",
    "Othersymbol": "So",
    "Separator": "Z",
    "Lineseparator": "Zl",
    "Paragraphseparator": "Zp",
    "Spaceseparator": "Zs",
}
"""Unicode's long category names (PropertyValueAliases.txt), keyed by Go's canonical form."""

# Classes RE2 lacks, as class items (usable inside [...]) and whether the set is negated.
_SPECIAL: dict[str, tuple[str, bool]] = {
    "Ascii": (r"\x00-\x7F", False),
    "Lc": (r"\p{Lu}\p{Ll}\p{Lt}", False),
    # Unassigned code points: everything outside the assigned categories (RE2 has no Cn).
    "Cn": (r"\p{L}\p{M}\p{N}\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}\p{Co}\p{Cs}", True),
    "Assigned": (r"\p{L}\p{M}\p{N}\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}\p{Co}\p{Cs}", False),
}


def _canonical(name: str) -> str:
    """Go's ``canonicalName``: first letter upper, the rest lower, no ``_``, ``-`` or spaces."""
    kept = [c for c in name if c not in "_- "]
    if not kept:
        return ""
    return kept[0].upper() + "".join(kept[1:]).lower()


@lru_cache(maxsize=256)
def _re2_knows(name: str) -> bool:
    """Whether RE2 reads ``\\p{name}`` (its categories, scripts and ``Any``)."""
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(("\\p{" + name + "}").encode("utf-8"), options)
    except re2.error:
        return False
    return True


def _re2_name(name: str) -> str | None:
    """RE2's spelling of a Go 1.25 ``\\p`` name (not one of ``_SPECIAL``), or None."""
    if _re2_knows(name):
        return name
    canonical = _canonical(name)
    alias = _CATEGORY_ALIASES.get(canonical)
    if alias is not None and _re2_knows(alias):
        return alias
    if len(canonical) == 2 and _re2_knows(canonical):
        return canonical  # "lu" -> "Lu"
    if canonical and _re2_knows(canonical):
        return canonical  # "greek" -> "Greek"
    return None


def _to_re2(pattern: str) -> str:
    """``pattern`` with Go's differences from RE2 applied (see the module doc).

    Walks the pattern as Go's parser does: ``\\Q...\\E`` runs are literal, ``[...]`` classes
    (with ``[:name:]`` inside and a leading ``]`` literal) are tracked so that a rewritten
    ``\\p{...}`` is valid where it stands. Everything else is copied unchanged for RE2 to parse.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = False  # just after "[" or "[^": a "]" here is a literal
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q" and not in_class:
                end = pattern.find("\\E", i + 2)
                stop = n if end < 0 else end + 2
                out.append(pattern[i:stop])
                i = stop
                continue
            if nxt == "C":
                raise RegexError("invalid escape sequence: \\C")
            if nxt in "pP":
                text, i = _unicode_class(pattern, i, in_class)
                out.append(text)
                class_start = False
                continue
            out.append(pattern[i : i + 2])
            i += 2
            class_start = False
            continue
        if in_class:
            if c == "[" and pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                if end >= 0:
                    out.append(pattern[i : end + 2])
                    i = end + 2
                    class_start = False
                    continue
            if c == "]" and not class_start:
                in_class = False
            class_start = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            out.append(pattern[i:j])
            i = j
            class_start = True
            continue
        if c == "(" and pattern.startswith("(?", i):
            _check_group_name(pattern, i)
        out.append(c)
        i += 1
    return "".join(out)


def _check_group_name(pattern: str, i: int) -> None:
    """Go takes ``[A-Za-z0-9_]+`` as a capture name; RE2 also takes other Unicode letters."""
    if pattern.startswith("(?P<", i):
        start = i + 4
    elif pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
        start = i + 3
    else:
        return
    end = pattern.find(">", start)
    if end < 0:
        return  # RE2 reports the unterminated name
    name = pattern[start:end]
    if not name.isascii():
        raise RegexError(f"invalid named capture: {pattern[i : end + 1]}")


def _unicode_class(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """Rewrite ``\\p`` / ``\\P`` at ``i`` for RE2; returns (text, index after it)."""
    negated = pattern[i + 1] == "P"
    if i + 2 >= len(pattern):
        return pattern[i:], len(pattern)  # RE2 reports it
    if pattern[i + 2] != "{":
        return pattern[i : i + 3], i + 3  # one-letter name: the same in both
    end = pattern.find("}", i + 3)
    if end < 0:
        return pattern[i:], len(pattern)
    seq = pattern[i : end + 1]
    name = pattern[i + 3 : end]
    if name.startswith("^"):
        negated = not negated
        name = name[1:]
    canonical = _canonical(name)
    special = _SPECIAL.get(_CATEGORY_ALIASES.get(canonical, canonical).capitalize())
    if special is not None:
        items, inverted = special
        if inverted:
            negated = not negated
        if not in_class:
            return ("[^" if negated else "[") + items + "]", end + 1
        if not negated:
            return items, end + 1
        if canonical == "Ascii":
            return r"\x{80}-\x{10FFFF}", end + 1
        # A negated multi-part set inside a class: no RE2 spelling; say so rather than guess.
        raise RegexError(f"unsupported inside a character class here: {seq}")
    re2_name = _re2_name(name)
    if re2_name is None:
        raise RegexError(f"invalid character class range: {seq}")
    return ("\\P{" if negated else "\\p{") + re2_name + "}", end + 1
