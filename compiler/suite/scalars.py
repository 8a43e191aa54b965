"""Scalar types of the suite language: text that accepts any YAML scalar, and durations.

yaml.v3 (agent-benchmark's decoder) reads any scalar into a string field as its text
(``value: 2000`` is "2000", ``value: true`` is "true"); ``Text`` does the same.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationInfo, WithJsonSchema

__all__ = [
    "DURATION_RE",
    "Duration",
    "GoInt",
    "SourceFloat",
    "SourceInt",
    "Text",
    "duration_ms",
    "scalar_text",
]


class SourceFloat(float):
    """A YAML float that remembers how it was written (``1.50``), for string fields."""

    source: str

    def __new__(cls, text: str) -> SourceFloat:
        """The float of ``text``, keeping ``text``."""
        out = super().__new__(cls, text)
        out.source = text
        return out

    def __reduce__(self) -> tuple[type[SourceFloat], tuple[str]]:
        return (SourceFloat, (self.source,))


class SourceInt(int):
    """A YAML integer that remembers how it was written (``007``, ``0x1F``), for string fields."""

    source: str

    def __new__(cls, value: int, text: str) -> SourceInt:
        """``value``, keeping ``text``."""
        out = super().__new__(cls, value)
        out.source = text
        return out

    def __reduce__(self) -> tuple[type[SourceInt], tuple[int, str]]:
        return (SourceInt, (int(self), self.source))


def scalar_text(value: Any) -> Any:
    """Any YAML scalar as its text (bools as ``true``/``false``); other values unchanged.

    Numbers keep their source text, as yaml.v3 gives it to a string field: ``1.50`` is
    "1.50", not "1.5".
    """
    if isinstance(value, SourceFloat | SourceInt):
        return value.source
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


Text = Annotated[
    str,
    BeforeValidator(scalar_text),
    WithJsonSchema({"type": ["string", "number", "boolean"]}),
]
"""A string field; numbers and booleans are taken as their text, as yaml.v3 does."""

_GO_INT = re.compile(r"[+-]?[0-9]+")
_INT64 = 2**63


def _go_int(value: Any, info: ValidationInfo) -> int:
    """An integer as Go's ``strconv.Atoi`` reads the text yaml.v3 gives it, else an error.

    agent-benchmark reads these values from a string field with ``Atoi``/``ParseInt``: only
    ASCII digits with an optional sign, within int64. Anything else (``100.0``, ``1_000``,
    ``1e3``, ``0x10``, `` 100``) makes its assertion fail on every run, so it is refused here.
    """
    text = scalar_text(value)
    if isinstance(value, bool) or not isinstance(text, str) or not _GO_INT.fullmatch(text):
        raise ValueError(
            f"'{info.field_name}' must be a whole number written in digits (an optional sign), "
            f"got {text!r}; "
            "agent-benchmark cannot read it either (Go's strconv.Atoi), so its assertion "
            "always failed"
        )
    number = int(text)
    if not -_INT64 <= number < _INT64:
        raise ValueError(f"'{info.field_name}' is out of range (a 64-bit integer): {text}")
    return number


GoInt = Annotated[
    int,
    BeforeValidator(_go_int),
    WithJsonSchema({"type": ["integer", "string"]}),
]
"""An integer field agent-benchmark parses from text with Go's ``strconv.Atoi``."""

_UNIT_MS = {
    "ns": 1e-6,
    "us": 1e-3,
    "µs": 1e-3,
    "ms": 1.0,
    "s": 1000.0,
    "m": 60_000.0,
    "h": 3_600_000.0,
}
DURATION_RE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$")
"""Go duration syntax without sign: ``300ms``, ``2s``, ``1m30s``, ``1.5h``."""
_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")


def duration_ms(text: str) -> int:
    """Milliseconds of a Go-style duration (``"1m30s"`` -> 90000); ``"0"`` is 0."""
    if text == "0":
        return 0
    return round(sum(float(n) * _UNIT_MS[u] for n, u in _PART.findall(text)))


def _check_duration(value: str) -> str:
    text = value.strip()
    if text == "0" or DURATION_RE.match(text):
        return text
    if re.fullmatch(r"\d+(\.\d+)?", text):
        raise ValueError(f"duration '{value}' has no unit; write e.g. '{text}s' or '{text}ms'")
    if re.fullmatch(r"\d+(\.\d+)?\s*d(ays?)?", text):
        raise ValueError(f"durations have no day unit; write '{value}' in hours, e.g. '24h'")
    raise ValueError(f"'{value}' is not a duration; write e.g. '300ms', '2s', '1m30s'")


Duration = Annotated[
    str,
    BeforeValidator(scalar_text),
    AfterValidator(_check_duration),
    WithJsonSchema(
        {"type": "string", "pattern": DURATION_RE.pattern, "examples": ["300ms", "2s", "1m30s"]}
    ),
]
"""A Go-style duration: ``300ms``, ``2s``, ``1m30s`` (no sign, no days)."""
