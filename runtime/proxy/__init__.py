"""The metrics proxy: measures an external agent's real LLM traffic on loopback.

``MetricsProxy`` serves; ``ProxyChannel`` is one worker's view of it (its base URLs and
per-case recording); ``Meter`` reads usage out of the four wire formats.
"""

from __future__ import annotations

from .app import DEFAULT_UPSTREAMS as DEFAULT_UPSTREAMS
from .app import ENV_VARS as ENV_VARS
from .app import MetricsProxy as MetricsProxy
from .app import ProxyChannel as ProxyChannel
from .usage import Meter as Meter
from .usage import Wire as Wire
from .usage import detect_wire as detect_wire

__all__ = [
    "DEFAULT_UPSTREAMS",
    "ENV_VARS",
    "Meter",
    "MetricsProxy",
    "ProxyChannel",
    "Wire",
    "detect_wire",
]
