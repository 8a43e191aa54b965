"""``assign`` sets a record's fields as assigning each one would (the hot path's shortcut)."""

from __future__ import annotations

from runtime.transcript import Message, TokenUsage, Transcript, assign


def test_assign_is_field_by_field_assignment() -> None:
    by_field, at_once = Transcript(), Transcript()
    by_field.latency_ms = 12.5
    by_field.messages = [Message(role="user", content="hi")]
    assign(at_once, latency_ms=12.5, messages=[Message(role="user", content="hi")])
    assert at_once == by_field
    assert at_once.model_fields_set == by_field.model_fields_set == {"latency_ms", "messages"}
    assert at_once.model_dump_json(exclude_unset=True) == by_field.model_dump_json(
        exclude_unset=True
    )


def test_token_usage_add_sums_and_marks_the_fields_set() -> None:
    usage = TokenUsage(input=1)
    usage.add(TokenUsage(input=2, output=3, cached=1, estimated=True))
    usage.add(TokenUsage(output=1))
    assert usage == TokenUsage(input=3, output=4, cached=1, estimated=True)
    assert usage.model_fields_set == {"input", "output", "cached", "estimated"}
    assert usage.total == 7
