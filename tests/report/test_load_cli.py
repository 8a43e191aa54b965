"""`bench report LOAD.json` and `bench compare A.json B.json` on load results (kind "bench-load")."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bench.cli import main
from report.load import render_load
from runtime.load.result import LoadResult
from tests.report.load_samples import level, result
from tests.report.test_load_report import _md_html

ROOT = Path(__file__).resolve().parents[2]


def _write(doc: LoadResult, path: Path) -> Path:
    path.write_text(render_load(doc, "json"), encoding="utf-8")
    return path


@pytest.fixture
def loads(tmp_path: Path) -> tuple[Path, Path]:
    base = _write(result(), tmp_path / "base.json")
    head_doc = result(
        levels=[
            level(1, tok_s=55.0, ttft_p50=180.0, goodput=0.25, slo_met=1.0),
            level(2, tok_s=110.0, ttft_p50=220.0, goodput=0.5, slo_met=1.0),
            level(4, tok_s=200.0, ttft_p50=420.0, goodput=1.0, slo_met=0.92),
        ],
        knee=4.0,
        model_card=result().model_card.model_copy(update={"tags": ["eagle3"]}),
    )
    return base, _write(head_doc, tmp_path / "head.json")


def test_bench_report_renders_a_load_result(
    loads: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "sweep"
    assert main(["report", str(loads[0]), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "knee: concurrency 2" in printed  # the console table
    for ext in (".html", ".md", ".json"):
        assert f"wrote {out}{ext}" in printed
    assert '<svg class="chart throughput"' in (tmp_path / "out" / "sweep.html").read_text()
    assert (tmp_path / "out" / "sweep.json").read_text() == loads[0].read_text()


def test_bench_report_refuses_what_a_load_result_cannot_be(
    loads: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(loads[0]), "-f", "junit", "-q"]) == 2
    assert "no JUnit form" in capsys.readouterr().err
    assert main(["report", str(loads[0]), "--baseline", str(loads[1]), "-q"]) == 2
    assert "bench compare BASE.json HEAD.json" in capsys.readouterr().err


def test_an_invalid_load_result_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "bench-load", "schema_version": 1, "levels": 3}')
    assert main(["report", str(bad), "-q"]) == 2
    err = capsys.readouterr().err
    assert "not a valid bench load result" in err and "Traceback" not in err


def test_bench_compare_of_two_load_results_piped_is_markdown(
    loads: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", str(loads[0]), str(loads[1])]) == 0
    md = capsys.readouterr().out
    assert "**Knee (concurrency): 2 → 4**" in md
    assert "160.0 → 200.0 · +40.0 (+25%) 🟢" in md
    assert "(base only)" in md
    assert _md_html(md).count("<tr>") == 1 + 4


def test_bench_compare_writes_markdown_with_o(loads: tuple[Path, Path], tmp_path: Path) -> None:
    assert main(["compare", str(loads[0]), str(loads[1]), "-o", str(tmp_path / "cmp")]) == 0
    assert "Knee (concurrency)" in (tmp_path / "cmp.md").read_text()


def test_bench_compare_refuses_a_mix_of_kinds(
    loads: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    report.write_text('{"report_version": 3}')
    assert main(["compare", str(loads[0]), str(report)]) == 2
    err = capsys.readouterr().err
    assert "cannot compare a load result (BASE) with a test report" in err
    assert main(["compare", str(report), str(loads[1])]) == 2
    assert "(HEAD)" in capsys.readouterr().err
    assert main(["compare", str(loads[0]), str(loads[1]), "-f", "html"]) == 2
    assert "Markdown only" in capsys.readouterr().err


@pytest.mark.slow
def test_bench_compare_on_a_terminal_prints_a_table(loads: tuple[Path, Path]) -> None:
    """On a terminal (a pty) the comparison is a console table, not Markdown."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "bench", "compare", *map(str, loads)])
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.waitpid(pid, 0)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "knee: 2 → 4 (concurrency)" in text
    assert "|---" not in text
