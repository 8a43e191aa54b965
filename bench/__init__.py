"""bench: compile YAML agent test suites to a frozen plan, execute it, and report."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("bench")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
