"""Integration gaps closed after the first build: dataset history, the price table's version."""

REQUIREMENTS = {
    "dataset:history-builtin": "PacaBench datasets (input_map history): a row's earlier turns open the built-in loop's conversation, after the system prompt, before the prompt",
    "dataset:history-external": "PacaBench agent interface: a dataset row's history is sent in the external agent's `history` field",
    "cost:price-version": "PacaBench metrics (cost): the price table's version is recorded in the run metadata and the report summary",
}
