"""What ``bench report`` and ``bench compare`` read: a path, or a run id as show/retry take it."""

from __future__ import annotations

from pathlib import Path

__all__ = ["report_source"]


def report_source(text: str, output_dir: Path | None) -> Path:
    """A run directory or JSON report at ``text``, else the run whose id (or an unambiguous part
    of it) is ``text`` under ``output_dir/runs`` (default: the current directory).

    Raises InputError naming what was tried; an ambiguous id lists the candidates.
    """
    from runtime.errors import InputError, RunStoreError
    from runtime.store import find_run

    path = Path(text)
    if path.exists():
        return path
    looks_like_id = "/" not in text and not text.endswith(".json") and text not in (".", "..")
    if looks_like_id:
        try:
            return find_run(output_dir or Path.cwd(), text)
        except RunStoreError as exc:
            raise InputError(f"{text} is not a file, nor a run: {exc}") from None
    raise InputError(
        f"{text} does not exist; give a run directory (runs/<id>), a JSON report or a run id"
    )
