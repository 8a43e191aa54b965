"""Start-up structure: a command loads only what it uses (checked in a fresh interpreter).

Importing a provider SDK costs 1-3 s, the compiler ~0.5 s, the report renderers ~0.2 s; a
run pays only for what its plan and flags name (benchmarks/startup_bench.py has the figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import sys
sys.argv = ["bench", *{argv!r}]
sys.path.insert(0, {root!r})
from tests.fakes import FakeLLM, serve_in_thread
from tests.fakes.openai_server import openai_app
before = set(sys.modules)
import os
with serve_in_thread(openai_app(FakeLLM())) as url:
    os.environ["BENCH_FAKE_URL"] = url
    if {compile_first!r}:  # the plan holds the fake's URL: compile it in another process
        import subprocess
        subprocess.run([sys.executable, "-m", "bench", "compile", "suite.yaml", "-o", "plan.json"],
                       check=True, capture_output=True, env={{**os.environ, "PYTHONPATH": {root!r}}})
    from bench.cli import main
    code = main(sys.argv[1:])
import json
print(json.dumps({{"code": code, "loaded": sorted(set(sys.modules) - before)}}))
"""


def _loaded(tmp_path: Path, *argv: str, compile_first: bool = False) -> tuple[int, set[str]]:
    """Run ``bench ARGV`` in a fresh interpreter; its exit code and the modules it loaded."""
    code = _PROBE.format(argv=list(argv), root=str(ROOT), compile_first=compile_first)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["code"], set(out["loaded"])


def _plan(tmp_path: Path) -> Path:
    """A compiled one-case OpenAI plan whose base URL comes from the environment at run time."""
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "providers:\n"
        '  - {name: p, type: OPENAI_COMPATIBLE, model: m, baseUrl: "{{BENCH_FAKE_URL}}/v1"}\n'
        "agents:\n  - {name: a, provider: p}\n"
        "sessions:\n  - name: s\n    tests:\n      - {name: t, prompt: hi}\n",
        encoding="utf-8",
    )
    return suite


def _has(loaded: set[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in loaded)


def test_bench_help_loads_no_runtime_compiler_report_or_pydantic() -> None:
    code = (
        "import sys\nfrom bench.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('runtime', 'compiler', 'report', 'pydantic', 'rich') if m in sys.modules]\n"
        "print(bad, file=sys.stderr); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_executing_an_openai_plan_loads_no_other_sdk_compiler_or_renderer(
    tmp_path: Path,
) -> None:
    suite = _plan(tmp_path)
    code, loaded = _loaded(tmp_path, "execute", str(suite))
    assert code == 0
    assert _has(loaded, "openai")  # the probe works: the SDK the plan names is loaded
    for package in ("anthropic", "google.genai", "mcp", "markdown_it"):
        assert not _has(loaded, package), package


def test_a_plan_json_run_loads_no_compiler_and_reports_load_only_when_asked(
    tmp_path: Path,
) -> None:
    _plan(tmp_path)
    code, loaded = _loaded(tmp_path, "execute", "plan.json", compile_first=True)
    assert code == 0
    assert not _has(loaded, "compiler")
    assert not _has(loaded, "markdown_it")
    code, loaded = _loaded(tmp_path, "execute", "plan.json", "--report", "md", compile_first=True)
    assert code == 0
    assert _has(loaded, "markdown_it") or _has(loaded, "jinja2")


def test_a_replay_imports_no_provider_sdk(tmp_path: Path) -> None:
    """Every answer comes from the cassette: the SDK (1.5-3.4 s of CPU) is never needed."""
    suite = _plan(tmp_path)
    code, loaded = _loaded(tmp_path, "execute", str(suite), "--record", "cas")
    assert code == 0 and _has(loaded, "openai")
    code, loaded = _loaded(tmp_path, "execute", str(suite), "--replay", "cas")
    assert code == 0
    assert not _has(loaded, "openai")
    # A miss is then asked of the provider: with --record-missing the SDK loads as usual.
    code, loaded = _loaded(tmp_path, "execute", str(suite), "--replay", "cas", "--record-missing")
    assert code == 0 and _has(loaded, "openai")
