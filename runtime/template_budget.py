"""One resource budget for template rendering, so any template ends in bounded time and memory.

A template can ask for more than any machine has: ``'x'|center(10**9)``, ``(9**9999)**9999``,
two nested loops of 100,000 iterations, a string doubled forty times. The sandboxed environment
(``runtime.templating``) calls a ``Meter`` from every place where size or work can grow:

- before an operation that builds a value (``*``, ``**``, ``+``, ``%``, ``~``, the widening
  filters and ``str`` methods, joins of output), it estimates the result from its operands
  and refuses one larger than ``value_chars`` (``int_bits`` for integers);
- every loop iteration, call and intercepted operator counts one operation, and every 256th
  checks the clock against ``seconds`` (per template) and
  ``total_seconds`` (all templates of one compile) and the count against ``operations``;
- calls nest at most ``depth`` deep (recursive macros and ``loop()``).

A refused template raises ``TemplateBudgetError``; the compiler reports it as a located
``template-budget`` diagnostic, the runtime as a template error of the case.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError, Undefined

__all__ = [
    "Meter",
    "TemplateBudgetError",
    "TemplateLimits",
    "estimate_format",
    "replaced_size",
    "size_of",
]

_PLAIN = frozenset({str, int, float, bool, type(None)})
"""Types whose text is no larger than the value itself (a bounded string or number)."""
_CHECK_EVERY = 256
"""Limits and clock are checked once per this many operations (``Meter.due``)."""


@dataclass(frozen=True, slots=True)
class TemplateLimits:
    """How much one template (and all templates of one compile) may produce and do."""

    value_chars: int = 1_000_000
    """Characters (or items) one rendered value, or any string or list inside it, may hold."""
    total_chars: int = 100_000_000
    """Characters all values rendered by one compile may hold together."""
    operations: int = 1_000_000
    """Loop iterations, calls, filters and operators one template may run."""
    seconds: float = 5.0
    """Time one template may take."""
    total_seconds: float = 60.0
    """Time all templates of one compile may take together."""
    depth: int = 50
    """How deep calls may nest (recursive macros, recursive loops)."""
    int_bits: int = 100_000
    """Bits an integer may have (about 30,000 digits)."""


class TemplateBudgetError(TemplateError):
    """A template asked for more than its budget (size, operations, time or depth)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint
        """Which limit it hit, and how to stay under it."""


class Meter:
    """Counts one template's work against ``TemplateLimits``; one per environment.

    ``start``/``stop`` bracket a render; the counters of a render are reset by ``start``, the
    time and output of all renders add up (``spent``, ``total``) for the compile-wide limits.
    Rendering is synchronous, so one meter serves every render of its environment in turn.
    """

    __slots__ = ("depth", "due", "limits", "ops", "printed", "spent", "started", "total")

    def __init__(self, limits: TemplateLimits | None = None) -> None:
        self.limits = limits or TemplateLimits()
        self.ops = 0
        self.due = 0
        """The operation count at which ``checkpoint`` runs next (set by ``start``)."""
        self.depth = 0
        self.printed = 0
        """Characters of the non-text values printed by the render under way."""
        self.started = time.perf_counter()
        self.spent = 0.0
        """Seconds all finished renders took."""
        self.total = 0
        """Characters of all values rendered so far (``add_output``)."""

    def start(self) -> None:
        """Begin a render: fresh operation and depth counts, a fresh per-template clock."""
        self.ops = 0
        self.due = min(_CHECK_EVERY, self.limits.operations + 1)
        self.depth = 0
        self.printed = 0
        self.started = time.perf_counter()

    def stop(self) -> None:
        """End a render: its time counts towards ``total_seconds``."""
        self.spent += time.perf_counter() - self.started

    def tick(self) -> None:
        """Count one operation; every 256th checks the operation count and the clock."""
        self.ops += 1
        if self.ops >= self.due:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Refuse the template past ``operations`` or its time (called by ``tick``)."""
        self.due = min(self.ops + _CHECK_EVERY, self.limits.operations + 1)
        if self.ops > self.limits.operations:
            raise TemplateBudgetError(
                f"the template ran more than {self.limits.operations:,} operations "
                "(loop iterations and calls)",
                "loop over fewer items, or move the work out of the suite",
            )
        elapsed = time.perf_counter() - self.started
        if elapsed > self.limits.seconds:
            raise TemplateBudgetError(
                f"the template ran longer than {self.limits.seconds:g} s",
                "loop over fewer items, or move the work out of the suite",
            )
        if self.spent + elapsed > self.limits.total_seconds:
            raise TemplateBudgetError(
                f"the suite's templates ran longer than {self.limits.total_seconds:g} s in all",
                "render less at compile time",
            )

    def enter(self) -> None:
        """One call deeper; refuse past ``depth``."""
        self.depth += 1
        if self.depth > self.limits.depth:
            raise TemplateBudgetError(
                f"calls nest deeper than {self.limits.depth} (a macro or loop() that recurses "
                "without end?)",
                "give the recursion an end, or nest less",
            )

    def fits(self, size: int, what: str) -> None:
        """Refuse a value of ``size`` characters (or items) larger than ``value_chars``."""
        if size > self.limits.value_chars:
            raise TemplateBudgetError(
                f"{what} would hold about {size:,} characters or items, more than the "
                f"{self.limits.value_chars:,} one value may hold",
                "produce smaller values: smaller widths, counts and repetitions",
            )

    def fits_int(self, bits: int, what: str) -> None:
        """Refuse an integer of more than ``int_bits`` bits."""
        if bits > self.limits.int_bits:
            raise TemplateBudgetError(
                f"{what} would have about {bits * 3 // 10:,} digits, more than "
                f"{self.limits.int_bits * 3 // 10:,}",
                "use smaller numbers",
            )

    def add_output(self, size: int) -> None:
        """Count a rendered value towards ``total_chars``; refuse a value or total too large."""
        self.fits(size, "the rendered value")
        self.total += size
        if self.total > self.limits.total_chars:
            raise TemplateBudgetError(
                f"the suite's rendered values hold more than {self.limits.total_chars:,} "
                "characters in all",
                "render less text at compile time (fewer or smaller variables)",
            )

    def printing(self, value: Any) -> Any:
        """A value about to be printed (``finalize``): text passes; other values count.

        Printed text is a reference to a string already checked; a list or number becomes new
        text, so those count per render. That keeps every output buffer a list of references
        to bounded strings, or bounded new ones, whose joined size ``join`` checks.
        """
        if type(value) is str:
            return value
        size = size_of(value, self.limits.value_chars)
        self.printed += size
        self.fits(max(size, self.printed), "the printed values")
        return value

    def bounded(self, items: Iterable[Any], what: str) -> Iterator[Any]:
        """``items`` as they come, refused once together they hold more than one value may.

        For the lazy results of filters (``map``, ``select``, ``batch``): ``range(100000)|
        map('center', 999999)`` would otherwise fill memory in whatever collects it.
        """
        cutoff = self.limits.value_chars
        size = 0
        for item in items:
            size += (len(item) if type(item) is str else size_of(item, cutoff)) + 1
            if size > cutoff:
                self.fits(size, what)
            yield item

    def join(self, parts: Any) -> str:
        """``"".join(parts)`` after checking the joined size (``concat`` of every output buffer)."""
        pieces = parts if type(parts) is list else list(parts)
        size = sum(map(len, pieces))
        if size > self.limits.value_chars:
            self.fits(size, "the template's output")
        return "".join(pieces)

    def join_str(self, values: tuple[Any, ...]) -> str:
        """The ``~`` operator: each operand as text, joined, within ``value_chars``.

        Text and numbers are already bounded, so their join is checked after it is made; a
        list or another object could print far larger, so it is estimated before.
        """
        cutoff = self.limits.value_chars
        for value in values:
            if type(value) not in _PLAIN:
                self.fits(sum(size_of(v, cutoff) for v in values), "the '~' concatenation")
                break
        out = "".join(map(str, values))
        if len(out) > cutoff:
            self.fits(len(out), "the '~' concatenation")
        return out


def size_of(value: Any, cutoff: int) -> int:
    """About how many characters ``value`` prints as; counting stops soon after ``cutoff``."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, bool) or value is None or isinstance(value, float | Undefined):
        return 5
    if isinstance(value, int):
        return value.bit_length() * 3 // 10 + 1
    size = 0
    stack = [value]
    while stack and size <= cutoff:
        item = stack.pop()
        if isinstance(item, str):
            size += len(item) + 4
        elif isinstance(item, Mapping):
            size += 4 * len(item) + 2
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            size += 2 * len(item) + 2
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            size += item.bit_length() * 3 // 10 + 1
        else:
            attrs = getattr(item, "_Namespace__attrs", None)  # jinja2's namespace()
            if isinstance(attrs, dict):
                stack.append(attrs)
            size += 24
    return size


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_FIELD = re.compile(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")
_DIGITS = re.compile(r"\d+")


def _number(digits: str) -> int:
    return int(digits) if len(digits) < 19 else 1 << 62


def estimate_format(
    fmt: str, args: Any, kwargs: Mapping[str, Any], *, braces: bool, cutoff: int
) -> int:
    """About how long ``fmt % args`` (or ``fmt.format(*args)`` with ``braces``) would be.

    Each field may print the largest argument padded to the largest width in any field; a
    width taken from the arguments (``%*s``, ``{:{}}``) may be any of the integer arguments.
    """
    if isinstance(args, Mapping):
        values = list(args.values())
    elif isinstance(args, tuple | list):
        values = list(args)
    else:  # `'%s' % value`: one argument
        values = [args]
    values += kwargs.values()
    widest_arg = max((size_of(v, cutoff) for v in values), default=0)
    numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    width = 0
    if braces:
        fields = _BRACE_FIELD.findall(fmt)
        for field in fields:
            _, _, spec = field[1:-1].partition(":")
            width = max([width, *(_number(d) for d in _DIGITS.findall(spec))])
            if "{" in spec:
                width = max([width, *numbers])
    else:
        fields = _PERCENT_SPEC.findall(fmt)
        for pad, precision in fields:
            for part in (pad, precision):
                if part == "*":
                    width = max([width, *numbers])
                elif part:
                    width = max(width, _number(part))
    return len(fmt) + len(fields) * (widest_arg + width)


def replaced_size(text: str, old: Any, new: Any, count: Any = None) -> int:
    """How long ``text.replace(old, new, count)`` would be (an empty ``old`` matches everywhere)."""
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    hits = len(text) + 1 if not old else text.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)
