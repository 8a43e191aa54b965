"""The suite language for the black-box harness of issue 6: external agents, datasets,
evaluators, llm_judge and prices (the compiler's side; the runtime's is in harness.py)."""

REQUIREMENTS = {
    "suite:external-agent": "issue 6: agents: - name, command, env, setup, teardown, workers (+ timeout, working_dir) lower to an external agent",
    "suite:external-agent-checks": "issue 6: an agent has exactly one of provider and command; servers/skill on a command agent are errors",
    "suite:external-agent-e2e": "issue 6 acceptance: examples/external-agent via bench execute on a streaming loopback fake; per-case tokens, latency, TTFT, cost as served",
    "suite:evaluators": "issue 6: exact_match, f1, regex, multiple_choice, json_match written as assertions, combinable with anyOf/allOf/not",
    "suite:llm-judge": "issue 6: llm_judge names a provider of the suite and a rubric template (checked at compile time)",
}
