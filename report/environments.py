"""The Jinja environments of the reports and the value formatting they share.

HTML and XML templates are autoescaped. The Markdown environment has no HTML autoescape;
instead its ``finalize`` passes every value that is not already ``Markup`` through
``md_inline``, so untrusted text is neutralised unless a template asks for another
escaping on purpose (``md_block``). report/render.py (JSON, HTML, JUnit) and
report/comment.py (Markdown) render through them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from . import escape
from .sequence import sequence

if TYPE_CHECKING:
    from jinja2 import Environment
    from markdown_it import MarkdownIt

__all__ = [
    "HTML_TEXT_LIMIT",
    "LARGE_RUN",
    "agent_markdown",
    "fmt_delta",
    "fmt_ms",
    "fmt_num",
    "fmt_p",
    "fmt_pct",
    "fmt_rps",
    "fmt_tok_s",
    "fmt_usd",
    "html_env",
    "md_env",
    "status_mark",
]

LARGE_RUN = 1_000
"""From this many cases on, the HTML details failed cases only (size stays under 15 MB at
10,000 cases); the JSON report keeps every case in full."""

HTML_TEXT_LIMIT = 20_000
"""Longest single text (output, tool result, message) shown in the HTML; the JSON has all."""


def _template_dir() -> Path:
    # The templates package ships inside the wheel; never resolve it against the cwd.
    return Path(str(files("templates")))


# ---- value formatting, shared by every format ------------------------------------------


def fmt_ms(value: float | None) -> str:
    """2340 -> '2.34 s'; 850 -> '850 ms'."""
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.0f} ms"


def fmt_tok_s(value: float | None) -> str:
    """Tokens per second: 812.345 -> '812.3'."""
    return "—" if value is None else f"{value:,.1f}"


def fmt_rps(value: float | None) -> str:
    """Requests per second: 2.3456 -> '2.35'."""
    return "—" if value is None else f"{value:,.2f}"


def fmt_pct(value: float | None) -> str:
    """0.8 -> '80.0%'."""
    return "—" if value is None else f"{value * 100:.1f}%"


def fmt_p(value: float | None) -> str:
    """A p-value: 0.0123 -> '0.012', 1e-05 -> '<0.001', None -> '—'."""
    if value is None:
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.2g}" if value < 0.1 else f"{value:.2f}"


def fmt_num(value: float | None) -> str:
    """12345 -> '12,345'."""
    return "—" if value is None else f"{value:,.0f}"


def fmt_usd(value: float | None) -> str:
    """Cost in dollars; '—' when unknown."""
    if value is None:
        return "—"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def _sign(value: float, text: str) -> str:
    if value > 0:
        return "+" + text
    if value < 0:
        return "−" + text.lstrip("-")
    return "±" + text


def fmt_delta(value: float | None, kind: str = "num") -> str:
    """A signed delta: kind pp (pass-rate points), num, ms or usd."""
    if value is None:
        return "—"
    if kind == "pp":
        return _sign(value, f"{abs(value) * 100:.1f} pp")
    if kind == "ms":
        return _sign(value, fmt_ms(abs(value)))
    if kind == "usd":
        return _sign(value, fmt_usd(abs(value)))
    return _sign(value, fmt_num(abs(value)))


STATUS_RANK = {"passed": 0, "failed": 1, "error": 2}
"""Order of statuses when a table is sorted by its status column."""

MARKS = {"passed": "✅", "failed": "❌", "error": "⚠️", None: "—"}


def status_mark(status: str | None) -> str:
    """The status as a mark: ✅ passed, ❌ failed, ⚠️ error."""
    return MARKS.get(status, "?")


def _common(env: Environment) -> Environment:
    env.filters.update(
        ms=fmt_ms,
        pct=fmt_pct,
        toks=fmt_tok_s,
        rps=fmt_rps,
        pval=fmt_p,
        num=fmt_num,
        usd=fmt_usd,
        delta=fmt_delta,
        mark=status_mark,
        clip=escape.clip,
        tojson_text=escape.to_json,
        controls=escape.strip_controls,
    )
    from .scenarios import SCENARIO_COLUMNS, adaptability_line, scenario_cells, weights_line

    env.globals.update(
        scenario_columns=SCENARIO_COLUMNS,
        scenario_cells=scenario_cells,
        weights_line=weights_line,
        adaptability_line=adaptability_line,
    )
    return env


def _md_finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return escape.md_inline(value, 500)


@cache
def md_env() -> Environment:
    """The Markdown environment: untrusted values are md_inline'd unless marked safe."""
    # jinja2 is imported when a report is rendered, not by every importer of fmt_ms (the
    # console report): a run that writes no report file never loads it.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(_template_dir()),
        autoescape=False,
        undefined=StrictUndefined,
        finalize=_md_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md_inline=lambda v, limit=200: Markup(escape.md_inline(v, limit)),
        md_block=lambda v, limit=2000: Markup(escape.md_block(v, limit)),
        md_prose=lambda v, limit=3000: Markup(escape.md_prose(v, limit)),
        md_url=lambda v: Markup(escape.md_url(v)),
        md_code=lambda v, limit=200: Markup(escape.md_code(v, limit)),
        md_html=lambda v, limit=200: Markup(escape.md_html(v, limit)),
        md_code_cell=lambda v, limit=200: Markup(escape.md_code(v, limit, cell=True)),
        raw=Markup,
    )
    _common(env)
    # Our own formatted numbers are trusted Markdown: keep them free of escapes.
    for name in ("ms", "pct", "toks", "rps", "pval", "num", "usd", "delta", "mark"):
        env.filters[name] = _trusted(env.filters[name])
    return env


def _trusted(func: Any) -> Any:
    def wrapped(*args: Any, **kwargs: Any) -> Markup:
        return Markup(func(*args, **kwargs))

    return wrapped


@cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    # An image would be a request to another host when the report is opened, and a link in
    # untrusted output is a phishing lure: both stay visible as plain text.
    md.disable(["image", "link", "autolink"])
    return md


def agent_markdown(text: str) -> Markup:
    """Agent output rendered as Markdown: raw HTML off; images and links shown as text."""
    return Markup(_markdown().render(escape.clip(escape.strip_controls(text), HTML_TEXT_LIMIT)))


@cache
def html_env() -> Environment:
    """The HTML/XML environment (autoescaped)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    from jinja2.utils import htmlsafe_json_dumps

    env = Environment(
        loader=FileSystemLoader(_template_dir()),
        autoescape=select_autoescape(
            enabled_extensions=("html", "xml", "html.j2", "xml.j2", "svg.j2")
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        agent_md=agent_markdown,
        # A filter, not a macro: it runs once per matrix cell, 10,000 times on large runs.
        mk=lambda status: Markup('<span class="{}">{}</span>').format(
            status or "", status_mark(status)
        ),
        text=lambda v, limit=HTML_TEXT_LIMIT: escape.clip(
            escape.strip_controls("" if v is None else str(v)), limit
        ),
        # JSON for a single-quoted attribute: <, >, & and ' are \u-escaped (no &#34; bloat).
        seq=lambda case: htmlsafe_json_dumps(
            sequence(case), ensure_ascii=False, separators=(",", ":")
        ),
        # Sort keys of table cells (data-v): a status's rank, a number or "" when unknown.
        rank=lambda status: STATUS_RANK.get(status, 3),
        v=lambda value: "" if value is None else value,
        pretty=lambda v, limit=HTML_TEXT_LIMIT: escape.clip(
            escape.strip_controls(
                json.dumps(v, indent=2, ensure_ascii=False, sort_keys=True, default=str)
            ),
            limit,
        ),
    )
    return _common(env)
