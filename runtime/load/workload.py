"""The prompts a load sends: from a dataset file, or generated to a given length.

(A suite's own prompts are taken from its compiled plan by ``bench load``; the runtime never
reads a suite.) Generated prompts are words of one token each in the common BPE vocabularies
(``T`` words for about ``T`` input tokens), each prompt opening with its own number so that
no two share a prefix a server could cache.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from ..errors import InputError

__all__ = ["generated_prompts", "read_dataset"]

_WORDS = (
    "time year people way day man thing woman life child world school state family student "
    "group country problem hand part place case week company system program question work "
    "government number night point home water room mother area money story fact month lot "
    "right study book eye job word business issue side kind head house service friend father "
    "power hour game line end member law car city community name president team minute idea"
).split()


def generated_prompts(count: int, input_tokens: int, seed: int = 0) -> list[str]:
    """``count`` synthetic prompts of about ``input_tokens`` tokens each (seeded)."""
    if count < 1 or input_tokens < 1:
        raise InputError("--generate-prompts and --input-tokens must be at least 1")
    rng = random.Random(f"bench-load-prompts:{seed}")
    prompts = []
    for n in range(count):
        words = [str(n)] + [rng.choice(_WORDS) for _ in range(max(input_tokens - 1, 0))]
        prompts.append(" ".join(words))
    return prompts


def read_dataset(path: Path, field: str = "prompt") -> list[str]:
    """The ``field`` of every line of a JSONL file (blank lines skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read dataset {path}: {exc}") from exc
    prompts: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{path}:{number}: not a JSON line ({exc})") from exc
        value = row.get(field) if isinstance(row, dict) else None
        if not isinstance(value, str) or not value:
            raise InputError(
                f"{path}:{number}: no text field {field!r} (set the field with --dataset-field)"
            )
        prompts.append(value)
    if not prompts:
        raise InputError(f"dataset {path} holds no prompt")
    return prompts
