"""Split a suite template into text, expressions and blocks; translate Handlebars to Jinja.

Suites written for agent-benchmark use Handlebars helper calls (``{{randomValue length=8}}``,
``{{faker 'Internet.email'}}``, ``{{cut filename ".txt"}}``), ``{{{raw}}}`` and ``${VAR}``;
bench suites may also use native Jinja (``{{ name | upper }}``, ``{% if %}``). This module
reads both into one list of segments, each expression carried as Jinja source, so the
engine renders everything in the one sandboxed Jinja environment.

Rules for a ``{{ ... }}`` body:

- a helper name first (``randomValue``, ``now`` ...) -> a Handlebars helper call;
- a lone name or dotted path (``user_id``, ``user.name``) -> a variable lookup;
- otherwise a Jinja expression if Jinja can parse it;
- otherwise, if it looks like ``name arg key=value``, an unknown helper (did you mean ...?).

``cut``, ``replace`` and ``substring`` translate into plain Jinja filters, so a template
that also uses run-time variables keeps working in the runtime's environment, which has
no helpers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes

from runtime.templating import make_environment

from .helpers import HELPERS, did_you_mean
from .template_problem import TemplateProblem

__all__ = [
    "Block",
    "Expr",
    "FastCall",
    "Segment",
    "Text",
    "jinja_literal",
    "jinja_string",
    "split",
]


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

_PARSE_ENV = make_environment()
# Parsing folds constants; with these intercepted, `{{ 2 ** 10**9 }}` is not computed while
# merely reading names (the engine's own environment refuses it when rendering).
_PARSE_ENV.intercepted_binops = frozenset({"*", "**"})
_START = re.compile(r"\{\{|\{%|\{#|\$\$?\{")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*\Z")
_MAX_TAG = 10_000  # characters scanned for the end of one tag when it holds quotes
_NO_FILTER = re.compile(r"No (filter|test) named '([^']+)'")
_ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_HB_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?!=)
    | (?P<num>-?\d+(?:\.\d+)?)(?![\w.])
    | (?P<word>@?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)(?![\w(.\[])
    | (?P<open>\()
    | (?P<close>\))
    )""",
    re.VERBOSE | re.DOTALL,
)
# Jinja words that parse as something other than a variable.
_KEYWORDS = frozenset("and or not in is if else true false none True False None".split())
_HB_WORDS: dict[str, Any] = {"true": True, "false": False, "null": None, "undefined": None}
_HB_BLOCK_HINT = "use Jinja blocks instead: {% if x %}...{% else %}...{% endif %}, {% for item in items %}...{% endfor %}"


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


@lru_cache(maxsize=8192)
def _jinja_expression(body: str) -> tuple[frozenset[str] | None, str | None]:
    """Names of ``body`` parsed as one Jinja expression, or the syntax error."""
    try:
        tree = _PARSE_ENV.parse("{{ " + body + " }}")
        names = frozenset(meta.find_undeclared_variables(tree))
    except TemplateSyntaxError as exc:  # includes TemplateAssertionError (unknown filter)
        return None, exc.message or "invalid syntax"
    if not (
        len(tree.body) == 1
        and isinstance(tree.body[0], nodes.Output)
        and len(tree.body[0].nodes) == 1
        and not isinstance(tree.body[0].nodes[0], nodes.TemplateData)
    ):
        return None, "expected one expression"
    return names, None


# -- Handlebars mustache bodies ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Path:
    path: str


@dataclass(frozen=True, slots=True)
class _Call:
    name: str
    params: tuple[Any, ...]
    hash: tuple[tuple[str, Any], ...]


def _hb_tokens(body: str) -> list[tuple[str, str]] | None:
    tokens: list[tuple[str, str]] = []
    pos = 0
    size = len(body)
    while True:
        while pos < size and body[pos].isspace():
            pos += 1
        if pos >= size:
            return tokens
        match = _HB_TOKEN.match(body, pos)
        if match is None or match.end() == pos:
            return None
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        pos = match.end()


def _hb_value(kind: str, raw: str) -> Any:
    if kind == "str":
        return re.sub(r"\\(.)", r"\1", raw[1:-1], flags=re.DOTALL)
    if kind == "num":
        return float(raw) if "." in raw else int(raw)
    if raw in _HB_WORDS:
        return _HB_WORDS[raw]
    return _Path(raw)


def _hb_parse(body: str) -> _Call | None:
    """``name arg "lit" key=value (sub expr)`` -> a call tree, or None if not Handlebars."""
    tokens = _hb_tokens(body)
    if not tokens:
        return None
    pos = 0

    def call(nested: bool) -> _Call | None:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos][0] != "word":
            return None
        name = tokens[pos][1]
        pos += 1
        params: list[Any] = []
        hashes: list[tuple[str, Any]] = []
        while pos < len(tokens):
            kind, raw = tokens[pos]
            if kind == "close":
                if not nested:
                    return None
                pos += 1
                return _Call(name, tuple(params), tuple(hashes))
            key = None
            if kind == "key":
                key = raw
                pos += 1
                if pos >= len(tokens):
                    return None
                kind, raw = tokens[pos]
            elif hashes:
                return None  # Handlebars puts key=value arguments last
            if kind == "open":
                pos += 1
                value: Any = call(True)
                if value is None:
                    return None
            elif kind in ("str", "num", "word"):
                value = _hb_value(kind, raw)
                pos += 1
            else:
                return None
            if key is None:
                params.append(value)
            else:
                hashes.append((key, value))
        return None if nested else _Call(name, tuple(params), tuple(hashes))

    return call(False)


# Handlebars data variables inside {{#each}} map onto Jinja's loop object.
_DATA_VARS = {"@index": "loop.index0", "@first": "loop.first", "@last": "loop.last"}


def _path_jinja(path: str) -> str:
    return _DATA_VARS.get(path, path)


def _arg_jinja(value: Any) -> str:
    if isinstance(value, _Path):
        return _path_jinja(value.path)
    if isinstance(value, _Call):
        return _call_jinja(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, str):
        return jinja_string(value)
    return repr(value)


def _bind(call: _Call) -> dict[str, Any]:
    """Map positional and key=value arguments onto the helper's argument names."""
    spec = HELPERS[call.name]
    if len(call.params) > len(spec.positional):
        expected = (
            f"{len(spec.positional)} argument(s): " + ", ".join(spec.positional)
            if spec.positional
            else "only key=value arguments: " + ", ".join(spec.keys)
        )
        raise TemplateProblem(f"{call.name} takes {expected}; got {len(call.params)}")
    bound: dict[str, Any] = dict(zip(spec.positional, call.params, strict=False))
    for key, value in call.hash:
        if key not in spec.keys:
            allowed = ", ".join(spec.keys) or "none"
            raise TemplateProblem(
                f"{call.name} has no argument {key!r} (arguments: {allowed})",
                hint=did_you_mean(key, list(spec.keys)),
                undefined=key,
            )
        bound[key] = value
    if len(call.params) < spec.required:
        missing = ", ".join(spec.positional[len(call.params) : spec.required])
        raise TemplateProblem(f"{call.name} needs {missing}", hint=_usage(call.name))
    return bound


def _usage(name: str) -> str:
    return {
        "faker": "{{faker 'Internet.email'}}",
        "cut": '{{cut filename ".txt"}}',
        "replace": '{{replace email "@a.com" "@b.com"}}',
        "substring": "{{substring text start=0 end=5}}",
    }.get(name, "{{" + name + "}}")


def _slice_bound(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(max(0, value))
    return "[(" + _arg_jinja(value) + ")|int, 0]|max"


def _call_jinja(call: _Call) -> str:
    bound = _bind(call)
    if call.name == "cut":
        return f"(({_arg_jinja(bound['value'])})|string|replace(({_arg_jinja(bound['toRemove'])})|string, ''))"
    if call.name == "replace":
        value, old, new = (_arg_jinja(bound[k]) for k in ("value", "old", "new"))
        if isinstance(bound["old"], str) and not isinstance(bound["old"], _Path):
            if bound["old"] == "":
                return f"(({value})|string)"
            return f"(({value})|string|replace({old}, ({new})|string))"
        return f"((({value})|string|replace(({old})|string, ({new})|string)) if ({old})|string else ({value})|string)"
    if call.name == "substring":
        start = _slice_bound(bound.get("start", 0))
        end = _slice_bound(bound["end"]) if "end" in bound else ""
        return f"(({_arg_jinja(bound['value'])})|string)[{start}:{end}]"
    parts = [_arg_jinja(bound[k]) for k in HELPERS[call.name].positional if k in bound]
    parts += [f"{k}={_arg_jinja(v)}" for k, v in bound.items() if k in HELPERS[call.name].keys]
    return f"{call.name}({', '.join(parts)})"


def _fast(call: _Call) -> FastCall | None:
    def arg(value: Any) -> tuple[bool, Any] | None:
        if isinstance(value, _Call):
            return None
        if isinstance(value, _Path):
            return (True, value.path) if _NAME.match(value.path) else None
        return (False, value)

    args = [arg(v) for v in call.params]
    kwargs = [(k, arg(v)) for k, v in call.hash]
    if any(a is None for a in args) or any(a is None for _, a in kwargs):
        return None
    return FastCall(
        call.name,
        tuple(a for a in args if a is not None),
        tuple((k, a) for k, a in kwargs if a is not None),
    )


def _helper_names(call: _Call) -> frozenset[str]:
    # cut/replace/substring become filters; the others are calls to a global of that name.
    own = frozenset() if call.name in ("cut", "replace", "substring") else frozenset([call.name])
    for value in (*call.params, *(v for _, v in call.hash)):
        if isinstance(value, _Call):
            own |= _helper_names(value)
    return own


def _arg_names(call: _Call) -> frozenset[str]:
    found: set[str] = set()
    for value in (*call.params, *(v for _, v in call.hash)):
        if isinstance(value, _Path):
            found.add(_path_jinja(value.path).split(".")[0])
        elif isinstance(value, _Call):
            found |= _arg_names(value)
    return frozenset(found)


def _expression(body: str, original: str, offset: int) -> Expr:
    """Translate one mustache body into an Expr (see the module docstring for the rules)."""
    stripped = body.strip()
    if not stripped:
        raise TemplateProblem(
            f"empty expression {original!r}", hint="write a name inside: {{name}}"
        )
    call = _hb_parse(stripped)
    if call is not None and call.name in HELPERS:
        try:
            source = _call_jinja(call)
        except TemplateProblem as exc:
            exc.message = f"{original}: {exc.message}"
            raise
        # Our translation is valid Jinja by construction; its names come from the call tree,
        # which saves a Jinja parse per distinct template (the compile's hottest path).
        arg_names = _arg_names(call)
        return Expr(
            source, original, offset, arg_names | _helper_names(call), None, _fast(call), arg_names
        )
    if stripped in _DATA_VARS:
        return Expr(_DATA_VARS[stripped], original, offset, frozenset(["loop"]))
    if (
        call is not None
        and not call.params
        and not call.hash
        and _PATH.match(stripped)
        and stripped not in _KEYWORDS
    ):
        bare = stripped if _NAME.match(stripped) else None
        return Expr(stripped, original, offset, frozenset([stripped.split(".")[0]]), bare)
    names, error = _jinja_expression(stripped)
    if names is not None:
        return Expr(stripped, original, offset, names)
    missing = _NO_FILTER.search(error or "")
    if missing is not None:
        kind, name = missing.groups()
        known = _PARSE_ENV.filters if kind == "filter" else _PARSE_ENV.tests
        raise TemplateProblem(
            f"{original}: unknown {kind} {name!r}",
            hint=did_you_mean(name, list(known)),
            undefined=name,
        )
    if call is not None and (call.params or call.hash):
        raise TemplateProblem(
            f"{original}: unknown helper {call.name!r}",
            hint=did_you_mean(call.name, list(HELPERS)) or "helpers: " + ", ".join(HELPERS),
            undefined=call.name,
        )
    raise TemplateProblem(f"{original}: not a valid expression ({error})")


# -- the splitter ------------------------------------------------------------------------


@dataclass(slots=True)
class _Tag:
    segment: Segment | None
    trim_before: bool
    trim_after: bool


def _block_for_handlebars(body: str, original: str, offset: int, stack: list[str]) -> Block:
    """``{{#if x}}`` / ``{{else}}`` / ``{{/if}}`` (also unless, each) as Jinja blocks."""
    head, _, rest = body.partition(" ")
    rest = rest.strip()
    if head == "else" and not rest:
        if not stack:
            raise TemplateProblem(f"{original} outside {{{{#if}}}}", hint=_HB_BLOCK_HINT)
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
            f"{original}: the Handlebars block {name!r} is not supported", hint=_HB_BLOCK_HINT
        )
    cond = _expression(rest, original, offset).jinja
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
            hint=_HB_BLOCK_HINT,
            offset=start,
        )
    return _Tag(_expression(stripped, original, start), trim_before, trim_after), tail


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


def split(text: str) -> list[Segment]:
    """Read ``text`` into segments; raises TemplateProblem on malformed syntax."""
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
    return _assemble(parts)


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
