"""The suite language for the black-box harness of issue 6: external agents, datasets,
evaluators, llm_judge and prices (the compiler's side; the runtime's is in harness.py)."""

REQUIREMENTS = {
    "suite:external-agent": "issue 6: agents: - name, command, env, setup, teardown, workers (+ timeout, working_dir) lower to an external agent",
    "suite:external-agent-checks": "issue 6: an agent has exactly one of provider and command; servers/skill on a command agent are errors",
    "suite:external-agent-e2e": "issue 6 acceptance: examples/external-agent via bench execute on a streaming loopback fake; per-case tokens, latency, TTFT, cost as served",
    "suite:dataset-cases": "issue 6: a dataset expands into cases at compile time like any test (one per row; input, expected, history, metadata)",
    "suite:dataset-provenance": "issue 6: the dataset file's sha256 (and git commit) recorded in the plan's sources",
    "suite:dataset-deterministic": "issue 6: a dataset's sample follows the plan seed: same seed, same cases",
    "suite:evaluators": "issue 6: exact_match, f1, regex, multiple_choice, json_match written as assertions, combinable with anyOf/allOf/not",
    "suite:llm-judge": "issue 6: llm_judge names a provider of the suite and a rubric template (checked at compile time)",
    "suite:prices": "issue 6: a suite prices: block overrides the shipped price table (recorded in the plan)",
    "suite:float-text": 'agent-benchmark semantics 1.3: any scalar into a string field is its literal text (value: 1.50 is "1.50")',
}
