"""Render a Report as JSON, Markdown, HTML or JUnit XML through the Jinja templates in templates/.

Every format is written to a text stream as it is produced (:func:`write_format`): the JSON
case by case, the HTML and JUnit through Jinja's ``generate()``. Counting and grouping read
the cases' briefs (report/views.py); a whole case is fetched only where its details are
written, and let go after use, so a report built from a 100,000-case run (whose cases are a
``CaseList``, report/case_list.py) is written without holding its cases. :func:`render_format`
is the same writer into a string, for small uses.

The environments and value formatting live in report/environments.py; the Markdown comment's
own logic in report/comment.py.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable, Sequence
from typing import Protocol

from markupsafe import Markup
from pydantic import BaseModel

from runtime.errors import InputError

from .case_list import CaseBrief
from .charts import report_charts
from .environments import LARGE_RUN, html_env, md_env
from .formats import EXTENSIONS, FORMATS, normalise_formats
from .perf import no_gc
from .schema import CaseReport, Report
from .view_index import case_facts, filter_options, view_index
from .views import TestGroup, layout, whole

__all__ = [
    "FORMATS",
    "EXTENSIONS",
    "html_env",
    "md_env",
    "normalise_formats",
    "render_format",
    "write_format",
]

_STREAMED = ("comparison_summary", "detailed_results")
"""The Report's lists that grow with the run, written item by item by :func:`write_json`."""


class Out(Protocol):
    """Where a format is written: a text file, stdout, a StringIO."""

    def write(self, s: str, /) -> int:
        """Write ``s``."""
        ...


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


def tool_count(c: CaseReport | CaseBrief) -> int:
    """The tool calls a case's transcript shows (none when the report left it out)."""
    if isinstance(c, CaseBrief):
        return c.tool_call_count if c.has_transcript else 0
    return len(c.tool_calls)


def write_html(report: Report, out: Out) -> None:
    """One self-contained HTML file: inline CSS/JS, a CSP that forbids every request.

    The cases are read once in report order for the search index (:func:`case_facts`); a
    test group's whole cases are fetched again only where the page shows their details (every
    group of a small run; on a large run, compact, the groups with a failed or errored case).
    """
    env = html_env()
    script = env.get_template("partials/scripts.js.j2").render()
    v = layout(report)
    facts = case_facts(report, v)
    options = filter_options(report, v, facts)
    compact = report.summary.total >= LARGE_RUN

    def details(tg: TestGroup, first: int | None = None) -> list[CaseReport]:
        """The whole cases of a test group (its first ``first``) whose details are shown."""
        return list(whole(report, tg.cases[:first]))

    stream = env.get_template("report.html.j2").generate(
        r=report,
        v=v,
        options=options,
        charts=report_charts(report),
        index=Markup(view_index(report, v, options, facts)),
        anchors={t.key: t.anchor for t in v.tests},
        rows={row.key: row for row in report.comparison_summary},
        compact=compact,
        facts=facts,
        details=details,
        failures_shown=whole(report, v.failures[:200]),
        tool_count=tool_count,
        script=Markup(script),
        script_hash=_csp_hash(script),
    )
    for chunk in stream:
        out.write(chunk)


def render_html(report: Report) -> str:
    """The HTML report as a string (:func:`write_html`)."""
    return _to_string(write_html, report)


def write_junit(report: Report, out: Out) -> None:
    """JUnit XML: a testsuite per (file, session), a testcase per case (fetched one at a time)."""
    v = layout(report)
    stream = (
        html_env()
        .get_template("junit.xml.j2")
        .generate(r=report, v=v, whole=lambda briefs: whole(report, briefs))
    )
    for chunk in stream:
        out.write(chunk)


def render_junit(report: Report) -> str:
    """The JUnit XML as a string."""
    return _to_string(write_junit, report)


def write_json(report: Report, out: Out) -> None:
    """The JSON report, item by item: the report without its long lists (the test × agent
    matrix and the cases), then each item of them in its place, byte for byte what
    ``report.model_dump_json(indent=2)`` writes (2-space indent, trailing newline)."""
    shell = report.model_copy(update=dict.fromkeys(_STREAMED, [])).model_dump_json(indent=2)
    rest = shell
    for name in _STREAMED:  # in the schema's field order
        key = f'\n  "{name}": []'  # a newline inside a JSON string is escaped: only the key
        head, found, rest = rest.partition(key)
        if not found:  # pragma: no cover - the schema names the field; a guard, not a path
            raise AssertionError(f"the report's JSON has no {name} key")
        out.write(head)
        items: Sequence[BaseModel] = getattr(report, name)
        if not items:
            out.write(key)
            continue
        out.write(f'\n  "{name}": [')
        for i, item in enumerate(items):  # a CaseList builds each case as it is asked for
            out.write(",\n    " if i else "\n    ")
            out.write(item.model_dump_json(indent=2).replace("\n", "\n    "))
        out.write("\n  ]")
    out.write(rest + "\n")


def render_json(report: Report) -> str:
    """The JSON report as a string (:func:`write_json`)."""
    return _to_string(write_json, report)


def _to_string(writer: Callable[[Report, Out], None], report: Report) -> str:
    buf = io.StringIO()
    writer(report, buf)
    return buf.getvalue()


def write_format(report: Report, fmt: str, out: Out, *, full_report: str | None = None) -> None:
    """Write one format to ``out`` (baseline already attached to ``report`` when wanted)."""
    with no_gc():
        _write_format(report, fmt, out, full_report=full_report)


def render_format(report: Report, fmt: str, *, full_report: str | None = None) -> str:
    """Render one format into a string (:func:`write_format`)."""
    buf = io.StringIO()
    write_format(report, fmt, buf, full_report=full_report)
    return buf.getvalue()


def _write_format(report: Report, fmt: str, out: Out, *, full_report: str | None = None) -> None:
    if fmt == "json":
        write_json(report, out)
    elif fmt == "html":
        write_html(report, out)
    elif fmt == "junit":
        write_junit(report, out)
    elif fmt == "md":
        from .comment import render_markdown

        out.write(render_markdown(report, full_report=full_report))
    else:
        raise InputError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
