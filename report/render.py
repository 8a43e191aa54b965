"""Render a Report as JSON, Markdown, HTML or JUnit XML through the Jinja templates in templates/.

The environments and value formatting live in report/environments.py; the Markdown comment's
own logic in report/comment.py.
"""

from __future__ import annotations

import base64
import hashlib

from markupsafe import Markup

from runtime.errors import InputError

from .charts import report_charts
from .environments import LARGE_RUN, html_env, md_env
from .formats import EXTENSIONS, FORMATS, normalise_formats
from .perf import no_gc
from .schema import Report
from .view_index import filter_options, view_index
from .views import layout

__all__ = ["FORMATS", "EXTENSIONS", "html_env", "md_env", "normalise_formats", "render_format"]


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


def render_html(report: Report) -> str:
    """One self-contained HTML file: inline CSS/JS, a CSP that forbids every request."""
    env = html_env()
    script = env.get_template("partials/scripts.js.j2").render()
    v = layout(report)
    options = filter_options(report, v)
    return env.get_template("report.html.j2").render(
        r=report,
        v=v,
        options=options,
        charts=report_charts(report),
        index=Markup(view_index(report, v, options)),
        anchors={t.key: t.anchor for t in v.tests},
        rows={row.key: row for row in report.comparison_summary},
        compact=report.summary.total >= LARGE_RUN,
        script=Markup(script),
        script_hash=_csp_hash(script),
    )


def render_junit(report: Report) -> str:
    """JUnit XML: a testsuite per (file, session), a testcase per case."""
    return html_env().get_template("junit.xml.j2").render(r=report, v=layout(report))


def render_json(report: Report) -> str:
    """The JSON report: the source of truth (2-space indent, trailing newline)."""
    return report.model_dump_json(indent=2) + "\n"


def render_format(report: Report, fmt: str, *, full_report: str | None = None) -> str:
    """Render one format (baseline already attached to ``report`` when wanted)."""
    with no_gc():
        return _render_format(report, fmt, full_report=full_report)


def _render_format(report: Report, fmt: str, *, full_report: str | None = None) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "html":
        return render_html(report)
    if fmt == "junit":
        return render_junit(report)
    if fmt == "md":
        from .comment import render_markdown

        return render_markdown(report, full_report=full_report)
    raise InputError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
