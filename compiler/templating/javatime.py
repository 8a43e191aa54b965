"""The ``now`` helper's clock arithmetic: offsets, time zones and Java-style date patterns.

agent-benchmark converts Java ``SimpleDateFormat`` patterns by naive substring replacement,
which garbles month and day names (``MMM``, ``EEEE``) and ``a``. Here a pattern is tokenised
the way Java does it (runs of one letter, ``'quoted text'``, ``''`` for a quote) and each
field is formatted with English names, independent of the machine's locale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .problem import TemplateProblem

__all__ = ["apply_timezone", "format_java", "format_now", "parse_offset"]

_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()

# agent-benchmark: month = 30 days, year = 365 days (not calendar arithmetic); kept so that
# the same suite computes the same dates here and there.
_UNIT_SECONDS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}
_OFFSET = re.compile(r"^\s*([+-]?\d+)\s*([a-z]+?)s?\s*$", re.IGNORECASE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_offset(text: str) -> timedelta:
    """``"3 days"``, ``"-24 hours"``, ``"1 year"`` -> a timedelta; anything else is a problem."""
    match = _OFFSET.match(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNIT_SECONDS:
        raise TemplateProblem(
            f"now: offset {text!r} is not '<number> <unit>'",
            hint="units: second, minute, hour, day, week, month (30 days), year (365 days); e.g. '-3 days'",
        )
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[unit])


def apply_timezone(moment: datetime, name: str) -> datetime:
    """``moment`` seen in the IANA zone ``name`` (``UTC``, ``America/New_York``)."""
    try:
        return moment.astimezone(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TemplateProblem(
            f"now: unknown timezone {name!r}",
            hint="use an IANA name such as 'UTC', 'Europe/Berlin' or 'America/New_York'",
        ) from exc


def format_now(moment: datetime, fmt: str) -> str:
    """Format per agent-benchmark: ``""`` RFC 3339, ``epoch`` Unix ms, ``unix`` Unix s, else Java."""
    if fmt == "":
        text = moment.replace(microsecond=0).isoformat()
        # Go's RFC3339 writes a zero offset as "Z"; match it byte for byte.
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if fmt.lower() == "epoch":
        return str((moment - _EPOCH) // timedelta(milliseconds=1))
    if fmt.lower() == "unix":
        return str((moment - _EPOCH) // timedelta(seconds=1))
    return format_java(moment, fmt)


def _pad(value: int, width: int) -> str:
    return str(value).zfill(width) if value >= 0 else "-" + str(-value).zfill(width)


def _offset(moment: datetime, colon: bool, short: bool = False, z_for_zero: bool = False) -> str:
    delta = moment.utcoffset() or timedelta(0)
    if z_for_zero and delta == timedelta(0):
        return "Z"
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    if short:
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}:{mins:02d}" if colon else f"{sign}{hours:02d}{mins:02d}"


def _week_of_year(day: date) -> int:
    # Java's default (US) calendar: weeks start on Sunday; week 1 holds January 1st.
    next_jan1 = date(day.year + 1, 1, 1)
    if day >= next_jan1 - timedelta(days=(next_jan1.weekday() + 1) % 7):
        return 1
    jan1 = date(day.year, 1, 1)
    return (day.timetuple().tm_yday - 1 + (jan1.weekday() + 1) % 7) // 7 + 1


def _week_of_month(day: date) -> int:
    first = day.replace(day=1)
    return (day.day - 1 + (first.weekday() + 1) % 7) // 7 + 1


def _year(value: int, n: int) -> str:
    return _pad(value % 100, 2) if n == 2 else _pad(value, n)


def _zone_name(m: datetime, n: int) -> str:
    if n >= 4:
        # Python has no localized long zone names; the IANA key is the honest substitute.
        key = getattr(m.tzinfo, "key", None)
        return str(key) if key else str(m.tzname() or "UTC")
    return str(m.tzname() or "UTC")


def _iso_offset(m: datetime, n: int) -> str:
    return _offset(m, colon=n >= 3, short=n == 1, z_for_zero=True)


_FIELDS: dict[str, Callable[[datetime, int], str]] = {
    "G": lambda m, n: "AD" if m.year > 0 else "BC",
    "y": lambda m, n: _year(m.year, n),
    "Y": lambda m, n: _year(m.isocalendar()[0], n),
    "M": lambda m, n: (
        _MONTHS[m.month - 1][:3] if n == 3 else _MONTHS[m.month - 1] if n > 3 else _pad(m.month, n)
    ),
    "L": lambda m, n: (
        _MONTHS[m.month - 1][:3] if n == 3 else _MONTHS[m.month - 1] if n > 3 else _pad(m.month, n)
    ),
    "w": lambda m, n: _pad(_week_of_year(m.date()), n),
    "W": lambda m, n: _pad(_week_of_month(m.date()), n),
    "D": lambda m, n: _pad(m.timetuple().tm_yday, n),
    "d": lambda m, n: _pad(m.day, n),
    "F": lambda m, n: _pad((m.day - 1) // 7 + 1, n),
    "E": lambda m, n: _DAYS[m.weekday()] if n >= 4 else _DAYS[m.weekday()][:3],
    "u": lambda m, n: _pad(m.isoweekday(), n),
    "a": lambda m, n: "AM" if m.hour < 12 else "PM",
    "H": lambda m, n: _pad(m.hour, n),
    "k": lambda m, n: _pad(m.hour or 24, n),
    "K": lambda m, n: _pad(m.hour % 12, n),
    "h": lambda m, n: _pad(m.hour % 12 or 12, n),
    "m": lambda m, n: _pad(m.minute, n),
    "s": lambda m, n: _pad(m.second, n),
    "S": lambda m, n: _pad(m.microsecond // 1000, n),
    "z": _zone_name,
    "Z": lambda m, n: _offset(m, colon=False),
    "X": _iso_offset,
}


def format_java(moment: datetime, pattern: str) -> str:
    """Format ``moment`` with a Java ``SimpleDateFormat`` pattern, English names.

    ``yyyy-MM-dd HH:mm:ss`` -> ``2024-01-15 14:30:00``; ``EEEE, MMMM d`` -> ``Monday, January 15``;
    ``hh:mm a`` -> ``02:30 PM``; ``'T'`` and ``''`` quote text. Unknown letters are a problem,
    as in Java, so a typo cannot silently print garbage.
    """
    out: list[str] = []
    i = 0
    size = len(pattern)
    while i < size:
        ch = pattern[i]
        if ch == "'":
            if i + 1 < size and pattern[i + 1] == "'":
                out.append("'")
                i += 2
                continue
            end = i + 1
            literal: list[str] = []
            while end < size:
                if pattern[end] == "'":
                    if end + 1 < size and pattern[end + 1] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            if end >= size:
                raise TemplateProblem(
                    f"now: unterminated quote in format {pattern!r}",
                    hint="close quoted text with ' (write '' for a literal quote)",
                )
            out.append("".join(literal))
            i = end + 1
            continue
        if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
            run = i
            while run < size and pattern[run] == ch:
                run += 1
            field = _FIELDS.get(ch)
            if field is None:
                raise TemplateProblem(
                    f"now: format {pattern!r} has the unknown pattern letter {ch!r}",
                    hint="quote literal letters, e.g. \"yyyy-MM-dd'T'HH:mm\"; letters: "
                    + " ".join(_FIELDS),
                )
            out.append(field(moment, run - i))
            i = run
            continue
        out.append(ch)
        i += 1
    return "".join(out)
