"""The git commit a run was started from, read from the ``.git`` files: no git process, so
it costs a few file reads (and works where git is not installed).

Handles a plain repository, a linked worktree or submodule (``.git`` is a file naming the git
directory; refs live in its ``commondir``), a detached HEAD, loose and packed refs. Anything
else (no repository, an unborn branch, an unreadable or odd file) is None: the run simply does
not record a commit.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["head_commit"]

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_REF = re.compile(r"refs/[A-Za-z0-9._/+-]+")


def _git_dir(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        dotgit = folder / ".git"
        if dotgit.is_dir():
            return dotgit
        if dotgit.is_file():
            text = dotgit.read_text(encoding="utf-8").strip()
            if not text.startswith("gitdir:"):
                return None
            return (folder / text[len("gitdir:") :].strip()).resolve()
    return None


def _ref(git_dir: Path, ref: str) -> str | None:
    common = git_dir
    if (git_dir / "commondir").is_file():
        common = (git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()).resolve()
    for base in (git_dir, common):
        loose = base / ref
        if loose.is_file():
            sha = loose.read_text(encoding="utf-8").strip()
            return sha if _SHA.fullmatch(sha) else None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref and _SHA.fullmatch(sha):
                return sha
    return None


def head_commit(start: Path) -> str | None:
    """The commit checked out in the repository holding ``start`` (full hex), or None."""
    try:
        git_dir = _git_dir(start.resolve())
        if git_dir is None:
            return None
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if _SHA.fullmatch(head):
            return head  # detached
        if not head.startswith("ref:"):
            return None
        ref = head[len("ref:") :].strip()
        return _ref(git_dir, ref) if _REF.fullmatch(ref) and ".." not in ref else None
    except (OSError, UnicodeError, ValueError):
        return None
