"""Console and CLI behaviours of issue 10 (items 1, 10 and 12) that the first fixes missed."""

REQUIREMENTS = {
    "console:foreign-text": "issue 10 item 1: text an agent, server or provider wrote reaches no console or log raw: secrets redacted (also those a server inherits), controls and newlines neutralised, no line starts with '::', a ::stop-commands:: block under GitHub Actions",
    "console:pytest-like": "issue 10 item 10: one short line per case while running (a live bar with the phase on a terminal), details only for failures and errors, one summary table, a compact comparison only with several agents",
    "console:no-guessed-wrap": "issue 10 item 10: nothing is wrapped at a guessed width when stdout is not a terminal",
    "cli:closed-pipe": "issue 10 item 12: every command exits quietly on a closed stdout pipe (bench runs | head -1), execute and report included",
}
