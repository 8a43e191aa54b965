"""What is installed beside bench, and what uv.lock says should be.

``installed_closure()`` walks bench's distribution metadata (its requirements, and those of every
extra that is installed) through ``importlib.metadata``; ``locked_versions(uv.lock)`` reads the
lock the GitHub Action installs from. ``bench version --deps --check-lock uv.lock`` compares the
two, so a job can show that it runs exactly what was tested.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

__all__ = ["canonical", "installed_closure", "lock_mismatches", "locked_versions"]

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def canonical(name: str) -> str:
    """PEP 503 normalised name: ``Ruamel.YAML`` and ``ruamel-yaml`` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(dist: metadata.Distribution, extras: set[str]) -> list[tuple[str, set[str]]]:
    found: list[tuple[str, set[str]]] = []
    for line in dist.requires or []:
        spec, _, marker = line.partition(";")
        wanted = _EXTRA_MARKER.search(marker)
        if wanted and canonical(wanted.group(1)) not in extras:
            continue
        if marker.strip() and not wanted and not _marker_holds(marker):
            continue
        m = _NAME.match(spec)
        if m:
            sub = {canonical(e) for e in (m.group(2) or "").split(",") if e.strip()}
            found.append((canonical(m.group(1)), sub))
    return found


def _marker_holds(marker: str) -> bool:
    try:
        from packaging.markers import Marker
    except ImportError:  # pragma: no cover - packaging ships with pip and hatchling
        return True
    try:
        return bool(Marker(marker.strip()).evaluate())
    except Exception:
        return True


def installed_closure(root: str = "bench", extras: set[str] | None = None) -> dict[str, str]:
    """``{name: version}`` of ``root`` and everything it needs, as installed now.

    ``extras`` of ``root`` default to those whose requirements are all installed.
    """
    versions: dict[str, str] = {}
    todo: list[tuple[str, set[str]]] = [(canonical(root), extras if extras is not None else set())]
    auto_extras = extras is None
    while todo:
        name, wanted = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if name in versions and not wanted:
            continue
        versions[name] = dist.version
        if auto_extras and name == canonical(root):
            wanted = _installed_extras(dist)
        todo.extend(_requirements(dist, wanted))
    return versions


def _installed_extras(dist: metadata.Distribution) -> set[str]:
    present: set[str] = set()
    for extra in dist.metadata.get_all("Provides-Extra") or []:
        reqs = [r for r, _ in _requirements(dist, {canonical(extra)})]
        base = {r for r, _ in _requirements(dist, set())}
        own = [r for r in reqs if r not in base]
        if own and all(_is_installed(r) for r in own):
            present.add(canonical(extra))
    present.discard("dev")
    return present


def _is_installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def locked_versions(lock: Path) -> dict[str, str]:
    """``{name: version}`` of every package in a uv.lock (the project itself left out)."""
    data = tomllib.loads(lock.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for pkg in data.get("package", []):
        source = pkg.get("source", {})
        if "editable" in source or "virtual" in source:
            continue
        if "version" in pkg:
            out[canonical(pkg["name"])] = str(pkg["version"])
    return out


def lock_mismatches(installed: dict[str, str], locked: dict[str, str]) -> list[str]:
    """One line per installed package whose version is not the locked one (bench excluded)."""
    lines = []
    for name, version in sorted(installed.items()):
        if name == "bench":
            continue
        want = locked.get(name)
        if want is None:
            lines.append(f"{name}=={version} is installed but not in the lock")
        elif want != version:
            lines.append(f"{name}=={version} is installed, the lock has {want}")
    return lines
