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
lengths bounded. The primitives (``strip_controls``, ``clip``, ``ZWSP``) and the terminal and
CI-log rule live in runtime/sanitise.py, the one module of foreign-text sanitisers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from runtime.sanitise import ZWSP, clip, strip_controls

__all__ = [
    "ZWSP",
    "clip",
    "md_block",
    "md_inline",
    "strip_controls",
    "to_json",
]

# Inline specials: with [ and ] escaped no link can form, with | escaped no cell can end.
_MD_PUNCT = re.compile(r"([\\`*_\[\]|~])")
# Block starters matter only at the start of a line (headings, lists, quotes, rules).
_MD_LEADING = re.compile(r"^(?:([#+\-=!:])|(\d+)([.)]))")
_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")
_AUTOLINK = re.compile(r"(?i)(://|www\.)")
_WS = re.compile(r"\s+")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


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
