"""The template helpers of agent-benchmark suites, deterministic from one seed.

``randomValue``, ``randomInt``, ``randomDecimal``, ``faker``, ``now``, ``cut``, ``replace``
and ``substring``. Each engine owns one ``Helpers``: a ``random.Random(seed)`` for the
random helpers and a Faker seeded from the same seed (no global random state), and the
frozen compile clock for ``now``. The same seed and the same calls in the same order give
the same values, byte for byte.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from runtime.templating import replaced_size

from ..suggest import did_you_mean
from .fakerkeys import CLOCK_KEYS, FAKER_KEYS
from .javatime import apply_timezone, format_now, parse_offset
from .problem import TemplateProblem

__all__ = [
    "HELPERS",
    "RANDOM_TYPES",
    "HelperSpec",
    "Helpers",
    "cut",
    "replace",
    "substring",
]

_SYMBOLS = "!@#$%^&*()_+-=[]{}|;:,.<>?"
RANDOM_TYPES: dict[str, str] = {
    "ALPHANUMERIC": string.ascii_letters + string.digits,
    "ALPHABETIC": string.ascii_letters,
    "NUMERIC": string.digits,
    "HEXADECIMAL": "0123456789abcdef",
    "ALPHANUMERIC_AND_SYMBOLS": string.ascii_letters + string.digits + _SYMBOLS,
    "UUID": "",
}
"""randomValue types -> alphabet (UUID is special)."""

_MAX_LENGTH = 100_000  # a typo such as length=1000000000 must not exhaust memory


@dataclass(frozen=True, slots=True)
class HelperSpec:
    """The arguments a helper accepts in Handlebars form."""

    positional: tuple[str, ...] = ()
    """Names of positional arguments, in order."""
    required: int = 0
    """How many positional arguments are required."""
    keys: tuple[str, ...] = ()
    """Names of ``key=value`` arguments."""


HELPERS: dict[str, HelperSpec] = {
    "randomValue": HelperSpec(keys=("type", "length", "uppercase")),
    "randomInt": HelperSpec(keys=("lower", "upper")),
    "randomDecimal": HelperSpec(keys=("lower", "upper")),
    "now": HelperSpec(keys=("format", "offset", "timezone")),
    "faker": HelperSpec(positional=("key",), required=1),
    "cut": HelperSpec(positional=("value", "toRemove"), required=2),
    "replace": HelperSpec(positional=("value", "old", "new"), required=3),
    "substring": HelperSpec(
        positional=("value", "start", "end"), required=1, keys=("start", "end")
    ),
}
"""Every helper name, with its argument shape."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_int(helper: str, arg: str, value: Any) -> int:
    if isinstance(value, bool):
        raise TemplateProblem(f"{helper}: {arg} must be a whole number, got {_text(value)}")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        pass
    raise TemplateProblem(f"{helper}: {arg} must be a whole number, got {_text(value)!r}")


def _to_float(helper: str, arg: str, value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        pass
    raise TemplateProblem(f"{helper}: {arg} must be a number, got {_text(value)!r}")


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def cut(value: Any, to_remove: Any) -> str:
    """``{{cut filename ".txt"}}``: ``value`` with every ``to_remove`` removed."""
    return _text(value).replace(_text(to_remove), "")


def replace(value: Any, old: Any, new: Any, *, max_chars: int = 1_000_000) -> str:
    """``{{replace email "@a" "@b"}}``: every ``old`` replaced; an empty ``old`` changes nothing.

    A result longer than ``max_chars`` is refused before it is built.
    """
    text, old_text, new_text = _text(value), _text(old), _text(new)
    if not old_text:
        return text
    size = replaced_size(text, old_text, new_text)
    if size > max_chars:
        raise TemplateProblem(
            f"replace would make about {size:,} characters, more than the {max_chars:,} "
            "one value may hold",
            hint="replace fewer or shorter pieces",
            code="template-budget",
        )
    return text.replace(old_text, new_text)


def substring(value: Any, start: Any = 0, end: Any = None) -> str:
    """``{{substring text start=0 end=5}}``: characters ``[start, end)``, clamped to the text.

    agent-benchmark counts bytes; we count characters, so multi-byte text is never split.
    """
    text = _text(value)
    lo = max(0, _to_int("substring", "start", start))
    hi = len(text) if end is None else max(0, _to_int("substring", "end", end))
    return text[lo:hi]


class Helpers:
    """The helper functions of one engine, bound to its seed and frozen clock."""

    def __init__(self, *, seed: int, now: datetime, max_chars: int = 1_000_000) -> None:
        self._seed = seed
        self._max_chars = max_chars
        self._rng = random.Random(seed)
        self._now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        self.clock_read = False
        """Whether any template read the frozen clock (``now``, or a faker key built on it):
        only then is the clock part of the plan."""
        self._faker: Any = None

    def choice(self, seq: Any) -> Any:
        """One item of ``seq`` from the seeded stream (Jinja's ``random`` filter, made reproducible)."""
        items = list(seq)
        if not items:
            raise TemplateProblem("random: cannot choose from an empty sequence")
        return self._rng.choice(items)

    def random_value(
        self, type: Any = "ALPHANUMERIC", length: Any = 10, uppercase: Any = False
    ) -> str:
        """``{{randomValue type='ALPHABETIC' length=8 uppercase=true}}``."""
        kind = _text(type).strip().upper() or "ALPHANUMERIC"
        if kind not in RANDOM_TYPES:
            raise TemplateProblem(
                f"randomValue: unknown type {_text(type)!r}",
                hint=did_you_mean(kind, list(RANDOM_TYPES)) or "types: " + ", ".join(RANDOM_TYPES),
                undefined=_text(type),
            )
        if kind == "UUID":
            value = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        else:
            count = _to_int("randomValue", "length", length)
            if not 0 <= count <= _MAX_LENGTH:
                raise TemplateProblem(
                    f"randomValue: length must be between 0 and {_MAX_LENGTH}, got {count}"
                )
            alphabet = RANDOM_TYPES[kind]
            value = "".join(self._rng.choice(alphabet) for _ in range(count))
        return value.upper() if _to_bool(uppercase) else value

    def random_int(self, lower: Any = 0, upper: Any = 100) -> int:
        """``{{randomInt lower=1 upper=9}}``: inclusive; reversed bounds are swapped."""
        lo, hi = _to_int("randomInt", "lower", lower), _to_int("randomInt", "upper", upper)
        if lo > hi:
            lo, hi = hi, lo
        return self._rng.randint(lo, hi)

    def random_decimal(self, lower: Any = 0, upper: Any = 100) -> str:
        """``{{randomDecimal lower=10.5 upper=99.9}}``: uniform, printed with two decimals."""
        lo, hi = (
            _to_float("randomDecimal", "lower", lower),
            _to_float("randomDecimal", "upper", upper),
        )
        if lo > hi:
            lo, hi = hi, lo
        return f"{self._rng.uniform(lo, hi):.2f}"

    def now(self, format: Any = "", offset: Any = "", timezone: Any = "") -> str:
        """``{{now format='yyyy-MM-dd' offset='7 days' timezone='UTC'}}`` on the frozen clock."""
        self.clock_read = True
        moment = self._now
        if _text(offset).strip():
            moment = moment + parse_offset(_text(offset))
        if _text(timezone).strip():
            moment = apply_timezone(moment, _text(timezone).strip())
        return format_now(moment, _text(format))

    def faker(self, key: Any = None) -> str:
        """``{{faker 'Internet.email'}}``: one of the documented keys, from the seeded Faker."""
        name = _text(key).strip()
        fn = FAKER_KEYS.get(name)
        if fn is None:
            # Keys are matched case-insensitively as a courtesy ('internet.email').
            fn = next((f for k, f in FAKER_KEYS.items() if k.lower() == name.lower()), None)
        if fn is None:
            raise TemplateProblem(
                f"faker: unknown key {name!r}",
                hint=did_you_mean(name, list(FAKER_KEYS))
                or "keys look like 'Name.first_name', 'Internet.email'",
                undefined=name,
            )
        if fn in CLOCK_KEYS:
            self.clock_read = True
        return fn(self._get_faker(), self._now)

    def _get_faker(self) -> Any:
        # Faker is slow to import and build; most suites never call it.
        if self._faker is None:
            from faker import Faker

            fake = Faker("en_US")
            fake.seed_instance(self._seed)
            self._faker = fake
        return self._faker

    def replace(self, value: Any, old: Any, new: Any) -> str:
        """The ``replace`` helper, within this engine's ``max_chars``."""
        return replace(value, old, new, max_chars=self._max_chars)

    def functions(self) -> dict[str, Callable[..., Any]]:
        """The helpers under their template names, for the Jinja environment's globals."""
        return {
            "randomValue": self.random_value,
            "randomInt": self.random_int,
            "randomDecimal": self.random_decimal,
            "now": self.now,
            "faker": self.faker,
            "cut": cut,
            "replace": self.replace,
            "substring": substring,
        }
