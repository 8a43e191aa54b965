"""bench/gitinfo.py: the checked-out commit, read from the .git files (no git process)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bench.gitinfo import head_commit

A = "a" * 40
B = "0123456789abcdef0123456789abcdef01234567"


def _repo(root: Path, head: str = "ref: refs/heads/main\n") -> Path:
    git = root / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text(head)
    return git


def test_branch_loose_ref_from_a_subdirectory(tmp_path: Path) -> None:
    git = _repo(tmp_path)
    (git / "refs" / "heads" / "main").write_text(A + "\n")
    (tmp_path / "suites" / "deep").mkdir(parents=True)
    assert head_commit(tmp_path / "suites" / "deep") == A


def test_packed_ref_detached_head_and_unborn_branch(tmp_path: Path) -> None:
    git = _repo(tmp_path / "packed")
    (git / "packed-refs").write_text(
        f"# pack-refs with: peeled fully-peeled sorted\n{B} refs/heads/main\n^{A}\n"
    )
    assert head_commit(tmp_path / "packed") == B
    _repo(tmp_path / "detached", head=A + "\n")
    assert head_commit(tmp_path / "detached") == A
    _repo(tmp_path / "unborn")  # a new repository: HEAD names a branch with no commit yet
    assert head_commit(tmp_path / "unborn") is None


def test_worktree_reads_its_own_head_and_the_common_refs(tmp_path: Path) -> None:
    main = _repo(tmp_path / "main")
    (main / "refs" / "heads" / "feature").write_text(B + "\n")
    wt_git = main / "worktrees" / "wt"
    wt_git.mkdir(parents=True)
    (wt_git / "HEAD").write_text("ref: refs/heads/feature\n")
    (wt_git / "commondir").write_text("../..\n")
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text(f"gitdir: {wt_git}\n")
    assert head_commit(tmp_path / "wt") == B


@pytest.mark.parametrize(
    "head",
    ["ref: ../../../etc/passwd\n", "not a sha\n", "", "ref: refs/heads/\x00\n"],
)
def test_anything_odd_is_none_not_an_error(tmp_path: Path, head: str) -> None:
    _repo(tmp_path, head=head)
    assert head_commit(tmp_path) is None


def test_a_dot_git_file_that_names_no_git_dir(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("not a gitdir line\n")
    assert head_commit(tmp_path) is None


def test_agrees_with_git_rev_parse(tmp_path: Path) -> None:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }

    git_binary = shutil.which("git")
    assert git_binary, "git is needed: bench is developed in a git checkout"

    def git(*args: str) -> str:
        return subprocess.run(
            [git_binary, *args],
            cwd=tmp_path / "r",
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    (tmp_path / "r").mkdir()
    git("init", "-q", "-b", "main")
    (tmp_path / "r" / "f").write_text("x")
    git("add", "f")
    git("commit", "-q", "-m", "one")
    assert head_commit(tmp_path / "r") == git("rev-parse", "HEAD")
    git("pack-refs", "--all")
    assert head_commit(tmp_path / "r") == git("rev-parse", "HEAD")
