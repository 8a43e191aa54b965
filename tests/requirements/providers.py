"""Requirements for providers, retries and rate limits (agent-benchmark docs and semantics §5, §7)."""

from __future__ import annotations

REQUIREMENTS = {
    "provider:groq-default-base": "semantics §5: GROQ is the OpenAI client with default base https://api.groq.com/openai/v1",
    "provider:base-url": "agent-benchmark docs: every provider honours baseUrl (gateways, proxies, local servers)",
    "provider:azure-api-key": "semantics §5: AZURE sends the api-key header and requires version + baseUrl",
    "provider:usage": "issue 3: token usage from the provider's own usage fields",
    "provider:tool-calls": "agent-benchmark docs: the agent loop sends tool results back; parallel tool calls in one turn",
    "provider:streaming-ttft": "issue 3: time to first token when streaming",
    "provider:timeout": "issue 3: every provider honours a timeout",
    "provider:generation-params": "issue 10 item 8: temperature, max_tokens, top_p, seed and stop set on a provider or an agent reach every wire protocol in its own shape",
    "provider:token-required": "semantics §5: a token is required except VERTEX and AZURE with entra_id; a missing key is a clear error",
    "ratelimit:rpm": "docs Rate Limiting: rpm token bucket applied per provider before each request",
    "ratelimit:tpm": "docs Rate Limiting: tpm token bucket applied per provider before each request",
    "retry:429-retried-by-default": "docs 429 Retry Handling say a 429 fails immediately by default; bench deliberately retries it (honouring Retry-After) unless retry_on_429 is false (docs/compatibility.md)",
    "retry:429-retry-after": "docs 429 Retry Handling: retry waits for Retry-After (seconds or HTTP date) plus a 1 s buffer",
    "retry:429-error-text": "docs 429 Retry Handling: fallback to the wait named in the error text ('retry after 30 seconds')",
    "retry:max-retries": "docs 429 Retry Handling: max_retries attempts (default 3) with exponential backoff",
    "retry:5xx": "issue 3: 5xx and connection errors retried with backoff",
    "retry:deadline": "issue 10 item 8: a provider's timeout is one total deadline per request, attempts and retry waits included",
    "retry:recorded": "issue 3: every retry and wait is recorded in the case's transcript (throttle/rate-limit stats)",
    "scripted:replies": "issue 3: the scripted provider replays the suite's replies, tool calls included, with no network",
}
