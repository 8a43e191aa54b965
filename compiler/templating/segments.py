"""The pieces a suite template is read into, and how literal text is written as Jinja.

``Text`` renders as is, ``Expr`` is one ``{{ ... }}`` (or ``${NAME}``) carried as a Jinja
expression, ``Block`` is a ``{% ... %}`` statement. ``jinja_string`` and ``jinja_literal``
turn text into Jinja source that renders back to exactly that text, so compile-time values
put into a run-time template can never be re-interpreted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Block", "Expr", "FastCall", "Segment", "Text", "jinja_literal", "jinja_string"]


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text, rendered as is."""

    text: str
    offset: int


@dataclass(frozen=True, slots=True)
class FastCall:
    """A helper call whose arguments are literals or plain names: evaluated without Jinja."""

    helper: str
    args: tuple[tuple[bool, Any], ...]
    """Positional arguments as ``(is_name, literal value or name)``."""
    kwargs: tuple[tuple[str, tuple[bool, Any]], ...]


@dataclass(frozen=True, slots=True)
class Expr:
    """One ``{{ ... }}``, ``{{{ ... }}}`` or ``${NAME}``, carried as a Jinja expression."""

    jinja: str
    """The expression as Jinja source."""
    original: str
    """As written in the suite, for messages."""
    offset: int
    names: frozenset[str]
    """Free names it reads (variables, helpers and Jinja globals alike)."""
    bare: str | None = None
    """The variable name when the expression is nothing but a name."""
    call: FastCall | None = None
    arg_names: frozenset[str] = field(default_factory=frozenset)
    """Names used as helper arguments (an unquoted word there is usually meant as text)."""


@dataclass(frozen=True, slots=True)
class Block:
    """A ``{% ... %}`` statement (or a translated Handlebars block), kept for Jinja."""

    body: str
    original: str
    offset: int


Segment = Text | Expr | Block


def jinja_string(text: str) -> str:
    """``text`` as a Jinja string literal that evaluates back to exactly ``text``."""
    out = ['"']
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_RISKY_TEXT = re.compile(r"\{[{%#]|\r")


def jinja_literal(text: str) -> str:
    """``text`` as Jinja source that renders to exactly ``text``, never re-interpreted.

    Plain text stays readable; text with ``{{``, ``{%``, ``{#``, a carriage return, or a
    brace at an edge (where it could fuse with a neighbouring tag) becomes a string literal.
    """
    if not text:
        return ""
    if _RISKY_TEXT.search(text) or text[-1] == "{" or text[0] == "}":
        return "{{ " + jinja_string(text) + " }}"
    return text
