"""Neutralising untrusted text (agent output, tool results, names) for Markdown, HTML and XML.

Agent output may contain ``<script>``, ``@everyone``, ``[x](javascript:...)``, Markdown table
breakers or megabytes of text. Two shapes are used in Markdown:

* ``md_inline``: one line, for table cells and list items. HTML is entity-escaped, every
  Markdown punctuation character is backslash-escaped (so ``|`` cannot break a table and
  ``[..](..)`` cannot form a link), mentions get a zero-width space after ``@`` (GitHub
  does not notify), and bare URLs are broken so they are not auto-linked.
* ``md_block``: a fenced code block whose fence is longer than any backtick run inside, so
  nothing inside is interpreted: no HTML, no links, no mentions.

HTML and XML rely on Jinja autoescape; they only need control characters removed and
lengths bounded.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "ZWSP",
    "clip",
    "md_block",
    "md_code",
    "md_html",
    "md_inline",
    "md_url",
    "json_script",
    "strip_controls",
    "to_json",
]

ZWSP = "\u200b"
"""Zero-width space: breaks mentions and auto-links without changing what a reader sees."""

# C0 controls except tab/newline/carriage return, DEL..C1, surrogates and the two
# non-characters: invalid in XML 1.0 and noise anywhere else.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Inline specials: with [ and ] escaped no link can form, with | escaped no cell can end.
_MD_PUNCT = re.compile(r"([\\`*_\[\]|~])")
# Block starters matter only at the start of a line (headings, lists, quotes, rules).
_MD_LEADING = re.compile(r"^(?:([#+\-=!:])|(\d+)([.)]))")
_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")
_AUTOLINK = re.compile(r"(?i)(://|www\.)")
_WS = re.compile(r"\s+")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


_SAFE_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&*+,;=%-]+")


def md_url(value: Any) -> str:
    """``value`` when it is a plain http(s) URL safe inside ``<...>`` in a Markdown link, else "".

    No spaces, brackets, parentheses, quotes or angle brackets: nothing that could end the
    link or smuggle Markdown or HTML. Anything else is dropped (the text is shown unlinked).
    """
    text = str(value or "")
    return text if _SAFE_URL.fullmatch(text) else ""


def strip_controls(text: str) -> str:
    """Remove control characters that XML forbids and terminals misrender."""
    return _CONTROLS.sub("", text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters]"


def _break_links(text: str) -> str:
    text = _MENTION.sub("@" + ZWSP, text)
    return _AUTOLINK.sub(lambda m: m.group(1)[0] + ZWSP + m.group(1)[1:], text)


def md_inline(value: Any, limit: int = 200) -> str:
    """One line of untrusted text made inert for GitHub Markdown (table cells, list items)."""
    text = "" if value is None else str(value)
    text = _WS.sub(" ", strip_controls(text)).strip()
    # Links and mentions are broken before escaping: GitHub auto-links the unescaped text.
    text = _break_links(clip(text, limit))
    text = "".join(_HTML.get(ch, ch) for ch in text)
    text = _MD_PUNCT.sub(r"\\\1", text)
    return _MD_LEADING.sub(
        lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), text
    )


def md_code(value: Any, limit: int = 200, *, cell: bool = False) -> str:
    r"""Untrusted text as one inline code span, backticks included, safe by construction.

    CommonMark shows a code span's content literally (no escapes are processed inside it, so
    a backslash would show): the fence is one backtick longer than any run inside, a space
    pads content that starts or ends with a backtick, and newlines become spaces. In a GFM
    table ``cell`` a ``|`` would end the cell before the code span is parsed; there it is
    written ``\|``, which the table parser turns back into ``|``. Our comment marker cannot
    appear (``<!--`` is broken), and nothing inside a code span links, mentions or renders.
    """
    text = "" if value is None else str(value)
    text = clip(_WS.sub(" ", strip_controls(text)).strip(), limit)
    if not text:
        return "` `"
    text = text.replace("<!--", "<!" + ZWSP + "--")
    if cell:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_html(value: Any, limit: int = 200) -> str:
    """One line of untrusted text inside a raw HTML block (a ``<summary>`` line).

    Markdown is not parsed inside an HTML block, so backslash escapes would show: the text is
    entity-escaped instead, with mentions and auto-links broken.
    """
    text = "" if value is None else str(value)
    text = clip(_WS.sub(" ", strip_controls(text)).strip(), limit)
    text = _break_links(text)
    return "".join(_HTML.get(ch, ch) for ch in text)


def md_block(value: Any, limit: int = 2000, info: str = "text") -> str:
    """Untrusted text as a fenced code block: nothing inside is rendered as Markdown or HTML."""
    text = value if isinstance(value, str) else to_json(value, limit * 2)
    text = clip(strip_controls(text), limit)
    # Our hidden marker must stay unique in the comment the Action looks for.
    text = text.replace("<!--", "<!" + ZWSP + "--")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


_HEADING = re.compile(r"^(#{1,5}) ", re.MULTILINE)


def md_prose(value: Any, limit: int = 3000) -> str:
    """Untrusted Markdown (an LLM's verdict) kept as Markdown but made inert for GitHub.

    Structure (headings, lists, emphasis, code) survives; raw HTML, our marker, links,
    images and @mentions do not. Headings go one level down, under the section that shows it.
    """
    text = clip(strip_controls("" if value is None else str(value)), limit)
    text = text.replace("<", "&lt;")  # no raw HTML, and no "<!--" that could fake our marker
    text = _break_links(text)
    text = text.replace("](", "]\\(").replace("![", "!\\[")
    return _HEADING.sub(lambda m: "#" + m.group(1) + " ", text)


def to_json(value: Any, limit: int = 2000) -> str:
    """Compact JSON of an expected/actual value (strings stay as they are), clipped."""
    if isinstance(value, str):
        return clip(value, limit)
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return clip(text, limit)


_JSON_SCRIPT = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_SCRIPT_RE = re.compile("[<>&\u2028\u2029]")


def json_script(value: Any) -> str:
    """``value`` as JSON text safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e``, ``\\u0026``, so no ``</script>``,
    ``<!--`` or ``<script`` inside a string can end the block or switch the parser's state;
    U+2028/U+2029 are escaped too (line terminators to JavaScript before ES2019). The text
    parses back with ``JSON.parse`` to the same value. Control characters are JSON-escaped;
    lone surrogates are dropped (they cannot be written as UTF-8).
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    text = _JSON_SCRIPT_RE.sub(lambda m: _JSON_SCRIPT[m.group(0)], text)
    return _LONE_SURROGATE.sub("", text)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
