"""The few numbers of a report.json that the Action needs: counts, pass rate, criteria.

Read from the report's ``summary`` object (the report schema owns the rest); anything else in
the file is ignored, so this keeps working as the schema grows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.errors import InputError

__all__ = ["ReportDigest", "digest_of", "load_digest"]


@dataclass(frozen=True)
class ReportDigest:
    """Counts and verdict of one report."""

    total: int
    passed: int
    failed: int
    errors: int
    pass_rate: float
    """Fraction of cases that passed, 0.0 to 1.0."""
    criteria_met: bool
    """Whether the suite's pass criteria (e.g. success_rate) were met."""

    @property
    def any_failure(self) -> bool:
        """True when any case failed or errored, whatever the criteria say."""
        return self.failed > 0 or self.errors > 0

    def outputs(self) -> dict[str, str]:
        """The Action outputs derived from the counts (strings, as GitHub stores them)."""
        return {
            "passed": str(self.passed),
            "failed": str(self.failed),
            "errors": str(self.errors),
            "pass-rate": _rate(self.pass_rate),
            "criteria-met": "true" if self.criteria_met else "false",
        }


def load_digest(path: str | Path) -> ReportDigest:
    """Read ``summary`` from a report.json; InputError if it is missing or malformed."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"report not found: {path}") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the report {path}: {exc}") from exc
    summary = data.get("summary") if isinstance(data, dict) else None
    if not isinstance(summary, dict):
        raise InputError(f"{path} is not a bench JSON report (no 'summary' object)")
    return digest_of(summary, path)


def digest_of(summary: dict[str, Any], path: str | Path) -> ReportDigest:
    """The digest of a report's ``summary`` object (``path`` names it in errors)."""
    return ReportDigest(
        total=_count(summary, "total", path),
        passed=_count(summary, "passed", path),
        failed=_count(summary, "failed", path),
        errors=_count(summary, "errors", path),
        pass_rate=_fraction(summary.get("pass_rate"), path),
        criteria_met=_flag(summary.get("criteria_met"), path),
    )


def _count(summary: dict[str, Any], key: str, path: str | Path) -> int:
    value = summary.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{path}: summary.{key} must be a non-negative integer, got {value!r}")
    return value


def _fraction(value: Any, path: str | Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InputError(f"{path}: summary.pass_rate must be a number in [0, 1], got {value!r}")
    return float(value)


def _flag(value: Any, path: str | Path) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{path}: summary.criteria_met must be true or false, got {value!r}")
    return value


def _rate(value: float) -> str:
    # Four decimals are enough for any suite size people run in CI, and "1" reads better than "1.0".
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"
