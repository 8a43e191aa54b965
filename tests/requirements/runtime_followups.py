"""Runtime follow-ups (issues 3 and 6): evaluator inputs, cost, llm_judge, report additions."""

REQUIREMENTS = {
    "eval:inputs": "issue 6, Evaluators: evaluators read the case's expected answer and metadata (built-in and external agents)",
    "eval:llm_judge": "issue 6, Evaluators: llm_judge asks a suite provider to grade the output against a rubric (PASS/FAIL, optional score and pass_threshold)",
    "eval:llm_judge-cache": "issue 6: judge answers are cached in the run directory (resume, retry, repeats never pay twice)",
    "cost:case-agent-run": "issue 6 + PacaBench metrics: cost per case for built-in and external agents, summed per agent and per run",
    "retry:case-clock": "runtime: retry and throttle events are timed from the case start",
}
REQUIREMENTS.update(
    {
        "report:ai-summary": "issue 3 + semantics §8: the AI summary is shown in the JSON, Markdown, HTML and console reports",
        "report:case-stats": "agent-benchmark HTML report: clarification and rate-limit stats per case",
    }
)
