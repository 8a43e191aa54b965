"""Console and CLI behaviours of issue 10 (items 1, 10, 12 and 16)."""

REQUIREMENTS = {
    "console:foreign-text": "issue 10 item 1: text an agent, server or provider wrote reaches no console or log raw: secrets redacted, controls and newlines neutralised, no line starts with '::'",
    "console:no-guessed-wrap": "issue 10 item 10: nothing is wrapped at a guessed width when stdout is not a terminal",
}
