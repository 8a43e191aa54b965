"""The run-time template environment: strict, sandboxed, bounded."""

from __future__ import annotations

import pytest

from runtime.templating import TemplateRenderError, render


def test_renders_runtime_variables_without_escaping() -> None:
    assert render("id={{ user_id }} <b>", {"user_id": "a&b"}) == "id=a&b <b>"


@pytest.mark.parametrize(
    "source",
    [
        "{{ missing }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ x ~ 2 ** 1000000 }}",
        "{{ 'a' * 10**8 }}",
        "{{ lipsum() }}",
        "{{ [1, 2] | random }}",
    ],
)
def test_refuses_undefined_escapes_huge_values_and_randomness(source: str) -> None:
    with pytest.raises(TemplateRenderError):
        render(source, {"x": "1"})
