"""Value normalisation: how agent-benchmark turns JSON values into strings before comparing.

agent-benchmark (Go, model.go ``normalize``) compares ``normalize(actual) == normalize(expected)``
where the expected side is always a string from YAML. We reproduce it exactly:

======================  ==========================  ==========================================
value                   normalize                   go_format (Go's ``%v``, used for regexes)
======================  ==========================  ==========================================
None                    ``null``                    ``<nil>``
True / False            ``true`` / ``false``        ``true`` / ``false``
30, 30.0                ``30``                      ``30``
0.5, 1234567.5          ``0.5``, ``1.2345675e+06``  ``0.5``, ``1.2345675e+06``
"x"                     ``x`` (no trim, no quotes)  ``x``
["a", 1]                ``[a, 1]``                  ``[a 1]``
{"b": 1, "a": [2]}      ``map[a:[2] b:1]``          ``map[a:[2] b:1]``
======================  ==========================  ==========================================

One deliberate difference (docs/compatibility.md): Go decodes every JSON number as float64, so
its ``%v`` prints a JSON ``1000000`` as ``1e+06`` (at the top level of ``go_format`` and inside
objects for both functions) and integers beyond 2^53 lose digits. Python keeps integers exact,
and we print integral numbers as digits everywhere, so a regex such as ``^\\d+$`` matches a
large integer argument and ``9007199254740993`` equals only itself.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

__all__ = ["go_format", "go_g", "normalize"]

# Go converts integral floats with int64(f); beyond that range the conversion is undefined, so
# we stop printing digits where float64 stops being exact for every integer.
_INT_DIGITS_LIMIT = 2.0**63


def go_g(value: float) -> str:
    """Go's ``%g`` for a float64 with the shortest precision (``strconv.FormatFloat(f, 'g', -1, 64)``).

    Python's ``repr`` gives the same shortest round-trip digits; Go switches to exponent form when
    the decimal exponent is < -4 or >= 6 (the shortest-precision rule) and writes at least two
    exponent digits (``1e-05``, ``1.2345675e+06``).
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)  # finite by the checks above
    digits = "".join(str(d) for d in digit_tuple).rstrip("0") or "0"
    # repr may carry trailing zeros ("100.0"); re-anchor the exponent on the stripped digits.
    exponent += len(digit_tuple) - len(digits)
    point = len(digits) + exponent  # position of the decimal point within the digits
    exp10 = point - 1
    prefix = "-" if sign else ""
    if exp10 < -4 or exp10 >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{prefix}{digits}{'0' * (point - len(digits))}"
    return f"{prefix}{digits[:point]}.{digits[point:]}"


def _number(value: float) -> str:
    if math.isfinite(value) and value.is_integer() and abs(value) < _INT_DIGITS_LIMIT:
        return str(int(value))
    return go_g(value)


def _scalar(value: Any) -> str | None:
    """A bool, number or string as Go prints it (both functions below agree); None otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return value
    return None


def go_format(value: Any) -> str:
    """Go's ``fmt.Sprint`` of a decoded JSON value (integral numbers as digits; see module doc)."""
    if value is None:
        return "<nil>"
    scalar = _scalar(value)
    if scalar is not None:
        return scalar
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_format(item) for item in value) + "]"
    if isinstance(value, dict):
        # Go prints maps with their keys sorted.
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "map[" + " ".join(f"{k}:{go_format(v)}" for k, v in items) + "]"
    return str(value)


def normalize(value: Any) -> str:
    """agent-benchmark's ``normalize``: the string both sides of an equality are compared as."""
    if value is None:
        return "null"
    scalar = _scalar(value)
    if scalar is not None:
        return scalar
    if isinstance(value, list | tuple):
        return "[" + ", ".join(normalize(item) for item in value) + "]"
    # Objects fall through to Go's default print, as in agent-benchmark.
    return go_format(value)
