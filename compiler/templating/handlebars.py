"""Translate one ``{{ ... }}`` body, Handlebars or Jinja, into a Jinja expression.

Suites written for agent-benchmark use Handlebars helper calls (``{{randomValue length=8}}``,
``{{faker 'Internet.email'}}``, ``{{cut filename ".txt"}}``); bench suites may also use
native Jinja (``{{ name | upper }}``). Every body becomes an ``Expr`` carrying Jinja source,
so the engine renders everything in the one sandboxed Jinja environment.

Rules for a body:

- a helper name first (``randomValue``, ``now`` ...) -> a Handlebars helper call;
- a lone name or dotted path (``user_id``, ``user.name``, ``my-var``, ``user.first-name``)
  -> a variable lookup;
- otherwise a Jinja expression if Jinja can parse it;
- otherwise, if it looks like ``name arg key=value``, an unknown helper (did you mean ...?).

Names follow Handlebars (raymond): a segment starts with a letter or '_' and may contain
letters, digits, '_' and '-' (not at its end, where ``-}}`` is whitespace control). So
``{{my-var}}`` and ``{{x-1}}`` are lookups of ``my-var`` and ``x-1``, as in agent-benchmark;
Jinja subtraction needs spaces: ``{{ x - 1 }}``. A hyphenated name is written in the Jinja
source as ``runtime.templating.jinja_name`` encodes it, a hyphenated later segment as a
subscript (``user["first-name"]``).

``cut``, ``replace`` and ``substring`` translate into plain Jinja filters, so a template
that also uses run-time variables keeps working in the runtime's environment, which has
no helpers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes

from runtime.templating import jinja_name, make_environment, variable_name

from ..suggest import did_you_mean
from .helpers import HELPERS
from .problem import TemplateProblem
from .segments import Expr, FastCall, jinja_string

__all__ = ["HB_BLOCK_HINT", "expression", "is_variable_name", "subtraction_hint"]


# Finding names folds constants; the environment intercepts the operators that could build
# huge values (`{{ 2 ** 10**9 }}`), so those are not computed while merely reading names.
_PARSE_ENV = make_environment()
# A Handlebars name segment: raymond's ID minus what Jinja or YAML users would not expect
# ('$', ':', '?', non-ASCII); '-' inside, not at the end (``-}}`` trims whitespace).
_SEG = r"[A-Za-z_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
# Later segments may also start with a digit: ``items.0``.
_SUB = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
_NAME = re.compile(_SEG + r"\Z")
_PATH = re.compile(_SEG + r"(?:\." + _SUB + r")*\Z")
_NO_FILTER = re.compile(r"No (filter|test) named '([^']+)'")
_HB_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<key>"""
    + _SEG
    + r""")=(?!=)
    | (?P<num>-?\d+(?:\.\d+)?)(?![\w.])
    | (?P<word>@?"""
    + _SEG
    + r"(?:\."
    + _SUB
    + r""")*)(?![\w(.\[-])
    | (?P<open>\()
    | (?P<close>\))
    )""",
    re.VERBOSE | re.DOTALL,
)
# Jinja words that parse as something other than a variable.
_KEYWORDS = frozenset("and or not in is if else true false none True False None".split())
_HB_WORDS: dict[str, Any] = {"true": True, "false": False, "null": None, "undefined": None}
HB_BLOCK_HINT = "use Jinja blocks instead: {% if x %}...{% else %}...{% endif %}, {% for item in items %}...{% endfor %}"


@lru_cache(maxsize=8192)
def _jinja_expression(body: str) -> tuple[frozenset[str] | None, str | None]:
    """Names of ``body`` parsed as one Jinja expression, or the syntax error."""
    try:
        tree = _PARSE_ENV.parse("{{ " + body + " }}")
        # An encoded hyphenated name reads as the variable it stands for, as in whole templates.
        names = frozenset(variable_name(n) for n in meta.find_undeclared_variables(tree))
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


def is_variable_name(name: str) -> bool:
    """True when a template can read ``name`` as ``{{name}}`` (letters, digits, '_', inner '-')."""
    return _NAME.match(name) is not None


def subtraction_hint(name: str) -> str:
    """The hint for an undefined ``x-1``: it is one name; Jinja subtraction needs spaces."""
    return f"'{name}' is one name, as in Handlebars; to subtract, put spaces around '-': {{{{ {name.replace('-', ' - ')} }}}}"


def _path_jinja(path: str) -> str:
    """A Handlebars path as Jinja: a hyphenated name encoded, a hyphenated key subscripted."""
    if "-" not in path or path[:1] == "@":
        return _DATA_VARS.get(path, path)
    root, *rest = path.split(".")
    out = [jinja_name(root)]
    out += [f'["{seg}"]' if "-" in seg else "." + seg for seg in rest]
    return "".join(out)


def _root(path: str) -> str:
    """The variable a path reads (``loop`` for the data variables of ``{{#each}}``)."""
    return "loop" if path in _DATA_VARS else path.split(".", 1)[0]


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
            found.add(_root(value.path))
        elif isinstance(value, _Call):
            found |= _arg_names(value)
    return frozenset(found)


def expression(body: str, original: str, offset: int) -> Expr:
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
        return Expr(_path_jinja(stripped), original, offset, frozenset([_root(stripped)]), bare)
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
