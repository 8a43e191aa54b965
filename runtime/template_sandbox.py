"""The sandboxed Jinja environment with a resource budget (``BoundedEnvironment``).

Jinja's immutable sandbox refuses attribute tricks; this subclass also bounds what a template
may cost (``runtime.template_budget``). Every place where size or work grows calls its meter:

- operators ``*``, ``**``, ``+`` and ``%`` (``intercepted_binops``/``call_binop``) and ``~``
  (a code generator that compiles it to ``meter.join_str``);
- every call (``call``: functions, macros, methods such as ``'x'.center(n)``), and each
  filter whose result can outgrow its input (wrapped once, when the environment is made);
- every loop iteration (the code generator wraps the iterable of each ``{% for %}``);
- every output buffer joined (``concat``) and every printed non-text value (``finalize``).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import update_wrapper
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment, safe_range
from jinja2.utils import _PassArg

from .template_budget import (
    Meter,
    TemplateBudgetError,
    TemplateLimits,
    estimate_format,
    replaced_size,
    size_of,
)

__all__ = ["BoundedEnvironment"]

_Estimate = Callable[[Any, tuple[Any, ...], Mapping[str, Any], int], int]


_COUNT = "count_items"
"""The environment method a loop's iterable passes through (``BoundedEnvironment.count_items``)."""


def _is_count(node: nodes.Node) -> bool:
    return (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.EnvironmentAttribute)
        and node.node.name == _COUNT
    )


class _BudgetCodeGenerator(CodeGenerator):
    """Jinja's code generator, with ``~`` and loop iterables routed through the meter."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile or frame.eval_ctx.autoescape:
            super().visit_Concat(node, frame)
            return
        self.write("environment.meter.join_str((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        if not _is_count(node.iter):
            lineno = node.iter.lineno
            attr = nodes.EnvironmentAttribute(_COUNT, lineno=lineno)
            node.iter = nodes.Call(attr, [node.iter], [], None, None, lineno=lineno)
        super().visit_For(node, frame)

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        if not _is_count(node):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        # Jinja does not allow new node types; a call of this one attribute stands for one.
        self.write(f"environment.{_COUNT}(")
        self.visit(node.args[0], frame)
        self.write(")")


class _Counted:
    """An iterator that counts one operation per item; keeps the length Jinja's ``loop`` reads."""

    __slots__ = ("_items", "_iterator", "_meter")

    def __init__(self, items: Iterable[Any], meter: Meter) -> None:
        self._items = items
        self._iterator = iter(items)
        self._meter = meter

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        meter = self._meter
        meter.ops += 1  # Meter.tick, inlined: this runs once per loop iteration
        if meter.ops >= meter.due:
            meter.checkpoint()
        return next(self._iterator)

    def __len__(self) -> int:
        return len(self._items)  # type: ignore[arg-type]  # TypeError: Jinja counts by itself


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, bounded in size, operations, time and depth by ``meter``."""

    code_generator_class = _BudgetCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, limits: TemplateLimits | None = None, **options: Any) -> None:
        self.meter = Meter(limits)
        """Counts the work of the render under way (and the compile's totals)."""
        super().__init__(finalize=self.meter.printing, **options)
        self.globals["range"] = self._range
        self.filters = {
            name: self._guard(name, f) if name in _GROWING else f
            for name, f in self.filters.items()
        }
        # Every output buffer (a template's, a macro's, a {% set %} block's) is joined here.
        self.concat = self.meter.join  # type: ignore[method-assign]

    def count_items(self, items: Iterable[Any]) -> _Counted:
        """The iterable of a loop, counting each item as one operation."""
        return _Counted(items, self.meter)

    def _range(self, *args: int) -> range:
        try:
            return safe_range(*args)
        except OverflowError:
            raise TemplateBudgetError(
                f"range{args if len(args) > 1 else f'({args[0]})'} has more than "
                f"{MAX_RANGE:,} items",
                f"loop over at most {MAX_RANGE:,} items",
            ) from None

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse a result larger than the budget, then apply the operator."""
        meter = self.meter
        meter.tick()
        if operator == "*":
            if type(left) is int and type(right) is int:  # the common case: arithmetic
                meter.fits_int(left.bit_length() + right.bit_length(), "the product")
            else:
                for seq, count in ((left, right), (right, left)):
                    if isinstance(seq, str | list | tuple) and isinstance(count, int):
                        meter.fits(len(seq) * count, f"repeating a value {count:,} times")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                meter.fits_int(max(abs(left).bit_length(), 1) * right, f"the power ** {right}")
        elif operator == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                meter.fits(len(left) + len(right), "the sum")
        elif operator == "%" and isinstance(left, str):
            cutoff = meter.limits.value_chars
            meter.fits(
                estimate_format(left, right, {}, braces=False, cutoff=cutoff), "the '%' format"
            )
        return self.binop_table[operator](left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Count the call and its depth; refuse a ``str`` method whose result would be too large."""
        meter = __self.meter
        meter.tick()
        if isinstance(__obj, types.BuiltinMethodType | types.FunctionType):
            _check_str_method(meter, __obj, args, kwargs)
        try:
            meter.enter()
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            meter.depth -= 1
        if isinstance(result, str | list | tuple):
            meter.fits(len(result), "the call's result")
        return result

    def _guard(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` refusing a result beyond the budget, estimated beforehand where it can be."""
        estimate = _FILTER_ESTIMATES.get(name)
        skip = 0 if _PassArg.from_obj(func) is None else 1
        what = f"the filter '{name}'"
        meter = self.meter

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if estimate is not None and len(args) > skip:
                cutoff = meter.limits.value_chars
                meter.fits(estimate(args[skip], args[skip + 1 :], kwargs, cutoff), what)
            result = func(*args, **kwargs)
            if isinstance(result, str | list | tuple):
                meter.fits(len(result), what)
            elif isinstance(result, Iterator):
                return meter.bounded(result, what)
            return result

        return update_wrapper(guarded, func)


def _arg(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str, default: Any
) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _center(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], cutoff: int) -> int:
    return max(size_of(value, cutoff), _int(_arg(args, kwargs, 0, "width", 80)))


def _indent(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], cutoff: int) -> int:
    width = _arg(args, kwargs, 0, "width", 4)
    pad = len(width) if isinstance(width, str) else _int(width)
    return size_of(value, cutoff) + (_text(value).count("\n") + 1) * pad


def _wordwrap(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], cutoff: int) -> int:
    text = _text(value)
    width = max(_int(_arg(args, kwargs, 0, "width", 79)), 1)
    wrap = _arg(args, kwargs, 2, "wrapstring", None) or "\n"
    breaks = len(text) // width + text.count(" ") + 1
    return len(text) + breaks * len(_text(wrap))


def _format(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], cutoff: int) -> int:
    fmt = _text(value)
    return estimate_format(fmt, tuple(args), kwargs, braces=False, cutoff=cutoff)


def _join(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], cutoff: int) -> int:
    if not isinstance(value, list | tuple):
        return 0  # a generator is read once: the result is checked instead
    sep = size_of(_arg(args, kwargs, 0, "d", ""), cutoff)
    return size_of(list(value), cutoff) + sep * len(value)


def _replace(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], cutoff: int) -> int:
    old, new = _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", "")
    return replaced_size(_text(value), old, new, _arg(args, kwargs, 2, "count", None))


def _batch(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], cutoff: int) -> int:
    if _arg(args, kwargs, 1, "fill_with", None) is None:
        return 0
    return _int(_arg(args, kwargs, 0, "linecount", 0))


def _slice(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], cutoff: int) -> int:
    return _int(_arg(args, kwargs, 0, "slices", 0))


def _printed(value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], cutoff: int) -> int:
    return size_of(value, cutoff)


_FILTER_ESTIMATES: dict[str, _Estimate] = {
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "format": _format,
    "join": _join,
    "replace": _replace,
    "batch": _batch,
    "slice": _slice,
    **dict.fromkeys(
        ("string", "tojson", "pprint", "urlencode", "xmlattr", "escape", "e", "forceescape"),
        _printed,
    ),
}
"""Filters whose result can be much larger than their input: its size, estimated beforehand."""

_GROWING = frozenset(
    {*_FILTER_ESTIMATES, "sum", "urlize", "map", "select", "reject", "selectattr", "rejectattr"}
)
"""Filters whose result is checked (the others return their input's size or less); a lazy
result is checked item by item as it is read. Filters count no operation: each one repeated
runs inside a loop or a call, which count."""


def _check_str_method(
    meter: Meter, obj: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> None:
    """Refuse ``'x'.center(10**9)``, ``'{:>1000000000}'.format(x)`` and the like before they run."""
    target = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format and format_map
    owner = getattr(target, "__self__", None)
    if not isinstance(owner, str):
        return
    name = getattr(target, "__name__", "")
    cutoff = meter.limits.value_chars
    size = 0
    if name in ("center", "ljust", "rjust", "zfill"):
        size = max(len(owner), _int(_arg(args, kwargs, 0, "width", 0)))
    elif name == "expandtabs":
        size = len(owner) + owner.count("\t") * _int(_arg(args, kwargs, 0, "tabsize", 8))
    elif name == "replace":
        size = replaced_size(owner, *(list(args[:3]) + [None] * (3 - len(args[:3]))))
    elif name == "join" and args and isinstance(args[0], list | tuple):
        size = size_of(list(args[0]), cutoff) + len(owner) * len(args[0])
    elif name == "format":
        size = estimate_format(owner, args, kwargs, braces=True, cutoff=cutoff)
    elif name == "format_map" and args and isinstance(args[0], Mapping):
        size = estimate_format(owner, (), args[0], braces=True, cutoff=cutoff)
    elif name == "translate" and args and isinstance(args[0], Mapping):
        widest = max((size_of(v, cutoff) for v in args[0].values()), default=1)
        size = len(owner) * max(widest, 1)
    meter.fits(size, f"'{name}'")
