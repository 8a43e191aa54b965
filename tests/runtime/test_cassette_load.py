"""Reading a cassette: a line cut short by a kill is skipped, any other bad line is an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.replay.cassette import Cassette, CassetteError


def _recorded(path: Path, tail: str) -> Path:
    cassette = Cassette.create(path, bench_version="0", plan_hash="h")
    cassette.add({"kind": "llm", "key": "k1", "case": "u/0", "attempt": 0, "n": 0,
                  "response": {"text": "é ok"}, "latency_ms": 1.5})  # fmt: skip
    cassette.close()
    with cassette.file.open("a", encoding="utf-8") as fh:
        fh.write(tail)
    return path


def test_a_last_line_cut_short_is_skipped(tmp_path: Path) -> None:
    loaded = Cassette.load(_recorded(tmp_path, '{"kind":"llm","key":"k2","ca'))
    entry = loaded.find("llm", "u/0", 0, "k1", 0)
    assert entry is not None
    assert entry["response"] == {"text": "é ok"}
    assert entry["latency_ms"] == 1.5
    assert loaded.find_any("llm", "k2") is None


@pytest.mark.parametrize("bad", ['{"kind":"llm",\n', "[1, 2]\n", '"text"\n'])
def test_a_bad_line_before_the_end_names_the_file_and_line(tmp_path: Path, bad: str) -> None:
    path = _recorded(tmp_path, bad + '{"kind":"llm","key":"k3"}\n')
    with pytest.raises(CassetteError, match=r"cassette\.jsonl:3: not a JSON"):
        Cassette.load(path)
