"""Run management, graceful Ctrl-C and ai_summary (issue 6 "Run management CLI", "Graceful
Ctrl-C", "Three outcomes"; issue 3 ai_summary; semantics §8 "AI summary"; PacaBench CLI)."""

REQUIREMENTS = {
    "run:interrupt-drain": "issue 6: the first Ctrl-C stops scheduling, in-flight cases finish, status interrupted, resume hint",
    "run:interrupt-stop": "issue 6: the second Ctrl-C stops at once; in-flight cases leave no result",
    "run:interrupt-resume": "issue 6: after either stop, `--resume` completes the run with results equal to an uninterrupted run",
}
