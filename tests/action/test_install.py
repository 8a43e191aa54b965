"""The Action's locked install (issue 18): uv.lock, scripts/action-install, the cache key.

The full install from the real lock runs in test_act.py (the Action under act) and, timed cold
and warm, in benchmarks/action_install_bench.py. Here: the lock matches pyproject.toml, the dev
environment is the lock, a changed lock changes the cache key, a tampered hash fails the
install with a clear error (offline, against a tiny project and a local wheel), and the
extras are decided from the plan.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bench.versions import canonical, lock_mismatches, locked_versions
from runtime.plan import AzureProvider, OpenAIProvider, SecretRef
from runtime.providers.registry import optional_extras
from tests.runtime.provider_kits import bedrock_spec

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "scripts" / "action-install"
BIN = Path(sys.executable).parent


def _uv() -> str:
    uv = shutil.which("uv", path=str(BIN))
    if uv is None:
        pytest.fail("uv is not in the dev environment: run scripts/bootstrap")
    return uv


def _steps() -> dict[str, dict]:  # type: ignore[type-arg]
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text())
    return {s.get("id") or s["name"]: s for s in action["runs"]["steps"]}


def test_the_lock_matches_pyproject() -> None:
    done = subprocess.run(
        [_uv(), "lock", "--check", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_dev_environment_is_the_lock() -> None:
    # scripts/bootstrap installs from uv.lock: the tests run on what the Action installs.
    done = subprocess.run(
        [str(BIN / "bench"), "version", "--deps", "--check-lock", str(ROOT / "uv.lock")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^pydantic==\d", done.stdout, re.M)
    assert "match" in done.stdout.splitlines()[-1]


def test_a_version_the_lock_does_not_have_is_named() -> None:
    locked = {"pydantic": "2.9.0", "rich": "13.8.0"}
    assert lock_mismatches({"bench": "0.1.0", "pydantic": "2.9.0", "rich": "13.8.0"}, locked) == []
    assert lock_mismatches({"pydantic": "2.10.0", "leftpad": "1"}, locked) == [
        "leftpad==1 is installed but not in the lock",
        "pydantic==2.10.0 is installed, the lock has 2.9.0",
    ]
    assert canonical("Ruamel.YAML") == canonical("ruamel-yaml") == "ruamel-yaml"
    assert "pydantic" in locked_versions(ROOT / "uv.lock")


def test_the_cache_step_restores_the_environment_the_install_uses() -> None:
    steps = _steps()
    cache = steps["Restore bench's environment"]
    assert cache["uses"].startswith("actions/cache@v")
    assert cache["if"] == "inputs.cache == 'true'"
    assert cache["with"]["path"] == "${{ steps.env.outputs.venv }}"
    assert cache["with"]["key"] == "${{ steps.env.outputs.key }}"
    assert steps["install"]["env"]["BENCH_VENV"] == "${{ steps.env.outputs.venv }}"
    key_script = steps["env"]["run"]
    # The key: runner OS and architecture, the exact Python version, the lock's hash.
    assert 'key=bench-venv-v1-$RUNNER_OS-$RUNNER_ARCH-py$version-$lock"' in key_script
    assert 'scripts/action-install" --key' in key_script
    assert 'venv=$RUNNER_TEMP/bench-venv"' in key_script


def _copy_installer(dest: Path) -> None:
    (dest / "scripts").mkdir(parents=True)
    (dest / "requirements").mkdir()
    shutil.copy2(INSTALL, dest / "scripts" / "action-install")
    shutil.copy2(ROOT / "uv.lock", dest / "uv.lock")
    shutil.copy2(ROOT / "requirements" / "uv.txt", dest / "requirements" / "uv.txt")


def _key(folder: Path) -> str:
    done = subprocess.run(
        [str(folder / "scripts" / "action-install"), "--key"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_changed_lock_changes_the_cache_key(tmp_path: Path) -> None:
    _copy_installer(tmp_path)
    before = _key(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{32}", before)
    assert _key(tmp_path) == before  # stable
    lock = tmp_path / "uv.lock"
    lock.write_text(lock.read_text().replace('version = "', 'version = "0', 1))
    assert _key(tmp_path) != before
    shutil.copy2(ROOT / "uv.lock", lock)
    assert _key(tmp_path) == before
    uv_req = tmp_path / "requirements" / "uv.txt"
    uv_req.write_text(uv_req.read_text() + "\n")
    assert _key(tmp_path) != before


def _wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel of one module, built by hand (no build backend, offline)."""
    dist = f"{name}-{version}"
    path = folder / f"{dist}-py3-none-any.whl"
    files = {
        f"{name}.py": "VALUE = 42\n",
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for arc, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{arc},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(path, "w") as zf:
        for arc, text in files.items():
            zf.writestr(arc, text)
    return path


# A project that depends on one package from a PEP 503 index on 127.0.0.1, with a build backend of its own
# (in the folder, needing nothing): stands in for bench so the installer runs offline.
_PYPROJECT = """\
[project]
name = "bench"
version = "0.0.1"
requires-python = ">=3.11"
dependencies = ["tinydep==1.0"]

[dependency-groups]
build = []

[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[[tool.uv.index]]
name = "local"
url = "{index}"
default = true
"""

_BACKEND = """\
import base64, hashlib, zipfile

def _w(d, name):
    path = f"{d}/bench-0.0.1-py3-none-any.whl"
    files = {"bench_tiny.py": "OK = True\\n",
             "bench-0.0.1.dist-info/METADATA": "Metadata-Version: 2.1\\nName: bench\\nVersion: 0.0.1\\n",
             "bench-0.0.1.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
    rec = [f"{a},sha256={base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b'=').decode()},{len(t)}" for a, t in files.items()]
    files["bench-0.0.1.dist-info/RECORD"] = "\\n".join(rec + ["bench-0.0.1.dist-info/RECORD,,"]) + "\\n"
    with zipfile.ZipFile(path, "w") as z:
        for a, t in files.items():
            z.writestr(a, t)
    return path.rsplit("/", 1)[1]

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _w(wheel_directory, "bench")

def get_requires_for_build_wheel(config_settings=None):
    return []
"""


@pytest.mark.slow
def test_a_tampered_hash_fails_the_install_with_a_clear_error(tmp_path: Path) -> None:
    uv = _uv()
    root = tmp_path / "index"
    (root / "simple" / "tinydep").mkdir(parents=True)
    wheel = _wheel(root, "tinydep", "1.0")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (root / "simple" / "tinydep" / "index.html").write_text(
        f'<a href="../../{wheel.name}#sha256={digest}">{wheel.name}</a>'
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _tamper_check(tmp_path, uv, f"http://127.0.0.1:{server.server_port}/simple")
    finally:
        server.shutdown()
        server.server_close()


def _tamper_check(tmp_path: Path, uv: str, index: str) -> None:
    action = tmp_path / "action"
    _copy_installer(action)
    (action / "pyproject.toml").write_text(_PYPROJECT.format(index=index))
    (action / "backend.py").write_text(_BACKEND)
    env = {
        **os.environ,
        "BENCH_UV": uv,
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "PYTHON": sys.executable,
    }
    locked = subprocess.run([uv, "lock"], cwd=action, env=env, capture_output=True, text=True)
    assert locked.returncode == 0, locked.stderr
    lock = action / "uv.lock"
    assert "sha256:" in lock.read_text()

    venv = tmp_path / "venv"
    ok = subprocess.run(
        [str(action / "scripts" / "action-install"), str(venv)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    probe = [str(venv / "bin" / "python"), "-c", "import tinydep, bench_tiny; print(tinydep.VALUE)"]
    assert subprocess.run(probe, capture_output=True, text=True, check=True).stdout == "42\n"

    # One hex digit of tinydep's hash changed: the same wheel no longer matches the lock.
    text = lock.read_text()
    good = re.search(r'hash = "sha256:([0-9a-f]{64})"', text)
    assert good is not None
    flipped = good.group(1)[:-1] + ("0" if good.group(1)[-1] != "0" else "1")
    lock.write_text(text.replace(good.group(1), flipped))
    shutil.rmtree(tmp_path / "uv-cache")  # as on a fresh runner
    bad = subprocess.run(
        [str(action / "scripts" / "action-install"), str(tmp_path / "venv2")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "::error title=bench install::the locked install of bench's dependencies failed" in (
        bad.stderr
    )
    assert "hash" in bad.stderr.lower()
    assert not (tmp_path / "venv2" / ".bench-lock").exists()


def test_extras_are_decided_from_the_providers() -> None:
    openai = OpenAIProvider(name="o", model="m", api_key=SecretRef.from_env("K"))
    entra = AzureProvider(
        name="az", model="d", auth="entra_id", base_url="http://127.0.0.1:9", api_version="v"
    )
    keyed = AzureProvider(
        name="ak", model="d", api_key=SecretRef.from_env("K"), base_url="http://127.0.0.1:9",
        api_version="v",
    )  # fmt: skip
    assert optional_extras([openai, keyed]) == []
    assert optional_extras([openai, entra]) == ["azure"]
    assert optional_extras([bedrock_spec("http://127.0.0.1:9"), entra]) == ["azure", "bedrock"]


def test_bench_github_extras_reads_the_action_inputs(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "providers:\n"
        "  - name: claude\n    type: AMAZON-ANTHROPIC\n    model: m\n    location: us-east-1\n"
        '    token: "{{AWS_ACCESS_KEY_ID}}"\n    secret: "{{AWS_SECRET_ACCESS_KEY}}"\n'
        "agents:\n  - name: a\n    provider: claude\n"
        "sessions:\n  - name: s\n    tests:\n      - name: t\n        prompt: hi\n"
        "        assertions:\n          - type: output_contains\n            value: x\n"
    )
    env = {**os.environ, "INPUT_SUITE": "suite.yaml", "INPUT_WORKING_DIRECTORY": str(tmp_path)}
    done = subprocess.run(
        [str(BIN / "bench"), "github", "extras"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "bedrock\n"), done.stderr
    suite.write_text("providers: [oops\n")  # does not compile: nothing here, the run step says why
    done = subprocess.run(
        [str(BIN / "bench"), "github", "extras"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "\n")
