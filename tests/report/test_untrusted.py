"""Agent output is untrusted: the adversarial run renders safely in every format."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from report import COMMENT_LIMIT, MARKER, build_report, print_console_report, render
from report.escape import ZWSP, json_script, md_block, md_inline
from tests.hostile.payload import payload

pytestmark = pytest.mark.requirement("report:untrusted-output")


@pytest.fixture(scope="module")
def evil(runs: dict[str, Path]):  # type: ignore[no-untyped-def]
    return build_report(runs["10_adversarial"])


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_markdown_has_no_live_html_link_or_mention(evil) -> None:  # type: ignore[no-untyped-def]
    md = render(evil, "md")
    assert len(md) < COMMENT_LIMIT
    assert md.count(MARKER) == 1
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    html_tokens = [t for t in tokens if t.type == "html_block"]
    # our own <details>/<summary> only
    for t in html_tokens:
        assert re.fullmatch(
            r"(<details( open)?><summary>.*</summary>|</details>|<!-- bench-report -->|<sub>.*</sub>)\n",
            t.content,
            re.S,
        ), t.content
    for t in tokens:
        for child in t.children or []:
            assert child.type not in ("link_open", "image"), (child.type, child.content)
            if child.type == "html_inline":
                assert child.content in ("<sub>", "</sub>"), child.content
    # outside code blocks, mentions are broken and raw angle brackets escaped
    prose = "\n".join(t.content for t in tokens if t.type == "inline")
    assert "@everyone" not in prose and "@here" not in prose
    assert f"@{ZWSP}everyone" in prose
    assert "<script" not in prose
    # table breakers did not add cells: every row has its header's width
    widths: list[int] = []
    for t in tokens:
        if t.type == "tr_open":
            widths.append(0)
        elif t.type in ("th_open", "td_open"):
            widths[-1] += 1
        elif t.type == "thead_open":
            widths.append(-1)  # marks the start of a new table
    rows = " ".join(str(w) for w in widths).split("-1")
    for table in rows:
        assert len(set(table.split())) <= 1, widths


def test_markdown_code_blocks_cannot_be_escaped() -> None:
    block = md_block("```\n<script>x</script>\n````")
    assert block.startswith("`````text\n") and block.endswith("\n`````")
    tokens = MarkdownIt("commonmark").parse(block)
    assert [t.type for t in tokens] == ["fence"]


def test_md_inline_neutralises() -> None:
    out = md_inline("| [x](javascript:alert(1)) @everyone <b>www.evil.com</b> https://evil.com")
    tokens = MarkdownIt("commonmark").enable("table").parse(f"| a |\n|---|\n| {out} |\n")
    cells = [t for t in tokens if t.type == "inline"]
    assert len(cells) == 2  # one header cell, one body cell: the pipe did not split the cell
    assert all(c.type == "text" or c.type == "softbreak" for c in cells[1].children or [])
    assert f"@{ZWSP}everyone" in out and "&lt;b&gt;" in out
    assert "https://" not in out and "www.evil" not in out


def test_html_has_only_our_script_and_no_handlers(evil) -> None:  # type: ignore[no-untyped-def]
    html = render(evil, "html")
    parser = _Elements()
    parser.feed(html)
    scripts = [a for t, a in parser.tags if t == "script"]
    # one script runs (ours, allowed by its hash); the other is the search index, JSON data
    assert scripts == [{"type": "application/json", "id": "bench-index"}, {}]
    assert not [
        t for t, _ in parser.tags if t in ("img", "iframe", "object", "embed", "link", "base")
    ]
    handlers = [(t, k) for t, a in parser.tags for k in a if k.startswith("on")]
    assert not handlers
    hrefs = [a.get("href") for t, a in parser.tags if t == "a"]
    assert all(h and h.startswith("#") for h in hrefs), hrefs
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert "default-src 'none'" in html
    assert len(html) < 3_000_000  # 100 KB texts are clipped in the HTML (the JSON keeps them)


def _index_text(html: str) -> str:
    start = html.index('<script type="application/json" id="bench-index">')
    start = html.index(">", start) + 1
    return html[start : html.index("</script>", start)]


def test_html_index_cannot_end_its_script_block(evil) -> None:  # type: ignore[no-untyped-def]
    html = render(evil, "html")
    text = _index_text(html)
    # the block holds JSON only: no "<" at all, so no </script>, <!-- or <script inside
    assert "<" not in text and ">" not in text and "\u2028" not in text
    index = json.loads(text)
    # the hostile strings come back intact for the search box (the page shows them as text)
    test = next(t for t in index["tests"] if "<script>alert(1)</script>" in t["q"])
    texts = [index["texts"][c[4]] for c in test["c"]]
    assert any("</script><script>alert(2)</script>" in t for t in texts)
    assert any(t.startswith("<script>alert('xss')</script>") for t in texts)
    assert "\x1b" not in text and "\x00" not in text


@pytest.mark.parametrize(
    "value",
    [
        "</script><script>alert(1)</script>",
        "</SCRIPT >",
        "<!--<script>",
        "a\u2028b\u2029c",
        "x & y > z",
        "\ud800 lone surrogate",
        {"k</script>": ["<", "\u2028"]},
        payload(),  # workflow commands, terminal escapes, U+2028 (tests/hostile)
    ],
)
def test_json_script_escapes_every_breaker(value: object) -> None:
    text = json_script(value)
    assert not any(ch in text for ch in "<>&\u2028\u2029")
    back = json.loads(text)
    if isinstance(value, str):
        assert back == value.replace("\ud800", "")
    else:
        assert back == value


def test_junit_is_well_formed_xml(evil) -> None:  # type: ignore[no-untyped-def]
    xml = render(evil, "junit")
    root = ET.fromstring(xml.encode())
    names = [tc.get("name") for tc in root.iter("testcase")]
    assert "t|x <script>alert(1)</script>" in names
    assert "\x1b" not in xml and "\x00" not in xml


def test_json_keeps_everything_verbatim(evil) -> None:  # type: ignore[no-untyped-def]
    data = render(evil, "json")
    assert evil.detailed_results[0].final_output.endswith("A" * 100_000)
    assert len(data) > 400_000


def test_console_prints_no_escape_sequences(evil) -> None:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    print_console_report(evil, Console(file=buf, force_terminal=False, width=120))
    out = buf.getvalue()
    assert "\x1b" not in out and "\x00" not in out
    assert "<script>alert(3)</script>" in out  # plain text, shown as is, not as markup
