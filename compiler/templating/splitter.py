"""Split suite template text into segments: text, expressions, blocks.

Recognises ``{{ }}``, ``{{{ }}}``, ``{{! }}``/``{{!-- --}}``, ``{{#if}}``-style Handlebars blocks,
``{% %}`` (with ``{% raw %}``), ``{# #}``, ``${NAME}`` and the ``$${`` escape, and applies
whitespace control (``{{-``/``-}}``, ``{{~``/``~}}``). Each expression body is translated by
``compiler.templating.handlebars``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .handlebars import HB_BLOCK_HINT, expression
from .problem import TemplateProblem
from .segments import Block, Expr, Segment, Text

__all__ = ["split"]

_START = re.compile(r"\{\{|\{%|\{#|\$\$?\{")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_MAX_TAG = 10_000  # characters scanned for the end of one tag when it holds quotes


def _find_close(text: str, start: int, close: str) -> int:
    """Index of ``close`` after ``start``, skipping quoted strings; -1 if none."""
    plain = text.find(close, start)
    if plain < 0 or ("'" not in text[start:plain] and '"' not in text[start:plain]):
        return plain  # the common case: no string literal inside the tag
    quote = ""
    i = start
    # Bounded, so text full of unbalanced quotes stays linear rather than quadratic.
    limit = min(len(text), start + _MAX_TAG)
    while i < limit:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif text.startswith(close, i):
            return i
        i += 1
    # An unbalanced quote inside (e.g. an apostrophe) must not hide the close.
    return plain


@dataclass(slots=True)
class _Tag:
    segment: Segment | None
    trim_before: bool
    trim_after: bool
    problem: TemplateProblem | None = None
    """What is wrong inside this tag; reading goes on, so every bad tag is reported."""


def _block_for_handlebars(body: str, original: str, offset: int, stack: list[str]) -> Block:
    """``{{#if x}}`` / ``{{else}}`` / ``{{/if}}`` (also unless, each) as Jinja blocks."""
    head, _, rest = body.partition(" ")
    rest = rest.strip()
    if head == "else" and not rest:
        if not stack:
            raise TemplateProblem(f"{original} outside {{{{#if}}}}", hint=HB_BLOCK_HINT)
        return Block("else", original, offset)
    if head[:1] == "/":
        name = head[1:]
        if not stack or stack[-1] != name:
            expected = f"{{{{/{stack[-1]}}}}}" if stack else "no closing tag"
            raise TemplateProblem(f"{original} does not close an open block (expected {expected})")
        stack.pop()
        return Block("endfor" if name == "each" else "endif", original, offset)
    name = head[1:]
    if name not in ("if", "unless", "each") or not rest:
        raise TemplateProblem(
            f"{original}: the Handlebars block {name!r} is not supported", hint=HB_BLOCK_HINT
        )
    cond = expression(rest, original, offset).jinja
    stack.append(name)
    if name == "if":
        return Block(f"if {cond}", original, offset)
    if name == "unless":
        return Block(f"if not ({cond})", original, offset)
    return Block(f"for this in {cond}", original, offset)


def _mustache(text: str, start: int, stack: list[str]) -> tuple[_Tag, int]:
    """Read the ``{{ ... }}`` (or ``{{{ ... }}}``, ``{{! ... }}``) at ``start``."""
    if text.startswith("{{!--", start):
        end = text.find("--}}", start + 5)
        if end < 0:
            raise TemplateProblem(
                "unclosed comment '{{!--'", hint="close it with '--}}'", offset=start
            )
        return _Tag(None, False, False), end + 4
    triple = text.startswith("{{{", start)
    open_len, close = (3, "}}}") if triple else (2, "}}")
    end = _find_close(text, start + open_len, close)
    if end < 0:
        snippet = text[start : start + 30]
        raise TemplateProblem(
            f"unclosed {snippet!r}",
            hint=f"close it with '{close}'; to write a literal '{{{{', use {{{{ '{{{{' }}}}",
            offset=start,
        )
    body = text[start + open_len : end]
    original = text[start : end + len(close)]
    trim_before = body[:1] in ("-", "~")
    trim_after = body[-1:] in ("-", "~") and len(body) > 1
    body = body[1 if trim_before else 0 : len(body) - 1 if trim_after else len(body)]
    stripped = body.strip()
    tail = end + len(close)
    if stripped[:1] == "!":
        return _Tag(None, trim_before, trim_after), tail
    if not triple and stripped[:1] == "&":
        stripped = stripped[1:].strip()
    elif not triple and (stripped[:1] in ("#", "/") or stripped == "else"):
        block = _block_for_handlebars(stripped, original, start, stack)
        return _Tag(block, trim_before, trim_after), tail
    elif not triple and stripped[:1] in ("^", ">"):
        raise TemplateProblem(
            f"{original}: Handlebars {'inverse blocks' if stripped[0] == '^' else 'partials'} are not supported",
            hint=HB_BLOCK_HINT,
            offset=start,
        )
    try:
        return _Tag(expression(stripped, original, start), trim_before, trim_after), tail
    except TemplateProblem as exc:
        return _Tag(None, trim_before, trim_after, exc.at(start)), tail


def _statement(text: str, start: int) -> tuple[_Tag, int, Text | None]:
    """Read the ``{% ... %}`` at ``start``; a ``{% raw %}`` block becomes literal text."""
    end = _find_close(text, start + 2, "%}")
    if end < 0:
        raise TemplateProblem(
            f"unclosed {text[start : start + 30]!r}",
            hint="close it with '%}'; to write a literal '{%', use {{ '{%' }}",
            offset=start,
        )
    body = text[start + 2 : end]
    trim_before = body[:1] == "-"
    trim_after = body[-1:] == "-" and len(body) > 1
    body = body[1 if trim_before else 0 : len(body) - 1 if trim_after else len(body)].strip()
    tail = end + 2
    if body == "raw":
        close = _ENDRAW.search(text, tail)
        if close is None:
            raise TemplateProblem(
                "unclosed '{% raw %}'", hint="close it with '{% endraw %}'", offset=start
            )
        return _Tag(None, trim_before, False), close.end(), Text(text[tail : close.start()], tail)
    return _Tag(Block(body, text[start:tail], start), trim_before, trim_after), tail, None


def split(text: str) -> tuple[list[Segment], list[TemplateProblem]]:
    """Read ``text`` into segments, and the problems of the expressions that could not be read.

    Raises TemplateProblem when the tags themselves are malformed (unclosed, unbalanced
    blocks); a bad expression inside a well-formed tag leaves the tag out and is returned, so
    every bad expression of a text is reported, and the others can still be checked.
    """
    parts: list[Text | _Tag] = []
    stack: list[str] = []
    pos = 0
    while True:
        match = _START.search(text, pos)
        if match is None:
            parts.append(Text(text[pos:], pos))
            break
        start = match.start()
        token = match.group()
        if token.startswith("$"):
            if token == "$${":
                # "$${X}" is the escape for a literal "${X}".
                parts.append(Text(text[pos : start + 1], pos))
                parts.append(Text("{", start + 2))
                pos = start + 3
                continue
            ref = _ENV_REF.match(text, start)
            if ref is None:
                parts.append(Text(text[pos : start + 2], pos))
                pos = start + 2
                continue
            parts.append(Text(text[pos:start], pos))
            name = ref.group(1)
            parts.append(
                _Tag(Expr(name, ref.group(), start, frozenset([name]), name), False, False)
            )
            pos = ref.end()
            continue
        parts.append(Text(text[pos:start], pos))
        if token == "{{":
            tag, pos = _mustache(text, start, stack)
            parts.append(tag)
        elif token == "{%":
            tag, pos, raw = _statement(text, start)
            parts.append(tag)
            if raw is not None:
                parts.append(raw)
        else:  # "{#": a Jinja comment renders nothing
            end = text.find("#}", start + 2)
            if end < 0:
                raise TemplateProblem(
                    "unclosed comment '{#'",
                    hint="close it with '#}'; to write a literal '{#', use {{ '{#' }}",
                    offset=start,
                )
            body = text[start + 2 : end]
            parts.append(_Tag(None, body[:1] == "-", body[-1:] == "-" and len(body) > 1))
            pos = end + 2
    if stack:
        raise TemplateProblem(
            f"{{{{#{stack[-1]}}}}} is never closed", hint=f"add {{{{/{stack[-1]}}}}}"
        )
    problems = [p.problem for p in parts if isinstance(p, _Tag) and p.problem is not None]
    return _assemble(parts), problems


def _assemble(parts: list[Text | _Tag]) -> list[Segment]:
    """Apply whitespace control (``{{-``, ``-}}``, ``~``) and merge adjacent text."""
    out: list[Segment] = []
    for i, part in enumerate(parts):
        if isinstance(part, _Tag):
            if part.segment is not None:
                out.append(part.segment)
            continue
        chunk = part.text
        before = parts[i - 1] if i > 0 else None
        after = parts[i + 1] if i + 1 < len(parts) else None
        if isinstance(before, _Tag) and before.trim_after:
            chunk = chunk.lstrip()
        if isinstance(after, _Tag) and after.trim_before:
            chunk = chunk.rstrip()
        if not chunk:
            continue
        if out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + chunk, out[-1].offset)
        else:
            out.append(Text(chunk, part.offset))
    return out
