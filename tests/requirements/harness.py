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
