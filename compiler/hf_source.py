"""Dataset files from the Hugging Face Hub (``source: hf:OWNER/NAME``), pinned to a commit.

``fetch_hub_files(spec)`` resolves ``revision`` (branch, tag or commit; default ``main``) to
its commit with the Hub's own client (huggingface_hub, the ``bench[hf]`` extra, imported only
here), picks the data files of ``config``/``split`` (or ``path:``), and downloads them into
the client's cache. ``HF_ENDPOINT``, ``HF_HOME``/``HF_HUB_CACHE`` and ``HF_HUB_OFFLINE`` are
read at each call; the token is the client's own business (``HF_TOKEN`` or ``hf auth login``),
never passed or shown here. Offline, or with the Hub unreachable, the revision is read from
the cache (``refs/<revision>`` -> ``snapshots/<commit>/``) when it is there.

Files of a split follow the Hub's conventions: the dataset card's ``configs:`` (``data_files``
per split, globs) when it has them, else the split's name in the path (``train.jsonl``,
``data/test-00000-of-00001.parquet``, ``default/validation/0000.parquet``).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .datasets import DatasetError as HubError
from .suggest import did_you_mean
from .suite.datasets import DatasetDef

__all__ = ["DATA_EXTENSIONS", "HubFiles", "fetch_hub_files"]

DATA_EXTENSIONS = (".parquet", ".jsonl", ".ndjson", ".json", ".csv")

_COMMIT = re.compile(r"[0-9a-f]{40}")
_REPO = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
# The split names the Hub recognises in file names, and their canonical name.
_KEYWORDS = {
    "train": "train", "training": "train",
    "validation": "validation", "valid": "validation", "val": "validation", "dev": "validation",
    "test": "test", "testing": "test", "eval": "test", "evaluation": "test",
}  # fmt: skip
_WORDS = "|".join(sorted(_KEYWORDS, key=len, reverse=True))
_KEYWORD = re.compile(rf"^({_WORDS})(?:[-._ 0-9]|$)")


@dataclass(frozen=True)
class HubFiles:
    """The data files of one split at one commit, downloaded."""

    repo: str
    commit: str
    files: tuple[tuple[str, Path], ...]
    """(path in the repository, local file), in path order."""
    note: str | None = None
    """Set when the files came from the cache because the Hub could not be asked."""


def _settings() -> tuple[str | None, str, bool]:
    """The endpoint, cache folder and offline flag, from the environment as it is now."""
    endpoint = os.environ.get("HF_ENDPOINT") or None
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
    )
    cache = (
        os.environ.get("HF_HUB_CACHE")
        or os.environ.get("HUGGINGFACE_HUB_CACHE")
        or os.path.join(home, "hub")
    )
    offline = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return (
        endpoint.rstrip("/") if endpoint else None,
        os.path.expanduser(os.path.expandvars(cache)),
        offline.strip().upper() in ("1", "ON", "YES", "TRUE"),
    )


def fetch_hub_files(spec: DatasetDef) -> HubFiles:
    """Resolve, select and download the files of ``spec`` (an ``hf:`` source)."""
    repo = spec.source[len("hf:") :].strip()
    what = f"dataset {spec.name!r} (hf:{repo})"
    if not _REPO.fullmatch(repo):
        raise HubError(f"{what}: `hf:` needs a dataset repository OWNER/NAME, e.g. hf:openai/gsm8k")
    try:
        import huggingface_hub as hub
        from huggingface_hub import errors
    except ImportError:
        raise HubError(
            f"{what}: Hugging Face Hub datasets need the hf extra: pip install 'bench[hf]'"
        ) from None
    endpoint, cache, offline = _settings()
    revision = spec.revision or "main"
    note: str | None = None
    try:
        if offline:
            raise errors.OfflineModeIsEnabled("HF_HUB_OFFLINE is set")
        info = hub.HfApi(endpoint=endpoint).dataset_info(repo, revision=revision, timeout=30)
        commit, names = str(info.sha), [s.rfilename for s in info.siblings or []]
    except errors.GatedRepoError:
        raise HubError(f"{what}: the dataset is gated; accept its terms and set HF_TOKEN") from None
    except errors.RepositoryNotFoundError:
        raise HubError(f"{what}: no such dataset on the Hub (private ones need HF_TOKEN)") from None
    except errors.RevisionNotFoundError:
        raise HubError(f"{what}: no revision {revision!r} (a branch, tag or commit)") from None
    except Exception as exc:  # the client's HTTP library's errors differ between its versions
        # Unreachable (connection refused, DNS, timeout, 5xx, refused auth) or offline: the
        # revision as cached, as huggingface_hub itself does for single files.
        reason = "HF_HUB_OFFLINE is set" if offline else f"the Hub is unreachable ({_reason(exc)})"
        commit, names = _cached(what, cache, repo, revision, reason)
        note = f"{what}: {reason}; using cached revision {revision} = {commit[:12]}"
    picked = _pick(spec, what, names, commit, local_only=note is not None)
    files: list[tuple[str, Path]] = []
    for name in picked:
        try:
            local = hub.hf_hub_download(
                repo,
                name,
                repo_type="dataset",
                revision=revision,
                endpoint=endpoint,
                cache_dir=cache,
                local_files_only=note is not None,
            )
        except Exception as exc:  # the client raises many kinds; all mean "cannot get it"
            raise HubError(f"{what}: cannot download {name}: {_reason(exc)}") from None
        if Path(local).parent.as_posix().split("/snapshots/")[-1].split("/")[0] != commit:
            raise HubError(
                f"{what}: revision {revision!r} moved during the download; compile again"
            )
        files.append((name, Path(local)))
    return HubFiles(repo=repo, commit=commit, files=tuple(files), note=note)


def _reason(exc: BaseException) -> str:
    """A short, token-free reason: the exception's class and first line, URLs kept out."""
    first = (str(exc).strip().splitlines() or [""])[0]
    first = re.sub(r"https?://\S+", "<url>", first)[:200]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _cached(what: str, cache: str, repo: str, revision: str, reason: str) -> tuple[str, list[str]]:
    """The commit ``revision`` names in the cache and the files cached for it."""
    folder = Path(cache) / ("datasets--" + repo.replace("/", "--"))
    commit: str | None = revision if _COMMIT.fullmatch(revision) else None
    ref = folder / "refs" / revision
    if commit is None and ref.is_file():
        commit = ref.read_text(encoding="utf-8").strip()
    snapshot = folder / "snapshots" / (commit or "-")
    if commit is None or not snapshot.is_dir():
        raise HubError(f"{what}: {reason}, and revision {revision!r} is not in the cache ({cache})")
    names = sorted(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file())
    return commit, names


# -- which files ----------------------------------------------------------------------------


def _pick(
    spec: DatasetDef, what: str, names: list[str], commit: str, *, local_only: bool
) -> list[str]:
    """The repository files to download: the card, then the split's data files."""
    card = "README.md" if "README.md" in names else None
    if spec.path and not spec.prepare:  # with prepare, `path` is the file prepare writes
        got = sorted(n for n in names if fnmatch.fnmatchcase(n, spec.path))
        if not got:
            raise HubError(f"{what}: no file matches path {spec.path!r} at {commit[:12]}")
        return got
    splits = _splits(spec, what, names, _card_configs(spec, what, card, local_only))
    split = spec.split or ("train" if "train" in splits or len(splits) != 1 else next(iter(splits)))
    if split not in splits:
        found = ", ".join(sorted(splits)) or "none"
        hint = did_you_mean(split, splits)
        raise HubError(
            f"{what}: no split {split!r} at {commit[:12]} (splits: {found})"
            + (f"; {hint}" if hint else "")
        )
    return sorted(splits[split])


def _card_configs(
    spec: DatasetDef, what: str, card: str | None, local_only: bool
) -> dict[str, list[str]] | None:
    """The chosen config's data_files (split -> globs) from the dataset card, if it has configs."""
    if card is None:
        return None
    import huggingface_hub as hub

    endpoint, cache, _ = _settings()
    try:
        local = hub.hf_hub_download(
            spec.source[3:].strip(), card, repo_type="dataset",
            revision=spec.revision or "main", endpoint=endpoint, cache_dir=cache,
            local_files_only=local_only,
        )  # fmt: skip
    except Exception:
        return None  # the card is documentation; without it, the naming conventions apply
    meta = _front_matter(Path(local).read_text(encoding="utf-8", errors="replace"))
    configs = [c for c in meta.get("configs") or [] if isinstance(c, dict) and c.get("config_name")]
    if not configs:
        return None
    by_name = {str(c["config_name"]): c for c in configs}
    if spec.config is not None:
        chosen = by_name.get(spec.config)
        if chosen is None:
            hint = did_you_mean(spec.config, by_name)
            raise HubError(
                f"{what}: no config {spec.config!r} (configs: {', '.join(by_name)})"
                + (f"; {hint}" if hint else "")
            )
    else:
        defaults = [c for c in configs if c.get("default")]
        chosen = defaults[0] if defaults else by_name.get("default")
        if chosen is None and len(configs) == 1:
            chosen = configs[0]
        if chosen is None:
            raise HubError(f"{what}: set `config:`, one of: {', '.join(by_name)}")
    return _data_files(chosen.get("data_files"))


def _front_matter(text: str) -> dict[str, Any]:
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        meta = YAML(typ="safe", pure=True).load(text[3:end] if end > 0 else "")
    except YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _data_files(value: Any) -> dict[str, list[str]]:
    """``data_files`` in any of the card's shapes, as split -> glob patterns."""
    if isinstance(value, str):
        return {"train": [value]}
    out: dict[str, list[str]] = {}
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str):
            out.setdefault("train", []).append(item)
        elif isinstance(item, dict) and "split" in item:
            paths = item.get("path")
            out.setdefault(str(item["split"]), []).extend(
                [paths] if isinstance(paths, str) else [str(p) for p in paths or []]
            )
    return out


def _splits(
    spec: DatasetDef, what: str, names: list[str], card: dict[str, list[str]] | None
) -> dict[str, list[str]]:
    """Split -> data files of the chosen config."""
    data = [n for n in names if n.lower().endswith(DATA_EXTENSIONS) and not n.startswith(".")]
    if card is not None:
        return {
            split: [n for n in data if any(_glob(n, g) for g in globs)]
            for split, globs in card.items()
        }
    if spec.config is not None and spec.config != "default":
        data = [n[len(spec.config) + 1 :] for n in data if n.startswith(spec.config + "/")]
        if not data:
            tops = sorted({n.split("/")[0] for n in names if "/" in n})
            raise HubError(
                f"{what}: no config {spec.config!r} (folders: {', '.join(tops) or 'none'})"
            )
        prefix = spec.config + "/"
    else:
        prefix = ""
    out: dict[str, list[str]] = {}
    for name in data:
        split = _split_of(name)
        if split is not None:
            out.setdefault(split, []).append(prefix + name)
    if not out and data:
        out["train"] = [prefix + n for n in data]  # no split in any name: one train split
    if spec.split is not None and spec.split not in out:
        # A split that is not a keyword (e.g. `sample`): a folder or a file name starting so.
        own = [prefix + n for n in data if _named(n, spec.split)]
        if own:
            out[spec.split] = own
    return out


def _split_of(name: str) -> str | None:
    """The split a data file's path names (a folder or the file name), canonical."""
    for part in reversed(name.lower().split("/")):
        m = _KEYWORD.match(part)
        if m:
            return _KEYWORDS[m.group(1)]
    return None


def _named(name: str, split: str) -> bool:
    pattern = re.compile(rf"^{re.escape(split.lower())}(?:[-._ 0-9]|$)")
    return any(pattern.match(part) for part in name.lower().split("/"))


def _glob(name: str, pattern: str) -> bool:
    """The card's globs: ``*`` within a folder, ``**`` across folders."""
    rx = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
    rx = rx.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    return re.fullmatch(rx, name) is not None
