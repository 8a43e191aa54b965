"""Foreign text made inert for the sink it reaches: the one module of sanitisers.

Foreign text is anything an agent, a model, a tool, an MCP server or a provider wrote: answers,
``error`` fields, non-JSON stdout lines, stderr tails, error bodies. Each sink has its rule:

* **terminal and CI log** (``terminal``, ``terminal_lines``, ``neutralise``): known secret
  values become ``***``; control characters (ESC, CR, BEL, DEL, C1, the Unicode line
  separators, bidi overrides) become visible pictures (``␛``); newlines become ``⏎`` in a
  one-line value; and ``::`` and ``##`` get a zero-width space between their two characters,
  so no wrap, newline or leading blank can make a line start a GitHub workflow command
  (``::add-mask::``; the runner trims leading whitespace) or a legacy ``##[command]``.
  ``github_commands_stopped`` wraps a command's output in GitHub's
  ``::stop-commands::<token>`` block as a second wall.
* **HTML, Markdown, XML/JUnit**: ``report/escape.py`` (``md_inline``, ``md_block``,
  ``md_prose``; Jinja autoescape for HTML/XML) builds on ``strip_controls`` and ``clip`` here.

It lives in the runtime because every layer needs it (report imports runtime, bench imports
both; the runtime imports neither) and because redaction needs the run's secret values, which
only the runtime resolves. ``Redactor`` is the one redaction mechanism: run files use it via
``runtime.secrets``; consoles via ``redact``, which adds the values of environment variables
whose names read as secrets (``looks_secret``) and the run's own redactor.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

__all__ = [
    "ZWSP",
    "Redactor",
    "clip",
    "env_secret_values",
    "github_commands_stopped",
    "looks_secret",
    "neutralise",
    "redact",
    "redactor",
    "set_run_redaction",
    "strip_controls",
    "terminal",
    "terminal_lines",
]

ZWSP = "\u200b"
"""Zero-width space: breaks mentions, auto-links and workflow commands without changing what a
reader sees."""

# C0 controls except tab/newline/carriage return, DEL..C1, surrogates and the two
# non-characters: invalid in XML 1.0 and noise anywhere else.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What a terminal or a log reader acts on (newline and tab aside): C0, DEL, C1, the Unicode
# line/paragraph separators, bidi embeddings/overrides/isolates, surrogates, non-characters.
_TERMINAL_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
# "::" starts a workflow command at a line start, "##[" (and Azure's "##vso[") anywhere.
_COMMAND_PAIRS = re.compile(r"(?<=:)(?=:)|(?<=#)(?=#)")
_NEWLINES = re.compile(r"\r\n|\r|\n")

# Values this short are too likely to occur in ordinary text ("1", "on") to be worth
# scrubbing: redacting them would mangle reports without protecting anything real.
_MIN_REDACT_LEN = 4
# Environment values found by name only (no plan reference): longer, so that a flag such as
# GIT_AUTH=true is left alone.
_MIN_ENV_SECRET_LEN = 8

_SECRET_WORDS = frozenset(
    {"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "CREDENTIALS", "PRIVATE", "AUTH"}
    | {"APIKEY", "PASSPHRASE", "PAT"}
)
_WORD_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def strip_controls(text: str) -> str:
    """Remove control characters that XML forbids and terminals misrender."""
    return _CONTROLS.sub("", text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters]"


def looks_secret(name: str) -> bool:
    """True when a variable name reads as a secret: a word part such as KEY, TOKEN, AUTH.

    ``GITHUB_TOKEN``, ``openaiApiKey``, ``DB_PASSWORD`` and ``AUTH`` look secret;
    ``KEYBOARD_LAYOUT`` and ``AUTHOR`` do not (the word must stand alone).
    """
    return any(part.upper() in _SECRET_WORDS for part in _WORD_PARTS.findall(name))


class Redactor:
    """Replaces known secret values with ``***`` in any text."""

    def __init__(self, values: tuple[str, ...] | list[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        """Remember ``value`` as secret (ignored when empty or very short)."""
        if not value or len(value) < _MIN_REDACT_LEN or value in self._values:
            return
        self._values.add(value)
        # Longest first so a secret that contains another is replaced whole.
        ordered = sorted(self._values, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def redact(self, text: str) -> str:
        """``text`` with every known secret value replaced by ``***``."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub("***", text)

    def __repr__(self) -> str:
        # Never show the values themselves, only how many there are.
        return f"Redactor({len(self._values)} values)"


def env_secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment variables whose names read as secrets (``looks_secret``)."""
    source = os.environ if environ is None else environ
    return [
        value
        for name, value in source.items()
        if len(value) >= _MIN_ENV_SECRET_LEN and looks_secret(name)
    ]


_run_redact: Callable[[str], str] | None = None
_env_cache: tuple[frozenset[str], Redactor] | None = None


def set_run_redaction(redact_fn: Callable[[str], str] | None) -> None:
    """Have every console sink also apply ``redact_fn``: the redactor of the run in progress
    (its resolved secret references), replacing the previous run's."""
    global _run_redact
    _run_redact = redact_fn


def redactor() -> Callable[[str], str]:
    """What a console must not show, as one function (``redact`` for a single text).

    The values of secret-looking environment variables (read now: a test or a command may set
    them late) and what the run in progress resolved (``set_run_redaction``).
    """
    global _env_cache
    values = frozenset(env_secret_values())
    if _env_cache is None or _env_cache[0] != values:
        _env_cache = (values, Redactor(sorted(values)))
    fns = [_env_cache[1].redact] + ([_run_redact] if _run_redact is not None else [])

    def _redact(text: str) -> str:
        for fn in fns:
            text = fn(text)
        return text

    return _redact


def redact(text: str) -> str:
    """``text`` with every secret a console must not show replaced by ``***``."""
    return redactor()(text)


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀..␟: ESC shows as ␛, CR as ␍, BEL as ␇
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}"


def neutralise(text: str) -> str:
    """Controls shown as pictures and workflow-command pairs broken; newlines and tabs kept.

    For text that keeps its layout (a rendered line of rich output, a multi-line block whose
    lines a caller prefixes). Secrets are not touched: see ``redact``.
    """
    text = _TERMINAL_CONTROLS.sub(_picture, text)
    return _COMMAND_PAIRS.sub(ZWSP, text)


def terminal(value: Any, limit: int = 2000) -> str:
    """One line of foreign text, safe for a terminal and a CI log: redacted, no control
    character, newlines shown as ``⏎``, no ``::``/``##`` pair, at most ``limit`` characters."""
    text = "" if value is None else str(value)
    text = _NEWLINES.sub(" ⏎ ", redact(text)).replace("\t", " ")
    return neutralise(clip(text, limit))


def terminal_lines(value: Any, limit: int = 4000) -> list[str]:
    """Foreign multi-line text (a stderr tail) as safe lines; each is ``terminal``'s rule."""
    text = clip(redact("" if value is None else str(value)), limit)
    return [neutralise(line.replace("\t", "    ")) for line in _NEWLINES.split(text)]


@contextmanager
def github_commands_stopped(
    stream: IO[str] | None = None, environ: Mapping[str, str] | None = None
) -> Iterator[str | None]:
    """Inside GitHub Actions, stop workflow-command processing for the block's output.

    Writes ``::stop-commands::<random token>`` first and ``::<token>::`` last (also when the
    block raises), as GitHub documents for logging untrusted text. Yields the token, or None
    outside GitHub Actions (``GITHUB_ACTIONS`` is not ``true``), where nothing is written.
    """
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") != "true":
        yield None
        return
    out = stream or sys.stdout
    token = secrets.token_hex(16)
    sys.stderr.flush()
    out.write(f"::stop-commands::{token}\n")
    out.flush()
    try:
        yield token
    finally:
        sys.stderr.flush()
        try:
            out.write(f"::{token}::\n")
            out.flush()
        except (BrokenPipeError, ValueError):
            pass  # nobody reads any more: nothing to resume
