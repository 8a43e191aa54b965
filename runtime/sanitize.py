"""Foreign text on its way to a terminal or a CI log: the one rule for every console sink.

Text that an agent, a model, a tool or a server wrote (an agent's ``error``, a non-JSON line it
printed, an MCP server's stderr, a provider's error body) is untrusted. Before any of it
reaches stdout, stderr or GitHub's job log, ``for_terminal`` makes it inert:

- secret values this process resolved (every ``${VAR}`` a plan references) become ``***``;
- control characters (ESC and so every ANSI/OSC sequence, BEL, backspace, C1 codes, DEL) and
  the Unicode bidi overrides that reorder what a reader sees are shown escaped (``\\x1b``),
  never interpreted;
- newlines and carriage returns are shown as ``⏎`` (``keep_newlines`` keeps ``\\n`` for
  bench's own multi-line messages, every line still cleaned);
- no two colons stay adjacent (a zero-width space goes between them), so no line of it, even
  after a terminal or a log viewer wraps it, can start with ``::`` and be read by the GitHub
  Actions runner as a workflow command (``::add-mask::``, ``::stop-commands::``,
  ``::error file=…``); the runner trims leading spaces before that check, so indenting would
  not be enough. Two hashes get the same treatment: the runner also reads the legacy
  ``##[command]`` form anywhere in a line (and Azure Pipelines reads ``##vso[``);
- the Unicode line and paragraph separators (U+2028, U+2029), which a log viewer may break a
  line at, are shown escaped like the controls.

Secrets: what the run resolved (``register_secret``, called by every ``Redactor``) and the
values of environment variables whose names read as secrets (``looks_secret``: a server or
an agent inherits bench's environment and may print it on its way out;
``environment_secrets`` lists them for the run's redactor, so the files hide them too).

The Markdown, HTML and JUnit sinks have their own rules in report/escape.py; this module is
the terminal's and the log's, in runtime/ so that every layer can reach it.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping

__all__ = ["environment_secrets", "for_terminal", "looks_secret", "register_secret"]

ZWSP = "\u200b"
_MIN_SECRET = 4
# Environment values found by their name only (no plan reference) must be longer, so that a
# flag such as GIT_AUTH=true is left alone.
_MIN_ENV_SECRET = 8
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
_SECRET_WORDS = frozenset(
    {"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "CREDENTIALS", "PRIVATE", "AUTH"}
    | {"APIKEY", "PASSPHRASE", "PAT"}
)
_WORD_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_NEWLINES = re.compile(r"\r\n|\r|\n")

_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Scrub ``value`` from everything ``for_terminal`` returns from now on (process-wide)."""
    global _pattern
    if not value or len(value) < _MIN_SECRET:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def looks_secret(name: str) -> bool:
    """True when a variable name reads as a secret: a word part such as KEY, TOKEN, AUTH.

    ``GITHUB_TOKEN``, ``openaiApiKey``, ``DB_PASSWORD`` and ``AUTH`` look secret;
    ``KEYBOARD_LAYOUT`` and ``AUTHOR`` do not (the word must stand alone).
    """
    return any(part.upper() in _SECRET_WORDS for part in _WORD_PARTS.findall(name))


def environment_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment variables whose names read as secrets (``looks_secret``)."""
    source = os.environ if environ is None else environ
    return [v for k, v in source.items() if len(v) >= _MIN_ENV_SECRET and looks_secret(k)]


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: object, *, keep_newlines: bool = False, limit: int | None = None) -> str:
    """``text`` safe to print to a terminal or a CI log (see the module docstring)."""
    out = "" if text is None else str(text)
    pattern = _pattern
    if pattern is not None:
        out = pattern.sub("***", out)
    if keep_newlines:
        out = _NEWLINES.sub("\n", out)
        out = "\n".join(_UNSAFE.sub(_escape, line) for line in out.split("\n"))
    else:
        out = _UNSAFE.sub(_escape, _NEWLINES.sub(" ⏎ ", out))
    while "::" in out:
        out = out.replace("::", f":{ZWSP}:")
    while "##" in out:
        out = out.replace("##", f"#{ZWSP}#")
    if limit is not None and len(out) > limit:
        out = f"{out[:limit]}… [{len(out) - limit:,} more characters]"
    return out
