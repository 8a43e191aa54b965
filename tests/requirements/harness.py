"""Black-box agent harness behaviours (issue 6; PacaBench README and CLAUDE.md)."""

REQUIREMENTS = {
    "proxy:openai-chat": "PacaBench proxy + issue 6: OpenAI chat completions measured (JSON, SSE with and without include_usage)",
    "proxy:openai-responses": "issue 6: the OpenAI responses API measured (JSON and SSE)",
    "proxy:anthropic": "issue 6: Anthropic messages measured (JSON and SSE)",
    "proxy:gemini": "issue 6: Gemini generateContent and streamGenerateContent measured",
    "proxy:streaming-untouched": "issue 6: unlike PacaBench, streaming passes through the proxy byte for byte",
    "proxy:per-case": "PacaBench proxy: calls, latency, tokens recorded per case (concurrent workers kept apart)",
    "proxy:no-secrets": "issue 6: upstream keys come from the agent's env; the proxy records no header or key",
    "proxy:status": "issue 6: each call's status recorded; upstream faults relayed to the agent",
}
REQUIREMENTS.update(
    {
        "external:protocol": "PacaBench agent interface: JSON lines, input {case_id,input,history,metadata}, output {output,error} (+metrics)",
        "external:crash": "PacaBench/issue 6: an agent crash (SIGSEGV) is an error of that case; the worker restarts",
        "external:hang": "issue 6: a hang past the case timeout is an error; the process is killed and replaced",
        "external:garbage": "issue 6: garbage on stdout is an error naming what was printed",
        "external:exit": "issue 6: an exit before answering is an error with the exit code; the run goes on",
        "external:stderr-bounded": "issue 6: stderr kept per case, bounded; a 10 MB flood neither blocks nor bloats",
        "external:workers": "issue 6: workers: N long-lived processes; a mixed run completes every case",
        "external:setup-teardown": "issue 6: setup and teardown commands around the agent's workers",
        "external:env": "PacaBench config: the agent's env (secret references resolved at run time)",
        "external:proxy-metrics": "PacaBench proxy: OPENAI_BASE_URL injection; the agent's calls measured per case",
    }
)
REQUIREMENTS.update(
    {
        "cost:price-table": "issue 6 + PacaBench metrics: versioned price table (input, output, cached input per model) shipped as data",
        "cost:overrides": "issue 6: the price table is overridable in the suite",
        "cost:judge-apart": "issue 6: cost per case with judge cost kept apart",
    }
)
REQUIREMENTS.update(
    {
        "dataset:local": "PacaBench datasets: local JSONL/JSON/CSV files as a source of cases",
        "dataset:git": "PacaBench datasets: `git:` URLs cloned by git (cached)",
        "dataset:prepare": "PacaBench datasets: an optional prepare command",
        "dataset:input-map": "PacaBench datasets: input_map (input, expected, history, metadata fields)",
        "dataset:limit-sample": "issue 6: limit and a deterministic (seeded) sample",
    }
)
REQUIREMENTS["external:run"] = (
    "issue 6: a plan with an external agent executes end to end; per-case tokens, TTFT, cost"
)
