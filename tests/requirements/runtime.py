"""Runtime core behaviours from the seed docs (agent-benchmark semantics §2, §9; PacaBench)."""

REQUIREMENTS = {
    "loop:final-answer": "semantics §2 loop: no tool calls in a reply -> final answer, the turn stops",
    "loop:tool-calls": "semantics §2 loop: tool calls executed, results appended, loop continues (parallel calls in one turn)",
    "loop:session-history": "semantics §2 session: tests of a session share the message history",
    "loop:hallucinated-tool": "issue 3: a call to an unknown tool is recorded as hallucinated and answered with an error result",
    "loop:allowed-tools": "semantics §2 tool offering: session then test allowed_tools narrow what is offered",
    "loop:max-iterations": "semantics §2/trap 8: max_iterations LLM calls; error only when no final answer arrived",
    "loop:tool-timeout": "semantics §2: per tool call timeout (tool_timeout), recorded as a tool error",
    "loop:provider-error": "semantics §2 loop: LLM error -> error recorded, turn stops (case status error)",
    "loop:clarification": "semantics §6: clarification detection on final answers, levels info/warning/error",
    "run:delays": "semantics §2 delays: start_delay before a test, test_delay after each, session_delay between sessions",
    "run:extractor-feeds-prompt": "semantics §2 extractors: run after the loop; variables feed later prompts of the session",
    "run:concurrency": "issue 3: (agent, session) units run concurrently up to --concurrency; tests of a session in order",
    "run:store-layout": "PacaBench run persistence: runs/<id>/ with plan.json, metadata.json, results.jsonl",
    "run:append-flush": "PacaBench: each finished case appended to results.jsonl and flushed before the next starts",
    "run:resume": "PacaBench: a killed run resumes where it stopped; no case lost or duplicated",
    "run:resume-plan-mismatch": "issue 3: resume against a different plan hash is refused with a clear error",
    "run:case-status": "semantics §2 pass/fail: passes iff all assertions pass (and no infrastructure error)",
    "cli:exit-codes": "semantics §9 + issue 3: 0 criteria met, 1 not met, 2 invalid input, 3 infrastructure",
    "cli:criteria": "semantics §9: without success_rate all must pass; with it passed/total >= rate",
}
