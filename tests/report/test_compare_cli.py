"""bench compare, bench report, and the baseline deltas."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from bench.cli import main
from report import build_report, render
from tests.report.test_markdown import by_header

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pair(runs: dict[str, Path], tmp_path: Path) -> tuple[Path, Path]:
    base = tmp_path / "base.json"
    head = tmp_path / "head.json"
    base.write_text(render(build_report(runs["09_failed_with_errors"]), "json"))
    head.write_text(render(build_report(runs["04_multi_agent_multi_test"]), "json"))
    return base, head


@pytest.mark.requirement("report:compare")
def test_compare_deltas(pair: tuple[Path, Path]) -> None:
    base, head = (build_report(p) for p in pair)
    data = json.loads(render(head, "json", baseline=base))
    jsonschema.Draft202012Validator(
        json.loads((ROOT / "docs" / "report.schema.json").read_text())
    ).validate(data)
    b = data["baseline"]
    assert [(c["agent"], c["test"]) for c in b["newly_failing"]] == [("claude-agent", "Read file")]
    assert sorted((c["agent"], c["test"]) for c in b["newly_passing"]) == [
        ("claude-agent", "Create file"),
        ("claude-agent", "Delete file"),
        ("gemini-agent", "Read file"),
    ]
    assert [c["agent"] for c in b["added"]] == ["gpt-agent"] * 3 and b["removed"] == []
    assert b["summary"]["pass_rate"] == pytest.approx(7 / 9 - 3 / 6)
    assert b["summary"]["cost_usd"] == pytest.approx(9 * 0.00042 - 6 * 0.00042)
    agents = {a["name"]: a for a in b["agents"]}
    assert agents["gpt-agent"]["presence"] == "added"
    assert agents["claude-agent"]["tokens"] == 870 - 530


@pytest.mark.requirement("report:compare")
def test_markdown_shows_deltas_inline(pair: tuple[Path, Path]) -> None:
    base, head = (build_report(p) for p in pair)
    md = render(head, "md", baseline=base)
    assert "pass rate +27.8 pp, **1** newly failing, **3** newly passing, 3 added" in md
    summary = by_header(md, "Total")
    assert summary[1][:2] == ["9 (+3)", "7 (+4)"]
    changes = by_header(md, "Change")
    assert changes[1][:5] == [
        "🔻 newly failing",
        "Read file",
        "default",
        "tests.yaml",
        "claude-agent",
    ]
    assert "❌ 🔻" in md  # marked in the matrix too
    html = render(head, "html", baseline=base)
    assert "newly failing" in html and 'class="baseline"' in html


@pytest.mark.requirement("report:compare")
def test_bench_compare_prints_markdown(
    pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", str(pair[0]), str(pair[1])]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!-- bench-report -->") and "newly failing" in out


@pytest.mark.requirement("report:compare")
def test_bench_compare_writes_files(pair: tuple[Path, Path], tmp_path: Path) -> None:
    assert (
        main(
            [
                "compare",
                str(pair[0]),
                str(pair[1]),
                "--format",
                "md,html,json",
                "-o",
                str(tmp_path / "cmp"),
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "cmp.json").read_text())["baseline"]["base_run_id"].endswith(
        "09_failed_with_errors"
    )
    assert (tmp_path / "cmp.html").exists() and (tmp_path / "cmp.md").exists()


@pytest.mark.requirement("report:output-names")
@pytest.mark.requirement("report:regenerate")
def test_bench_report_from_run_then_from_json(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "my-report"
    assert (
        main(
            [
                "report",
                str(runs["06_multi_agent_multi_session"]),
                "--format",
                "html,md,json,junit",
                "-o",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    names = sorted(p.name for p in out.parent.iterdir())
    assert names == ["my-report.html", "my-report.json", "my-report.junit.xml", "my-report.md"]
    # re-render from the JSON alone (default output: beside it, same stem)
    again = tmp_path / "again.json"
    again.write_text((out.parent / "my-report.json").read_text())
    assert main(["report", str(again), "--format", "html"]) == 0
    assert (tmp_path / "again.html").read_text() == (out.parent / "my-report.html").read_text()
    assert "criteria NOT met" in capsys.readouterr().out  # the console report was printed


def test_bench_report_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "--format", "pdf"]) == 2
    assert "unknown report format 'pdf'" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    assert "metadata.json" in capsys.readouterr().err


def test_report_and_compare_take_run_ids_like_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.report.samples import sample, write_run

    store = tmp_path / "runs"
    for level, run_id in (("01_single_agent_single_test", "20261201-100000-aaaaaa"),
                          ("02_single_agent_multi_test", "20261201-110000-bbbbbb")):  # fmt: skip
        s = sample(level)
        s.meta = s.meta.model_copy(update={"run_id": run_id})
        write_run(s, store)
    out = tmp_path / "out" / "r"
    assert main(["report", "aaaaaa", "--output-dir", str(tmp_path), "-f", "json", "-o", str(out),
                 "-q"]) == 0  # fmt: skip
    assert json.loads(out.with_suffix(".json").read_text())["run_id"] == "20261201-100000-aaaaaa"
    assert main(["compare", "20261201-10", "bbbbbb", "--output-dir", str(tmp_path)]) == 0
    assert "Compared with base run" in capsys.readouterr().out
    # An ambiguous part lists the candidates; an unknown one says where it looked: exit 2.
    assert main(["report", "20261201", "--output-dir", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err
    assert "ambiguous" in err and "aaaaaa" in err and "bbbbbb" in err
    assert main(["compare", "nope", "bbbbbb", "--output-dir", str(tmp_path)]) == 2
    assert "no run matching 'nope'" in capsys.readouterr().err
