"""Record and replay of a run's LLM and tool traffic, and the response cache: one seam.

- ``canonical``: the canonical form of a request and its sha256 key;
- ``cassette``: the cassette file (JSON lines with a format version);
- ``scope``: which case and attempt a request belongs to (matching is per case, not per
  arrival order, so replay is deterministic whatever the concurrency);
- ``seam``: the recording / replaying provider and tool pool (``traffic_services``);
- ``diff``: the diff a miss shows against the nearest recorded request;
- ``cache``: the response cache under the user's cache directory, with expiry.

Importing this package loads none of them; ``runtime.execute`` imports what a run uses.
"""

from __future__ import annotations

__all__: list[str] = []
