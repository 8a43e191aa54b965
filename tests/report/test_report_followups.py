"""Report additions: the AI summary, judge cost apart, per-case rate-limit and clarification stats."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from report import COMMENT_LIMIT, MARKER, build_from_results, build_report, render
from report.console import print_console_report
from report.schema import Report
from runtime.results import AiSummaryRecord
from runtime.transcript import ClarificationStats, RateLimitStats
from tests.report.samples import sample, write_run

VERDICT = "### Verdict\n**Fit** (high confidence): 2/2 passed.\n\n- Strength: uses `write_file`."
EVIL = (
    "### Verdict\n<script>alert(1)</script> @everyone [click](https://evil.invalid) "
    "![x](https://evil.invalid/p.png) <!-- bench-report --> www.evil.invalid"
)


def _report(text: str | None = VERDICT, error: str | None = None) -> Report:
    s = sample("01_single_agent_single_test")
    record = AiSummaryRecord(
        provider="judge",
        model="gpt-4o-mini",
        text=text,
        error=error,
        input_tokens=321,
        output_tokens=45,
        generated_at="2026-11-02T12:00:10Z",
    )
    meta = s.meta.model_copy(update={"ai_summary": record})
    [r] = s.results
    t = r.transcript.model_copy(
        update={
            "rate_limits": RateLimitStats(
                rate_limit_hits=2,
                retry_count=2,
                retry_wait_ms=3000.0,
                retry_success_count=1,
                throttle_count=1,
                throttle_wait_ms=250.0,
            ),  # fmt: skip
            "clarification": ClarificationStats(
                enabled=True, count=1, iterations=[2], examples=["Should I proceed?"]
            ),
        }
    )
    r = r.model_copy(update={"transcript": t, "cost_usd": 0.0125, "judge_cost_usd": 0.0004})
    return build_from_results([r], meta, s.plan)


@pytest.mark.requirement("report:ai-summary")
@pytest.mark.requirement("cost:case-agent-run")
@pytest.mark.requirement("cost:judge-apart")
def test_json_has_the_ai_summary_and_judge_cost_at_every_level() -> None:
    data = json.loads(render(_report(), "json"))
    assert data["report_version"] == 2
    ai = data["ai_summary"]
    assert (ai["provider"], ai["model"], ai["text"]) == ("judge", "gpt-4o-mini", VERDICT)
    assert (ai["input_tokens"], ai["output_tokens"]) == (321, 45)
    [case] = data["detailed_results"]
    assert (case["cost_usd"], case["judge_cost_usd"]) == (0.0125, 0.0004)
    [agent] = data["agents"]
    assert (agent["cost_usd"], agent["judge_cost_usd"]) == (0.0125, 0.0004)
    assert (data["summary"]["cost_usd"], data["summary"]["judge_cost_usd"]) == (0.0125, 0.0004)
    # the judge's tokens are not the run's
    assert data["summary"]["input_tokens"] == case["tokens"]["input"]


@pytest.mark.requirement("report:ai-summary")
def test_ai_summary_comes_from_the_run_metadata(tmp_path: Path) -> None:
    s = sample("01_single_agent_single_test")
    record = AiSummaryRecord(provider="p", text="Use it.", generated_at="2026-11-02T12:00:10Z")
    s.meta = s.meta.model_copy(update={"ai_summary": record})
    report = build_report(write_run(s, tmp_path))
    assert report.ai_summary is not None and report.ai_summary.text == "Use it."
    assert (
        build_report(write_run(sample("02_single_agent_multi_test"), tmp_path)).ai_summary is None
    )


@pytest.mark.requirement("report:ai-summary")
def test_markdown_shows_the_summary_as_markdown_and_the_judge_cost() -> None:
    md = render(_report(), "md")
    assert "### 🤖 AI summary\n\n#### Verdict\n**Fit** (high confidence): 2/2 passed." in md
    assert "- Strength: uses `write_file`." in md
    assert "written by judge / gpt-4o-mini · 321 in / 45 out tokens, not in the totals" in md
    assert "Judge calls (llm_judge, clarification) cost $0.0004 more" in md


@pytest.mark.requirement("report:ai-summary")
def test_an_untrusted_summary_is_inert_in_the_pr_comment() -> None:
    md = render(_report(EVIL), "md")
    assert md.count(MARKER) == 1 and md.startswith(MARKER)
    assert "<script>" not in md and "&lt;script>" in md
    assert "@everyone" not in md  # a zero-width space breaks the mention
    assert "](https" not in md and "![x](" not in md
    assert "www.evil.invalid" not in md
    assert len(md) < COMMENT_LIMIT


@pytest.mark.requirement("report:ai-summary")
def test_summary_failure_is_a_warning_line() -> None:
    md = render(_report(None, "ai_summary failed: provider 'judge': HTTP 500"), "md")
    assert "> ⚠️ AI summary unavailable: ai\\_summary failed" in md
    html = render(_report(None, "ai_summary failed: HTTP 500"), "html")
    assert "AI summary unavailable: ai_summary failed: HTTP 500" in html


@pytest.mark.requirement("report:ai-summary")
@pytest.mark.requirement("report:case-stats")
def test_html_shows_summary_judge_cost_rate_limits_and_clarification() -> None:
    html = render(_report(EVIL), "html")
    assert 'id="ai-summary"' in html and "<h4>Verdict</h4>" not in html
    assert "<h3>Verdict</h3>" in html  # the judge's Markdown is rendered
    assert "<script>alert(1)</script>" not in html
    assert "$0.0004</b><span>judge cost (apart)" in html
    assert "judge $0.0004" in html
    rl = html.split('class="kv case-rate-limits"')[1].split("</div>")[0]
    assert "2 × 429" in rl and "2 retries" in rl and "1 succeeded after retrying" in rl
    assert "1 throttled" in rl
    cl = html.split('class="kv case-clarification"')[1].split("</div></div>")[0]
    assert "1 question(s) asked instead of acting (iteration 2)" in cl
    assert "Should I proceed?" in cl


@pytest.mark.requirement("report:ai-summary")
def test_console_prints_the_summary_as_plain_text() -> None:
    buf = io.StringIO()
    print_console_report(_report(EVIL), Console(file=buf, width=120, force_terminal=False))
    out = buf.getvalue()
    assert "AI SUMMARY (judge / gpt-4o-mini)" in out
    assert "<script>alert(1)</script>" in out  # shown as text, not interpreted
    assert "judge $0.0004 (apart)" in out
